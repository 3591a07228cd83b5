/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Typed, strict member access for the ADR model parsers (cb-namespace.c, cb-policy.c,
 * cb-adr-device.c, cb-hub-certificate.c, cb-activity-event.c). A member that is absent or
 * null reads as "not set"; a member of the wrong type is a CB_API_ERROR_PARSE, because it
 * means we misunderstand the wire format and should say so instead of showing defaults. */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cb-error.h"
#include "cb-util.h"

G_BEGIN_DECLS

static inline gboolean
cb_adr_json_set_parse_error (GError     **error,
                             const char  *what,
                             const char  *member,
                             const char  *expected)
{
  g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
               "Unexpected %s from the service: “%s” is not %s", what, member, expected);
  return FALSE;
}

static inline JsonObject *
cb_adr_json_require_object (JsonNode    *node,
                            const char  *what,
                            GError     **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                   "Unexpected %s from the service: not a JSON object", what);
      return NULL;
    }

  return json_node_get_object (node);
}

/* Borrowed member node or NULL when absent or JSON null. */
static inline JsonNode *
cb_adr_json_member (JsonObject *obj,
                    const char *member)
{
  JsonNode *node;

  if (obj == NULL)
    return NULL;

  node = json_object_get_member (obj, member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return node;
}

/* *out is NULL when absent. */
static inline gboolean
cb_adr_json_get_object (JsonObject   *obj,
                        const char   *member,
                        const char   *what,
                        JsonObject  **out,
                        GError      **error)
{
  JsonNode *node = cb_adr_json_member (obj, member);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return cb_adr_json_set_parse_error (error, what, member, "an object");

  *out = json_node_get_object (node);
  return TRUE;
}

/* Borrowed string, NULL when absent. */
static inline gboolean
cb_adr_json_get_string (JsonObject   *obj,
                        const char   *member,
                        const char   *what,
                        const char  **out,
                        GError      **error)
{
  JsonNode *node = cb_adr_json_member (obj, member);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return cb_adr_json_set_parse_error (error, what, member, "a string");

  *out = json_node_get_string (node);
  return TRUE;
}

static inline gboolean
cb_adr_json_require_string (JsonObject   *obj,
                            const char   *member,
                            const char   *what,
                            const char  **out,
                            GError      **error)
{
  if (!cb_adr_json_get_string (obj, member, what, out, error))
    return FALSE;
  if (*out == NULL || **out == '\0')
    return cb_adr_json_set_parse_error (error, what, member, "present");

  return TRUE;
}

/* *out keeps its value when absent. */
static inline gboolean
cb_adr_json_get_boolean (JsonObject  *obj,
                         const char  *member,
                         const char  *what,
                         gboolean    *out,
                         GError     **error)
{
  JsonNode *node = cb_adr_json_member (obj, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return cb_adr_json_set_parse_error (error, what, member, "a boolean");

  *out = json_node_get_boolean (node);
  return TRUE;
}

/* Integers only: 7.5 days is as wrong as "7". *out keeps its value when absent. */
static inline gboolean
cb_adr_json_get_int (JsonObject  *obj,
                     const char  *member,
                     const char  *what,
                     gint64      *out,
                     GError     **error)
{
  JsonNode *node = cb_adr_json_member (obj, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return cb_adr_json_set_parse_error (error, what, member, "an integer");

  *out = json_node_get_int (node);
  return TRUE;
}

/* ISO 8601 (ARM) or RFC 1123 (the IoT Hub resource provider writes certificate dates as
 * "Sat, 31 Dec 2039 23:59:59 GMT"). *out is 0 when absent. */
static inline gboolean
cb_adr_json_get_time (JsonObject  *obj,
                      const char  *member,
                      const char  *what,
                      gint64      *out,
                      GError     **error)
{
  const char *text;

  *out = 0;
  if (!cb_adr_json_get_string (obj, member, what, &text, error))
    return FALSE;
  if (text == NULL || *text == '\0')
    return TRUE;

  if (!cb_time_parse_iso8601 (text, out))
    {
      g_autoptr(GDateTime) dt = soup_date_time_new_from_http_string (text);

      if (dt == NULL)
        return cb_adr_json_set_parse_error (error, what, member, "a date");
      *out = g_date_time_to_unix (dt);
    }

  return TRUE;
}

/* The resource name after "/<collection>/" in an ARM id, compared case-insensitively as ARM
 * does. NULL when absent. */
static inline char *
cb_adr_json_id_segment (const char *id,
                        const char *collection)
{
  g_auto(GStrv) parts = NULL;

  if (id == NULL)
    return NULL;

  parts = g_strsplit (id, "/", -1);
  for (guint i = 0; parts[i] != NULL && parts[i + 1] != NULL; i++)
    {
      if (g_ascii_strcasecmp (parts[i], collection) == 0 && parts[i + 1][0] != '\0')
        return g_strdup (parts[i + 1]);
    }

  return NULL;
}

G_END_DECLS
