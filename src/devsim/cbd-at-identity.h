/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated modem's identity and key generation (cbd-at-identity.c). */
#pragma once

#include <glib.h>

#include "cbd-at-modem.h"

G_BEGIN_DECLS

/* The IMEI, the device UUID and the device identity key, made on first start and kept in the
 * state directory. */
CbdAtIdentity *cbd_at_identity_load        (CbdStorage          *storage,
                                            GError             **error);
void           cbd_at_identity_free        (CbdAtIdentity       *identity);

int            cbd_at_identity_cgsn        (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_cgmi        (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_cgmm        (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_cgmr        (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_xmodemuuid  (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_deviceuuid  (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_attesttoken (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);
int            cbd_at_identity_keygen      (CbdAtModem          *modem,
                                            const CbdAtCommand  *cmd);

G_END_DECLS
