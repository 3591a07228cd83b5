/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The IoT Hub query language (src/sandbox/cb-hub-query.c) as POST /devices/query reads the
 * "query" member: parsed, then run over a few twins (filter, projection, grouping). */
#include <glib.h>

#include "cb-hub-query.h"
#include "fuzz-harness.h"

static const char twins_text[] =
  "[{\"deviceId\":\"dev-a\",\"status\":\"enabled\",\"version\":4,"
  "  \"tags\":{\"line\":\"L1\",\"floor\":1,\"site\":{\"name\":\"north\"}},"
  "  \"properties\":{\"desired\":{\"interval\":30,\"$version\":2},"
  "   \"reported\":{\"certificate\":{\"validUntil\":\"2026-03-31T00:00:00Z\"},"
  "                 \"temp\":20.5,\"ok\":true,\"fw\":null,\"$version\":3}}},"
  " {\"deviceId\":\"dev-b\",\"status\":\"disabled\",\"version\":2,"
  "  \"tags\":{\"line\":\"L2\",\"floor\":2,\"list\":[1,\"a\",null]},"
  "  \"properties\":{\"desired\":{\"$version\":1},\"reported\":{\"temp\":\"20\",\"$version\":1}}}]";

static GPtrArray *
load_twins (void)
{
  static GPtrArray *twins;

  if (twins == NULL)
    {
      JsonNode *root = json_from_string (twins_text, NULL);
      JsonArray *array = json_node_get_array (root);

      twins = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      for (guint i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (twins, json_object_ref (json_array_get_object_element (array, i)));
      json_node_unref (root);
    }
  return twins;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse (text, &error);
  g_autoptr(JsonArray) rows = NULL;

  if (query == NULL)
    return 0;

  (void) cb_hub_query_selects_all (query);
  (void) cb_hub_query_get_top (query);
  rows = cb_hub_query_run (query, load_twins ());
  return 0;
}
