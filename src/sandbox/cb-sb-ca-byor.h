/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: activation of a bring-your-own-root issuing CA (cb-sb-ca-byor.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Checks a customer chain for a pending BYOR issuer (G_IO_ERROR_INVALID_ARGUMENT with a
 * precise message when it is not acceptable). */
gboolean      cb_sb_ca_check_byor_chain       (CbSandbox   *self,
                                               const char  *issuer_id,
                                               const char  *chain_pem,
                                               GError     **error);
gboolean      cb_sb_ca_activate_issuer        (CbSandbox   *self,
                                               const char  *issuer_id,
                                               const char  *chain_pem,
                                               GError     **error);

G_END_DECLS
