/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-enrollment-group-x509"

/* Enrollment groups attested by X.509 (cb-dps-enrollment-group-x509.h): the body the service
 * API takes, {"attestation": {"type": "x509", "x509": {"caReferences": {"primary": …}}}}, and
 * reading it back. */

#include "config.h"

#include "cb-dps-enrollment-group-x509.h"

JsonObject *
cb_dps_enrollment_new_x509_group (const char *id,
                                  const char *credential_policy,
                                  const char *ca_name,
                                  const char *secondary_ca_name)
{
  JsonObject *enrollment;
  JsonObject *attestation;
  JsonObject *x509;
  JsonObject *references;

  g_return_val_if_fail (id != NULL && ca_name != NULL, NULL);

  references = json_object_new ();
  json_object_set_string_member (references, "primary", ca_name);
  if (secondary_ca_name != NULL)
    json_object_set_string_member (references, "secondary", secondary_ca_name);
  x509 = json_object_new ();
  json_object_set_object_member (x509, "caReferences", references);
  attestation = json_object_new ();
  json_object_set_string_member (attestation, "type", "x509");
  json_object_set_object_member (attestation, "x509", x509);

  enrollment = json_object_new ();
  json_object_set_string_member (enrollment, "enrollmentGroupId", id);
  json_object_set_object_member (enrollment, "attestation", attestation);
  if (credential_policy != NULL)
    json_object_set_string_member (enrollment, "credentialPolicyName", credential_policy);
  json_object_set_string_member (enrollment, "provisioningStatus", "enabled");
  json_object_set_string_member (enrollment, "allocationPolicy", "hashed");
  return enrollment;
}

static JsonObject *
member_object (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
cb_dps_enrollment_is_x509 (JsonObject *enrollment)
{
  JsonObject *attestation = member_object (enrollment, "attestation");

  return attestation != NULL &&
         g_strcmp0 (json_object_get_string_member_with_default (attestation, "type", NULL),
                    "x509") == 0;
}

const char *
cb_dps_enrollment_get_x509_ca_reference (JsonObject *enrollment)
{
  JsonObject *references = member_object (member_object (member_object (enrollment, "attestation"),
                                                         "x509"), "caReferences");

  return references != NULL
         ? json_object_get_string_member_with_default (references, "primary", NULL) : NULL;
}
