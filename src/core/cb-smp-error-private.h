/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-smp-error.h"

G_BEGIN_DECLS

/* For the transport, which reports the device's errors with their group, command and rc. */
GError *cb_smp_error_new_full (CbSmpError  code,
                               guint       group,
                               guint       command,
                               int         rc,
                               const char *format,
                               ...) G_GNUC_PRINTF (5, 6);

G_END_DECLS
