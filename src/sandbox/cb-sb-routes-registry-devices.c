/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of namespaces/{ns}/registryDevices (2026-11-01): list, get, createOrReplace,
 * update (PATCH) and delete, and at 2026-11-02-preview their authenticationProfiles: list, get,
 * revokeCertificates and getKeys (listKeys, the name the newer example uses, answers the
 * same).
 *
 * A registry device is the stable model's view of the namespace's devices: the rows DPS
 * registration creates (adr_devices, the table the preview's namespaces/{ns}/devices shows
 * too), so the hub's verdict stays one. Its one authentication profile, "default", is
 * CertificateAuthoritySignedX509Certificate naming the policy when the device's certificates
 * come from a certificate policy of the stable model, and SymmetricKey when the device was
 * created through ARM (its keys generated then, returned only by getKeys/listKeys).
 * revokeCertificates is the preview's device revoke: a new credential identifier, every leaf on
 * its CA's CRL, live MQTT connections dropped, the hub refuses the old certificates from then
 * on. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-device-keys.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-registry-device.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-arm-write.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-registry-devices.h"

#define TYPE_AUTH_PROFILE     CB_SB_TYPE_REGISTRY_DEVICE "/authenticationProfiles"
#define DEFAULT_PROFILE       "default"
#define AUTH_CA               "CertificateAuthoritySignedX509Certificate"
#define AUTH_SYMMETRIC_KEY    "SymmetricKey"

#define OP_RD_READ        "Microsoft.DeviceRegistry/namespaces/registryDevices/read"
#define OP_RD_WRITE       "Microsoft.DeviceRegistry/namespaces/registryDevices/write"
#define OP_RD_DELETE      "Microsoft.DeviceRegistry/namespaces/registryDevices/delete"
#define OP_AP_READ        TYPE_AUTH_PROFILE "/read"
#define OP_AP_REVOKE      TYPE_AUTH_PROFILE "/revokeCertificates/action"
#define OP_AP_KEYS        TYPE_AUTH_PROFILE "/getKeys/action"

#define ARM_RD            CB_SB_ARM_NS "/registryDevices/{device}"
#define ARM_AP            ARM_RD "/authenticationProfiles/{profile}"

/* ---- JSON ------------------------------------------------------------------------------- */

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

static const char *
device_uuid (JsonNode *device)
{
  JsonObject *props = cb_sb_json_member_object (json_node_get_object (device), "properties");

  return props != NULL ? json_object_get_string_member_with_default (props, "uuid", NULL)
                       : NULL;
}

/* The device's "default" profile, or NULL when it has none. */
static JsonNode *
profile_json (CbSandbox  *self,
              JsonNode   *device,
              const char *ns_id)
{
  JsonObject *from = json_node_get_object (device);
  g_autofree char *policy = device_certificate_policy (device);
  g_autofree char *id = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  const char *uuid = device_uuid (device);

  if (policy == NULL &&
      (uuid == NULL || !cb_sb_adr_device_keys (self, uuid, NULL, NULL)))
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
  if (policy != NULL)
    {
      cb_sb_json_add_string (b, "authenticationType", AUTH_CA);
      json_builder_set_member_name (b, "certificateAuthority");
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "certificatePolicyResourceId", policy);
      json_builder_end_object (b);
    }
  else
    {
      /* The keys are never part of the resource (getKeys returns them), so an empty object,
       * as Get_RegistryDeviceAuthenticationProfile_SymmetricKey.json shows it */
      cb_sb_json_add_string (b, "authenticationType", AUTH_SYMMETRIC_KEY);
      json_builder_set_member_name (b, "symmetricKey");
      json_builder_begin_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static const char *
profile_type (JsonNode *profile)
{
  JsonObject *props = cb_sb_json_member_object (json_node_get_object (profile), "properties");

  return json_object_get_string_member (props, "authenticationType");
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

/* The device's profile named in the path, or NULL after replying; uuid (may be NULL): the
 * device's. */
static JsonNode *
require_profile (CbSbRequest      *req,
                 const CbSbArmIds *ids,
                 char            **device_id,
                 char            **uuid)
{
  g_autoptr(JsonNode) device = require_device (req, ids, device_id);
  JsonNode *profile;

  if (device == NULL)
    return NULL;
  if (uuid != NULL)
    *uuid = g_strdup (device_uuid (device));

  if (g_ascii_strcasecmp (cb_sb_param (req, "profile"), DEFAULT_PROFILE) != 0 ||
      (profile = profile_json (req->sandbox, device, ids->ns_id)) == NULL)
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
  cb_sb_arm_reply_namespace_list (req, ids->ns_id,
                                  "SELECT id, name FROM adr_devices WHERE namespace_id = ?1 "
                                  "AND name > :k1 ORDER BY name LIMIT :limit",
                                  cb_sb_arm_registry_device_json);
}

static void
registry_device_get (CbSbRequest      *req,
                     const CbSbArmIds *ids)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) device = require_device (req, ids, &id);

  if (device != NULL)
    cb_sb_reply_json (req, SOUP_STATUS_OK,
                      cb_sb_arm_registry_device_json (req->sandbox, id, cb_sb_arm_api_version (req)));
}

/* The string properties a registry device keeps (RegistryDevicePropertiesBase). */
static const char * const string_props[] = {
  "externalDeviceId", "manufacturer", "model", "hardwareRevision", "softwareRevision",
};

/* enablementState, when props has one: 1 Enabled, 0 Disabled, -1 absent (and allowed), or -2
 * after replying 400. */
static int
read_enablement (CbSbRequest *req,
                 JsonObject  *props,
                 gboolean     required)
{
  const char *state = json_object_get_string_member_with_default (props, "enablementState", NULL);

  if (state == NULL && !required && !json_object_has_member (props, "enablementState"))
    return -1;
  if (g_strcmp0 (state, "Enabled") != 0 && g_strcmp0 (state, "Disabled") != 0)
    {
      cb_sb_arm_reply_invalid_content (req, "properties.enablementState",
                                       "properties.enablementState must be 'Enabled' or "
                                       "'Disabled'");
      return -2;
    }

  return g_str_equal (state, "Enabled") ? 1 : 0;
}

/* The string properties of props into out (null ones left out); FALSE after replying 400. */
static gboolean
read_string_props (CbSbRequest *req,
                   JsonObject  *props,
                   JsonObject  *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (string_props); i++)
    {
      JsonNode *value = json_object_get_member (props, string_props[i]);

      if (value == NULL || JSON_NODE_HOLDS_NULL (value))
        continue;
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_autofree char *target = g_strdup_printf ("properties.%s", string_props[i]);
          g_autofree char *message = g_strdup_printf ("%s must be a string", target);

          cb_sb_arm_reply_invalid_content (req, target, message);
          return FALSE;
        }
      json_object_set_string_member (out, string_props[i], json_node_get_string (value));
    }

  return TRUE;
}

/* Checks a PUT body's properties: enablementState (required) and the string properties.
 * Returns the device row's props JSON text and enabled, or replies 400 and returns NULL. */
static char *
read_registry_properties (CbSbRequest *req,
                          JsonObject  *body,
                          const char  *name,
                          gboolean    *enabled)
{
  JsonObject *props = cb_sb_json_member_object (body, "properties");
  g_autoptr(JsonObject) out = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  int state;

  if (props == NULL)
    {
      cb_sb_arm_reply_invalid_content (req, "properties", "properties is required, with "
                                       "enablementState");
      return NULL;
    }

  if ((state = read_enablement (req, props, TRUE)) < 0 || !read_string_props (req, props, out))
    return NULL;
  *enabled = state == 1;
  if (!json_object_has_member (out, "externalDeviceId"))
    json_object_set_string_member (out, "externalDeviceId", name);

  json_node_set_object (node, out);
  return json_to_string (node, FALSE);
}

/* enablementState through the preview's device rule, which also enables or disables the
 * device in every hub linked to the namespace (ADR is the source of truth). */
static gboolean
set_enabled (CbSandbox  *self,
             const char *id,
             gboolean    changed,
             gboolean    enabled,
             GError    **error)
{
  g_autoptr(JsonObject) properties = NULL;

  if (!changed)
    return TRUE;

  properties = json_object_new ();
  json_object_set_boolean_member (properties, "enabled", enabled);
  return cb_sb_adr_apply_device_properties (self, id, properties, FALSE, error);
}

/* A device created through ARM authenticates with symmetric keys unless a certificate policy
 * is named for it later (DPS): its "default" profile is SymmetricKey, the keys made now. */
static gboolean
generate_keys (CbSandbox  *self,
               const char *id,
               GError    **error)
{
  g_autoptr(JsonNode) device = cb_sb_arm_device_json (self, id, CB_SB_ARM_API_VERSION_STABLE);
  const char *uuid = device != NULL ? device_uuid (device) : NULL;

  if (uuid == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The device %s has no uuid", id);
      return FALSE;
    }

  return cb_sb_adr_device_keys_generate (self, uuid, error);
}

/* createOrReplace: 201 + Azure-AsyncOperation for a new device, 200 for an existing one. The
 * device is the same row DPS makes; its policy stays. */
static void
registry_device_put (CbSbRequest      *req,
                     const CbSbArmIds *ids)
{
  CbSandbox *self = req->sandbox;
  const char *name = cb_sb_param (req, "device");
  g_autofree char *id = cb_sb_device_id (ids->ns_id, name);
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *current_location = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *props = NULL;
  g_autofree char *etag = cb_sb_adr_new_etag ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  gboolean enabled = TRUE;
  gboolean was_enabled = TRUE;
  const char *location;
  JsonObject *obj;

  if ((ns_state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL ||
      cb_sb_arm_reply_if_deleting (req, ns_state))
    return;

  if (!cb_sb_arm_require_child_name (req, name, "registry device"))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !cb_sb_arm_require_location (req, obj, &location) ||
      !cb_sb_arm_get_tags (req, obj, &tags) ||
      !(props = read_registry_properties (req, obj, name, &enabled)))
    return;

  state = cb_sb_adr_device_state (self, id, &current_location, NULL);
  if (state != NULL)
    {
      if (cb_sb_arm_reply_if_deleting (req, state) ||
          !cb_sb_arm_check_location_unchanged (req, name, current_location, location))
        return;
      cb_sb_adr_device_row (self, id, NULL, NULL, &was_enabled, NULL);
    }
  else if (!cb_sb_adr_insert_device (self, id, ids->ns_id, name, location, tags, NULL, NULL, 0,
                                     "Accepted", cb_sb_actor (req->principal), &error))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError", NULL,
                             "%s", error->message);
      return;
    }

  if (!cb_sb_adr_set_device_properties (self, id, props, etag, -1, FALSE, NULL, 0, &error) ||
      !set_enabled (self, id, state == NULL || enabled != was_enabled, enabled, &error))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError", NULL,
                             "%s", error->message);
      return;
    }

  if (state == NULL && !generate_keys (self, id, &error))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError", NULL,
                             "%s", error->message);
      return;
    }

  if (state == NULL)
    {
      cb_sb_arm_reply_created (req, location, "device-create", id, id, NULL, OP_RD_WRITE,
                               cb_sb_arm_registry_device_json (self, id, cb_sb_arm_api_version (req)));
      return;
    }

  cb_sb_adr_set_tags (self, "adr_devices", "id", id, tags);
  cb_sb_adr_set_modified (self, "adr_devices", "id", id, req->principal);
  cb_sb_reply_json (req, SOUP_STATUS_OK,
                    cb_sb_arm_registry_device_json (self, id, cb_sb_arm_api_version (req)));
}

/* update (PATCH): tags and any of the properties but externalDeviceId, which is set at
 * creation (the spec's visibility); 202 + Location, then the device. */
static void
registry_device_patch (CbSbRequest      *req,
                       const CbSbArmIds *ids)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) device = require_device (req, ids, &id);
  g_autofree char *location = NULL;
  g_autofree char *state = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *args = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(JsonObject) out = json_object_new ();
  JsonObject *obj;
  JsonObject *props;
  int enabled;

  if (device == NULL)
    return;
  state = cb_sb_adr_device_state (req->sandbox, id, &location, NULL);
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !cb_sb_arm_get_tags (req, obj, &tags))
    return;

  if (json_object_has_member (obj, "properties") &&
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "properties")))
    {
      cb_sb_arm_reply_invalid_content (req, "properties", "properties must be an object");
      return;
    }
  if ((props = cb_sb_json_member_object (obj, "properties")) != NULL)
    {
      if (json_object_has_member (props, "externalDeviceId"))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed",
                                 "properties.externalDeviceId",
                                 "properties.externalDeviceId is set when the device is "
                                 "created and cannot be changed.");
          return;
        }
      if ((enabled = read_enablement (req, props, FALSE)) == -2 ||
          !read_string_props (req, props, changes))
        return;
      if (enabled >= 0)
        json_object_set_string_member (changes, "enablementState",
                                       enabled == 1 ? "Enabled" : "Disabled");
      json_object_set_object_member (out, "properties", g_steal_pointer (&changes));
    }
  if (tags != NULL)
    json_object_set_member (out, "tags", json_from_string (tags, NULL));

  {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

    json_node_set_object (node, out);
    args = json_to_string (node, FALSE);
  }
  cb_sb_arm_start_patch (req, "registry-device-update", id, id, location, state, args,
                         OP_RD_WRITE);
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

  profile = profile_json (req->sandbox, device, ids->ns_id);
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
  JsonNode *profile = require_profile (req, ids, NULL, NULL);

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

  if (!(profile = require_profile (req, ids, &id, NULL)))
    return;

  /* Only Microsoft-managed certificates can be revoked [INF: the spec says what it applies to,
   * not what other types get; the answer getKeys gives for the wrong type] */
  if (g_strcmp0 (profile_type (profile), AUTH_CA) != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidAuthenticationType", NULL,
                             "The authentication profile '%s' is of type %s; only a "
                             AUTH_CA " profile has certificates to revoke.",
                             cb_sb_param (req, "profile"), profile_type (profile));
      return;
    }

  state = cb_sb_adr_device_state (req->sandbox, id, &location, NULL);
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  /* The profile stays; the certificates go (202 + Location, then 204). */
  cb_sb_arm_start_action (req, "device-revoke", id, id, location, "{\"disable\":false}",
                          CB_SB_FINAL_EMPTY, FALSE, OP_AP_REVOKE);
}

/* getKeys (listKeys): the plaintext keys of a SymmetricKey profile; any other type 400
 * InvalidAuthenticationType, as the spec says. */
static void
profile_get_keys (CbSbRequest      *req,
                  const CbSbArmIds *ids)
{
  g_autofree char *uuid = NULL;
  g_autoptr(JsonNode) profile = require_profile (req, ids, NULL, &uuid);
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  g_autoptr(JsonBuilder) b = NULL;

  if (profile == NULL)
    return;

  if (g_strcmp0 (profile_type (profile), AUTH_SYMMETRIC_KEY) != 0 ||
      !cb_sb_adr_device_keys (req->sandbox, uuid, &primary, &secondary))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidAuthenticationType", NULL,
                             "The authentication profile '%s' is of type %s; only a "
                             AUTH_SYMMETRIC_KEY " profile has keys.",
                             cb_sb_param (req, "profile"), profile_type (profile));
      return;
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "symmetricKey");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "primaryKey", primary);
  cb_sb_json_add_string (b, "secondaryKey", secondary);
  json_builder_end_object (b);
  json_builder_end_object (b);
  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

#define NS CB_SB_ARM_SCOPE_NAMESPACE

CB_SB_ARM_ROUTE (handle_registry_devices_list, NS, OP_RD_READ, CB_SB_PERM_READ,
                 CB_SB_ARM_VERSIONS_STABLE, FALSE, registry_devices_list)
CB_SB_ARM_ROUTE (handle_registry_device_get, NS, OP_RD_READ, CB_SB_PERM_READ,
                 CB_SB_ARM_VERSIONS_STABLE, FALSE, registry_device_get)
CB_SB_ARM_ROUTE (handle_registry_device_put, NS, OP_RD_WRITE, CB_SB_PERM_WRITE,
                 CB_SB_ARM_VERSIONS_STABLE, TRUE, registry_device_put)
CB_SB_ARM_ROUTE (handle_registry_device_patch, NS, OP_RD_WRITE, CB_SB_PERM_WRITE,
                 CB_SB_ARM_VERSIONS_STABLE, TRUE, registry_device_patch)
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
  cb_sb_add_route (self, "PUT", ARM_RD, CB_SB_STYLE_ARM, handle_registry_device_put);
  cb_sb_add_route (self, "PATCH", ARM_RD, CB_SB_STYLE_ARM, handle_registry_device_patch);
  cb_sb_add_route (self, "DELETE", ARM_RD, CB_SB_STYLE_ARM, handle_registry_device_delete);
  cb_sb_add_route (self, "GET", ARM_RD "/authenticationProfiles", CB_SB_STYLE_ARM,
                   handle_profiles_list);
  cb_sb_add_route (self, "GET", ARM_AP, CB_SB_STYLE_ARM, handle_profile_get);
  cb_sb_add_route (self, "POST", ARM_AP "/revokeCertificates", CB_SB_STYLE_ARM,
                   handle_profile_revoke_certificates);
  cb_sb_add_route (self, "POST", ARM_AP "/getKeys", CB_SB_STYLE_ARM, handle_profile_get_keys);
  cb_sb_add_route (self, "POST", ARM_AP "/listKeys", CB_SB_STYLE_ARM, handle_profile_get_keys);
}
