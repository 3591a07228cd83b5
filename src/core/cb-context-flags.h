/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "cb-enums.h"

G_BEGIN_DECLS

/**
 * CbContextFlags:
 * @CB_CONTEXT_FLAGS_NONE: the app's context: a port monitor, and the active profile signed in
 *   to ARM as soon as it comes up
 * @CB_CONTEXT_FLAGS_NO_PORT_MONITOR: no port monitor (no udev); the caller opens ports by path
 * @CB_CONTEXT_FLAGS_ARM_ON_DEMAND: starting makes the HTTP, DPS and Entra clients but does not
 *   sign in; cb_context_sign_in_arm_async() signs in and only then makes the ARM clients (ADR,
 *   and the hub when the profile names one)
 * @CB_CONTEXT_FLAGS_NO_ARM: never sign in to ARM: no ADR, hub or DPS service client
 * @CB_CONTEXT_FLAGS_UNATTENDED: nobody is there to cancel a wait: a service's Retry-After is
 *   followed for up to 10 s, a DPS registration is given 120 s and a device-code sign-in 30 s
 *
 * How a context is built: the app's (%CB_CONTEXT_FLAGS_NONE) or a command line's.
 */
typedef enum /*< flags >*/
{
  CB_CONTEXT_FLAGS_NONE            = 0,
  CB_CONTEXT_FLAGS_NO_PORT_MONITOR = 1 << 0,
  CB_CONTEXT_FLAGS_ARM_ON_DEMAND   = 1 << 1,
  CB_CONTEXT_FLAGS_NO_ARM          = 1 << 2,
  CB_CONTEXT_FLAGS_UNATTENDED      = 1 << 3,
} CbContextFlags;

G_END_DECLS
