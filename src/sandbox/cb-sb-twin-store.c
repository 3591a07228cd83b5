/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* A hub device's twin: see cb-sb-twin-store.h. */

#include "config.h"

#include "cb-sb-hub.h"
#include "cb-sb-store.h"
#include "cb-sb-twin-json.h"
#include "cb-sb-twin-store.h"
#include "cb-util.h"

JsonObject *
cb_sb_hub_twin_to_object (CbSbHubDevice *dev)
{
  JsonObject *twin = json_object_new ();
  JsonObject *thumbs = json_object_new ();
  JsonObject *caps = json_object_new ();
  JsonObject *props = json_object_new ();
  JsonObject *desired;
  JsonObject *reported;
  g_autofree char *etag = cb_sb_hub_twin_etag (dev->twin_etag_seq);
  g_autofree char *status_time = cb_sb_hub_format_time (dev->status_updated);
  g_autofree char *activity = cb_sb_hub_format_time (dev->last_activity);
  gboolean self_signed = g_strcmp0 (dev->auth_type, "selfSigned") == 0;

  json_object_set_string_member (twin, "deviceId", dev->device_id);
  json_object_set_string_member (twin, "etag", etag);
  json_object_set_string_member (twin, "deviceEtag", dev->etag);
  json_object_set_int_member (twin, "version", dev->twin_version);
  json_object_set_string_member (twin, "status", dev->status);
  if (dev->status_reason != NULL)
    json_object_set_string_member (twin, "statusReason", dev->status_reason);
  json_object_set_string_member (twin, "statusUpdateTime", status_time);
  json_object_set_string_member (twin, "connectionState", dev->connection_state);
  json_object_set_string_member (twin, "lastActivityTime", activity);
  json_object_set_int_member (twin, "cloudToDeviceMessageCount", dev->c2d_count);
  json_object_set_string_member (twin, "authenticationType", dev->auth_type);

  if (self_signed && dev->primary_thumbprint != NULL)
    json_object_set_string_member (thumbs, "primaryThumbprint", dev->primary_thumbprint);
  else
    json_object_set_null_member (thumbs, "primaryThumbprint");
  if (self_signed && dev->secondary_thumbprint != NULL)
    json_object_set_string_member (thumbs, "secondaryThumbprint", dev->secondary_thumbprint);
  else
    json_object_set_null_member (thumbs, "secondaryThumbprint");
  json_object_set_object_member (twin, "x509Thumbprint", thumbs);

  json_object_set_boolean_member (caps, "iotEdge", dev->iot_edge);
  json_object_set_object_member (twin, "capabilities", caps);
  json_object_set_array_member (twin, "parentScopes", json_array_new ());

  json_object_set_object_member (twin, "tags", cb_sb_twin_copy_object (dev->tags));
  desired = cb_sb_twin_properties_with_metadata (dev->desired, dev->desired_meta,
                                                 dev->desired_version);
  reported = cb_sb_twin_properties_with_metadata (dev->reported, dev->reported_meta,
                                                  dev->reported_version);
  json_object_set_object_member (props, "desired", desired);
  json_object_set_object_member (props, "reported", reported);
  json_object_set_object_member (twin, "properties", props);

  return twin;
}

JsonNode *
cb_sb_hub_twin_to_json (CbSbHubDevice *dev)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, cb_sb_hub_twin_to_object (dev));
  return node;
}

/* ---- Cross-module functions ------------------------------------------------------------ */

gboolean
cb_sb_hub_patch_reported (CbSandbox   *self,
                          const char  *hub,
                          const char  *device_id,
                          JsonObject  *patch,
                          GError     **error)
{
  return cb_sb_hub_patch_reported_versioned (self, hub, device_id, patch, NULL, error);
}

gboolean
cb_sb_hub_patch_reported_versioned (CbSandbox   *self,
                                    const char  *hub,
                                    const char  *device_id,
                                    JsonObject  *patch,
                                    gint64      *out_version,
                                    GError     **error)
{
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autofree char *stamp = NULL;
  gboolean ret;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (patch != NULL, FALSE);

  if (!cb_sb_twin_validate_properties (patch, "the reported properties", 1, error))
    return FALSE;

  cb_sb_lock (self);

  if (!(dev = cb_sb_hub_device_load_existing (self, hub, device_id, error)))
    {
      cb_sb_unlock (self);
      return FALSE;
    }

  stamp = cb_time_format_precise (cb_sb_now_usec (self));
  dev->reported_version++;
  dev->twin_version++;
  cb_sb_twin_merge_patch (dev->reported, dev->reported_meta, patch, stamp, -1);
  ret = cb_sb_hub_device_save (self, dev, error);
  if (ret && out_version != NULL)
    *out_version = dev->reported_version;

  cb_sb_unlock (self);
  return ret;
}

JsonNode *
cb_sb_hub_dup_device_twin (CbSandbox  *self,
                           const char *hub,
                           const char *device_id)
{
  g_autoptr(CbSbHubDevice) dev = NULL;
  JsonObject *doc;
  JsonObject *desired;
  JsonObject *reported;
  JsonNode *node;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);

  cb_sb_lock (self);
  dev = hub != NULL && device_id != NULL ? cb_sb_hub_device_load (self, hub, device_id) : NULL;
  cb_sb_unlock (self);
  if (dev == NULL)
    return NULL;

  /* What a device GETs has no $metadata: only the properties and their $version. */
  desired = cb_sb_twin_copy_object (dev->desired);
  json_object_set_int_member (desired, "$version", dev->desired_version);
  reported = cb_sb_twin_copy_object (dev->reported);
  json_object_set_int_member (reported, "$version", dev->reported_version);

  doc = json_object_new ();
  json_object_set_object_member (doc, "desired", desired);
  json_object_set_object_member (doc, "reported", reported);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, doc);
  return node;
}
