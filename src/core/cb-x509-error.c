/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The X.509 error domain's quark (cb-x509-error.h). */

#include "config.h"

#include "cb-x509-error.h"

G_DEFINE_QUARK (cb-x509-error-quark, cb_x509_error)
