/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* Reading an ARM request body: each getter checks one member's type and replies ARM's
 * InvalidRequestContent naming the property's path when it is wrong. A missing or null
 * member is absent, never an error. */

#include "config.h"

#include "cb-sb-adr-ops.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-request.h"

JsonObject *
cb_sb_arm_body_object (CbSbRequest *req,
                       JsonNode    *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      cb_sb_arm_reply_invalid_content (req, NULL,
                             "The request content was invalid and could not be deserialized: "
                             "a JSON object is expected.");
      return NULL;
    }

  return json_node_get_object (node);
}

gboolean
cb_sb_arm_get_object (CbSbRequest  *req,
                      JsonObject   *obj,
                      const char   *name,
                      const char   *path,
                      JsonObject  **out)
{
  JsonNode *node = cb_sb_adr_member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be an object.", path);
      cb_sb_arm_reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
cb_sb_arm_get_string (CbSbRequest  *req,
                      JsonObject   *obj,
                      const char   *name,
                      const char   *path,
                      const char  **out)
{
  JsonNode *node = cb_sb_adr_member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be a string.", path);
      cb_sb_arm_reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
cb_sb_arm_get_boolean (CbSbRequest *req,
                       JsonObject  *obj,
                       const char  *name,
                       const char  *path,
                       int         *out)
{
  JsonNode *node = cb_sb_adr_member (obj, name);

  *out = -1;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be a boolean.", path);
      cb_sb_arm_reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *out = json_node_get_boolean (node) ? 1 : 0;
  return TRUE;
}

gboolean
cb_sb_arm_get_int (CbSbRequest *req,
                   JsonObject  *obj,
                   const char  *name,
                   const char  *path,
                   gboolean    *present,
                   gint64      *out)
{
  JsonNode *node = cb_sb_adr_member (obj, name);

  *present = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be an integer.", path);
      cb_sb_arm_reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *present = TRUE;
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
cb_sb_arm_get_tags (CbSbRequest  *req,
                    JsonObject   *obj,
                    char        **out)
{
  JsonNode *node = cb_sb_adr_member (obj, "tags");
  g_autoptr(GList) names = NULL;
  JsonObject *tags;

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      cb_sb_arm_reply_invalid_content (req, "tags",
                                       "The property 'tags' must be an object of strings.");
      return FALSE;
    }

  tags = json_node_get_object (node);
  names = json_object_get_members (tags);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (tags, l->data);

      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        {
          g_autofree char *msg = g_strdup_printf ("The tag '%s' must have a string value.",
                                                  (const char *) l->data);
          cb_sb_arm_reply_invalid_content (req, "tags", msg);
          return FALSE;
        }
    }

  *out = json_to_string (node, FALSE);
  return TRUE;
}

gboolean
cb_sb_arm_require_location (CbSbRequest  *req,
                            JsonObject   *obj,
                            const char  **out)
{
  if (!cb_sb_arm_get_string (req, obj, "location", "location", out))
    return FALSE;
  if (*out == NULL || **out == '\0')
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "LocationRequired", "location",
                             "The location property is required for this definition.");
      return FALSE;
    }

  return TRUE;
}

char *
cb_sb_arm_tags_args (const char *tags)
{
  return g_strdup_printf ("{\"tags\":%s}", tags != NULL ? tags : "null");
}
