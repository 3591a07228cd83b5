/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* IoT Hub's service REST surface: twins (/hubs/{hub}/twins/{id}): GET, PATCH (merge) and PUT
 * (replace) of tags and desired properties with If-Match on the twin's etag. A change of the
 * desired properties is announced on the sandbox's events ("desired-patched"), so a connected
 * device that subscribed gets it. */

#include "config.h"

#include "cb-sb-events.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-preconditions.h"
#include "cb-sb-routes-hub-auth.h"
#include "cb-sb-routes-hub-twins.h"
#include "cb-sb-twin-json.h"
#include "cb-sb-twin-store.h"
#include "cb-util.h"

static CbSbHubDevice *
load_twin_for_update (CbSbRequest *req,
                      CbSbHubContext  *ctx,
                      JsonObject **body_out,
                      JsonNode   **body_node)
{
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autofree char *match = NULL;
  g_autofree char *etag = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!(*body_node = cb_sb_json_body (req, FALSE)))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (*body_node))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "The body must be a twin object");
      return NULL;
    }
  *body_out = json_node_get_object (*body_node);

  if (!(dev = cb_sb_hub_device_load (req->sandbox, ctx->hub, id)))
    {
      cb_sb_hub_reply_device_not_found (req, ctx, id);
      return NULL;
    }

  match = cb_sb_if_match (req, TRUE);
  etag = cb_sb_hub_twin_etag (dev->twin_etag_seq);
  if (match != NULL && !g_str_equal (match, "*") && !g_str_equal (match, etag))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412001,
                         "Precondition failed: the twin's etag is \"%s\", not \"%s\"", etag, match);
      return NULL;
    }

  return g_steal_pointer (&dev);
}

/* Checks the tags and desired properties of a twin PATCH or PUT body. */
static gboolean
check_twin_body (CbSbRequest *req,
                 JsonObject  *body,
                 JsonObject **tags,
                 JsonObject **desired)
{
  JsonNode *tags_node = json_object_get_member (body, "tags");
  JsonNode *props_node = json_object_get_member (body, "properties");
  g_autoptr(GError) error = NULL;

  *tags = NULL;
  *desired = NULL;

  if (tags_node != NULL && !JSON_NODE_HOLDS_NULL (tags_node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (tags_node))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "tags must be an object");
          return FALSE;
        }
      *tags = json_node_get_object (tags_node);
    }

  if (props_node != NULL && !JSON_NODE_HOLDS_NULL (props_node))
    {
      JsonObject *props;
      JsonNode *desired_node;

      if (!JSON_NODE_HOLDS_OBJECT (props_node))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "properties must be an object");
          return FALSE;
        }
      props = json_node_get_object (props_node);
      if (json_object_has_member (props, "reported"))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "Reported properties are written by the device; a service cannot "
                             "update properties.reported");
          return FALSE;
        }
      desired_node = json_object_get_member (props, "desired");
      if (desired_node != NULL && !JSON_NODE_HOLDS_NULL (desired_node))
        {
          if (!JSON_NODE_HOLDS_OBJECT (desired_node))
            {
              cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                                 "properties.desired must be an object");
              return FALSE;
            }
          *desired = json_node_get_object (desired_node);
          /* A twin read back and sent again carries these: they are not properties. */
          json_object_remove_member (*desired, "$metadata");
          json_object_remove_member (*desired, "$version");
        }
    }

  if ((*tags != NULL && !cb_sb_twin_validate_properties (*tags, "tags", 1, &error)) ||
      (*desired != NULL &&
       !cb_sb_twin_validate_properties (*desired, "properties.desired", 1, &error)))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "%s", error->message);
      return FALSE;
    }

  return TRUE;
}

static void
handle_get_twin (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autofree char *etag = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_REGISTRY_READ | CB_SB_HUB_RIGHT_SERVICE,
                                "ServiceConnect"))
    return;

  if (!(dev = cb_sb_hub_device_load (req->sandbox, ctx.hub, id)))
    {
      cb_sb_hub_reply_device_not_found (req, &ctx, id);
      return;
    }

  etag = cb_sb_hub_twin_etag (dev->twin_etag_seq);
  cb_sb_set_etag (req, etag);
  cb_sb_reply_json (req, 200, cb_sb_hub_twin_to_json (dev));
}

static void
finish_twin_update (CbSbRequest *req,
                    CbSbHubDevice   *dev)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;

  if (!cb_sb_hub_device_save (req->sandbox, dev, &error))
    {
      cb_sb_reply_error (req, 500, "ServerError", 500001, "%s", error->message);
      return;
    }

  etag = cb_sb_hub_twin_etag (dev->twin_etag_seq);
  cb_sb_set_etag (req, etag);
  cb_sb_reply_json (req, 200, cb_sb_hub_twin_to_json (dev));
}

/* The common start of a twin PATCH or PUT: the hub, the caller's rights, the body, the twin
 * (If-Match on its etag), the checked tags and desired properties, and the time stamp of the
 * change. Returns the device, or NULL after replying. */
static CbSbHubDevice *
begin_twin_update (CbSbRequest     *req,
                   CbSbHubContext  *ctx,
                   JsonNode       **body_node,
                   JsonObject     **tags,
                   JsonObject     **desired,
                   char           **stamp)
{
  g_autoptr(CbSbHubDevice) dev = NULL;
  JsonObject *body = NULL;

  if (!cb_sb_hub_begin_request (req, ctx, CB_SB_HUB_RIGHT_REGISTRY_WRITE | CB_SB_HUB_RIGHT_SERVICE,
                                "ServiceConnect"))
    return NULL;

  if (!(dev = load_twin_for_update (req, ctx, &body, body_node)))
    return NULL;
  if (!check_twin_body (req, body, tags, desired))
    return NULL;

  *stamp = cb_time_format_precise (cb_sb_now_usec (req->sandbox));
  return g_steal_pointer (&dev);
}

static void
handle_patch_twin (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autofree char *stamp = NULL;
  JsonObject *tags;
  JsonObject *desired;

  if (!(dev = begin_twin_update (req, &ctx, &body_node, &tags, &desired, &stamp)))
    return;

  if (tags != NULL)
    cb_sb_twin_merge_patch (dev->tags, NULL, tags, stamp, -1);
  if (desired != NULL)
    {
      dev->desired_version++;
      cb_sb_twin_merge_patch (dev->desired, dev->desired_meta, desired, stamp,
                              dev->desired_version);
    }
  if (tags != NULL || desired != NULL)
    {
      dev->twin_version++;
      dev->twin_etag_seq++;
    }

  finish_twin_update (req, dev);
  if (desired != NULL && req->replied && soup_server_message_get_status (req->msg) == 200)
    cb_sb_events_desired_patched (req->sandbox->events, ctx.hub, dev->device_id, desired,
                                  dev->desired_version);
}

static void
handle_put_twin (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autoptr(JsonNode) desired_node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *stamp = NULL;
  JsonObject *tags;
  JsonObject *desired;

  if (!(dev = begin_twin_update (req, &ctx, &body_node, &tags, &desired, &stamp)))
    return;

  /* Replace: tags and desired become exactly what was sent. */
  g_clear_pointer (&dev->tags, json_object_unref);
  dev->tags = json_object_new ();
  if (tags != NULL)
    cb_sb_twin_merge_patch (dev->tags, NULL, tags, stamp, -1);

  dev->desired_version++;
  g_clear_pointer (&dev->desired, json_object_unref);
  dev->desired = json_object_new ();
  if (desired != NULL)
    cb_sb_twin_merge_patch (dev->desired, NULL, desired, stamp, -1);
  json_node_set_object (desired_node, dev->desired);
  g_clear_pointer (&dev->desired_meta, json_object_unref);
  dev->desired_meta = cb_sb_twin_metadata_for (desired_node, stamp, dev->desired_version);

  dev->twin_version++;
  dev->twin_etag_seq++;

  finish_twin_update (req, dev);
  if (soup_server_message_get_status (req->msg) == 200)
    cb_sb_events_desired_patched (req->sandbox->events, ctx.hub, dev->device_id, dev->desired,
                                  dev->desired_version);
}

void
cb_sb_routes_hub_twins_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", "/hubs/{hub}/twins/{id}", CB_SB_STYLE_HUB, handle_get_twin);
  cb_sb_add_route (self, "PATCH", "/hubs/{hub}/twins/{id}", CB_SB_STYLE_HUB, handle_patch_twin);
  cb_sb_add_route (self, "PUT", "/hubs/{hub}/twins/{id}", CB_SB_STYLE_HUB, handle_put_twin);
}
