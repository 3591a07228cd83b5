/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: the hub's verdict on a device's chain (cb-sb-verdict.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

typedef enum
{
  CB_SB_VERDICT_ACCEPTED,
  CB_SB_VERDICT_UNKNOWN_DEVICE,
  CB_SB_VERDICT_DEVICE_DISABLED,
  CB_SB_VERDICT_UNKNOWN_ISSUER,
  CB_SB_VERDICT_REVOKED_ISSUER,
  CB_SB_VERDICT_REVOKED_IDENTIFIER,
  CB_SB_VERDICT_EXPIRED,
  CB_SB_VERDICT_NOT_YET_VALID,
  CB_SB_VERDICT_WRONG_NAME,
  CB_SB_VERDICT_BAD_CHAIN,
} CbSbVerdict;

const char   *cb_sb_verdict_to_string          (CbSbVerdict verdict); /* "accepted", "revoked-identifier", ... */
/* Would the hub accept this chain (CbCertificate, leaf first) for this device now? The one
 * place that decides, used by the check endpoint and (later) the MQTT endpoint. */
CbSbVerdict   cb_sb_check_device_chain    (CbSandbox *self, const char *hub,
                                           const char *device_id, GPtrArray *chain,
                                           char **reason);

G_END_DECLS
