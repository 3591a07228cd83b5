/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Infrastructure: the sandbox's TLS identity. Its own CA signs its server certificate, which
 * names localhost, 127.0.0.1, ::1 and the Azure hosts the sandbox answers as
 * (cb-sb-azure-hosts.c: Entra's, ARM's, DPS's global host, and wildcards for every hub and
 * DPS instance, so a hub added later needs no new certificate). Clients pin sandbox-ca.pem
 * instead of turning verification off. Both are made on the first start and kept with the CA's
 * key (0600), so a server certificate that lacks a name (one made by an older sandbox) is
 * issued again under the same CA. A data folder from before the CA's key was kept gets a new
 * CA once. */

#include <string.h>

#include "cb-sb-azure-hosts.h"
#include "cb-sb-tls.h"
#include "cb-util.h"
#include "cb-x509.h"

static const char * const san_ip[] = { "127.0.0.1", "::1", NULL };

/* Whether the server certificate in cert_file names every host it should. */
static gboolean
names_every_host (const char *cert_file)
{
  g_autofree char *pem = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  const char * const *sans;
  const char * const *wanted = cb_sb_azure_host_certificate_names ();

  if (!g_file_get_contents (cert_file, &pem, NULL, NULL) ||
      (cert = cb_certificate_new_from_pem (pem, -1, NULL)) == NULL)
    return FALSE;

  sans = cb_certificate_get_subject_alt_names (cert);
  for (guint i = 0; wanted[i] != NULL; i++)
    {
      g_autofree char *entry = g_strconcat ("DNS:", wanted[i], NULL);

      if (!g_strv_contains (sans, entry))
        return FALSE;
    }
  return TRUE;
}

static gboolean
make_ca (const char  *ca_file,
         const char  *ca_key_file,
         CbKey      **out_key,
         GBytes     **out_der,
         GError     **error)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) pub = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *dn = g_strdup_printf ("CN=Certbench Sandbox Local CA %.8s,O=Certbench Sandbox",
                                         uuid);
  g_autofree char *pem = NULL;
  g_autofree char *key_pem = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = { 0 };

  if (!(key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)))
    return FALSE;

  profile.subject_dn = dn;
  profile.not_before = now - 300;
  profile.not_after = now + 10 * 365 * 86400LL;
  profile.is_ca = TRUE;
  profile.path_len = 0;
  profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;

  pub = cb_key_get_public_key_der (key);
  if (!(der = cb_cert_issue (&profile, pub, key, NULL, error)) ||
      !(cert = cb_certificate_new_from_der (der, error)) ||
      !(key_pem = cb_key_to_pem (key, error)))
    return FALSE;

  pem = cb_certificate_to_pem (cert);
  if (!cb_write_private_file (ca_key_file, key_pem, -1, error))
    return FALSE;
  memset (key_pem, 0, strlen (key_pem));
  if (!g_file_set_contents (ca_file, pem, -1, error))
    return FALSE;

  *out_key = g_steal_pointer (&key);
  *out_der = g_steal_pointer (&der);
  return TRUE;
}

static gboolean
load_ca (const char  *ca_file,
         const char  *ca_key_file,
         CbKey      **out_key,
         GBytes     **out_der,
         GError     **error)
{
  g_autofree char *pem = NULL;
  g_autofree char *key_pem = NULL;
  gsize key_len = 0;
  g_autoptr(CbCertificate) cert = NULL;
  g_autoptr(CbKey) key = NULL;

  if (!g_file_get_contents (ca_file, &pem, NULL, error) ||
      !(cert = cb_certificate_new_from_pem (pem, -1, error)) ||
      !g_file_get_contents (ca_key_file, &key_pem, &key_len, error))
    return FALSE;

  key = cb_key_new_from_pem (key_pem, (gssize) key_len, error);
  memset (key_pem, 0, key_len);
  if (key == NULL)
    return FALSE;

  *out_key = g_steal_pointer (&key);
  *out_der = cb_certificate_get_der (cert);
  return TRUE;
}

static gboolean
issue_server (CbKey       *ca_key,
              GBytes      *ca_der,
              const char  *cert_file,
              const char  *key_file,
              GError     **error)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) pub = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autoptr(CbCertificate) ca_cert = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *server_pem = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *key_pem = NULL;
  static const char * const server_eku[] = { CB_OID_EKU_SERVER_AUTH, NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = { 0 };

  if (!(key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)))
    return FALSE;

  profile.subject_dn = "CN=localhost,O=Certbench Sandbox";
  profile.not_before = now - 300;
  profile.not_after = now + 5 * 365 * 86400LL;
  profile.is_ca = FALSE;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  profile.ext_key_usage = server_eku;
  profile.san_dns = cb_sb_azure_host_certificate_names ();
  profile.san_ip = san_ip;

  pub = cb_key_get_public_key_der (key);
  if (!(der = cb_cert_issue (&profile, pub, ca_key, ca_der, error)) ||
      !(cert = cb_certificate_new_from_der (der, error)) ||
      !(ca_cert = cb_certificate_new_from_der (ca_der, error)) ||
      !(key_pem = cb_key_to_pem (key, error)))
    return FALSE;

  server_pem = cb_certificate_to_pem (cert);
  ca_pem = cb_certificate_to_pem (ca_cert);
  chain_pem = g_strconcat (server_pem, ca_pem, NULL);

  if (!cb_write_private_file (key_file, key_pem, -1, error))
    return FALSE;
  memset (key_pem, 0, strlen (key_pem));
  return g_file_set_contents (cert_file, chain_pem, -1, error);
}

gboolean
cb_sb_ensure_tls_identity (CbSandbox  *self,
                           char      **out_cert_file,
                           char      **out_key_file,
                           GError    **error)
{
  g_autofree char *tls_dir = g_build_filename (self->data_dir, "tls", NULL);
  g_autofree char *ca_file = g_build_filename (self->data_dir, "sandbox-ca.pem", NULL);
  g_autofree char *ca_key_file = g_build_filename (tls_dir, "ca.key", NULL);
  g_autofree char *cert_file = g_build_filename (tls_dir, "server.pem", NULL);
  g_autofree char *key_file = g_build_filename (tls_dir, "server.key", NULL);
  g_autoptr(CbKey) ca_key = NULL;
  g_autoptr(GBytes) ca_der = NULL;

  if (!cb_mkdir_private (tls_dir, error))
    return FALSE;

  if (!g_file_test (ca_file, G_FILE_TEST_EXISTS) ||
      !g_file_test (cert_file, G_FILE_TEST_EXISTS) ||
      !g_file_test (key_file, G_FILE_TEST_EXISTS) ||
      !names_every_host (cert_file))
    {
      if (g_file_test (ca_file, G_FILE_TEST_EXISTS) &&
          g_file_test (ca_key_file, G_FILE_TEST_EXISTS))
        {
          if (!load_ca (ca_file, ca_key_file, &ca_key, &ca_der, error))
            return FALSE;
        }
      else
        {
          if (g_file_test (ca_file, G_FILE_TEST_EXISTS))
            g_message ("The sandbox's TLS certificate is issued again to name the Azure hosts, "
                       "under a new local CA: clients pin the new %s", ca_file);
          if (!make_ca (ca_file, ca_key_file, &ca_key, &ca_der, error))
            return FALSE;
        }
      if (!issue_server (ca_key, ca_der, cert_file, key_file, error))
        return FALSE;
    }

  *out_cert_file = g_steal_pointer (&cert_file);
  *out_key_file = g_steal_pointer (&key_file);
  g_free (self->ca_file);
  self->ca_file = g_steal_pointer (&ca_file);

  return TRUE;
}
