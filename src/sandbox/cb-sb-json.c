/* SPDX-License-Identifier: GPL-3.0-or-later */

/* JSON helpers shared by the sandbox's surfaces and tables: see cb-sb-json.h. */

#include "config.h"

#include "cb-sb-json.h"

void
cb_sb_json_add_string (JsonBuilder *builder,
                       const char  *name,
                       const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
cb_sb_json_add_string_opt (JsonBuilder *builder,
                           const char  *name,
                           const char  *value)
{
  if (value != NULL)
    cb_sb_json_add_string (builder, name, value);
}

const char *
cb_sb_json_member_string (JsonObject *obj,
                          const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
cb_sb_json_member_object (JsonObject *obj,
                          const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

JsonObject *
cb_sb_json_object_from_text (const char *text)
{
  g_autoptr(JsonNode) node = text != NULL ? json_from_string (text, NULL) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return json_object_ref (json_node_get_object (node));
  return json_object_new ();
}

char *
cb_sb_json_object_to_text (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, obj);
  return json_to_string (node, FALSE);
}
