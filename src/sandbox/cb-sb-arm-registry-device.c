/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* A registry device (2026-11-01) in its ARM JSON shape, as Get_RegistryDevice.json shows it:
 * the preview's device JSON of the same adr_devices row in the stable shape (etag without
 * quotes, enablementState, externalDeviceId defaulting to the name), with the revisions the
 * preview does not carry read off the stored properties. The routes answer with it, and so
 * does an operation's result. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-registry-device.h"
#include "cb-sb-json.h"

static void
copy_member (JsonObject *to,
             JsonObject *from,
             const char *name)
{
  if (from != NULL && json_object_has_member (from, name))
    json_object_set_member (to, name, json_node_copy (json_object_get_member (from, name)));
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
  json_object_set_string_member (obj, "type", CB_SB_TYPE_REGISTRY_DEVICE);
  copy_member (obj, from, "location");
  if (cb_sb_json_member_object (from, "tags") != NULL &&
      json_object_get_size (cb_sb_json_member_object (from, "tags")) > 0)
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
  copy_member (props, from_props, "provisioningState");
  json_object_set_object_member (obj, "properties", g_steal_pointer (&props));

  json_node_take_object (node, g_steal_pointer (&obj));
  return node;
}

/* The revisions the preview's JSON does not carry, from the stored properties. */
static void
add_revisions (CbSandbox  *self,
               const char *device_id,
               JsonNode   *node)
{
  static const char * const names[] = { "hardwareRevision", "softwareRevision" };
  JsonObject *props = cb_sb_json_member_object (json_node_get_object (node), "properties");
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) stored = NULL;

  if (props == NULL || !cb_sb_adr_device_row (self, device_id, NULL, NULL, NULL, &text) ||
      text == NULL || (stored = json_from_string (text, NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (stored))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    copy_member (props, json_node_get_object (stored), names[i]);
}

JsonNode *
cb_sb_arm_registry_device_json (CbSandbox  *self,
                                const char *device_id,
                                const char *api_version)
{
  g_autoptr(JsonNode) device = cb_sb_arm_device_json (self, device_id, api_version);
  g_autofree char *ns_id = cb_sb_namespace_of (device_id);
  JsonNode *node;

  if (device == NULL)
    return NULL;

  node = registry_device_from (device, ns_id);
  add_revisions (self, device_id, node);
  return node;
}
