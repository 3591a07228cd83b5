/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* X.509 enrollment groups: a group's signing CAs as the service API takes them
 * (signingCertificates or caReferences, specification/deviceprovisioningservices/data-plane
 * X509Attestation), and the one lookup both transports make for a device that presents a
 * certificate chain: which enrollment it belongs to. An individual enrollment of the
 * registration id comes first (a disabled one is how Azure revokes one device of a group);
 * else a group one of whose CAs issued the chain: the device's leaf signed by the CA, or by
 * intermediates the device sent in its handshake that lead to it. A CA referenced by name
 * counts only once its possession is proven (cb-sb-routes-dps-certificates.c). See
 * cb-sb-dps-x509.h. */

#include "config.h"

#include "cb-sb-dps-ca-store.h"
#include "cb-sb-dps-x509.h"
#include "cb-sb-json.h"
#include "cb-sb-validate.h"
#include "cb-sb-world.h"
#include "cb-x509.h"

static const char * const slots[] = { "primary", "secondary" };

JsonObject *
cb_sb_dps_x509_group_attestation_parse (JsonObject  *attestation,
                                        char       **error_text)
{
  JsonObject *x509 = cb_sb_json_member_object (attestation, "x509");
  JsonObject *signing = cb_sb_json_member_object (x509, "signingCertificates");
  JsonObject *references = cb_sb_json_member_object (x509, "caReferences");
  g_autoptr(JsonObject) out_x509 = json_object_new ();
  g_autoptr(JsonObject) out_slots = json_object_new ();
  JsonObject *out;

  if (x509 == NULL || (signing == NULL) == (references == NULL))
    {
      *error_text = g_strdup (cb_sb_json_member_object (x509, "clientCertificates") != NULL
                              ? "An enrollment group is attested by its signing CAs: "
                                "x509.signingCertificates or x509.caReferences (client "
                                "certificates are for individual enrollments)"
                              : "An enrollment group's x509 attestation needs either "
                                "x509.signingCertificates.primary.certificate or "
                                "x509.caReferences.primary (one of the two)");
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      if (signing != NULL)
        {
          JsonObject *slot = cb_sb_json_member_object (signing, slots[i]);
          g_autoptr(CbCertificate) cert = NULL;
          g_autoptr(GBytes) der = NULL;
          g_autofree char *der64 = NULL;
          JsonObject *out_slot;

          if (slot == NULL && i > 0)
            continue;
          cert = cb_certificate_new_from_text (cb_sb_json_member_string (slot, "certificate"));
          if (cert == NULL)
            {
              *error_text = g_strdup_printf ("x509.signingCertificates.%s.certificate must be a "
                                             "certificate (PEM or base64 DER)", slots[i]);
              return NULL;
            }
          der = cb_certificate_get_der (cert);
          der64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
          out_slot = json_object_new ();
          json_object_set_string_member (out_slot, "certificate", der64);
          json_object_set_object_member (out_slots, slots[i], out_slot);
        }
      else
        {
          const char *name = cb_sb_json_member_string (references, slots[i]);

          if (name == NULL && i > 0 && !cb_sb_json_member_not_string (references, slots[i]))
            continue;
          if (name == NULL || *name == '\0')
            {
              *error_text = g_strdup_printf ("x509.caReferences.%s must be the name of a "
                                             "certificate of the provisioning service", slots[i]);
              return NULL;
            }
          json_object_set_string_member (out_slots, slots[i], name);
        }
    }

  json_object_set_object_member (out_x509, signing != NULL ? "signingCertificates" : "caReferences",
                                 g_steal_pointer (&out_slots));
  out = json_object_new ();
  json_object_set_string_member (out, "type", "x509");
  json_object_set_object_member (out, "x509", g_steal_pointer (&out_x509));
  return out;
}

static JsonObject *
group_x509 (CbSbEnrollment *group)
{
  JsonObject *attestation = group->extra != NULL
                            ? cb_sb_json_member_object (group->extra, "attestation") : NULL;

  if (g_strcmp0 (cb_sb_json_member_string (attestation, "type"), "x509") != 0)
    return NULL;
  return cb_sb_json_member_object (attestation, "x509");
}

GPtrArray *
cb_sb_dps_x509_group_ca_references (CbSbEnrollment *group)
{
  JsonObject *references = cb_sb_json_member_object (group_x509 (group), "caReferences");
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; references != NULL && i < G_N_ELEMENTS (slots); i++)
    {
      const char *name = cb_sb_json_member_string (references, slots[i]);

      if (name != NULL)
        g_ptr_array_add (names, (gpointer) name);
    }
  return names;
}

GPtrArray *
cb_sb_dps_x509_chain_from_tls (GTlsCertificate *peer)
{
  GPtrArray *chain = g_ptr_array_new_with_free_func (g_object_unref);

  /* glib-networking links the certificates the peer sent, leaf first, through "issuer". */
  for (GTlsCertificate *c = peer; c != NULL && chain->len < 8; c = g_tls_certificate_get_issuer (c))
    {
      g_autoptr(GByteArray) raw = NULL;
      g_autoptr(GBytes) der = NULL;
      CbCertificate *cert;

      g_object_get (c, "certificate", &raw, NULL);
      if (raw == NULL)
        break;
      der = g_bytes_new (raw->data, raw->len);
      if (!(cert = cb_certificate_new_from_der (der, NULL)))
        break;
      g_ptr_array_add (chain, cert);
    }
  return chain;
}

/* Whether ca issued the chain: some certificate of it is signed by ca, and every one below it
 * by the next, each valid now. */
static gboolean
chain_leads_to (GPtrArray     *chain,
                CbCertificate *ca,
                gint64         now)
{
  for (guint i = 0; i < chain->len; i++)
    {
      CbCertificate *c = g_ptr_array_index (chain, i);

      if (cb_certificate_get_not_before (c) > now || cb_certificate_get_not_after (c) < now)
        return FALSE;
      if (cb_certificate_is_issued_by (c, ca))
        return TRUE;
      if (i + 1 >= chain->len ||
          !cb_certificate_is_issued_by (c, g_ptr_array_index (chain, i + 1)))
        return FALSE;
    }
  return FALSE;
}

/* What a group's CAs say of chain: the one of them that issued it and counts (transfer full);
 * else NULL, and why not appended to problems. */
static CbCertificate *
group_issuer (CbSandbox       *self,
              CbSbDpsInstance *dps,
              CbSbEnrollment  *group,
              GPtrArray       *chain,
              GString         *problems)
{
  JsonObject *x509 = group_x509 (group);
  JsonObject *signing = cb_sb_json_member_object (x509, "signingCertificates");
  g_autoptr(GPtrArray) references = cb_sb_dps_x509_group_ca_references (group);
  gint64 now = cb_sb_session_now (self);

  for (guint i = 0; signing != NULL && i < G_N_ELEMENTS (slots); i++)
    {
      g_autoptr(CbCertificate) ca = cb_certificate_new_from_text (
        cb_sb_json_member_string (cb_sb_json_member_object (signing, slots[i]), "certificate"));

      if (ca != NULL && chain_leads_to (chain, ca, now))
        return g_steal_pointer (&ca);
    }

  for (guint i = 0; i < references->len; i++)
    {
      const char *name = g_ptr_array_index (references, i);
      g_autoptr(CbSbDpsCaCert) stored = cb_sb_dps_ca_cert_load (self, dps->name, name);
      g_autoptr(CbCertificate) ca = cb_sb_dps_ca_cert_parse (stored);

      if (stored == NULL)
        g_string_append_printf (problems, "; the enrollment group '%s' names the CA certificate "
                                "'%s', which is not in the provisioning service (deleted?)",
                                group->id, name);
      else if (ca != NULL && chain_leads_to (chain, ca, now))
        {
          if (stored->verified)
            return g_steal_pointer (&ca);
          g_string_append_printf (problems, "; the CA certificate '%s' of the enrollment group "
                                  "'%s' issued it but is not verified (prove possession of its "
                                  "key: generateVerificationCode, then verify)", name, group->id);
        }
    }
  return NULL;
}

static gboolean
group_issued (CbSandbox       *self,
              CbSbDpsInstance *dps,
              CbSbEnrollment  *group,
              GPtrArray       *chain,
              GString         *problems)
{
  g_autoptr(CbCertificate) ca = group_issuer (self, dps, group, chain, problems);

  return ca != NULL;
}

CbSbEnrollment *
cb_sb_dps_x509_find_enrollment (CbSandbox       *self,
                                CbSbDpsInstance *dps,
                                const char      *registration_id,
                                GPtrArray       *chain,
                                char           **reason)
{
  g_autoptr(CbSbEnrollment) individual = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GString) ignored = g_string_new (NULL);
  CbSbEnrollment *found = NULL;

  if (chain->len == 0)
    {
      *reason = g_strdup ("the TLS client certificate cannot be read");
      return NULL;
    }

  /* An individual enrollment takes precedence over any group: a disabled one refuses its
   * device whatever group it is in. */
  individual = cb_sb_enrollment_load (self, dps->name, FALSE, registration_id);
  if (individual != NULL)
    {
      if (!cb_sb_dps_x509_is_x509 (individual))
        *reason = g_strdup ("the individual enrollment of this registration id is not attested "
                            "by X.509");
      else if (!cb_sb_dps_x509_matches (individual, g_ptr_array_index (chain, 0)))
        *reason = g_strdup ("the certificate is not the enrollment's primary or secondary "
                            "certificate");
      else
        return g_steal_pointer (&individual);
      return NULL;
    }

  groups = cb_sb_enrollment_list (self, dps->name, TRUE);
  for (int pass = 0; pass < 2 && found == NULL; pass++)
    for (guint i = 0; i < groups->len && found == NULL; i++)
      {
        CbSbEnrollment *group = g_ptr_array_index (groups, i);
        gboolean enabled = g_strcmp0 (group->provisioning_status, "enabled") == 0;

        if (enabled != (pass == 0) || group_x509 (group) == NULL)
          continue;
        /* The second pass only finds disabled groups, which the registration reports. */
        if (group_issued (self, dps, group, chain, pass == 0 ? problems : ignored))
          found = g_ptr_array_steal_index (groups, i);
      }

  if (found == NULL)
    *reason = g_strdup_printf ("no X.509 enrollment matches: no individual enrollment has this "
                               "registration id and no enrollment group's verified signing CA "
                               "issued the certificate%s", problems->str);
  return found;
}

char *
cb_sb_dps_x509_registration_info (CbSandbox       *self,
                                  CbSbDpsInstance *dps,
                                  CbSbEnrollment  *enrollment,
                                  GTlsCertificate *peer)
{
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(CbCertificate) signing = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (peer == NULL)
    return NULL;
  chain = cb_sb_dps_x509_chain_from_tls (peer);
  if (chain->len == 0)
    return NULL;

  /* The CA that counted when the device was let in: the same lookup, asked again. */
  if (enrollment->is_group)
    {
      g_autoptr(GString) ignored = g_string_new (NULL);

      signing = group_issuer (self, dps, enrollment, chain, ignored);
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "certificateInfo");
  cb_sb_dps_x509_add_certificate_info (b, g_ptr_array_index (chain, 0));
  if (signing != NULL)
    {
      json_builder_set_member_name (b, "signingCertificateInfo");
      cb_sb_dps_x509_add_certificate_info (b, signing);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}
