/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-x509"

/* Chain verification: a chain of CbCertificate, leaf first, checked link by link (names, key
 * ids, signatures, CA flags and path lengths, validity, insecure algorithms) up to a trust
 * anchor. */

#include "config.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-x509-chain.h"
#include "cb-x509-error.h"
#include "cb-x509-private.h"

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  if (dt == NULL)
    return g_strdup_printf ("%" G_GINT64_FORMAT, t);

  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC");
}

static gboolean
is_insecure_algorithm (gnutls_sign_algorithm_t algorithm)
{
  gnutls_digest_algorithm_t digest = gnutls_sign_get_hash_algorithm (algorithm);

  return digest == GNUTLS_DIG_SHA1 || digest == GNUTLS_DIG_MD5 || digest == GNUTLS_DIG_MD2 ||
         digest == GNUTLS_DIG_RMD160 ||
         !gnutls_sign_is_secure2 (algorithm, GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS);
}

/* "certificate 2 of 3 (CN=...)", for error messages. index is 0-based, the words 1-based. */
static char *
describe (guint          index,
          guint          total,
          gboolean       is_anchor,
          CbCertificate *cert)
{
  if (is_anchor && index >= total)
    return g_strdup_printf ("the trusted root (%s)", cert->subject);

  if (is_anchor)
    return g_strdup_printf ("certificate %u of %u, the trusted root (%s)",
                            index + 1, total, cert->subject);

  if (index == 0 && !cert->is_ca)
    return g_strdup_printf ("certificate 1 of %u, the leaf (%s)", total, cert->subject);

  return g_strdup_printf ("certificate %u of %u (%s)", index + 1, total, cert->subject);
}

static gboolean
key_ids_conflict (CbCertificate *cert,
                  CbCertificate *issuer)
{
  return cert->authority_key_id != NULL && issuer->subject_key_id != NULL &&
         g_ascii_strcasecmp (cert->authority_key_id, issuer->subject_key_id) != 0;
}

static gboolean
names_issuer (CbCertificate *cert,
              CbCertificate *issuer)
{
  return g_strcmp0 (cert->issuer, issuer->subject) == 0 && !key_ids_conflict (cert, issuer);
}

static gboolean
check_validity (CbCertificate  *cert,
                const char     *desc,
                gint64          now,
                GError        **error)
{
  if (now < cert->not_before)
    {
      g_autofree char *when = format_time (cert->not_before);

      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_NOT_YET_VALID,
                   "%s is not valid yet: its validity starts %s", desc, when);
      return FALSE;
    }

  if (now > cert->not_after)
    {
      g_autofree char *when = format_time (cert->not_after);

      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_EXPIRED,
                   "%s expired on %s", desc, when);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_is_ca (CbCertificate  *issuer,
             const char     *issuer_desc,
             const char     *cert_desc,
             gboolean        is_anchor,
             GError        **error)
{
  /* A version 1 root has no extensions at all; accept it only as a trust anchor. */
  if (is_anchor && issuer->version == 1)
    return TRUE;

  if (!issuer->is_ca)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_NOT_A_CA,
                   "%s signed %s but is not a CA (its basic constraints lack CA:TRUE)",
                   issuer_desc, cert_desc);
      return FALSE;
    }

  if (issuer->has_key_usage && !(issuer->key_usage & CB_KEY_USAGE_KEY_CERT_SIGN))
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_NOT_A_CA,
                   "%s signed %s but its key usage does not allow signing certificates "
                   "(keyCertSign is missing)", issuer_desc, cert_desc);
      return FALSE;
    }

  return TRUE;
}

/* The anchor that issued cert: by name, without conflicting key identifiers, preferring the
 * one whose key verifies the signature (a root and its replacement may share a name). */
static CbCertificate *
find_anchor (CbCertificate *cert,
             GPtrArray     *anchors,
             gboolean      *name_match)
{
  CbCertificate *by_name = NULL;

  *name_match = FALSE;

  for (guint j = 0; j < anchors->len; j++)
    {
      CbCertificate *candidate = g_ptr_array_index (anchors, j);

      if (g_strcmp0 (cert->issuer, candidate->subject) != 0)
        continue;
      *name_match = TRUE;

      if (key_ids_conflict (cert, candidate))
        continue;

      if (cb_certificate_is_issued_by (cert, candidate))
        return candidate;

      if (by_name == NULL)
        by_name = candidate;
    }

  /* Its signature check then fails and is reported as a bad signature. */
  return by_name;
}

static void
set_wrong_issuer_error (GError        **error,
                        GPtrArray      *chain,
                        guint           i,
                        const char     *desc,
                        const char     *next_desc,
                        CbCertificate  *cert,
                        CbCertificate  *next)
{
  int found = -1;

  for (guint j = 0; j < chain->len; j++)
    if (j != i && names_issuer (cert, g_ptr_array_index (chain, j)))
      found = j;

  if (names_issuer (next, cert))
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is out of order: %s is issued by the one before it, %s; the list "
                 "must start with the leaf and go towards the root", next_desc, desc);
  else if (g_strcmp0 (cert->issuer, next->subject) == 0)
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is broken: %s is not issued by the next one, %s; the names match "
                 "but the key identifiers differ (a different CA key with the same name, for "
                 "example a replaced issuing CA)", desc, next_desc);
  else if (found >= 0)
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is out of order: %s is issued by certificate %d, not by the next "
                 "one, %s", desc, found + 1, next_desc);
  else
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is broken: %s is issued by \"%s\", not by the next one, %s",
                 desc, cert->issuer, next_desc);
}

static gboolean
verify_chain (GPtrArray  *chain,
              GPtrArray  *anchors,
              gint64      now,
              GError    **error)
{
  CbCertificate *included_anchor = NULL;
  guint n_chain;

  if (chain->len == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "The chain holds no certificate");
      return FALSE;
    }

  if (anchors->len == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_UNKNOWN_ISSUER,
                           "There is no trusted root to verify the chain against");
      return FALSE;
    }

  /* The chain may end with the anchor itself. An anchor anywhere else is out of order, and
   * the walk below reports it. */
  n_chain = chain->len;
  for (guint j = 0; j < anchors->len; j++)
    {
      if (cb_certificate_equal (g_ptr_array_index (chain, chain->len - 1),
                                g_ptr_array_index (anchors, j)))
        {
          included_anchor = g_ptr_array_index (chain, chain->len - 1);
          n_chain = chain->len - 1;
          break;
        }
    }

  for (guint i = 0; i <= n_chain; i++)
    {
      CbCertificate *cert;
      CbCertificate *issuer;
      gboolean issuer_is_anchor;
      g_autofree char *desc = NULL;
      g_autofree char *issuer_desc = NULL;

      /* Past the last chain certificate: only the anchor's own validity is left. */
      if (i == n_chain)
        {
          CbCertificate *anchor = included_anchor;

          if (anchor == NULL)
            break;
          desc = describe (i, chain->len, TRUE, anchor);
          return check_validity (anchor, desc, now, error);
        }

      cert = g_ptr_array_index (chain, i);
      desc = describe (i, chain->len, FALSE, cert);

      if (!check_validity (cert, desc, now, error))
        return FALSE;

      if (is_insecure_algorithm (cert->sign_algorithm))
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_INSECURE_ALGORITHM,
                       "%s is signed with %s, which is no longer secure (SHA-256 or "
                       "stronger is required)", desc, cert->signature_algorithm);
          return FALSE;
        }

      if (i + 1 < chain->len)
        {
          /* The next certificate in the list, trusted or not. */
          issuer = g_ptr_array_index (chain, i + 1);
          issuer_is_anchor = (i + 1 == n_chain);
          issuer_desc = describe (i + 1, chain->len, issuer_is_anchor, issuer);

          if (!names_issuer (cert, issuer))
            {
              set_wrong_issuer_error (error, chain, i, desc, issuer_desc, cert, issuer);
              return FALSE;
            }
        }
      else
        {
          gboolean name_match = FALSE;

          issuer = find_anchor (cert, anchors, &name_match);
          issuer_is_anchor = TRUE;

          if (issuer == NULL)
            {
              if (name_match)
                g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_UNKNOWN_ISSUER,
                             "%s is issued by \"%s\"; a trusted root has that name but a "
                             "different key, so this chain belongs to another root",
                             desc, cert->issuer);
              else
                g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_UNKNOWN_ISSUER,
                             "%s is issued by \"%s\", which is not a trusted root (the "
                             "chain does not end at a known root)", desc, cert->issuer);
              return FALSE;
            }

          issuer_desc = describe (i + 1, i + 1, TRUE, issuer);
        }

      if (!cb_certificate_is_issued_by (cert, issuer))
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE,
                       "The signature on %s does not verify with the key of %s (the "
                       "certificate was altered or signed by another key)", desc, issuer_desc);
          return FALSE;
        }

      if (!check_is_ca (issuer, issuer_desc, desc, issuer_is_anchor, error))
        return FALSE;

      /* pathLenConstraint counts the CA certificates below the issuer, the leaf excluded:
       * certificates 1 .. i. */
      if (issuer->path_len >= 0 && (int) i > issuer->path_len)
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PATH_LENGTH,
                       "%s allows %d intermediate CA certificate%s below it, but the chain "
                       "has %u", issuer_desc, issuer->path_len,
                       issuer->path_len == 1 ? "" : "s", i);
          return FALSE;
        }

      if (issuer_is_anchor && i + 1 >= chain->len)
        {
          if (!check_validity (issuer, issuer_desc, now, error))
            return FALSE;
        }
    }

  return TRUE;
}

gboolean
cb_x509_verify_chain (GPtrArray  *chain,
                      GPtrArray  *anchors,
                      gint64      now,
                      GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (chain != NULL, FALSE);
  g_return_val_if_fail (anchors != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (verify_chain (chain, anchors, now, &local_error))
    return TRUE;

  /* Messages often start with a certificate's description: make them sentences. */
  local_error->message[0] = g_ascii_toupper (local_error->message[0]);
  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}
