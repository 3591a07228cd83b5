/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The sandbox's error domain (CB_SANDBOX_ERROR, cb-sandbox.h). It lives below everything, so
 * the store, the tables and the surfaces can report errors without calling the CbSandbox
 * object that assembles them. */

#include "cb-sandbox.h"

G_DEFINE_QUARK (cb-sandbox-error-quark, cb_sandbox_error)
