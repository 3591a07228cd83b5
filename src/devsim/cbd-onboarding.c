/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-onboarding"

/* The device's factory onboarding identity: an X.509 certificate (CN = its registration id)
 * and key it presents to DPS in the TLS handshake instead of a SAS, as devices with factory
 * certificates or secure elements do. Given as files, or minted once by a test factory CA
 * (the device makes its own key, the CA signs it) and kept in the device's storage. Also
 * writes such a test factory CA, so docs and tests need no hand-written openssl. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cb-pki.h"
#include "cb-x509.h"
#include "cbd-onboarding.h"

#define BLOB_KEY   "onboarding-key"
#define BLOB_CERT  "onboarding-cert"
#define TWENTY_YEARS ((gint64) 20 * 365 * 86400)

struct _CbdOnboarding
{
  GTlsCertificate *tls;
  CbCertificate   *leaf;
};

void
cbd_onboarding_free (CbdOnboarding *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->tls);
  g_clear_object (&self->leaf);
  g_free (self);
}

/* The identity from PEM text: the chain and the key, checked to belong together. Wipes
 * key_pem's copy it made. */
static CbdOnboarding *
onboarding_new (const char  *cert_pem,
                const char  *key_pem,
                GError     **error)
{
  g_autoptr(CbdOnboarding) self = g_new0 (CbdOnboarding, 1);
  g_autofree char *both = g_strconcat (cert_pem, "\n", key_pem, NULL);

  self->leaf = cb_certificate_new_from_text (cert_pem);
  if (self->leaf == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The onboarding certificate is not a PEM certificate");
      return NULL;
    }
  self->tls = g_tls_certificate_new_from_pem (both, -1, error);
  memset (both, 0, strlen (both));
  if (self->tls == NULL)
    {
      g_prefix_error (error, "The onboarding certificate and key do not make an identity: ");
      return NULL;
    }
  if (cb_certificate_get_common_name (self->leaf) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The onboarding certificate has no common name: DPS takes it as the "
                   "registration id");
      return NULL;
    }
  return g_steal_pointer (&self);
}

CbdOnboarding *
cbd_onboarding_load_files (const char  *cert_file,
                           const char  *key_file,
                           GError     **error)
{
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  gsize key_len = 0;
  CbdOnboarding *self;

  if (!g_file_get_contents (cert_file, &cert_pem, NULL, error) ||
      !g_file_get_contents (key_file, &key_pem, &key_len, error))
    return NULL;
  self = onboarding_new (cert_pem, key_pem, error);
  memset (key_pem, 0, key_len);
  if (self == NULL)
    g_prefix_error (error, "%s, %s: ", cert_file, key_file);
  return self;
}

/* The identity kept in storage, when it is still for registration_id, issued by the CA named
 * issuer and valid now; NULL otherwise. */
static CbdOnboarding *
load_kept (CbdStorage *storage,
           const char *registration_id,
           const char *issuer)
{
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  uint8_t *data = NULL;
  size_t len = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbdOnboarding *self;

  if (cbd_storage_load (storage, BLOB_CERT, &data, &len) != 0)
    return NULL;
  cert_pem = g_strndup ((const char *) data, len);
  free (data);
  if (cbd_storage_load (storage, BLOB_KEY, &data, &len) != 0)
    return NULL;
  key_pem = g_strndup ((const char *) data, len);
  memset (data, 0, len);
  free (data);

  self = onboarding_new (cert_pem, key_pem, NULL);
  memset (key_pem, 0, strlen (key_pem));
  if (self != NULL &&
      (g_strcmp0 (cb_certificate_get_common_name (self->leaf), registration_id) != 0 ||
       g_strcmp0 (cb_certificate_get_issuer (self->leaf), issuer) != 0 ||
       cb_certificate_get_not_after (self->leaf) < now))
    g_clear_pointer (&self, cbd_onboarding_free);
  return self;
}

CbdOnboarding *
cbd_onboarding_mint (CbdStorage  *storage,
                     const char  *registration_id,
                     const char  *ca_cert_file,
                     const char  *ca_key_file,
                     GError     **error)
{
  static const char * const client_auth[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  g_autofree char *ca_pem = NULL;
  g_autofree char *ca_key_pem = NULL;
  g_autoptr(CbCertificate) ca = NULL;
  g_autoptr(CbKey) ca_key = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) leaf = NULL;
  g_autofree char *dn = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  gsize ca_key_len = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = { 0 };
  CbdOnboarding *self;

  if (!g_file_get_contents (ca_cert_file, &ca_pem, NULL, error) ||
      !g_file_get_contents (ca_key_file, &ca_key_pem, &ca_key_len, error))
    return NULL;
  ca = cb_certificate_new_from_text (ca_pem);
  ca_key = cb_key_new_from_pem (ca_key_pem, -1, error);
  memset (ca_key_pem, 0, ca_key_len);
  if (ca == NULL)
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is not a PEM certificate", ca_cert_file);
      return NULL;
    }
  if (ca_key == NULL)
    {
      g_prefix_error (error, "%s: ", ca_key_file);
      return NULL;
    }

  self = load_kept (storage, registration_id, cb_certificate_get_subject (ca));
  if (self != NULL)
    return self;

  if (!(key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)))
    return NULL;
  dn = g_strdup_printf ("CN=%s,O=Certbench test factory", registration_id);
  profile.subject_dn = dn;
  profile.not_before = now - 3600;
  profile.not_after = now + TWENTY_YEARS;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  profile.ext_key_usage = client_auth;
  spki = cb_key_get_public_key_der (key);
  ca_der = cb_certificate_get_der (ca);
  if (!(der = cb_cert_issue (&profile, spki, ca_key, ca_der, error)))
    {
      g_prefix_error (error, "The factory CA cannot sign: ");
      return NULL;
    }
  leaf = cb_certificate_new_from_der (der, error);
  if (leaf == NULL || !(key_pem = cb_key_to_pem (key, error)))
    return NULL;
  cert_pem = cb_certificate_to_pem (leaf);

  if (cbd_storage_save (storage, BLOB_KEY, (const uint8_t *) key_pem, strlen (key_pem)) != 0 ||
      cbd_storage_save (storage, BLOB_CERT, (const uint8_t *) cert_pem, strlen (cert_pem)) != 0)
    {
      memset (key_pem, 0, strlen (key_pem));
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot keep the onboarding identity in %s", storage->dir);
      return NULL;
    }
  self = onboarding_new (cert_pem, key_pem, error);
  memset (key_pem, 0, strlen (key_pem));
  return self;
}

CbdOnboarding *
cbd_onboarding_new_for_options (CbdStorage       *storage,
                                const CbdOptions *options,
                                GError          **error)
{
  const char *id = options->onboarding_id != NULL ? options->onboarding_id : options->serial;

  if (options->onboarding_cert != NULL)
    return cbd_onboarding_load_files (options->onboarding_cert, options->onboarding_key, error);
  if (id == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A factory CA signs the device's registration id: give --onboarding-id or "
                   "--serial");
      return NULL;
    }
  return cbd_onboarding_mint (storage, id, options->factory_ca, options->factory_ca_key, error);
}

int
cbd_onboarding_print (const CbdOptions *options)
{
  CbdStorage storage = { 0 };
  g_autoptr(CbdOnboarding) self = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;

  if (!cbd_storage_init (&storage, options->state_dir, &error) ||
      !(self = cbd_onboarding_new_for_options (&storage, options, &error)))
    {
      g_printerr ("certbench-devsim: %s\n", error->message);
      cbd_storage_clear (&storage);
      return 1;
    }
  cbd_storage_clear (&storage);
  pem = cbd_onboarding_dup_pem (self);
  g_print ("%s", pem);
  return 0;
}

GTlsCertificate *
cbd_onboarding_get_certificate (CbdOnboarding *self)
{
  return self->tls;
}

const char *
cbd_onboarding_get_common_name (CbdOnboarding *self)
{
  return cb_certificate_get_common_name (self->leaf);
}

char *
cbd_onboarding_dup_pem (CbdOnboarding *self)
{
  return cb_certificate_to_pem (self->leaf);
}

const char *
cbd_onboarding_get_fingerprint (CbdOnboarding *self)
{
  return cb_certificate_get_sha256_fingerprint (self->leaf);
}

gboolean
cbd_onboarding_write_factory_ca (const char  *cert_file,
                                 const char  *key_file,
                                 const char  *common_name,
                                 GError     **error)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *dn = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = { 0 };
  gboolean ok;

  for (const char *f = cert_file; f != NULL; f = f == cert_file ? key_file : NULL)
    if (g_file_test (f, G_FILE_TEST_EXISTS))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                     "%s exists: the factory CA is not written over it", f);
        return FALSE;
      }

  if (!(key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)))
    return FALSE;
  dn = g_strdup_printf ("CN=%s,O=Certbench test factory",
                        common_name != NULL ? common_name : "Certbench test factory CA");
  profile.subject_dn = dn;
  profile.not_before = now - 3600;
  profile.not_after = now + TWENTY_YEARS;
  profile.is_ca = TRUE;
  profile.path_len = 0;
  profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;
  spki = cb_key_get_public_key_der (key);
  if (!(der = cb_cert_issue (&profile, spki, key, NULL, error)) ||
      !(cert = cb_certificate_new_from_der (der, error)) ||
      !(key_pem = cb_key_to_pem (key, error)))
    return FALSE;
  cert_pem = cb_certificate_to_pem (cert);

  ok = g_file_set_contents_full (key_file, key_pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 error) &&
       g_file_set_contents_full (cert_file, cert_pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 error);
  memset (key_pem, 0, strlen (key_pem));
  return ok;
}
