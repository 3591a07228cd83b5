/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-ca"

/* Bring your own root: a BYOR policy's issuing CA waits (status pending) with a key and CSR
 * the sandbox made until the customer sends the chain their root signed. This file checks
 * that chain the way ADR documents it (the CSR's key and subject, ECC keys, ECDSA with SHA-256
 * or stronger, CA basic constraints, key usages, a year of validity left, an ordered chain)
 * and activates the issuer with it. */

#include "config.h"

#include <string.h>

#include "cb-sb-ca.h"
#include "cb-sb-ca-byor.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"
#include "cb-util.h"

#define BYOR_MIN_DAYS_LEFT      365

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
  gint64 now = cb_sb_now (self);

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
  thumbprint = cb_sb_ca_thumbprint (ica);
  above = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 1; i < certs->len; i++)
    g_ptr_array_add (above, g_object_ref (g_ptr_array_index (certs, i)));
  if (above->len > 0)
    above_pem = cb_certificate_list_to_pem (above);

  stmt = cb_sb_prepare (self,
                        "UPDATE ca_issuers SET status = 'active', cert = ?, chain = ?, "
                        "  serial = ?, ski = ?, thumbprint = ?, not_before = ?, not_after = ? "
                        "WHERE id = ?");
  cb_sb_bind_bytes (stmt, 1, der);
  cb_sb_bind_text (stmt, 2, above_pem);
  cb_sb_bind_text (stmt, 3, cb_certificate_get_serial (ica));
  cb_sb_bind_text (stmt, 4, cb_certificate_get_subject_key_id (ica));
  cb_sb_bind_text (stmt, 5, thumbprint);
  sqlite3_bind_int64 (stmt, 6, cb_certificate_get_not_before (ica));
  sqlite3_bind_int64 (stmt, 7, cb_certificate_get_not_after (ica));
  cb_sb_bind_text (stmt, 8, issuer_id);

  return cb_sb_step_done (self, stmt, error);
}
