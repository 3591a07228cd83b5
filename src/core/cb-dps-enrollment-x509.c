/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-client"

/* The DPS service API's shape of an individual enrollment attested by X.509: a device's
 * certificate goes in as base64 DER; the service shows back what it read of it ("info":
 * subject, thumbprints, validity) rather than the certificate. Both directions live here so the
 * app and the CLI never build or pick apart that JSON themselves. */

#include "config.h"

#include "cb-dps-enrollment-x509.h"
#include "cb-util.h"

JsonObject *
cb_dps_enrollment_new_x509 (const char    *registration_id,
                            CbCertificate *certificate)
{
  g_autoptr(GBytes) der = NULL;
  g_autofree char *der64 = NULL;
  JsonObject *enrollment, *attestation, *x509, *client, *primary;

  g_return_val_if_fail (registration_id != NULL, NULL);
  g_return_val_if_fail (CB_IS_CERTIFICATE (certificate), NULL);

  der = cb_certificate_get_der (certificate);
  primary = json_object_new ();
  der64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  json_object_set_string_member (primary, "certificate", der64);
  client = json_object_new ();
  json_object_set_object_member (client, "primary", primary);
  x509 = json_object_new ();
  json_object_set_object_member (x509, "clientCertificates", client);
  attestation = json_object_new ();
  json_object_set_string_member (attestation, "type", "x509");
  json_object_set_object_member (attestation, "x509", x509);

  enrollment = json_object_new ();
  json_object_set_string_member (enrollment, "registrationId", registration_id);
  json_object_set_string_member (enrollment, "deviceId", registration_id);
  json_object_set_object_member (enrollment, "attestation", attestation);
  json_object_set_string_member (enrollment, "provisioningStatus", "enabled");
  return enrollment;
}

static JsonObject *
object_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
string_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

const char *
cb_dps_enrollment_get_attestation_type (JsonObject *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);

  return string_member (object_member (enrollment, "attestation"), "type");
}

static gint64
time_member (JsonObject *object,
             const char *member)
{
  gint64 t = 0;

  if (!cb_time_parse_iso8601 (string_member (object, member), &t))
    return 0;
  return t;
}

gboolean
cb_dps_enrollment_get_x509_info (JsonObject    *enrollment,
                                 CbDpsX509Info *out)
{
  JsonObject *x509, *info;

  g_return_val_if_fail (enrollment != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  *out = (CbDpsX509Info) { 0 };
  if (g_strcmp0 (cb_dps_enrollment_get_attestation_type (enrollment), "x509") != 0)
    return FALSE;
  x509 = object_member (object_member (enrollment, "attestation"), "x509");
  info = object_member (object_member (object_member (x509, "clientCertificates"), "primary"),
                        "info");
  if (info == NULL)
    return FALSE;

  out->subject = string_member (info, "subjectName");
  out->issuer = string_member (info, "issuerName");
  out->sha1_thumbprint = string_member (info, "sha1Thumbprint");
  out->sha256_thumbprint = string_member (info, "sha256Thumbprint");
  out->not_before = time_member (info, "notBeforeUtc");
  out->not_after = time_member (info, "notAfterUtc");
  return TRUE;
}

GPtrArray *
cb_dps_enrollment_dup_x509_thumbprints (JsonObject *enrollment)
{
  static const char * const slots[] = { "primary", "secondary" };
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  JsonObject *x509, *certificates;

  g_return_val_if_fail (enrollment != NULL, out);

  x509 = object_member (object_member (enrollment, "attestation"), "x509");
  certificates = object_member (x509, "clientCertificates");
  if (certificates == NULL)
    certificates = object_member (x509, "signingCertificates");
  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      const char *sha = string_member (object_member (object_member (certificates, slots[i]),
                                                      "info"),
                                       "sha256Thumbprint");

      if (sha != NULL)
        g_ptr_array_add (out, g_ascii_strup (sha, -1));
    }
  return out;
}

char *
cb_dps_x509_thumbprint (CbCertificate *certificate)
{
  const char *fingerprint;
  GString *s;

  g_return_val_if_fail (CB_IS_CERTIFICATE (certificate), NULL);

  fingerprint = cb_certificate_get_sha256_fingerprint (certificate);
  s = g_string_new (NULL);
  for (const char *p = fingerprint; p != NULL && *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (s, g_ascii_toupper (*p));
  return g_string_free (s, FALSE);
}
