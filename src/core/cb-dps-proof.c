/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-proof"

/* The proof-of-possession certificate for a DPS signing CA: see cb-dps-proof.h. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-dps-proof.h"
#include "cb-pki.h"
#include "cb-x509.h"

char *
cb_dps_proof_certificate_new (const char  *ca_pem,
                              const char  *ca_key_pem,
                              const char  *code,
                              GError     **error)
{
  g_autoptr(CbCertificate) ca = NULL;
  g_autoptr(CbKey) ca_key = NULL;
  g_autoptr(CbKey) own_key = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) proof = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *dn = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = { 0 };

  g_return_val_if_fail (ca_pem != NULL && ca_key_pem != NULL, NULL);

  /* The code becomes a DN: letters and digits only, as DPS makes them. */
  for (const char *p = code; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      code = NULL;
  if (code == NULL || *code == '\0')
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   _("The verification code is not one the service hands out"));
      return NULL;
    }

  if (!(ca = cb_certificate_new_from_text (ca_pem)))
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   _("The CA certificate cannot be read"));
      return NULL;
    }
  if (!(ca_key = cb_key_new_from_pem (ca_key_pem, -1, &local)))
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   _("That file is not an unencrypted private key in PEM (%s)."), local->message);
      return NULL;
    }
  if (!(own_key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)))
    return NULL;

  dn = g_strdup_printf ("CN=%s", code);
  profile.subject_dn = dn;
  profile.not_before = now - 3600;
  profile.not_after = now + 86400;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  ca_der = cb_certificate_get_der (ca);
  spki = cb_key_get_public_key_der (own_key);
  if (!(der = cb_cert_issue (&profile, spki, ca_key, ca_der, &local)))
    {
      if (g_error_matches (local, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY))
        g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY,
                     _("That key file holds another key than the CA certificate’s: choose the CA’s own key."));
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (!(proof = cb_certificate_new_from_der (der, error)))
    return NULL;
  return cb_certificate_to_pem (proof);
}
