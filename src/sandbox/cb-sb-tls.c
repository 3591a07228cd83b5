/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Infrastructure: the sandbox's TLS identity. Its own CA signs its server certificate
 * (localhost, 127.0.0.1, ::1); clients pin sandbox-ca.pem instead of turning verification
 * off. Both are made on the first start and kept in the data folder. */

#include <string.h>

#include "cb-sb-tls.h"
#include "cb-util.h"
#include "cb-x509.h"

/* The sandbox's own CA signs its server certificate. Clients pin sandbox-ca.pem instead of
 * turning verification off. Both are made on first start and kept. */
gboolean
cb_sb_ensure_tls_identity (CbSandbox  *self,
                           char      **out_cert_file,
                           char      **out_key_file,
                           GError    **error)
{
  g_autofree char *tls_dir = g_build_filename (self->data_dir, "tls", NULL);
  g_autofree char *ca_file = g_build_filename (self->data_dir, "sandbox-ca.pem", NULL);
  g_autofree char *cert_file = g_build_filename (tls_dir, "server.pem", NULL);
  g_autofree char *key_file = g_build_filename (tls_dir, "server.key", NULL);
  g_autoptr(CbKey) ca_key = NULL;
  g_autoptr(CbKey) server_key = NULL;
  g_autoptr(GBytes) ca_pub = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  g_autoptr(GBytes) server_pub = NULL;
  g_autoptr(GBytes) server_der = NULL;
  g_autoptr(CbCertificate) ca_cert = NULL;
  g_autoptr(CbCertificate) server_cert = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *server_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *ca_dn = NULL;
  static const char * const server_eku[] = { CB_OID_EKU_SERVER_AUTH, NULL };
  static const char * const san_dns[] = { "localhost", NULL };
  static const char * const san_ip[] = { "127.0.0.1", "::1", NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile ca_profile = { 0 };
  CbCertProfile server_profile = { 0 };

  if (!cb_mkdir_private (tls_dir, error))
    return FALSE;

  if (g_file_test (ca_file, G_FILE_TEST_EXISTS) &&
      g_file_test (cert_file, G_FILE_TEST_EXISTS) &&
      g_file_test (key_file, G_FILE_TEST_EXISTS))
    {
      *out_cert_file = g_steal_pointer (&cert_file);
      *out_key_file = g_steal_pointer (&key_file);
      g_free (self->ca_file);
      self->ca_file = g_steal_pointer (&ca_file);
      return TRUE;
    }

  if (!(ca_key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)) ||
      !(server_key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)))
    return FALSE;

  {
    g_autofree char *uuid = g_uuid_string_random ();
    ca_dn = g_strdup_printf ("CN=Certbench Sandbox Local CA %.8s,O=Certbench Sandbox", uuid);
  }
  ca_profile.subject_dn = ca_dn;
  ca_profile.not_before = now - 300;
  ca_profile.not_after = now + 10 * 365 * 86400LL;
  ca_profile.is_ca = TRUE;
  ca_profile.path_len = 0;
  ca_profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;

  ca_pub = cb_key_get_public_key_der (ca_key);
  if (!(ca_der = cb_cert_issue (&ca_profile, ca_pub, ca_key, NULL, error)))
    return FALSE;

  server_profile.subject_dn = "CN=localhost,O=Certbench Sandbox";
  server_profile.not_before = now - 300;
  server_profile.not_after = now + 5 * 365 * 86400LL;
  server_profile.is_ca = FALSE;
  server_profile.path_len = -1;
  server_profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  server_profile.ext_key_usage = server_eku;
  server_profile.san_dns = san_dns;
  server_profile.san_ip = san_ip;

  server_pub = cb_key_get_public_key_der (server_key);
  if (!(server_der = cb_cert_issue (&server_profile, server_pub, ca_key, ca_der, error)))
    return FALSE;

  if (!(ca_cert = cb_certificate_new_from_der (ca_der, error)) ||
      !(server_cert = cb_certificate_new_from_der (server_der, error)))
    return FALSE;

  ca_pem = cb_certificate_to_pem (ca_cert);
  server_pem = cb_certificate_to_pem (server_cert);
  chain_pem = g_strconcat (server_pem, ca_pem, NULL);

  if (!(key_pem = cb_key_to_pem (server_key, error)))
    return FALSE;

  /* The CA key is not kept: nothing else is ever signed with it. */
  if (!cb_write_private_file (key_file, key_pem, -1, error) ||
      !g_file_set_contents (cert_file, chain_pem, -1, error) ||
      !g_file_set_contents (ca_file, ca_pem, -1, error))
    return FALSE;

  memset (key_pem, 0, strlen (key_pem));

  *out_cert_file = g_steal_pointer (&cert_file);
  *out_key_file = g_steal_pointer (&key_file);
  g_free (self->ca_file);
  self->ca_file = g_steal_pointer (&ca_file);

  return TRUE;
}
