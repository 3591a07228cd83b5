/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-ca"

/* The hub's verdict: would IoT Hub accept this chain for this device now? The one place that
 * decides, for the MQTT endpoint and the sandbox's check-chain endpoint. Revocation is
 * enforced the way the reference says IoT Hub does it: by the device's current credential
 * identifier (in the leaf's private extension) and by the issuing CA's state, never by reading
 * CRLs. The issuing CA must also be one of the hub's CA certificates. */

#include "config.h"

#include "cb-sb-adr-store.h"
#include "cb-sb-ca.h"
#include "cb-sb-hub.h"
#include "cb-sb-lro.h"
#include "cb-sb-verdict.h"
#include "cb-util.h"
#include "cb-x509.h"

const char *
cb_sb_verdict_to_string (CbSbVerdict verdict)
{
  switch (verdict)
    {
    case CB_SB_VERDICT_ACCEPTED:           return "accepted";
    case CB_SB_VERDICT_UNKNOWN_DEVICE:     return "unknown-device";
    case CB_SB_VERDICT_DEVICE_DISABLED:    return "device-disabled";
    case CB_SB_VERDICT_UNKNOWN_ISSUER:     return "unknown-issuer";
    case CB_SB_VERDICT_REVOKED_ISSUER:     return "revoked-issuer";
    case CB_SB_VERDICT_REVOKED_IDENTIFIER: return "revoked-identifier";
    case CB_SB_VERDICT_EXPIRED:            return "expired";
    case CB_SB_VERDICT_NOT_YET_VALID:      return "not-yet-valid";
    case CB_SB_VERDICT_WRONG_NAME:         return "wrong-name";
    case CB_SB_VERDICT_BAD_CHAIN:          return "bad-chain";
    default:                               return "unknown";
    }
}

static CbSbVerdict
verdict (char       **reason,
         CbSbVerdict  value,
         const char  *format,
         ...) G_GNUC_PRINTF (3, 4);

static CbSbVerdict
verdict (char       **reason,
         CbSbVerdict  value,
         const char  *format,
         ...)
{
  va_list args;

  if (reason != NULL)
    {
      va_start (args, format);
      *reason = g_strdup_vprintf (format, args);
      va_end (args);
    }

  return value;
}

typedef struct
{
  char   *id;
  char   *status;
  GBytes *cert;
} IssuerRow;

static void
issuer_row_clear (IssuerRow *row)
{
  g_clear_pointer (&row->id, g_free);
  g_clear_pointer (&row->status, g_free);
  g_clear_pointer (&row->cert, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IssuerRow, issuer_row_clear)

static char *
format_time (gint64 unix_seconds)
{
  return cb_time_format_fixed (unix_seconds);
}

CbSbVerdict
cb_sb_check_device_chain (CbSandbox   *self,
                          const char  *hub,
                          const char  *device_id,
                          GPtrArray   *chain,
                          char       **reason)
{
  g_auto(IssuerRow) issuer = { 0 };
  g_autoptr(CbCertificate) ica = NULL;
  g_autoptr(GBytes) ext = NULL;
  g_autofree char *embedded = NULL;
  g_autofree char *current = NULL;
  CbCertificate *leaf;
  const char *cn;
  gboolean enabled = FALSE;
  gint64 now;

  g_return_val_if_fail (CB_IS_SANDBOX (self), CB_SB_VERDICT_BAD_CHAIN);

  if (reason != NULL)
    *reason = NULL;

  cb_sb_arm_run_due_operations (self);

  if (!cb_sb_hub_lookup_device (self, hub, device_id, &enabled))
    return verdict (reason, CB_SB_VERDICT_UNKNOWN_DEVICE,
                    "The device “%s” is not registered in hub “%s”.", device_id, hub);
  if (!enabled)
    return verdict (reason, CB_SB_VERDICT_DEVICE_DISABLED,
                    "The device “%s” is disabled in hub “%s”.", device_id, hub);

  if (chain == NULL || chain->len == 0)
    return verdict (reason, CB_SB_VERDICT_BAD_CHAIN, "No certificate was presented.");

  leaf = g_ptr_array_index (chain, 0);

  if (!cb_sb_ca_find_leaf_issuer (self, hub, leaf, &issuer.id, &issuer.status,
                                  &issuer.cert))
    return verdict (reason, CB_SB_VERDICT_UNKNOWN_ISSUER,
                    "The certificate's issuer “%s” is not a CA certificate of hub “%s”.",
                    cb_certificate_get_issuer (leaf), hub);

  if (g_strcmp0 (issuer.status, "revoked") == 0)
    return verdict (reason, CB_SB_VERDICT_REVOKED_ISSUER,
                    "The certificate was issued by CA “%s”, which has been revoked "
                    "(revokeIssuer); obtain a new certificate.",
                    cb_certificate_get_issuer (leaf));

  if (!cb_sb_ca_hub_has_issuer (self, hub, issuer.id))
    return verdict (reason, CB_SB_VERDICT_UNKNOWN_ISSUER,
                    "The certificate's issuer “%s” is not a CA certificate of hub “%s” "
                    "(not synchronized, or its hub certificate was deleted).",
                    cb_certificate_get_issuer (leaf), hub);

  ica = cb_certificate_new_from_der (issuer.cert, NULL);
  if (ica == NULL || !cb_certificate_is_issued_by (leaf, ica))
    return verdict (reason, CB_SB_VERDICT_BAD_CHAIN,
                    "The certificate's signature does not verify with the key of CA “%s”.",
                    cb_certificate_get_issuer (leaf));

  cn = cb_certificate_get_common_name (leaf);
  if (g_strcmp0 (cn, device_id) != 0)
    return verdict (reason, CB_SB_VERDICT_WRONG_NAME,
                    "The certificate's common name “%s” is not the device id “%s”.",
                    cn ? cn : "", device_id);

  now = cb_sb_now (self);
  if (cb_certificate_get_not_before (leaf) > now)
    {
      g_autofree char *when = format_time (cb_certificate_get_not_before (leaf));
      return verdict (reason, CB_SB_VERDICT_NOT_YET_VALID,
                      "The certificate is not valid before %s.", when);
    }
  if (cb_certificate_get_not_after (leaf) <= now)
    {
      g_autofree char *when = format_time (cb_certificate_get_not_after (leaf));
      return verdict (reason, CB_SB_VERDICT_EXPIRED, "The certificate expired at %s.", when);
    }
  if (cb_certificate_get_not_after (ica) <= now)
    {
      g_autofree char *when = format_time (cb_certificate_get_not_after (ica));
      return verdict (reason, CB_SB_VERDICT_EXPIRED, "The issuing CA expired at %s.", when);
    }

  ext = cb_certificate_get_extension (leaf, CB_SB_OID_CREDENTIAL_IDENTIFIER, NULL);
  embedded = cb_sb_ca_decode_identifier (ext);
  current = cb_sb_adr_current_identifier (self, hub, device_id);
  if (embedded == NULL)
    return verdict (reason, CB_SB_VERDICT_REVOKED_IDENTIFIER,
                    "The certificate carries no credential identifier.");
  if (current == NULL || g_strcmp0 (embedded, current) != 0)
    return verdict (reason, CB_SB_VERDICT_REVOKED_IDENTIFIER,
                    "The certificate's credential identifier is no longer the device's "
                    "current one: its credentials were revoked; re-provision the device.");

  return verdict (reason, CB_SB_VERDICT_ACCEPTED,
                  "The certificate is accepted for device “%s”.", device_id);
}
