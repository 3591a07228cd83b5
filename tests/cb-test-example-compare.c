/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-test-example-compare.h"

/* Comparing a response with Microsoft's example of it: walks both trees at once, keeping the
 * member path ("value[].properties.uuid") to name each difference and to find the ignore
 * rules that apply to it. */

static gboolean
segment_matches (const char *pattern,
                 const char *segment)
{
  if (g_str_equal (pattern, "*"))
    return TRUE;
  if (g_str_equal (pattern, "*[]"))
    return g_str_has_suffix (segment, "[]");

  return g_str_equal (pattern, segment);
}

static gboolean
path_matches (const char *pattern,
              const char *path)
{
  g_auto(GStrv) want = g_strsplit (pattern, ".", -1);
  g_auto(GStrv) have = g_strsplit (path, ".", -1);
  guint i;

  for (i = 0; want[i] != NULL && have[i] != NULL; i++)
    if (!segment_matches (want[i], have[i]))
      return FALSE;

  return want[i] == NULL && have[i] == NULL;
}

gboolean
cb_test_example_ignored (const CbExampleIgnore *rules,
                         guint                  n_rules,
                         const char * const    *scopes,
                         const char            *path,
                         gboolean               presence)
{
  for (guint i = 0; i < n_rules; i++)
    {
      const char *scope = rules[i].scope;

      if (scope != NULL && !g_strv_contains (scopes, scope))
        continue;
      if (presence && !rules[i].presence)
        continue;
      if (path_matches (rules[i].path, path))
        return TRUE;
    }

  return FALSE;
}

/* "object", "array", "string", "number", "boolean", "null": the JSON type, not GLib's. */
static const char *
json_type_name (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
    default:
      return "?";
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "string";
    case G_TYPE_BOOLEAN:
      return "boolean";
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      return "number";
    default:
      return "?";
    }
}

static char *
show (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  if (strlen (text) > 120)
    return g_strdup_printf ("%.117s...", text);

  return g_steal_pointer (&text);
}

static gboolean
scalars_equal (JsonNode *a,
               JsonNode *b)
{
  const char *type = json_type_name (a);

  if (g_str_equal (type, "null"))
    return TRUE;
  if (g_str_equal (type, "string"))
    return g_strcmp0 (json_node_get_string (a), json_node_get_string (b)) == 0;
  if (g_str_equal (type, "boolean"))
    return json_node_get_boolean (a) == json_node_get_boolean (b);

  return json_node_get_double (a) == json_node_get_double (b);
}

typedef struct
{
  const CbExampleIgnore *rules;
  guint                  n_rules;
  const char * const    *scopes;
  GString               *report;
} Walk;

static void compare_nodes (Walk *w, JsonNode *expected, JsonNode *actual, const char *path);

static char *
child_path (const char *path,
            const char *name)
{
  return path[0] == '\0' ? g_strdup (name) : g_strconcat (path, ".", name, NULL);
}

static void
compare_objects (Walk       *w,
                 JsonObject *expected,
                 JsonObject *actual,
                 const char *path)
{
  g_autoptr(GList) want = json_object_get_members (expected);
  g_autoptr(GList) have = json_object_get_members (actual);

  for (GList *l = want; l != NULL; l = l->next)
    {
      const char *name = l->data;
      g_autofree char *sub = child_path (path, name);

      if (!json_object_has_member (actual, name))
        {
          if (!cb_test_example_ignored (w->rules, w->n_rules, w->scopes, sub, TRUE))
            g_string_append_printf (w->report, "%s: missing\n", sub);
        }
      else
        compare_nodes (w, json_object_get_member (expected, name),
                       json_object_get_member (actual, name), sub);
    }

  for (GList *l = have; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (!json_object_has_member (expected, name))
        {
          g_autofree char *sub = child_path (path, name);
          g_autofree char *value = show (json_object_get_member (actual, name));

          if (!cb_test_example_ignored (w->rules, w->n_rules, w->scopes, sub, TRUE))
            g_string_append_printf (w->report, "%s: not in the example (got %s)\n", sub, value);
        }
    }
}

static void
compare_nodes (Walk       *w,
               JsonNode   *expected,
               JsonNode   *actual,
               const char *path)
{
  const char *want = json_type_name (expected);
  const char *have = json_type_name (actual);
  const char *shown = path[0] != '\0' ? path : "(body)";

  if (!g_str_equal (want, have))
    {
      g_autofree char *value = show (actual);

      g_string_append_printf (w->report, "%s: expected a %s, got a %s (%s)\n",
                              shown, want, have, value);
      return;
    }

  if (JSON_NODE_HOLDS_OBJECT (expected))
    {
      compare_objects (w, json_node_get_object (expected), json_node_get_object (actual), path);
    }
  else if (JSON_NODE_HOLDS_ARRAY (expected))
    {
      JsonArray *a = json_node_get_array (expected);
      JsonArray *b = json_node_get_array (actual);
      g_autofree char *element = g_strconcat (path, "[]", NULL);

      if (json_array_get_length (a) != json_array_get_length (b))
        {
          g_string_append_printf (w->report, "%s: expected %u elements, got %u\n", shown,
                                  json_array_get_length (a), json_array_get_length (b));
          return;
        }
      for (guint i = 0; i < json_array_get_length (a); i++)
        compare_nodes (w, json_array_get_element (a, i), json_array_get_element (b, i),
                       element);
    }
  else if (!cb_test_example_ignored (w->rules, w->n_rules, w->scopes, path, FALSE) &&
           !scalars_equal (expected, actual))
    {
      g_autofree char *a = show (expected);
      g_autofree char *b = show (actual);

      g_string_append_printf (w->report, "%s: expected %s, got %s\n", shown, a, b);
    }
}

gboolean
cb_test_example_compare (JsonNode              *expected,
                         JsonNode              *actual,
                         const CbExampleIgnore *rules,
                         guint                  n_rules,
                         const char * const    *scopes,
                         GString               *report)
{
  Walk w = { rules, n_rules, scopes, report };
  gsize before = report->len;

  compare_nodes (&w, expected, actual, "");

  return report->len == before;
}
