/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated modem's identity and key generation (cbd-at-identity.c). */
#pragma once

#include <glib.h>

#include "cbd-at-context.h"

G_BEGIN_DECLS

/* The IMEI, the device UUID and the device identity key, made on first start and kept in the
 * state directory. */
CbdAtIdentity *cbd_at_identity_load        (CbdStorage          *storage,
                                            GError             **error);
void           cbd_at_identity_free        (CbdAtIdentity       *identity);

int            cbd_at_identity_cgsn        (CbdAtContext        *ctx,
                                            const CbdAtCommand  *cmd);
/* +CGMI, +CGMM, +CGMR and %XMODEMUUID: one fixed line each. */
int            cbd_at_identity_fixed       (CbdAtContext        *ctx,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_deviceuuid  (CbdAtContext        *ctx,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_attesttoken (CbdAtContext        *ctx,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_keygen      (CbdAtContext        *ctx,
                                            const CbdAtCommand  *cmd);

G_END_DECLS
