/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of namespaces/{ns}/registryDevices (2026-11-01): list, get and delete, and
 * at 2026-11-02-preview their authenticationProfiles: list, get, revokeCertificates and
 * getKeys (listKeys, the name the newer example uses, answers the same).
 *
 * A registry device is the stable model's view of the namespace's devices: the rows DPS
 * registration creates (adr_devices, the table the preview's namespaces/{ns}/devices shows
 * too), so the hub's verdict stays one. Its one authentication profile, "default", exists when
 * the device's certificates come from a certificate policy of the stable model:
 * CertificateAuthoritySignedX509Certificate naming that policy. revokeCertificates is the
 * preview's device revoke: a new credential identifier, every leaf on its CA's CRL, live MQTT
 * connections dropped, the hub refuses the old certificates from then on. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-registry-devices.h"

#define TYPE_REGISTRY_DEVICE  "Microsoft.DeviceRegistry/namespaces/registryDevices"
#define TYPE_AUTH_PROFILE     TYPE_REGISTRY_DEVICE "/authenticationProfiles"
#define DEFAULT_PROFILE       "default"

#define OP_RD_READ        "Microsoft.DeviceRegistry/namespaces/registryDevices/read"
#define OP_RD_DELETE      "Microsoft.DeviceRegistry/namespaces/registryDevices/delete"
#define OP_AP_READ        TYPE_AUTH_PROFILE "/read"
#define OP_AP_REVOKE      TYPE_AUTH_PROFILE "/revokeCertificates/action"
#define OP_AP_KEYS        TYPE_AUTH_PROFILE "/getKeys/action"

#define ARM_RD            CB_SB_ARM_NS "/registryDevices/{device}"
#define ARM_AP            ARM_RD "/authenticationProfiles/{profile}"

/* ---- JSON ------------------------------------------------------------------------------- */

static void
copy_member (JsonObject *to,
             JsonObject *from,
             const char *name)
{
  if (from != NULL && json_object_has_member (from, name))
    json_object_set_member (to, name, json_node_copy (json_object_get_member (from, name)));
}

/* The stable certificate policy the device's certificates come from, or NULL. */
static char *
device_certificate_policy (JsonNode *device)
{
  JsonObject *props = cb_sb_json_member_object (json_node_get_object (device), "properties");
  JsonObject *policy = cb_sb_json_member_object (props, "policy");
  const char *id = policy != NULL ? json_object_get_string_member_with_default (policy,
                                                                                "resourceId",
                                                                                NULL) : NULL;

  if (id == NULL || strstr (id, "/certificateAuthorities/") == NULL)
    return NULL;

  return g_strdup (id);
}

/* The preview's device JSON in the stable shape (Get_RegistryDevice.json). */
static JsonNode *
registry_device_from (JsonNode   *device,
                      const char *ns_id)
{
  JsonObject *from = json_node_get_object (device);
  JsonObject *from_props = cb_sb_json_member_object (from, "properties");
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autoptr(JsonObject) props = json_object_new ();
  const char *name = json_object_get_string_member (from, "name");
  const char *etag = json_object_get_string_member_with_default (from, "etag", NULL);
  g_autofree char *id = g_strdup_printf ("%s/registryDevices/%s", ns_id, name);
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (obj, "id", id);
  json_object_set_string_member (obj, "name", name);
  json_object_set_string_member (obj, "type", TYPE_REGISTRY_DEVICE);
  copy_member (obj, from, "location");
  copy_member (obj, from, "tags");
  if (etag != NULL)
    {
      /* ADR's registry devices show the etag bare. */
      g_autofree char *bare = g_strdup (etag[0] == '"' ? etag + 1 : etag);
      gsize len = strlen (bare);

      if (len > 0 && bare[len - 1] == '"')
        bare[len - 1] = '\0';
      json_object_set_string_member (obj, "etag", bare);
    }
  copy_member (obj, from, "systemData");

  copy_member (props, from_props, "uuid");
  if (from_props != NULL && json_object_has_member (from_props, "externalDeviceId"))
    copy_member (props, from_props, "externalDeviceId");
  else
    json_object_set_string_member (props, "externalDeviceId", name);
  json_object_set_string_member (props, "enablementState",
                                 from_props != NULL &&
                                 json_object_get_boolean_member_with_default (from_props,
                                                                              "enabled", TRUE)
                                 ? "Enabled" : "Disabled");
  copy_member (props, from_props, "manufacturer");
  copy_member (props, from_props, "model");
  copy_member (props, from_props, "hardwareRevision");
  copy_member (props, from_props, "softwareRevision");
  copy_member (props, from_props, "provisioningState");
  json_object_set_object_member (obj, "properties", g_steal_pointer (&props));

  json_node_take_object (node, g_steal_pointer (&obj));
  return node;
}

/* CbSbArmToJson: key is the adr_devices id. */
static JsonNode *
registry_device_json (CbSandbox  *self,
                      const char *device_id,
                      const char *api_version)
{
  g_autoptr(JsonNode) device = cb_sb_arm_device_json (self, device_id, api_version);
  g_autofree char *ns_id = cb_sb_namespace_of (device_id);

  return device != NULL ? registry_device_from (device, ns_id) : NULL;
}

/* The device's "default" profile, or NULL when it has none. */
static JsonNode *
profile_json (JsonNode   *device,
              const char *ns_id)
{
  JsonObject *from = json_node_get_object (device);
  g_autofree char *policy = device_certificate_policy (device);
  g_autofree char *id = NULL;
  g_autoptr(JsonBuilder) b = NULL;

  if (policy == NULL)
    return NULL;

  id = g_strdup_printf ("%s/registryDevices/%s/authenticationProfiles/" DEFAULT_PROFILE, ns_id,
                        json_object_get_string_member (from, "name"));
  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "name", DEFAULT_PROFILE);
  cb_sb_json_add_string (b, "type", TYPE_AUTH_PROFILE);
  if (json_object_has_member (from, "systemData"))
    {
      json_builder_set_member_name (b, "systemData");
      json_builder_add_value (b, json_node_copy (json_object_get_member (from, "systemData")));
    }
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "authenticationType", "CertificateAuthoritySignedX509Certificate");
  json_builder_set_member_name (b, "certificateAuthority");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "certificatePolicyResourceId", policy);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

/* ---- Lookups ---------------------------------------------------------------------------- */

static void
reply_device_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/registryDevices/%s", CB_SB_TYPE_NAMESPACE,
                                           cb_sb_param (req, "ns"), cb_sb_param (req, "device"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
reply_profile_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/registryDevices/%s/authenticationProfiles/%s",
                                           CB_SB_TYPE_NAMESPACE, cb_sb_param (req, "ns"),
                                           cb_sb_param (req, "device"),
                                           cb_sb_param (req, "profile"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

/* The device (the preview's JSON) and its id, or NULL after replying. */
static JsonNode *
require_device (CbSbRequest      *req,
                const CbSbArmIds *ids,
                char            **device_id)
{
  g_autofree char *ns_state = NULL;
  g_autofree char *id = cb_sb_device_id (ids->ns_id, cb_sb_param (req, "device"));
  JsonNode *device;

  if ((ns_state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return NULL;

  device = cb_sb_arm_device_json (req->sandbox, id, cb_sb_arm_api_version (req));
  if (device == NULL)
    {
      reply_device_not_found (req);
      return NULL;
    }

  if (device_id != NULL)
    *device_id = g_steal_pointer (&id);
  return device;
}

/* The device's profile named in the path, or NULL after replying. */
static JsonNode *
require_profile (CbSbRequest      *req,
                 const CbSbArmIds *ids,
                 char            **device_id)
{
  g_autoptr(JsonNode) device = require_device (req, ids, device_id);
  JsonNode *profile;

  if (device == NULL)
    return NULL;

  if (g_ascii_strcasecmp (cb_sb_param (req, "profile"), DEFAULT_PROFILE) != 0 ||
      (profile = profile_json (device, ids->ns_id)) == NULL)
    {
      reply_profile_not_found (req);
      return NULL;
    }

  return profile;
}

/* ---- Registry devices ------------------------------------------------------------------- */

static void
registry_devices_list (CbSbRequest      *req,
                       const CbSbArmIds *ids)
{
  g_autofree char *ns_state = NULL;

  if ((ns_state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return;

  cb_sb_arm_reply_list (req,
                        "SELECT id FROM adr_devices WHERE namespace_id = ?1 ORDER BY name "
                        "LIMIT :limit OFFSET :offset",
                        ids->ns_id, NULL, registry_device_json);
}

static void
registry_device_get (CbSbRequest      *req,
                     const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) device = require_device (req, ids, NULL);

  if (device != NULL)
    cb_sb_reply_json (req, SOUP_STATUS_OK, registry_device_from (device, ids->ns_id));
}

static void
registry_device_delete (CbSbRequest      *req,
                        const CbSbArmIds *ids)
{
  g_autofree char *id = cb_sb_device_id (ids->ns_id, cb_sb_param (req, "device"));
  g_autofree char *location = NULL;
  g_autofree char *state = cb_sb_adr_device_state (req->sandbox, id, &location, NULL);

  if (state == NULL)
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  cb_sb_arm_start_delete (req, "device-delete", id, id, location, state, OP_RD_DELETE);
}

/* ---- Authentication profiles ------------------------------------------------------------ */

static void
profiles_list (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) device = require_device (req, ids, NULL);
  g_autoptr(JsonNode) profile = NULL;
  g_autoptr(JsonBuilder) b = NULL;

  if (device == NULL)
    return;

  profile = profile_json (device, ids->ns_id);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  if (profile != NULL)
    json_builder_add_value (b, g_steal_pointer (&profile));
  json_builder_end_array (b);
  json_builder_end_object (b);
  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
profile_get (CbSbRequest      *req,
             const CbSbArmIds *ids)
{
  JsonNode *profile = require_profile (req, ids, NULL);

  if (profile != NULL)
    cb_sb_reply_json (req, SOUP_STATUS_OK, profile);
}

static void
profile_revoke_certificates (CbSbRequest      *req,
                             const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) profile = NULL;
  g_autofree char *id = NULL;
  g_autofree char *location = NULL;
  g_autofree char *state = NULL;

  if (!(profile = require_profile (req, ids, &id)))
    return;

  state = cb_sb_adr_device_state (req->sandbox, id, &location, NULL);
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  /* The profile stays; the certificates go (202 + Location, then 204). */
  cb_sb_arm_start_action (req, "device-revoke", id, id, location, "{\"disable\":false}",
                          CB_SB_FINAL_EMPTY, FALSE, OP_AP_REVOKE);
}

static void
profile_get_keys (CbSbRequest      *req,
                  const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) profile = require_profile (req, ids, NULL);

  if (profile == NULL)
    return;

  cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidAuthenticationType", NULL,
                         "The authentication profile '%s' is of type "
                         "CertificateAuthoritySignedX509Certificate; only a SymmetricKey profile "
                         "has keys.", cb_sb_param (req, "profile"));
}

#define NS CB_SB_ARM_SCOPE_NAMESPACE

CB_SB_ARM_ROUTE (handle_registry_devices_list, NS, OP_RD_READ, CB_SB_PERM_READ,
                 CB_SB_ARM_VERSIONS_STABLE, FALSE, registry_devices_list)
CB_SB_ARM_ROUTE (handle_registry_device_get, NS, OP_RD_READ, CB_SB_PERM_READ,
                 CB_SB_ARM_VERSIONS_STABLE, FALSE, registry_device_get)
CB_SB_ARM_ROUTE (handle_registry_device_delete, NS, OP_RD_DELETE, CB_SB_PERM_WRITE,
                 CB_SB_ARM_VERSIONS_STABLE, TRUE, registry_device_delete)
CB_SB_ARM_ROUTE (handle_profiles_list, NS, OP_AP_READ, CB_SB_PERM_READ,
                 CB_SB_ARM_VERSIONS_STABLE_PREVIEW, FALSE, profiles_list)
CB_SB_ARM_ROUTE (handle_profile_get, NS, OP_AP_READ, CB_SB_PERM_READ,
                 CB_SB_ARM_VERSIONS_STABLE_PREVIEW, FALSE, profile_get)
CB_SB_ARM_ROUTE (handle_profile_revoke_certificates, NS, OP_AP_REVOKE,
                 CB_SB_PERM_WRITE_CREDENTIALS, CB_SB_ARM_VERSIONS_STABLE_PREVIEW, TRUE,
                 profile_revoke_certificates)
CB_SB_ARM_ROUTE (handle_profile_get_keys, NS, OP_AP_KEYS, CB_SB_PERM_WRITE_CREDENTIALS,
                 CB_SB_ARM_VERSIONS_STABLE_PREVIEW, FALSE, profile_get_keys)

void
cb_sb_routes_registry_devices_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", CB_SB_ARM_NS "/registryDevices", CB_SB_STYLE_ARM,
                   handle_registry_devices_list);
  cb_sb_add_route (self, "GET", ARM_RD, CB_SB_STYLE_ARM, handle_registry_device_get);
  cb_sb_add_route (self, "DELETE", ARM_RD, CB_SB_STYLE_ARM, handle_registry_device_delete);
  cb_sb_add_route (self, "GET", ARM_RD "/authenticationProfiles", CB_SB_STYLE_ARM,
                   handle_profiles_list);
  cb_sb_add_route (self, "GET", ARM_AP, CB_SB_STYLE_ARM, handle_profile_get);
  cb_sb_add_route (self, "POST", ARM_AP "/revokeCertificates", CB_SB_STYLE_ARM,
                   handle_profile_revoke_certificates);
  cb_sb_add_route (self, "POST", ARM_AP "/getKeys", CB_SB_STYLE_ARM, handle_profile_get_keys);
  cb_sb_add_route (self, "POST", ARM_AP "/listKeys", CB_SB_STYLE_ARM, handle_profile_get_keys);
}
