/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: ADR resource ids, ADR state and the CA engine (cb-sandbox-arm.c, cb-sandbox-ca.c), and the hub's verdict on a device chain. */

#include <glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Resource ids. */
char         *cb_sb_namespace_id          (const char  *subscription,
                                           const char  *resource_group,
                                           const char  *ns);
char         *cb_sb_policy_id             (const char  *namespace_id,
                                           const char  *policy);

/* CA engine and ADR state (cb-sandbox-ca.c, cb-sandbox-arm.c) */
gboolean      cb_sandbox_adr_create_namespace  (CbSandbox *self, const char *subscription,
                                                const char *resource_group, const char *name,
                                                const char *location, GError **error);
gboolean      cb_sandbox_adr_create_credential (CbSandbox *self, const char *namespace_id,
                                                GError **error);
gboolean      cb_sandbox_adr_create_policy     (CbSandbox *self, const char *namespace_id,
                                                const char *policy, guint validity_days,
                                                gboolean byor, GError **error);
/* Pushes every active issuing CA of the namespace to its linked hubs' certificates. */
gboolean      cb_sandbox_adr_synchronize       (CbSandbox *self, const char *namespace_id,
                                                GError **error);
/* Creates or updates the ADR namespace device for a DPS registration and points it at the
 * policy. The device keeps its credential identifier unless it has none yet. */
gboolean      cb_sandbox_adr_ensure_device     (CbSandbox *self, const char *namespace_id,
                                                const char *device_name, const char *policy_id,
                                                GError **error);
/* Checks the CSR (CN == device_name, EC P-256/P-384, signature) and issues a leaf under the
 * policy's current issuing CA carrying the device's current credential identifier.
 * Returns [leaf, issuing CA, root] as GBytes DER. Errors: CB_X509_ERROR for CSR problems,
 * G_IO_ERROR_NOT_FOUND for a missing/deleted policy, G_IO_ERROR_PERMISSION_DENIED for a
 * disabled device or a policy that cannot issue (PendingActivation). */
GPtrArray    *cb_sandbox_ca_issue_leaf         (CbSandbox *self, const char *policy_id,
                                                const char *device_name, GBytes *csr_der,
                                                GError **error);

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
CbSbVerdict   cb_sandbox_check_device_chain    (CbSandbox *self, const char *hub,
                                                const char *device_id, GPtrArray *chain,
                                                char **reason);

G_END_DECLS
