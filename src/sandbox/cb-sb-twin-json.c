/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Twin property documents as IoT Hub keeps them: see cb-sb-twin-json.h. */

#include "config.h"

#include <string.h>

#include "cb-sb-twin-json.h"

/* json_node_copy() shares objects and arrays; stored twin state must not. Nulls inside a new
 * object are dropped, as the hub does when a patch adds an object. */
JsonNode *
cb_sb_twin_deep_copy (JsonNode *node,
                      gboolean  strip_nulls)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *src = json_node_get_object (node);
      JsonObject *dst = json_object_new ();
      JsonNode *out = json_node_new (JSON_NODE_OBJECT);
      g_autoptr(GList) members = json_object_get_members (src);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *child = json_object_get_member (src, l->data);

          if (strip_nulls && JSON_NODE_HOLDS_NULL (child))
            continue;
          json_object_set_member (dst, l->data, cb_sb_twin_deep_copy (child, strip_nulls));
        }
      json_node_take_object (out, dst);
      return out;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *src = json_node_get_array (node);
      JsonArray *dst = json_array_new ();
      JsonNode *out = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < json_array_get_length (src); i++)
        json_array_add_element (dst, cb_sb_twin_deep_copy (json_array_get_element (src, i), FALSE));
      json_node_take_array (out, dst);
      return out;
    }

  return json_node_copy (node);
}

JsonObject *
cb_sb_twin_copy_object (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonNode) copy = NULL;

  json_node_set_object (node, obj);
  copy = cb_sb_twin_deep_copy (node, FALSE);
  return json_object_ref (json_node_get_object (copy));
}

JsonObject *
cb_sb_twin_leaf_metadata (const char *stamp,
                          gint64      version)
{
  JsonObject *meta = json_object_new ();

  json_object_set_string_member (meta, "$lastUpdated", stamp);
  if (version >= 0)
    json_object_set_int_member (meta, "$lastUpdatedVersion", version);
  return meta;
}

/* $metadata for a value just written: every object level and every leaf gets $lastUpdated
 * (and $lastUpdatedVersion for desired properties). */
JsonObject *
cb_sb_twin_metadata_for (JsonNode   *value,
                         const char *stamp,
                         gint64      version)
{
  JsonObject *meta = cb_sb_twin_leaf_metadata (stamp, version);

  if (JSON_NODE_HOLDS_OBJECT (value))
    {
      JsonObject *obj = json_node_get_object (value);
      g_autoptr(GList) members = json_object_get_members (obj);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *child = json_object_get_member (obj, l->data);

          json_object_set_object_member (meta, l->data,
                                         cb_sb_twin_metadata_for (child, stamp, version));
        }
    }

  return meta;
}

/* Merges a patch the way twin PATCH and reported updates do: null deletes, objects merge,
 * anything else replaces. meta (may be NULL for tags) follows the changes. */
void
cb_sb_twin_merge_patch (JsonObject *target,
                        JsonObject *meta,
                        JsonObject *patch,
                        const char *stamp,
                        gint64      version)
{
  g_autoptr(GList) members = json_object_get_members (patch);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (patch, name);
      JsonNode *existing = json_object_get_member (target, name);

      if (JSON_NODE_HOLDS_NULL (value))
        {
          json_object_remove_member (target, name);
          if (meta != NULL)
            json_object_remove_member (meta, name);
          continue;
        }

      if (JSON_NODE_HOLDS_OBJECT (value) && existing != NULL && JSON_NODE_HOLDS_OBJECT (existing))
        {
          JsonObject *child_meta = NULL;

          if (meta != NULL)
            {
              JsonNode *m = json_object_get_member (meta, name);

              if (m == NULL || !JSON_NODE_HOLDS_OBJECT (m))
                json_object_set_object_member (meta, name, cb_sb_twin_leaf_metadata (stamp, version));
              child_meta = json_object_get_object_member (meta, name);
              json_object_set_string_member (child_meta, "$lastUpdated", stamp);
              if (version >= 0)
                json_object_set_int_member (child_meta, "$lastUpdatedVersion", version);
            }
          cb_sb_twin_merge_patch (json_node_get_object (existing), child_meta,
                                  json_node_get_object (value), stamp, version);
          continue;
        }

      {
        JsonNode *copy = cb_sb_twin_deep_copy (value, TRUE);

        if (meta != NULL)
          json_object_set_object_member (meta, name, cb_sb_twin_metadata_for (copy, stamp, version));
        json_object_set_member (target, name, copy);
      }
    }

  if (meta != NULL)
    {
      json_object_set_string_member (meta, "$lastUpdated", stamp);
      if (version >= 0)
        json_object_set_int_member (meta, "$lastUpdatedVersion", version);
    }
}

/* Property names: no '$' at the start, no '.', no space, no control characters; at most 10
 * levels, as the hub enforces. */
gboolean
cb_sb_twin_validate_properties (JsonObject  *obj,
                                const char  *where,
                                guint        depth,
                                GError     **error)
{
  g_autoptr(GList) members = NULL;

  if (depth > 10)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s nests deeper than 10 levels", where);
      return FALSE;
    }

  members = json_object_get_members (obj);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (obj, name);

      if (*name == '\0' || *name == '$' || strchr (name, '.') != NULL || strchr (name, ' ') != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "The property name '%s' in %s is not allowed (it must not be empty, start "
                       "with '$' or contain '.' or ' ')", name, where);
          return FALSE;
        }
      for (const char *p = name; *p; p++)
        if ((guchar) *p < 0x20)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         "A property name in %s contains a control character", where);
            return FALSE;
          }

      if (JSON_NODE_HOLDS_OBJECT (value) &&
          !cb_sb_twin_validate_properties (json_node_get_object (value), where, depth + 1, error))
        return FALSE;
    }

  return TRUE;
}

JsonObject *
cb_sb_twin_properties_with_metadata (JsonObject *props,
                                     JsonObject *meta,
                                     gint64      version)
{
  JsonObject *out = cb_sb_twin_copy_object (props);

  json_object_set_object_member (out, "$metadata", cb_sb_twin_copy_object (meta));
  json_object_set_int_member (out, "$version", version);
  return out;
}
