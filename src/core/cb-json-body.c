/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Request bodies by member path (see cb-json-body.h): the ARM, DPS and hub clients state what a
 * request carries as a list of paths and values instead of nesting a JsonBuilder by hand. */

#include "config.h"

#include <string.h>

#include "cb-json-body.h"

JsonNode *
cb_json_body_new (void)
{
  JsonNode *body = json_node_new (JSON_NODE_OBJECT);

  /* take, not init: json_node_init_object() adds a reference of its own */
  json_node_take_object (body, json_object_new ());
  return body;
}

/* The object that holds the last segment of path, made on the way; *out_member is that
 * segment, owned by the caller. */
static JsonObject *
parent_of (JsonNode    *body,
           const char  *path,
           char       **out_member)
{
  g_auto(GStrv) segments = NULL;
  JsonObject *obj;
  guint n;

  g_return_val_if_fail (body != NULL && JSON_NODE_HOLDS_OBJECT (body), NULL);
  g_return_val_if_fail (path != NULL && *path != '\0', NULL);

  segments = g_strsplit (path, "/", -1);
  n = g_strv_length (segments);
  obj = json_node_get_object (body);

  for (guint i = 0; i + 1 < n; i++)
    {
      JsonNode *member = json_object_get_member (obj, segments[i]);

      if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
        {
          JsonObject *child = json_object_new ();

          json_object_set_object_member (obj, segments[i], child);
          obj = child;
        }
      else
        obj = json_node_get_object (member);
    }

  *out_member = g_strdup (segments[n - 1]);
  return obj;
}

void
cb_json_body_set_node (JsonNode   *body,
                       const char *path,
                       JsonNode   *value)
{
  g_autofree char *member = NULL;
  JsonObject *parent = parent_of (body, path, &member);

  if (parent == NULL)
    {
      g_clear_pointer (&value, json_node_unref);
      return;
    }

  json_object_set_member (parent, member,
                          value != NULL ? value : json_node_new (JSON_NODE_NULL));
}

void
cb_json_body_set_string (JsonNode   *body,
                         const char *path,
                         const char *value)
{
  cb_json_body_set_node (body, path,
                         value != NULL ? json_node_init_string (json_node_alloc (), value)
                                       : NULL);
}

void
cb_json_body_set_int (JsonNode   *body,
                      const char *path,
                      gint64      value)
{
  cb_json_body_set_node (body, path, json_node_init_int (json_node_alloc (), value));
}

void
cb_json_body_set_boolean (JsonNode   *body,
                          const char *path,
                          gboolean    value)
{
  cb_json_body_set_node (body, path, json_node_init_boolean (json_node_alloc (), !!value));
}

void
cb_json_body_set_object (JsonNode   *body,
                         const char *path)
{
  g_autofree char *member = NULL;
  JsonObject *parent = parent_of (body, path, &member);
  JsonNode *existing;

  if (parent == NULL)
    return;

  existing = json_object_get_member (parent, member);
  if (existing == NULL || !JSON_NODE_HOLDS_OBJECT (existing))
    json_object_set_object_member (parent, member, json_object_new ());
}

JsonNode *
cb_json_body_new_string (const char *path,
                         const char *value)
{
  JsonNode *body = cb_json_body_new ();

  cb_json_body_set_string (body, path, value);
  return body;
}

JsonNode *
cb_json_body_new_int (const char *path,
                      gint64      value)
{
  JsonNode *body = cb_json_body_new ();

  cb_json_body_set_int (body, path, value);
  return body;
}

JsonNode *
cb_json_body_new_boolean (const char *path,
                          gboolean    value)
{
  JsonNode *body = cb_json_body_new ();

  cb_json_body_set_boolean (body, path, value);
  return body;
}
