/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-ca"

/* The sandbox's CA engine: one root CA per namespace credential, one issuing CA (ICA) per
 * policy, device leaves, CRLs, hub CA certificates, and the one decision "would the hub
 * accept this chain for this device now?".
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
#include "cb-sandbox-adr-private.h"
#include "cb-util.h"
#include "cb-x509.h"

#define ROOT_VALIDITY_SECONDS   ((gint64) 10 * 365 * 24 * 3600)
#define ICA_VALIDITY_SECONDS    ((gint64) 2 * 365 * 24 * 3600)
#define BACKDATE_SECONDS        ((gint64) 5 * 60)
#define CRL_NEXT_UPDATE_SECONDS ((gint64) 7 * 24 * 3600)
#define BYOR_MIN_DAYS_LEFT      365

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

static void
bind_bytes (sqlite3_stmt *stmt,
            int           col,
            GBytes       *bytes)
{
  gsize len = 0;
  const guint8 *data;

  if (bytes == NULL)
    {
      sqlite3_bind_null (stmt, col);
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  sqlite3_bind_blob (stmt, col, data, (int) len, SQLITE_TRANSIENT);
}

static GBytes *
column_bytes (sqlite3_stmt *stmt,
              int           col)
{
  if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
    return NULL;

  return g_bytes_new (sqlite3_column_blob (stmt, col), sqlite3_column_bytes (stmt, col));
}

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
static GBytes *
encode_identifier (const char *identifier)
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

static char *
decode_identifier (GBytes *value)
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

gboolean
cb_sb_ca_create_root (CbSandbox   *self,
                      const char  *namespace_id,
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
  gint64 now = cb_sandbox_now (self);

  if (cb_sb_ca_has_root (self, namespace_id))
    return TRUE;

  key = cb_key_generate (CB_KEY_TYPE_EC_P384, error);
  if (key == NULL)
    return FALSE;

  uuid = cb_random_hex (16);
  subject = g_strdup_printf ("CN=%s,O=Certbench Sandbox", uuid);
  public_key = cb_key_get_public_key_der (key);

  profile.subject_dn = subject;
  profile.not_before = now - BACKDATE_SECONDS;
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
  bind_bytes (stmt, 4, der);
  sqlite3_bind_int64 (stmt, 5, now);
  if (!cb_sb_step_done (self, stmt, error))
    {
      cb_sb_delete_key (self, key_ref);
      return FALSE;
    }

  g_debug ("Created root CA %s for %s", uuid, namespace_id);
  return TRUE;
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

static gboolean
load_root (CbSandbox   *self,
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
    *cert = column_bytes (stmt, 2);
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
  bind_bytes (stmt, 9, cert_der);
  cb_sb_bind_text (stmt, 10, csr_pem);
  cb_sb_bind_text (stmt, 11, cert ? cb_certificate_get_serial (cert) : NULL);
  cb_sb_bind_text (stmt, 12, cert ? cb_certificate_get_subject_key_id (cert) : NULL);
  cb_sb_bind_text (stmt, 13, thumbprint);
  if (cert != NULL)
    {
      sqlite3_bind_int64 (stmt, 14, cb_certificate_get_not_before (cert));
      sqlite3_bind_int64 (stmt, 15, cb_certificate_get_not_after (cert));
    }
  sqlite3_bind_int64 (stmt, 16, cb_sandbox_now (self));

  return cb_sb_step_done (self, stmt, error);
}

char *
cb_sb_ca_create_issuer (CbSandbox   *self,
                        const char  *namespace_id,
                        const char  *policy_id,
                        gboolean     byor,
                        GError     **error)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autofree char *id = cb_random_hex (16);
  g_autofree char *subject = g_strdup_printf ("CN=%s", id);
  g_autofree char *key_ref = NULL;
  gint64 now = cb_sandbox_now (self);

  key = cb_key_generate (CB_KEY_TYPE_EC_P384, error);
  if (key == NULL)
    return NULL;
  public_key = cb_key_get_public_key_der (key);

  if (byor)
    {
      g_autoptr(GBytes) csr = cb_csr_create (key, id, error);
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

      if (!load_root (self, namespace_id, &root_uuid, &root_key, &root_der, error))
        return NULL;
      root = cb_certificate_new_from_der (root_der, error);
      if (root == NULL)
        return NULL;

      if (sandbox_base_url (self) != NULL)
        crl_url = g_strdup_printf ("%s/sandbox/crl/%s.crl", sandbox_base_url (self), root_uuid);

      profile.subject_dn = subject;
      profile.not_before = now - BACKDATE_SECONDS;
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

gboolean
cb_sb_ca_revoke_issuer (CbSandbox   *self,
                        const char  *issuer_id,
                        GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "UPDATE ca_issuers SET status = 'revoked', revoked_at = ? "
                                      "WHERE id = ? AND status != 'revoked'");

  sqlite3_bind_int64 (stmt, 1, cb_sandbox_now (self));
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

/* ---- Bring your own root ---------------------------------------------------------------- */

/* Case-insensitive, whitespace-normalised DN comparison, as the BYOR docs describe. */
static char *
normalize_dn (const char *dn)
{
  GString *out = g_string_new (NULL);
  gboolean pending_space = FALSE;

  for (const char *p = dn; p != NULL && *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        {
          pending_space = TRUE;
          continue;
        }
      if (*p == ',' || *p == '=' || *p == '+')
        pending_space = FALSE;
      else if (pending_space && out->len > 0 &&
               strchr (",=+", out->str[out->len - 1]) == NULL)
        g_string_append_c (out, ' ');
      pending_space = FALSE;
      g_string_append_c (out, g_ascii_tolower (*p));
    }

  return g_string_free (out, FALSE);
}

static gboolean
is_ec_key (CbKeyType type)
{
  return type == CB_KEY_TYPE_EC_P256 || type == CB_KEY_TYPE_EC_P384 ||
         type == CB_KEY_TYPE_EC_P521;
}

static gboolean
is_strong_ecdsa (const char *algorithm)
{
  return algorithm != NULL &&
         (g_ascii_strcasecmp (algorithm, "ECDSA-SHA256") == 0 ||
          g_ascii_strcasecmp (algorithm, "ECDSA-SHA384") == 0 ||
          g_ascii_strcasecmp (algorithm, "ECDSA-SHA512") == 0);
}

static gboolean
has_oid (const char * const *oids,
         const char         *oid)
{
  for (guint i = 0; oids != NULL && oids[i] != NULL; i++)
    if (g_strcmp0 (oids[i], oid) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
byor_fail (GError    **error,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
byor_fail (GError    **error,
           const char *format,
           ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

static gboolean
bytes_equal (GBytes *a,
             GBytes *b)
{
  return a != NULL && b != NULL && g_bytes_equal (a, b);
}

gboolean
cb_sb_ca_check_byor_chain (CbSandbox   *self,
                           const char  *issuer_id,
                           const char  *chain_pem,
                           GError     **error)
{
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) csr_key = NULL;
  g_autoptr(GBytes) ica_key = NULL;
  g_autofree char *status = NULL;
  g_autofree char *key_ref = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *want_dn = NULL;
  g_autofree char *got_dn = NULL;
  CbCertificate *ica;
  g_autoptr(CbSbStmt) stmt = NULL;
  gint64 now = cb_sandbox_now (self);

  stmt = cb_sb_prepare (self, "SELECT status, key_ref, subject FROM ca_issuers WHERE id = ?");
  cb_sb_bind_text (stmt, 1, issuer_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      status = cb_sb_column_dup (stmt, 0);
      key_ref = cb_sb_column_dup (stmt, 1);
      subject = cb_sb_column_dup (stmt, 2);
    }
  cb_sb_stmt_done (stmt);

  if (status == NULL)
    return byor_fail (error, "The policy has no certificate signing request to activate.");
  if (g_strcmp0 (status, "pending") != 0)
    return byor_fail (error, "The policy's issuing CA is %s, not pending activation.", status);

  if (chain_pem == NULL || *chain_pem == '\0')
    return byor_fail (error, "The certificateChain is empty.");

  certs = cb_certificate_list_new_from_data ((const guint8 *) chain_pem, strlen (chain_pem),
                                             &local_error);
  if (certs == NULL)
    return byor_fail (error, "The certificateChain could not be read: %s", local_error->message);

  key = cb_sb_load_key (self, key_ref, error);
  if (key == NULL)
    return FALSE;

  ica = g_ptr_array_index (certs, 0);
  csr_key = cb_key_get_public_key_der (key);
  ica_key = cb_certificate_get_public_key_der (ica);
  if (!bytes_equal (csr_key, ica_key))
    return byor_fail (error,
                      "The first certificate in the chain (%s) does not certify the key of the "
                      "policy's certificate signing request; sign the CSR the policy provides.",
                      cb_certificate_get_subject (ica));

  want_dn = normalize_dn (subject);
  got_dn = normalize_dn (cb_certificate_get_subject (ica));
  if (g_strcmp0 (want_dn, got_dn) != 0)
    return byor_fail (error,
                      "The signed certificate's subject “%s” does not equal the CSR subject “%s”.",
                      cb_certificate_get_subject (ica), subject);

  for (guint i = 0; i < certs->len; i++)
    {
      CbCertificate *cert = g_ptr_array_index (certs, i);
      const char *name = cb_certificate_get_subject (cert);
      g_autoptr(GBytes) bc = NULL;
      gboolean critical = FALSE;
      guint usage;
      gint64 not_before = cb_certificate_get_not_before (cert);
      gint64 not_after = cb_certificate_get_not_after (cert);

      if (!is_ec_key (cb_certificate_get_key_type (cert)))
        return byor_fail (error,
                          "Certificate %u (%s) has a %s key; only ECC keys on P-256, P-384 or "
                          "P-521 are accepted.",
                          i, name, cb_key_type_to_string (cb_certificate_get_key_type (cert)));

      if (!is_strong_ecdsa (cb_certificate_get_signature_algorithm (cert)))
        return byor_fail (error,
                          "Certificate %u (%s) is signed with %s; ECDSA with SHA-256 or "
                          "stronger is required.",
                          i, name, cb_certificate_get_signature_algorithm (cert));

      bc = cb_certificate_get_extension (cert, "2.5.29.19", &critical);
      if (bc == NULL || !critical || !cb_certificate_is_ca (cert))
        return byor_fail (error,
                          "Certificate %u (%s) must have a critical BasicConstraints extension "
                          "with CA:TRUE.", i, name);

      if (cb_certificate_get_subject_key_id (cert) == NULL)
        return byor_fail (error,
                          "Certificate %u (%s) has no Subject Key Identifier.", i, name);

      usage = cb_certificate_get_key_usage (cert);
      if (i == 0)
        {
          guint want = CB_KEY_USAGE_DIGITAL_SIGNATURE | CB_KEY_USAGE_KEY_CERT_SIGN |
                       CB_KEY_USAGE_CRL_SIGN;
          const char * const *eku = cb_certificate_get_ext_key_usage (cert);

          if ((usage & want) != want)
            return byor_fail (error,
                              "Certificate %u (%s) must have KeyUsage DigitalSignature, "
                              "KeyCertSign and CrlSign.", i, name);
          if (eku != NULL && eku[0] != NULL && !has_oid (eku, CB_OID_EKU_CLIENT_AUTH))
            return byor_fail (error,
                              "Certificate %u (%s) has an Extended Key Usage without "
                              "clientAuth (1.3.6.1.5.5.7.3.2).", i, name);
        }
      else if ((usage & CB_KEY_USAGE_KEY_CERT_SIGN) == 0)
        {
          return byor_fail (error, "Certificate %u (%s) lacks KeyUsage KeyCertSign.", i, name);
        }

      if (not_before > now)
        return byor_fail (error, "Certificate %u (%s) is not valid yet (NotBefore is in the "
                          "future).", i, name);
      if (not_after <= now)
        return byor_fail (error, "Certificate %u (%s) has expired.", i, name);
      if (not_after - now < (gint64) BYOR_MIN_DAYS_LEFT * 24 * 3600)
        return byor_fail (error,
                          "Certificate %u (%s) has %d days of validity left; at least %d are "
                          "required.",
                          i, name, cb_validity_get_days_left (not_after, now),
                          BYOR_MIN_DAYS_LEFT);

      if (i > 0)
        {
          CbCertificate *below = g_ptr_array_index (certs, i - 1);
          int path_len = cb_certificate_get_path_len (cert);

          if (!cb_certificate_is_issued_by (below, cert))
            return byor_fail (error,
                              "Certificate %u (%s) is not signed by certificate %u (%s); order "
                              "the chain from the signed certificate to the root.",
                              i - 1, cb_certificate_get_subject (below), i, name);
          /* i CA certificates sit below this one; the root of a one-level chain needs
           * pathLen 1 or more. */
          if (path_len >= 0 && path_len < (int) i)
            return byor_fail (error,
                              "Certificate %u (%s) has pathLenConstraint %d, which forbids the "
                              "issuing CA below it; the root needs pathLen 1.",
                              i, name, path_len);
        }
    }

  if (certs->len > 1)
    {
      CbCertificate *top = g_ptr_array_index (certs, certs->len - 1);

      if (g_strcmp0 (cb_certificate_get_subject (top), cb_certificate_get_issuer (top)) == 0 &&
          !cb_certificate_is_issued_by (top, top))
        return byor_fail (error, "The root (%s) has an invalid self-signature.",
                          cb_certificate_get_subject (top));
    }

  return TRUE;
}

gboolean
cb_sb_ca_activate_issuer (CbSandbox   *self,
                          const char  *issuer_id,
                          const char  *chain_pem,
                          GError     **error)
{
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GPtrArray) above = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autofree char *above_pem = NULL;
  g_autofree char *thumbprint = NULL;
  CbCertificate *ica;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!cb_sb_ca_check_byor_chain (self, issuer_id, chain_pem, error))
    return FALSE;

  certs = cb_certificate_list_new_from_data ((const guint8 *) chain_pem, strlen (chain_pem),
                                             error);
  if (certs == NULL)
    return FALSE;

  ica = g_ptr_array_index (certs, 0);
  der = cb_certificate_get_der (ica);
  thumbprint = strip_colons (cb_certificate_get_sha1_fingerprint (ica));
  above = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 1; i < certs->len; i++)
    g_ptr_array_add (above, g_object_ref (g_ptr_array_index (certs, i)));
  if (above->len > 0)
    above_pem = cb_certificate_list_to_pem (above);

  stmt = cb_sb_prepare (self,
                        "UPDATE ca_issuers SET status = 'active', cert = ?, chain = ?, "
                        "  serial = ?, ski = ?, thumbprint = ?, not_before = ?, not_after = ? "
                        "WHERE id = ?");
  bind_bytes (stmt, 1, der);
  cb_sb_bind_text (stmt, 2, above_pem);
  cb_sb_bind_text (stmt, 3, cb_certificate_get_serial (ica));
  cb_sb_bind_text (stmt, 4, cb_certificate_get_subject_key_id (ica));
  cb_sb_bind_text (stmt, 5, thumbprint);
  sqlite3_bind_int64 (stmt, 6, cb_certificate_get_not_before (ica));
  sqlite3_bind_int64 (stmt, 7, cb_certificate_get_not_after (ica));
  cb_sb_bind_text (stmt, 8, issuer_id);

  return cb_sb_step_done (self, stmt, error);
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

  sqlite3_bind_int64 (stmt, 1, cb_sandbox_now (self));
  cb_sb_bind_text (stmt, 2, namespace_id);
  cb_sb_bind_text (stmt, 3, device_name);
  cb_sb_step_done (self, stmt, NULL);
}

static gboolean
lookup_device_state (CbSandbox  *self,
                     const char *namespace_id,
                     const char *device_name,
                     gboolean   *enabled,
                     char      **identifier)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT enabled, identifier FROM adr_devices "
                                      "WHERE namespace_id = ? AND name = ?");
  gboolean found = FALSE;

  cb_sb_bind_text (stmt, 1, namespace_id);
  cb_sb_bind_text (stmt, 2, device_name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *enabled = sqlite3_column_int (stmt, 0) != 0;
      *identifier = cb_sb_column_dup (stmt, 1);
      found = TRUE;
    }
  cb_sb_stmt_done (stmt);

  return found;
}

GPtrArray *
cb_sandbox_ca_issue_leaf (CbSandbox   *self,
                          const char  *policy_id,
                          const char  *device_name,
                          GBytes      *csr_der,
                          GError     **error)
{
  g_autoptr(GPtrArray) result = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(CbKey) ica_key = NULL;
  g_autoptr(GBytes) ica_der = NULL;
  g_autoptr(GBytes) root_der = NULL;
  g_autoptr(GBytes) leaf_der = NULL;
  g_autoptr(GBytes) identifier_value = NULL;
  g_autoptr(GBytes) csr_key = NULL;
  g_autoptr(CbCertificate) ica = NULL;
  g_autoptr(CbCertificate) leaf = NULL;
  g_autofree char *namespace_id = NULL;
  g_autofree char *state = NULL;
  g_autofree char *issuer_id = NULL;
  g_autofree char *issuer_status = NULL;
  g_autofree char *key_ref = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *identifier = NULL;
  const char * const eku[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  CbCertExtension extension = { 0 };
  CbCertProfile profile = { 0 };
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean enabled = FALSE;
  gint64 validity_days = 0;
  gint64 now;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (policy_id != NULL, NULL);
  g_return_val_if_fail (device_name != NULL, NULL);
  g_return_val_if_fail (csr_der != NULL, NULL);

  cb_sb_arm_run_due_operations (self);

  stmt = cb_sb_prepare (self,
                        "SELECT namespace_id, state, validity_days, issuer_id "
                        "FROM adr_policies WHERE id = ?");
  cb_sb_bind_text (stmt, 1, policy_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      namespace_id = cb_sb_column_dup (stmt, 0);
      state = cb_sb_column_dup (stmt, 1);
      validity_days = sqlite3_column_int64 (stmt, 2);
      issuer_id = cb_sb_column_dup (stmt, 3);
    }
  cb_sb_stmt_done (stmt);

  if (namespace_id == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The credential policy %s does not exist", policy_id);
      return NULL;
    }
  if (g_strcmp0 (state, "Succeeded") != 0 || issuer_id == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The credential policy %s cannot issue certificates yet "
                   "(provisioningState %s)", policy_id, state);
      return NULL;
    }

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "SELECT status, key_ref, cert, chain FROM ca_issuers WHERE id = ?");
  cb_sb_bind_text (stmt, 1, issuer_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      issuer_status = cb_sb_column_dup (stmt, 0);
      key_ref = cb_sb_column_dup (stmt, 1);
      ica_der = column_bytes (stmt, 2);
      chain_pem = cb_sb_column_dup (stmt, 3);
    }
  cb_sb_stmt_done (stmt);

  if (g_strcmp0 (issuer_status, "pending") == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The credential policy %s is PendingActivation: its issuing CA has not been "
                   "signed by your root and activated yet", policy_id);
      return NULL;
    }
  if (g_strcmp0 (issuer_status, "active") != 0 || ica_der == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The issuing CA of credential policy %s is not active", policy_id);
      return NULL;
    }

  if (!lookup_device_state (self, namespace_id, device_name, &enabled, &identifier))
    {
      if (!cb_sandbox_adr_ensure_device (self, namespace_id, device_name, policy_id, error))
        return NULL;
      if (!lookup_device_state (self, namespace_id, device_name, &enabled, &identifier))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The device %s is not registered in the namespace", device_name);
          return NULL;
        }
    }
  if (!enabled)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The device %s is disabled; no new credentials are issued to it",
                   device_name);
      return NULL;
    }

  csr = cb_csr_new_from_der (csr_der, error);
  if (csr == NULL)
    return NULL;
  if (!cb_csr_check (csr, device_name, NULL, error))
    return NULL;

  ica = cb_certificate_new_from_der (ica_der, error);
  if (ica == NULL)
    return NULL;
  ica_key = cb_sb_load_key (self, key_ref, error);
  if (ica_key == NULL)
    return NULL;

  now = cb_sandbox_now (self);
  if (cb_certificate_get_not_after (ica) <= now)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The issuing CA of credential policy %s has expired", policy_id);
      return NULL;
    }

  identifier_value = encode_identifier (identifier);
  extension.oid = CB_SB_OID_CREDENTIAL_IDENTIFIER;
  extension.der_value = identifier_value;
  extension.critical = FALSE;

  profile.subject_dn = cb_csr_get_subject (csr);
  profile.not_before = now - BACKDATE_SECONDS;
  profile.not_after = MIN (profile.not_before + BACKDATE_SECONDS + validity_days * 24 * 3600,
                           cb_certificate_get_not_after (ica));
  profile.is_ca = FALSE;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  profile.ext_key_usage = eku;
  profile.extensions = &extension;
  profile.n_extensions = 1;

  csr_key = cb_csr_get_public_key_der (csr);
  leaf_der = cb_cert_issue (&profile, csr_key, ica_key, ica_der, error);
  if (leaf_der == NULL)
    return NULL;
  leaf = cb_certificate_new_from_der (leaf_der, error);
  if (leaf == NULL)
    return NULL;

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self,
                        "INSERT INTO ca_leaves (serial, namespace_id, device, issuer_id, "
                        "  policy_id, identifier, not_before, not_after, issued_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  cb_sb_bind_text (stmt, 1, cb_certificate_get_serial (leaf));
  cb_sb_bind_text (stmt, 2, namespace_id);
  cb_sb_bind_text (stmt, 3, device_name);
  cb_sb_bind_text (stmt, 4, issuer_id);
  cb_sb_bind_text (stmt, 5, policy_id);
  cb_sb_bind_text (stmt, 6, identifier);
  sqlite3_bind_int64 (stmt, 7, cb_certificate_get_not_before (leaf));
  sqlite3_bind_int64 (stmt, 8, cb_certificate_get_not_after (leaf));
  sqlite3_bind_int64 (stmt, 9, now);
  if (!cb_sb_step_done (self, stmt, error))
    return NULL;

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (result, g_bytes_ref (leaf_der));
  g_ptr_array_add (result, g_bytes_ref (ica_der));

  if (chain_pem != NULL)
    {
      /* BYOR: [leaf, our ICA, the customer's chain above it] */
      g_autoptr(GPtrArray) above = NULL;

      above = cb_certificate_list_new_from_data ((const guint8 *) chain_pem, strlen (chain_pem),
                                                 NULL);
      for (guint i = 0; above != NULL && i < above->len; i++)
        g_ptr_array_add (result, cb_certificate_get_der (g_ptr_array_index (above, i)));
    }
  else if (load_root (self, namespace_id, NULL, NULL, &root_der, NULL))
    {
      g_ptr_array_add (result, g_steal_pointer (&root_der));
    }

  g_debug ("Issued leaf %s for %s under %s", cb_certificate_get_serial (leaf), device_name,
           issuer_id);
  return g_steal_pointer (&result);
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
  gint64 now = cb_sandbox_now (self);
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

/* ---- The hub's decision ----------------------------------------------------------------- */

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

/* The ICA that issued leaf: by key identifier, else by name among the hub's certificates. */
static gboolean
find_issuer (CbSandbox     *self,
             const char    *hub,
             CbCertificate *leaf,
             IssuerRow     *row)
{
  const char *aki = cb_certificate_get_authority_key_id (leaf);
  g_autoptr(CbSbStmt) stmt = NULL;

  memset (row, 0, sizeof *row);

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
      row->id = cb_sb_column_dup (stmt, 0);
      row->status = cb_sb_column_dup (stmt, 1);
      row->cert = column_bytes (stmt, 2);
    }
  cb_sb_stmt_done (stmt);

  return row->id != NULL;
}

static gboolean
hub_has_issuer (CbSandbox  *self,
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

static char *
current_identifier (CbSandbox  *self,
                    const char *hub,
                    const char *device_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT d.identifier FROM adr_devices d "
                                      "JOIN hubs h ON d.namespace_id = h.namespace_id "
                                      "WHERE h.name = ? AND d.name = ? LIMIT 1");
  char *identifier = NULL;

  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, device_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    identifier = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  return identifier;
}

static char *
format_time (gint64 unix_seconds)
{
  return cb_time_format_fixed (unix_seconds);
}

CbSbVerdict
cb_sandbox_check_device_chain (CbSandbox   *self,
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

  if (!cb_sandbox_hub_lookup_device (self, hub, device_id, &enabled))
    return verdict (reason, CB_SB_VERDICT_UNKNOWN_DEVICE,
                    "The device “%s” is not registered in hub “%s”.", device_id, hub);
  if (!enabled)
    return verdict (reason, CB_SB_VERDICT_DEVICE_DISABLED,
                    "The device “%s” is disabled in hub “%s”.", device_id, hub);

  if (chain == NULL || chain->len == 0)
    return verdict (reason, CB_SB_VERDICT_BAD_CHAIN, "No certificate was presented.");

  leaf = g_ptr_array_index (chain, 0);

  if (!find_issuer (self, hub, leaf, &issuer))
    return verdict (reason, CB_SB_VERDICT_UNKNOWN_ISSUER,
                    "The certificate's issuer “%s” is not a CA certificate of hub “%s”.",
                    cb_certificate_get_issuer (leaf), hub);

  if (g_strcmp0 (issuer.status, "revoked") == 0)
    return verdict (reason, CB_SB_VERDICT_REVOKED_ISSUER,
                    "The certificate was issued by CA “%s”, which has been revoked "
                    "(revokeIssuer); obtain a new certificate.",
                    cb_certificate_get_issuer (leaf));

  if (!hub_has_issuer (self, hub, issuer.id))
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

  now = cb_sandbox_now (self);
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
  embedded = decode_identifier (ext);
  current = current_identifier (self, hub, device_id);
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


/* ---- Routes ----------------------------------------------------------------------------- */

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

/* GET /sandbox/namespaces/{ns}/root.pem: the namespace's root CA as PEM. Azure hands the root
 * to devices only inside the DPS chain; the sandbox also serves it so a person can check a
 * device's chain against it with openssl, independently of what the device says. */
static void
handle_namespace_root (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *ns = cb_sb_param (req, "ns");
  g_autofree char *suffix = g_strconcat ("%/providers/Microsoft.DeviceRegistry/namespaces/", ns, NULL);
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *pem = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;
  guint matches = 0;
  gsize len;

  cb_sb_arm_run_due_operations (self);

  stmt = cb_sb_prepare (self, "SELECT cert FROM ca_roots WHERE namespace_id LIKE ?");
  cb_sb_bind_text (stmt, 1, suffix);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      matches++;
      if (der == NULL)
        der = column_bytes (stmt, 0);
    }
  cb_sb_stmt_done (stmt);

  if (matches == 0)
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "NotFound", 0,
                         "Namespace “%s” has no credential (root CA).", ns);
      return;
    }
  if (matches > 1)
    {
      cb_sb_reply_error (req, SOUP_STATUS_CONFLICT, "Ambiguous", 0,
                         "%u namespaces are named “%s” in this sandbox.", matches, ns);
      return;
    }

  if (!(cert = cb_certificate_new_from_der (der, NULL)))
    {
      cb_sb_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError", 0,
                         "The stored root certificate does not parse.");
      return;
    }

  pem = cb_certificate_to_pem (cert);
  len = strlen (pem);
  req->replied = TRUE;
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, "application/x-pem-file", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&pem), len);
}

static void
handle_crl (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *file = cb_sb_param (req, "file");
  g_autofree char *id = NULL;
  g_autofree char *key_ref = NULL;
  g_autoptr(GBytes) cert = NULL;
  g_autoptr(GPtrArray) serials = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;
  gint64 now = cb_sandbox_now (self);
  gsize len = 0;
  const guint8 *data;

  if (file == NULL || !g_str_has_suffix (file, ".crl"))
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "NotFound", 0, "No such CRL.");
      return;
    }
  id = g_strndup (file, strlen (file) - strlen (".crl"));
  cb_sb_arm_run_due_operations (self);

  stmt = cb_sb_prepare (self, "SELECT key_ref, cert FROM ca_roots WHERE uuid = ?");
  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      key_ref = cb_sb_column_dup (stmt, 0);
      cert = column_bytes (stmt, 1);
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
          cert = column_bytes (stmt, 1);
        }
      cb_sb_stmt_done (stmt);

      if (key_ref == NULL)
        {
          cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "NotFound", 0,
                             "No CA has the CRL “%s”.", file);
          return;
        }
      serials = collect_revoked_serials (self,
                                         "SELECT serial FROM ca_leaves WHERE issuer_id = ? "
                                         "  AND revoked_at IS NOT NULL ORDER BY revoked_at",
                                         id);
    }

  key = cb_sb_load_key (self, key_ref, &error);
  if (key != NULL)
    crl = cb_crl_issue (key, cert, serials, now, now + CRL_NEXT_UPDATE_SECONDS,
                        serials->len + 1, &error);
  if (crl == NULL)
    {
      cb_sb_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError", 0,
                         "The CRL could not be made: %s", error->message);
      return;
    }

  data = g_bytes_get_data (crl, &len);
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, "application/pkix-crl", SOUP_MEMORY_COPY,
                                    (const char *) data, len);
  req->replied = TRUE;
}

static gboolean
hub_exists (CbSandbox  *self,
            const char *hub)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT 1 FROM hubs WHERE name = ? COLLATE NOCASE");
  gboolean found;

  cb_sb_bind_text (stmt, 1, hub);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);

  return found;
}

static void
handle_check_chain (CbSbRequest *req)
{
  const char *hub = cb_sb_param (req, "hub");
  const char *device_id = cb_sb_param (req, "deviceId");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *text = NULL;
  CbSbVerdict result;
  const char *data = NULL;
  gsize len = 0;

  if (req->body != NULL)
    data = g_bytes_get_data (req->body, &len);
  text = g_strndup (data ? data : "", len);
  g_strstrip (text);

  if (text[0] == '{')
    {
      g_autoptr(JsonNode) node = cb_sb_json_body (req, FALSE);
      JsonObject *obj;
      const char *pem;

      if (node == NULL)
        return;
      obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      pem = obj && json_object_has_member (obj, "chain") &&
            JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "chain")) ?
            json_object_get_string_member (obj, "chain") : NULL;
      if (pem == NULL)
        {
          cb_sb_reply_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", 0,
                             "The body must be PEM text or {\"chain\": \"<PEM>\"}.");
          return;
        }
      g_free (text);
      text = g_strdup (pem);
    }

  if (!hub_exists (req->sandbox, hub))
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "HubNotFound", 0,
                         "There is no hub “%s” in the sandbox.", hub);
      return;
    }

  chain = cb_certificate_list_new_from_data ((const guint8 *) text, strlen (text), &error);
  if (chain == NULL)
    {
      cb_sb_reply_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidChain", 0,
                         "The chain could not be read: %s", error->message);
      return;
    }

  result = cb_sandbox_check_device_chain (req->sandbox, hub, device_id, chain, &reason);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accepted");
  json_builder_add_boolean_value (builder, result == CB_SB_VERDICT_ACCEPTED);
  json_builder_set_member_name (builder, "verdict");
  json_builder_add_string_value (builder, cb_sb_verdict_to_string (result));
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_end_object (builder);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (builder));
}

gboolean
cb_sandbox_ca_init (CbSandbox  *self,
                    GError    **error)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_exec (self, schema, error))
    return FALSE;

  cb_sandbox_add_route (self, "GET", "/sandbox/crl/{file}", CB_SB_STYLE_PLAIN, handle_crl);
  cb_sandbox_add_route (self, "GET", "/sandbox/namespaces/{ns}/root.pem", CB_SB_STYLE_PLAIN,
                        handle_namespace_root);
  cb_sandbox_add_route (self, "POST", "/sandbox/hubs/{hub}/devices/{deviceId}/check-chain",
                        CB_SB_STYLE_PLAIN, handle_check_chain);

  return TRUE;
}
