/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-ca"

/* The sandbox's CA engine: one root CA per namespace credential, one issuing CA (ICA) per
 * policy, the records of device leaves, CRLs and hub CA certificates. Issuing a leaf under a
 * policy is cb-sb-issuance.c, activating a bring-your-own-root issuer cb-sb-ca-byor.c, and the
 * hub's decision on a chain cb-sb-verdict.c.
 *
 * Profiles (reference §4.1-4.4; what Azure does not publish is our choice):
 *   root  ECDSA P-384, SHA-384, "CN=<32 hex>,O=Certbench Sandbox", 10 years, CA:TRUE
 *         pathLen 1, keyCertSign|cRLSign.
 *   ICA   P-384, signed by the root, "CN=<32 hex>" (like the spec example), 2 years (never
 *         past the root), CA:TRUE pathLen 0, digitalSignature|keyCertSign|cRLSign, CRL
 *         distribution point = <sandbox>/sandbox/crl/<root uuid>.crl.
 *   leaf  §4.3 defaults: random 16-byte serial, subject = CSR subject, KU (critical)
 *         digitalSignature, EKU clientAuth, CA:FALSE, AKI/SKI, NotBefore = now - 5 min,
 *         NotAfter = NotBefore + 5 min + the policy's validityPeriodInDays (never past the
 *         ICA).
 *
 * Credential identifier: every leaf carries the device's current credential identifier (a
 * UUID kept in ADR state, adr_devices.identifier) in a NON-CRITICAL private extension,
 *
 *     OID 1.3.6.1.4.1.32473.1.1, extnValue = DER UTF8String "<uuid>"
 *
 * 1.3.6.1.4.1.32473 is the IANA enterprise number reserved for documentation and examples
 * (RFC 5612), so the arc cannot collide with a real product's extension; Azure does not
 * publish which field it uses (reference §4.5), and a stand-in should not pretend to know.
 * (A 2.25.<uuid> arc would be the textbook private choice, but GnuTLS cannot encode arcs
 * wider than 63 bits.) Device revoke rotates the identifier, so every older leaf stops
 * matching. Clients must not parse this extension.
 *
 * Revocation is enforced the way the reference says IoT Hub does it: by the identifier and
 * by the ICA's state, never by reading CRLs. The CRLs are still real and served at
 * GET /sandbox/crl/<root uuid>.crl (revoked ICAs) and GET /sandbox/crl/<ICA id>.crl (leaves
 * of revoked devices), DER, application/pkix-crl.
 */

#include "config.h"

#include <string.h>

#include "cb-pki.h"
#include "cb-sb-ca.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"
#include "cb-util.h"

#define ROOT_VALIDITY_SECONDS   ((gint64) 10 * 365 * 24 * 3600)
#define ICA_VALIDITY_SECONDS    ((gint64) 2 * 365 * 24 * 3600)
#define CRL_NEXT_UPDATE_SECONDS ((gint64) 7 * 24 * 3600)

static const char *schema =
  "CREATE TABLE IF NOT EXISTS ca_roots ("
  "  namespace_id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  uuid TEXT NOT NULL UNIQUE,"
  "  key_ref TEXT NOT NULL,"
  "  cert BLOB NOT NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS ca_issuers ("
  "  id TEXT PRIMARY KEY,"
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  policy_id TEXT NOT NULL COLLATE NOCASE,"
  "  root_uuid TEXT,"
  "  byor INTEGER NOT NULL,"
  "  status TEXT NOT NULL,"
  "  key_ref TEXT NOT NULL,"
  "  subject TEXT NOT NULL,"
  "  cert BLOB,"
  "  chain TEXT,"
  "  csr TEXT,"
  "  serial TEXT,"
  "  ski TEXT,"
  "  thumbprint TEXT,"
  "  not_before INTEGER,"
  "  not_after INTEGER,"
  "  created INTEGER NOT NULL,"
  "  revoked_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS ca_issuers_ski ON ca_issuers (ski);"
  "CREATE TABLE IF NOT EXISTS ca_leaves ("
  "  serial TEXT PRIMARY KEY,"
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  device TEXT NOT NULL COLLATE NOCASE,"
  "  issuer_id TEXT NOT NULL,"
  "  policy_id TEXT NOT NULL COLLATE NOCASE,"
  "  identifier TEXT NOT NULL,"
  "  not_before INTEGER NOT NULL,"
  "  not_after INTEGER NOT NULL,"
  "  issued_at INTEGER NOT NULL,"
  "  revoked_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS ca_leaves_device ON ca_leaves (namespace_id, device);"
  "CREATE INDEX IF NOT EXISTS ca_leaves_issuer ON ca_leaves (issuer_id);"
  "CREATE TABLE IF NOT EXISTS ca_hub_certificates ("
  "  hub TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  issuer_id TEXT NOT NULL,"
  "  policy_id TEXT COLLATE NOCASE,"
  "  etag TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  PRIMARY KEY (hub, name));";

/* ---- Small helpers ---------------------------------------------------------------------- */

char *
cb_sb_der_to_pem (const char *label,
                  GBytes     *der)
{
  g_autofree char *b64 = NULL;
  GString *out;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (der, &len);

  b64 = g_base64_encode (data, len);
  out = g_string_new (NULL);
  g_string_append_printf (out, "-----BEGIN %s-----\n", label);
  for (gsize i = 0, n = strlen (b64); i < n; i += 64)
    {
      g_string_append_len (out, b64 + i, MIN (64, n - i));
      g_string_append_c (out, '\n');
    }
  g_string_append_printf (out, "-----END %s-----\n", label);

  return g_string_free (out, FALSE);
}

/* Colon-separated upper-case hex (as openssl prints it) to the bare form ARM uses. */
static char *
strip_colons (const char *fingerprint)
{
  GString *out = g_string_new (NULL);

  for (const char *p = fingerprint; p != NULL && *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (out, g_ascii_toupper (*p));

  return g_string_free (out, FALSE);
}

static GBytes *
hex_to_bytes (const char *hex)
{
  gsize len = strlen (hex);
  g_autofree guint8 *buf = NULL;
  gsize n = (len + 1) / 2;
  gsize j = 0;

  buf = g_malloc0 (MAX (n, 1));
  for (gsize i = 0; i < len; i++)
    {
      int v = g_ascii_xdigit_value (hex[len - 1 - i]);

      if (v < 0)
        return NULL;
      if (i % 2 == 0)
        buf[n - 1 - j] = v;
      else
        buf[n - 1 - j++] |= v << 4;
    }

  return g_bytes_new (buf, n);
}

/* DER UTF8String with the identifier, the value of the credential identifier extension. */
GBytes *
cb_sb_ca_encode_identifier (const char *identifier)
{
  gsize len = strlen (identifier);
  g_autofree guint8 *buf = NULL;

  g_assert (len < 128);

  buf = g_malloc (len + 2);
  buf[0] = 0x0c;
  buf[1] = (guint8) len;
  memcpy (buf + 2, identifier, len);

  return g_bytes_new (buf, len + 2);
}

char *
cb_sb_ca_decode_identifier (GBytes *value)
{
  gsize len = 0;
  const guint8 *data;

  if (value == NULL)
    return NULL;

  data = g_bytes_get_data (value, &len);
  if (len < 2 || data[0] != 0x0c || data[1] >= 128 || (gsize) data[1] + 2 != len)
    return NULL;

  return g_strndup ((const char *) data + 2, data[1]);
}

static const char *
sandbox_base_url (CbSandbox *self)
{
  return self->base_url;
}

char *
cb_sb_ca_thumbprint (CbCertificate *cert)
{
  return strip_colons (cb_certificate_get_sha1_fingerprint (cert));
}

/* ---- Roots ------------------------------------------------------------------------------ */

gboolean
cb_sb_ca_has_root (CbSandbox  *self,
                   const char *namespace_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT 1 FROM ca_roots WHERE namespace_id = ?");
  gboolean found;

  cb_sb_bind_text (stmt, 1, namespace_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);

  return found;
}

/* cn NULL: "CN=<uuid>,O=Certbench Sandbox" (the preview credential's root). */
static gboolean
create_root (CbSandbox   *self,
             const char  *namespace_id,
             const char  *cn,
             GError     **error)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *key_ref = NULL;
  CbCertProfile profile = { 0 };
  g_autoptr(CbSbStmt) stmt = NULL;
  gint64 now = cb_sb_now (self);

  if (cb_sb_ca_has_root (self, namespace_id))
    return TRUE;

  key = cb_key_generate (CB_KEY_TYPE_EC_P384, error);
  if (key == NULL)
    return FALSE;

  uuid = cb_random_hex (16);
  subject = cn != NULL ? g_strdup_printf ("CN=%s", cn)
                       : g_strdup_printf ("CN=%s,O=Certbench Sandbox", uuid);
  public_key = cb_key_get_public_key_der (key);

  profile.subject_dn = subject;
  profile.not_before = now - CB_SB_CA_BACKDATE_SECONDS;
  profile.not_after = now + ROOT_VALIDITY_SECONDS;
  profile.is_ca = TRUE;
  profile.path_len = 1;
  profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;

  der = cb_cert_issue (&profile, public_key, key, NULL, error);
  if (der == NULL)
    return FALSE;

  key_ref = cb_sb_store_key (self, key, error);
  if (key_ref == NULL)
    return FALSE;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO ca_roots (namespace_id, uuid, key_ref, cert, created) "
                        "VALUES (?, ?, ?, ?, ?)");
  cb_sb_bind_text (stmt, 1, namespace_id);
  cb_sb_bind_text (stmt, 2, uuid);
  cb_sb_bind_text (stmt, 3, key_ref);
  cb_sb_bind_bytes (stmt, 4, der);
  sqlite3_bind_int64 (stmt, 5, now);
  if (!cb_sb_step_done (self, stmt, error))
    {
      cb_sb_delete_key (self, key_ref);
      return FALSE;
    }

  g_debug ("Created root CA %s for %s", uuid, namespace_id);
  return TRUE;
}

gboolean
cb_sb_ca_create_root (CbSandbox   *self,
                      const char  *namespace_id,
                      GError     **error)
{
  return create_root (self, namespace_id, NULL, error);
}

gboolean
cb_sb_ca_create_named_root (CbSandbox   *self,
                            const char  *namespace_id,
                            const char  *cn,
                            GError     **error)
{
  return create_root (self, namespace_id, cn, error);
}

void
cb_sb_ca_delete_root (CbSandbox  *self,
                      const char *namespace_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT key_ref FROM ca_roots WHERE namespace_id = ?");
  g_autofree char *key_ref = NULL;

  cb_sb_bind_text (stmt, 1, namespace_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    key_ref = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  if (key_ref == NULL)
    return;

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "DELETE FROM ca_roots WHERE namespace_id = ?");
  cb_sb_bind_text (stmt, 1, namespace_id);
  cb_sb_step_done (self, stmt, NULL);

  /* Irreversible, as in Azure: the key goes with the credential. */
  cb_sb_delete_key (self, key_ref);
}

gboolean
cb_sb_ca_load_root (CbSandbox   *self,
                    const char  *namespace_id,
                    char       **uuid,
                    CbKey      **key,
                    GBytes     **cert,
                    GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "SELECT uuid, key_ref, cert FROM ca_roots "
                                            "WHERE namespace_id = ?");
  g_autofree char *key_ref = NULL;

  cb_sb_bind_text (stmt, 1, namespace_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s has no credential (root CA)", namespace_id);
      return FALSE;
    }

  if (uuid != NULL)
    *uuid = cb_sb_column_dup (stmt, 0);
  key_ref = cb_sb_column_dup (stmt, 1);
  if (cert != NULL)
    *cert = cb_sb_column_bytes (stmt, 2);
  cb_sb_stmt_done (stmt);

  if (key != NULL)
    {
      *key = cb_sb_load_key (self, key_ref, error);
      if (*key == NULL)
        return FALSE;
    }

  return TRUE;
}

/* ---- Issuing CAs ------------------------------------------------------------------------ */

static gboolean
insert_issuer (CbSandbox     *self,
               const char    *id,
               const char    *namespace_id,
               const char    *policy_id,
               const char    *root_uuid,
               gboolean       byor,
               const char    *status,
               const char    *key_ref,
               const char    *subject,
               GBytes        *cert_der,
               const char    *csr_pem,
               GError       **error)
{
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *thumbprint = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (cert_der != NULL)
    {
      cert = cb_certificate_new_from_der (cert_der, error);
      if (cert == NULL)
        return FALSE;
      thumbprint = strip_colons (cb_certificate_get_sha1_fingerprint (cert));
    }

  stmt = cb_sb_prepare (self,
                        "INSERT INTO ca_issuers (id, namespace_id, policy_id, root_uuid, byor, "
                        "  status, key_ref, subject, cert, csr, serial, ski, thumbprint, "
                        "  not_before, not_after, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  cb_sb_bind_text (stmt, 1, id);
  cb_sb_bind_text (stmt, 2, namespace_id);
  cb_sb_bind_text (stmt, 3, policy_id);
  cb_sb_bind_text (stmt, 4, root_uuid);
  sqlite3_bind_int (stmt, 5, byor ? 1 : 0);
  cb_sb_bind_text (stmt, 6, status);
  cb_sb_bind_text (stmt, 7, key_ref);
  cb_sb_bind_text (stmt, 8, subject);
  cb_sb_bind_bytes (stmt, 9, cert_der);
  cb_sb_bind_text (stmt, 10, csr_pem);
  cb_sb_bind_text (stmt, 11, cert ? cb_certificate_get_serial (cert) : NULL);
  cb_sb_bind_text (stmt, 12, cert ? cb_certificate_get_subject_key_id (cert) : NULL);
  cb_sb_bind_text (stmt, 13, thumbprint);
  if (cert != NULL)
    {
      sqlite3_bind_int64 (stmt, 14, cb_certificate_get_not_before (cert));
      sqlite3_bind_int64 (stmt, 15, cb_certificate_get_not_after (cert));
    }
  sqlite3_bind_int64 (stmt, 16, cb_sb_now (self));

  return cb_sb_step_done (self, stmt, error);
}

/* cn NULL: the issuer id is the CN (the preview's policies). */
static char *
create_issuer (CbSandbox   *self,
               const char  *namespace_id,
               const char  *policy_id,
               const char  *cn,
               gboolean     byor,
               GError     **error)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autofree char *id = cb_random_hex (16);
  g_autofree char *subject = g_strdup_printf ("CN=%s", cn != NULL ? cn : id);
  g_autofree char *key_ref = NULL;
  gint64 now = cb_sb_now (self);

  key = cb_key_generate (CB_KEY_TYPE_EC_P384, error);
  if (key == NULL)
    return NULL;
  public_key = cb_key_get_public_key_der (key);

  if (byor)
    {
      g_autoptr(GBytes) csr = cb_csr_create (key, cn != NULL ? cn : id, error);
      g_autofree char *csr_pem = NULL;

      if (csr == NULL)
        return NULL;
      csr_pem = cb_sb_der_to_pem ("CERTIFICATE REQUEST", csr);

      key_ref = cb_sb_store_key (self, key, error);
      if (key_ref == NULL)
        return NULL;
      if (!insert_issuer (self, id, namespace_id, policy_id, NULL, TRUE, "pending", key_ref,
                          subject, NULL, csr_pem, error))
        {
          cb_sb_delete_key (self, key_ref);
          return NULL;
        }
    }
  else
    {
      g_autoptr(CbKey) root_key = NULL;
      g_autoptr(GBytes) root_der = NULL;
      g_autoptr(CbCertificate) root = NULL;
      g_autoptr(GBytes) der = NULL;
      g_autofree char *root_uuid = NULL;
      g_autofree char *crl_url = NULL;
      CbCertProfile profile = { 0 };

      if (!cb_sb_ca_load_root (self, namespace_id, &root_uuid, &root_key, &root_der, error))
        return NULL;
      root = cb_certificate_new_from_der (root_der, error);
      if (root == NULL)
        return NULL;

      if (sandbox_base_url (self) != NULL)
        crl_url = g_strdup_printf ("%s/sandbox/crl/%s.crl", sandbox_base_url (self), root_uuid);

      profile.subject_dn = subject;
      profile.not_before = now - CB_SB_CA_BACKDATE_SECONDS;
      profile.not_after = MIN (now + ICA_VALIDITY_SECONDS, cb_certificate_get_not_after (root));
      profile.is_ca = TRUE;
      profile.path_len = 0;
      profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE | CB_KEY_USAGE_KEY_CERT_SIGN |
                          CB_KEY_USAGE_CRL_SIGN;
      profile.crl_url = crl_url;

      der = cb_cert_issue (&profile, public_key, root_key, root_der, error);
      if (der == NULL)
        return NULL;

      key_ref = cb_sb_store_key (self, key, error);
      if (key_ref == NULL)
        return NULL;
      if (!insert_issuer (self, id, namespace_id, policy_id, root_uuid, FALSE, "active", key_ref,
                          subject, der, NULL, error))
        {
          cb_sb_delete_key (self, key_ref);
          return NULL;
        }
    }

  g_debug ("Created issuing CA %s for %s%s", id, policy_id, byor ? " (pending BYOR)" : "");
  return g_steal_pointer (&id);
}

char *
cb_sb_ca_create_issuer (CbSandbox   *self,
                        const char  *namespace_id,
                        const char  *policy_id,
                        gboolean     byor,
                        GError     **error)
{
  return create_issuer (self, namespace_id, policy_id, NULL, byor, error);
}

char *
cb_sb_ca_create_named_issuer (CbSandbox   *self,
                              const char  *namespace_id,
                              const char  *owner_id,
                              const char  *cn,
                              gboolean     byor,
                              GError     **error)
{
  return create_issuer (self, namespace_id, owner_id, cn, byor, error);
}

gboolean
cb_sb_ca_revoke_issuer (CbSandbox   *self,
                        const char  *issuer_id,
                        GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "UPDATE ca_issuers SET status = 'revoked', revoked_at = ? "
                                      "WHERE id = ? AND status != 'revoked'");

  sqlite3_bind_int64 (stmt, 1, cb_sb_now (self));
  cb_sb_bind_text (stmt, 2, issuer_id);

  return cb_sb_step_done (self, stmt, error);
}

void
cb_sb_ca_drop_pending_issuer (CbSandbox  *self,
                              const char *issuer_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT key_ref FROM ca_issuers "
                                      "WHERE id = ? AND status = 'pending'");
  g_autofree char *key_ref = NULL;

  cb_sb_bind_text (stmt, 1, issuer_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    key_ref = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  if (key_ref == NULL)
    return;

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "DELETE FROM ca_issuers WHERE id = ?");
  cb_sb_bind_text (stmt, 1, issuer_id);
  cb_sb_step_done (self, stmt, NULL);
  cb_sb_delete_key (self, key_ref);
}

void
cb_sb_issuer_info_clear (CbSbIssuerInfo *info)
{
  g_clear_pointer (&info->status, g_free);
  g_clear_pointer (&info->subject, g_free);
  g_clear_pointer (&info->csr_pem, g_free);
  g_clear_pointer (&info->thumbprint, g_free);
}

gboolean
cb_sb_ca_get_issuer_info (CbSandbox      *self,
                          const char     *issuer_id,
                          CbSbIssuerInfo *info)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT status, subject, csr, thumbprint, not_before, "
                                      "  not_after, byor FROM ca_issuers WHERE id = ?");
  gboolean found = FALSE;

  memset (info, 0, sizeof *info);
  cb_sb_bind_text (stmt, 1, issuer_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      info->status = cb_sb_column_dup (stmt, 0);
      info->subject = cb_sb_column_dup (stmt, 1);
      info->csr_pem = cb_sb_column_dup (stmt, 2);
      info->thumbprint = cb_sb_column_dup (stmt, 3);
      info->not_before = sqlite3_column_int64 (stmt, 4);
      info->not_after = sqlite3_column_int64 (stmt, 5);
      info->byor = sqlite3_column_int (stmt, 6) != 0;
      found = TRUE;
    }
  cb_sb_stmt_done (stmt);

  return found;
}

guint
cb_sb_ca_find_root_by_name (CbSandbox   *self,
                            const char  *ns,
                            GBytes     **cert)
{
  g_autofree char *suffix = g_strconcat ("%/providers/Microsoft.DeviceRegistry/namespaces/", ns, NULL);
  g_autoptr(CbSbStmt) stmt = NULL;
  guint matches = 0;

  *cert = NULL;
  stmt = cb_sb_prepare (self, "SELECT cert FROM ca_roots WHERE namespace_id LIKE ?");
  cb_sb_bind_text (stmt, 1, suffix);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      matches++;
      if (*cert == NULL)
        *cert = cb_sb_column_bytes (stmt, 0);
    }
  cb_sb_stmt_done (stmt);

  return matches;
}

gboolean
cb_sb_ca_get_issuer_material (CbSandbox   *self,
                              const char  *issuer_id,
                              char       **status,
                              char       **key_ref,
                              GBytes     **cert,
                              char       **chain_pem)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean found = FALSE;

  stmt = cb_sb_prepare (self, "SELECT status, key_ref, cert, chain FROM ca_issuers WHERE id = ?");
  cb_sb_bind_text (stmt, 1, issuer_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *status = cb_sb_column_dup (stmt, 0);
      *key_ref = cb_sb_column_dup (stmt, 1);
      *cert = cb_sb_column_bytes (stmt, 2);
      *chain_pem = cb_sb_column_dup (stmt, 3);
      found = TRUE;
    }
  cb_sb_stmt_done (stmt);

  return found;
}

/* The ICA that issued leaf: by key identifier, else by name among the hub's certificates. */
gboolean
cb_sb_ca_find_leaf_issuer (CbSandbox     *self,
                           const char    *hub,
                           CbCertificate *leaf,
                           char         **issuer_id,
                           char         **status,
                           GBytes       **cert)
{
  const char *aki = cb_certificate_get_authority_key_id (leaf);
  g_autoptr(CbSbStmt) stmt = NULL;

  *issuer_id = NULL;
  *status = NULL;
  *cert = NULL;

  if (aki != NULL)
    {
      /* Prefer a match that is on this hub, then the newest. */
      stmt = cb_sb_prepare (self,
                            "SELECT i.id, i.status, i.cert FROM ca_issuers i "
                            "WHERE i.ski = ? AND i.cert IS NOT NULL "
                            "ORDER BY EXISTS (SELECT 1 FROM ca_hub_certificates h "
                            "  WHERE h.hub = ? AND h.issuer_id = i.id) DESC, i.created DESC "
                            "LIMIT 1");
      cb_sb_bind_text (stmt, 1, aki);
      cb_sb_bind_text (stmt, 2, hub);
    }
  else
    {
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self,
                            "SELECT i.id, i.status, i.cert FROM ca_issuers i "
                            "JOIN ca_hub_certificates h ON h.issuer_id = i.id "
                            "WHERE h.hub = ? AND i.subject = ? AND i.cert IS NOT NULL LIMIT 1");
      cb_sb_bind_text (stmt, 1, hub);
      cb_sb_bind_text (stmt, 2, cb_certificate_get_issuer (leaf));
    }

  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *issuer_id = cb_sb_column_dup (stmt, 0);
      *status = cb_sb_column_dup (stmt, 1);
      *cert = cb_sb_column_bytes (stmt, 2);
    }
  cb_sb_stmt_done (stmt);

  return *issuer_id != NULL;
}

/* ---- Leaves ----------------------------------------------------------------------------- */

void
cb_sb_ca_revoke_device_leaves (CbSandbox  *self,
                               const char *namespace_id,
                               const char *device_name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "UPDATE ca_leaves SET revoked_at = ? "
                                      "WHERE namespace_id = ? AND device = ? "
                                      "  AND revoked_at IS NULL");

  sqlite3_bind_int64 (stmt, 1, cb_sb_now (self));
  cb_sb_bind_text (stmt, 2, namespace_id);
  cb_sb_bind_text (stmt, 3, device_name);
  cb_sb_step_done (self, stmt, NULL);
}

gboolean
cb_sb_ca_record_leaf (CbSandbox     *self,
                      const char    *serial,
                      gint64         not_before,
                      gint64         not_after,
                      const char    *namespace_id,
                      const char    *device_name,
                      const char    *issuer_id,
                      const char    *policy_id,
                      const char    *identifier,
                      gint64         issued_at,
                      GError       **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO ca_leaves (serial, namespace_id, device, issuer_id, "
                        "  policy_id, identifier, not_before, not_after, issued_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  cb_sb_bind_text (stmt, 1, serial);
  cb_sb_bind_text (stmt, 2, namespace_id);
  cb_sb_bind_text (stmt, 3, device_name);
  cb_sb_bind_text (stmt, 4, issuer_id);
  cb_sb_bind_text (stmt, 5, policy_id);
  cb_sb_bind_text (stmt, 6, identifier);
  sqlite3_bind_int64 (stmt, 7, not_before);
  sqlite3_bind_int64 (stmt, 8, not_after);
  sqlite3_bind_int64 (stmt, 9, issued_at);

  return cb_sb_step_done (self, stmt, error);
}

/* ---- CRLs ------------------------------------------------------------------------------- */

static GPtrArray *
collect_revoked_serials (CbSandbox  *self,
                         const char *sql,
                         const char *key)
{
  GPtrArray *serials = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  cb_sb_bind_text (stmt, 1, key);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *hex = (const char *) sqlite3_column_text (stmt, 0);
      GBytes *bytes = hex ? hex_to_bytes (hex) : NULL;

      if (bytes != NULL)
        g_ptr_array_add (serials, bytes);
    }
  cb_sb_stmt_done (stmt);

  return serials;
}

GBytes *
cb_sb_ca_make_crl (CbSandbox   *self,
                   const char  *id,
                   GError     **error)
{
  g_autofree char *key_ref = NULL;
  g_autoptr(GBytes) cert = NULL;
  g_autoptr(GPtrArray) serials = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;
  gint64 now = cb_sb_now (self);

  stmt = cb_sb_prepare (self, "SELECT key_ref, cert FROM ca_roots WHERE uuid = ?");
  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      key_ref = cb_sb_column_dup (stmt, 0);
      cert = cb_sb_column_bytes (stmt, 1);
    }
  cb_sb_stmt_done (stmt);

  if (key_ref != NULL)
    {
      serials = collect_revoked_serials (self,
                                         "SELECT serial FROM ca_issuers WHERE root_uuid = ? "
                                         "  AND status = 'revoked' ORDER BY revoked_at",
                                         id);
    }
  else
    {
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self,
                            "SELECT key_ref, cert FROM ca_issuers "
                            "WHERE id = ? AND cert IS NOT NULL");
      cb_sb_bind_text (stmt, 1, id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          key_ref = cb_sb_column_dup (stmt, 0);
          cert = cb_sb_column_bytes (stmt, 1);
        }
      cb_sb_stmt_done (stmt);

      if (key_ref == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No CA has the id %s", id);
          return NULL;
        }
      serials = collect_revoked_serials (self,
                                         "SELECT serial FROM ca_leaves WHERE issuer_id = ? "
                                         "  AND revoked_at IS NOT NULL ORDER BY revoked_at",
                                         id);
    }

  key = cb_sb_load_key (self, key_ref, error);
  if (key == NULL)
    return NULL;

  return cb_crl_issue (key, cert, serials, now, now + CRL_NEXT_UPDATE_SECONDS,
                       serials->len + 1, error);
}

/* ---- Hub certificates ------------------------------------------------------------------- */

gboolean
cb_sb_ca_put_hub_certificate (CbSandbox   *self,
                              const char  *hub,
                              const char  *name,
                              const char  *issuer_id,
                              const char  *policy_id,
                              GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  g_autofree char *current = NULL;
  g_autofree char *etag = NULL;
  gint64 now = cb_sb_now (self);
  gboolean exists = FALSE;

  stmt = cb_sb_prepare (self,
                        "SELECT issuer_id FROM ca_hub_certificates WHERE hub = ? AND name = ?");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      current = cb_sb_column_dup (stmt, 0);
      exists = TRUE;
    }
  cb_sb_stmt_done (stmt);

  if (exists && g_strcmp0 (current, issuer_id) == 0)
    return TRUE;

  etag = cb_random_base64 (8);
  if (exists)
    {
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self,
                            "UPDATE ca_hub_certificates SET issuer_id = ?, policy_id = ?, "
                            "  etag = ?, updated = ? WHERE hub = ? AND name = ?");
      cb_sb_bind_text (stmt, 1, issuer_id);
      cb_sb_bind_text (stmt, 2, policy_id);
      cb_sb_bind_text (stmt, 3, etag);
      sqlite3_bind_int64 (stmt, 4, now);
      cb_sb_bind_text (stmt, 5, hub);
      cb_sb_bind_text (stmt, 6, name);
    }
  else
    {
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self,
                            "INSERT INTO ca_hub_certificates (hub, name, issuer_id, policy_id, "
                            "  etag, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)");
      cb_sb_bind_text (stmt, 1, hub);
      cb_sb_bind_text (stmt, 2, name);
      cb_sb_bind_text (stmt, 3, issuer_id);
      cb_sb_bind_text (stmt, 4, policy_id);
      cb_sb_bind_text (stmt, 5, etag);
      sqlite3_bind_int64 (stmt, 6, now);
      sqlite3_bind_int64 (stmt, 7, now);
    }

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_ca_hub_has_issuer (CbSandbox  *self,
                         const char *hub,
                         const char *issuer_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT 1 FROM ca_hub_certificates "
                                      "WHERE hub = ? AND issuer_id = ?");
  gboolean found;

  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, issuer_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);

  return found;
}

GPtrArray *
cb_sb_ca_list_hub_certificates (CbSandbox  *self,
                                const char *hub)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT name FROM ca_hub_certificates WHERE hub = ? ORDER BY name");
  cb_sb_bind_text (stmt, 1, hub);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (names, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  return names;
}

void
cb_sb_hub_certificate_clear (CbSbHubCertificate *cert)
{
  g_clear_pointer (&cert->name, g_free);
  g_clear_pointer (&cert->etag, g_free);
  g_clear_pointer (&cert->policy_id, g_free);
  g_clear_pointer (&cert->cert, g_bytes_unref);
  g_clear_pointer (&cert->subject, g_free);
  g_clear_pointer (&cert->thumbprint, g_free);
}

gboolean
cb_sb_ca_get_hub_certificate (CbSandbox          *self,
                              const char         *hub,
                              const char         *name,
                              CbSbHubCertificate *out)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean found = FALSE;

  memset (out, 0, sizeof *out);
  stmt = cb_sb_prepare (self,
                        "SELECT c.name, c.etag, c.created, c.updated, c.policy_id, i.cert, "
                        "  i.subject, i.thumbprint, i.not_after "
                        "FROM ca_hub_certificates c JOIN ca_issuers i ON i.id = c.issuer_id "
                        "WHERE c.hub = ? AND c.name = ?");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      out->name = cb_sb_column_dup (stmt, 0);
      out->etag = cb_sb_column_dup (stmt, 1);
      out->created = sqlite3_column_int64 (stmt, 2);
      out->updated = sqlite3_column_int64 (stmt, 3);
      out->policy_id = cb_sb_column_dup (stmt, 4);
      out->cert = g_bytes_new (sqlite3_column_blob (stmt, 5), sqlite3_column_bytes (stmt, 5));
      out->subject = cb_sb_column_dup (stmt, 6);
      out->thumbprint = cb_sb_column_dup (stmt, 7);
      out->not_after = sqlite3_column_int64 (stmt, 8);
      found = TRUE;
    }
  cb_sb_stmt_done (stmt);

  return found;
}

gboolean
cb_sb_ca_delete_hub_certificate (CbSandbox   *self,
                                 const char  *hub,
                                 const char  *name,
                                 GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self, "DELETE FROM ca_hub_certificates WHERE hub = ? AND name = ?");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, name);

  return cb_sb_step_done (self, stmt, error);
}

/* ---- Tables ----------------------------------------------------------------------------- */

gboolean
cb_sb_ca_store_init (CbSandbox  *self,
                     GError    **error)
{
  return cb_sb_exec (self, schema, error);
}
