/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* X.509 attestation of DPS individual enrollments: taking it from the service API, showing
 * it, and matching the certificate a device presents in its TLS handshake. See
 * cb-sb-dps-x509.h. */

#include "config.h"

#include <string.h>

#include "cb-sb-dps-x509.h"
#include "cb-sb-json.h"
#include "cb-util.h"
#include "cb-x509.h"

static const char * const slots[] = { "primary", "secondary" };

/* A certificate slot's text, PEM or base64 DER, as base64 DER; NULL when it is none. */
static char *
normalize_certificate (const char *text)
{
  g_autoptr(CbCertificate) cert = cb_certificate_new_from_text (text);
  g_autoptr(GBytes) der = NULL;

  if (cert == NULL)
    return NULL;
  der = cb_certificate_get_der (cert);
  return g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
}

JsonObject *
cb_sb_dps_x509_attestation_parse (JsonObject  *attestation,
                                  char       **error_text)
{
  JsonObject *x509 = cb_sb_json_member_object (attestation, "x509");
  JsonObject *client = cb_sb_json_member_object (x509, "clientCertificates");
  g_autoptr(JsonObject) out_client = json_object_new ();
  g_autoptr(JsonObject) out_x509 = json_object_new ();
  JsonObject *out;

  if (x509 == NULL || client == NULL)
    {
      *error_text = g_strdup (cb_sb_json_member_object (x509, "signingCertificates") != NULL ||
                              cb_sb_json_member_object (x509, "caReferences") != NULL
                              ? "An individual enrollment is attested by its device's certificate: "
                                "x509.clientCertificates (signing certificates and CA references "
                                "are for enrollment groups)"
                              : "An x509 attestation needs x509.clientCertificates.primary.certificate");
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      JsonObject *slot = cb_sb_json_member_object (client, slots[i]);
      const char *text = cb_sb_json_member_string (slot, "certificate");
      g_autofree char *der64 = NULL;
      JsonObject *out_slot;

      if (slot == NULL && i > 0)
        continue;
      if (text == NULL)
        {
          *error_text = g_strdup_printf ("x509.clientCertificates.%s.certificate is required",
                                         slots[i]);
          return NULL;
        }
      if (!(der64 = normalize_certificate (text)))
        {
          *error_text = g_strdup_printf ("x509.clientCertificates.%s.certificate is not a "
                                         "certificate (PEM or base64 DER)", slots[i]);
          return NULL;
        }
      out_slot = json_object_new ();
      json_object_set_string_member (out_slot, "certificate", der64);
      json_object_set_object_member (out_client, slots[i], out_slot);
    }

  json_object_set_object_member (out_x509, "clientCertificates", g_steal_pointer (&out_client));
  out = json_object_new ();
  json_object_set_string_member (out, "type", "x509");
  json_object_set_object_member (out, "x509", g_steal_pointer (&out_x509));
  return out;
}

static JsonObject *
x509_attestation (CbSbEnrollment *e)
{
  JsonObject *attestation = e->extra != NULL ? cb_sb_json_member_object (e->extra, "attestation")
                                             : NULL;

  if (g_strcmp0 (cb_sb_json_member_string (attestation, "type"), "x509") != 0)
    return NULL;
  return cb_sb_json_member_object (attestation, "x509");
}

static JsonObject *
client_certificates (CbSbEnrollment *e)
{
  return cb_sb_json_member_object (x509_attestation (e), "clientCertificates");
}

gboolean
cb_sb_dps_x509_is_x509 (CbSbEnrollment *e)
{
  /* An individual enrollment's device certificates, or a group's signing CAs. */
  return x509_attestation (e) != NULL;
}

static CbCertificate *
slot_certificate (JsonObject *client,
                  const char *slot)
{
  return cb_certificate_new_from_text (cb_sb_json_member_string (cb_sb_json_member_object (client, slot),
                                                                 "certificate"));
}

/* "AB:CD:…" as DPS writes thumbprints: "ABCD…". */
static char *
thumbprint (const char *fingerprint)
{
  GString *s = g_string_new (NULL);

  for (const char *p = fingerprint; p != NULL && *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (s, g_ascii_toupper (*p));
  return g_string_free (s, FALSE);
}

void
cb_sb_dps_x509_add_certificate_info (JsonBuilder   *b,
                                     CbCertificate *cert)
{
  g_autofree char *sha1 = thumbprint (cb_certificate_get_sha1_fingerprint (cert));
  g_autofree char *sha256 = thumbprint (cb_certificate_get_sha256_fingerprint (cert));
  g_autofree char *not_before = cb_time_format_fixed (cb_certificate_get_not_before (cert));
  g_autofree char *not_after = cb_time_format_fixed (cb_certificate_get_not_after (cert));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "subjectName");
  json_builder_add_string_value (b, cb_certificate_get_subject (cert));
  json_builder_set_member_name (b, "sha1Thumbprint");
  json_builder_add_string_value (b, sha1);
  json_builder_set_member_name (b, "sha256Thumbprint");
  json_builder_add_string_value (b, sha256);
  json_builder_set_member_name (b, "issuerName");
  json_builder_add_string_value (b, cb_certificate_get_issuer (cert));
  json_builder_set_member_name (b, "notBeforeUtc");
  json_builder_add_string_value (b, not_before);
  json_builder_set_member_name (b, "notAfterUtc");
  json_builder_add_string_value (b, not_after);
  json_builder_set_member_name (b, "serialNumber");
  json_builder_add_string_value (b, cb_certificate_get_serial (cert));
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 3);
  json_builder_end_object (b);
}

/* member: {"primary": {"info": …}, "secondary": …}, what the service read from each
 * certificate of slots (not the certificate). */
static void
add_certificates_info (JsonBuilder *b,
                       const char  *member,
                       JsonObject  *certificates)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      g_autoptr(CbCertificate) cert = slot_certificate (certificates, slots[i]);

      if (cert == NULL)
        continue;
      json_builder_set_member_name (b, slots[i]);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "info");
      cb_sb_dps_x509_add_certificate_info (b, cert);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

void
cb_sb_dps_x509_add_attestation (JsonBuilder    *b,
                                CbSbEnrollment *e)
{
  JsonObject *x509 = x509_attestation (e);
  JsonObject *client = cb_sb_json_member_object (x509, "clientCertificates");
  JsonObject *signing = cb_sb_json_member_object (x509, "signingCertificates");
  JsonObject *references = cb_sb_json_member_object (x509, "caReferences");

  json_builder_set_member_name (b, "attestation");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "x509");
  json_builder_set_member_name (b, "x509");
  json_builder_begin_object (b);
  if (client != NULL)
    add_certificates_info (b, "clientCertificates", client);
  if (signing != NULL)
    add_certificates_info (b, "signingCertificates", signing);
  if (references != NULL)
    {
      /* CA references are names of the DPS instance's certificates, shown as given. */
      json_builder_set_member_name (b, "caReferences");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), references));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

gboolean
cb_sb_dps_x509_matches (CbSbEnrollment *e,
                        CbCertificate  *presented)
{
  JsonObject *client = client_certificates (e);

  for (guint i = 0; client != NULL && i < G_N_ELEMENTS (slots); i++)
    {
      g_autoptr(CbCertificate) enrolled = slot_certificate (client, slots[i]);

      if (enrolled != NULL && cb_certificate_equal (enrolled, presented))
        return TRUE;
    }
  return FALSE;
}
