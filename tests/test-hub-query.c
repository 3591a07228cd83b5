/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-hub-query.h"

/* Three twins as GET /twins returns them (trimmed to what the queries read). */
static const char *twin_texts[] = {
  "{\"deviceId\":\"dev-a\",\"status\":\"enabled\",\"version\":4,"
  " \"tags\":{\"line\":\"L1\",\"owner\":\"O'Brien\",\"floor\":1,\"site\":{\"name\":\"north\"}},"
  " \"properties\":{\"desired\":{\"interval\":30,\"$version\":2},"
  "  \"reported\":{\"certificate\":{\"validFrom\":\"2026-03-01T00:00:00Z\","
  "                              \"validUntil\":\"2026-03-31T00:00:00Z\"},"
  "              \"temp\":20.5,\"ok\":true,\"fw\":null,\"$version\":3}}}",

  "{\"deviceId\":\"dev-b\",\"status\":\"disabled\",\"version\":2,"
  " \"tags\":{\"line\":\"L2\",\"note\":\"say \\\"hi\\\"\",\"floor\":2},"
  " \"properties\":{\"desired\":{\"$version\":1},"
  "  \"reported\":{\"certificate\":{\"validUntil\":\"2026-06-01T00:00:00Z\"},"
  "              \"temp\":\"20\",\"ok\":false,\"$version\":1}}}",

  "{\"deviceId\":\"dev-c\",\"status\":\"enabled\",\"version\":1,"
  " \"tags\":{\"line\":\"L1\",\"floor\":3},"
  " \"properties\":{\"desired\":{\"interval\":60,\"$version\":2},"
  "  \"reported\":{\"$version\":1}}}",
};

static GPtrArray *
load_twins (void)
{
  GPtrArray *twins = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < G_N_ELEMENTS (twin_texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = json_from_string (twin_texts[i], &error);

      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      g_ptr_array_add (twins, json_object_ref (json_node_get_object (node)));
    }

  return twins;
}

static JsonArray *
run_query (const char *text)
{
  g_autoptr(GPtrArray) twins = load_twins ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (query);
  return cb_hub_query_run (query, twins);
}

/* The deviceIds of the rows a query returns, joined with ",". */
static char *
ids_of (const char *text)
{
  g_autoptr(JsonArray) rows = run_query (text);
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (s->len > 0)
        g_string_append_c (s, ',');
      g_string_append (s, json_object_get_string_member_with_default (row, "deviceId", "?"));
    }

  return g_string_free (g_steal_pointer (&s), FALSE);
}

#define assert_ids(query, expected) \
  G_STMT_START { \
    g_autofree char *_ids = ids_of (query); \
    g_assert_cmpstr (_ids, ==, expected); \
  } G_STMT_END

static void
test_select_all (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse ("SELECT * FROM devices", &error);
  g_autoptr(CbHubQuery) projection = cb_hub_query_parse ("SELECT deviceId FROM devices", &error);
  g_autoptr(JsonArray) rows = run_query ("SELECT * FROM devices");
  JsonObject *first;

  g_assert_no_error (error);
  g_assert_true (cb_hub_query_selects_all (query));
  g_assert_false (cb_hub_query_is_aggregate (query));
  g_assert_cmpint (cb_hub_query_get_top (query), ==, -1);
  g_assert_false (cb_hub_query_selects_all (projection));

  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  first = json_array_get_object_element (rows, 0);
  /* A whole twin, nested properties included. */
  g_assert_cmpint (json_object_get_int_member (first, "version"), ==, 4);
  g_assert_true (json_object_has_member (json_object_get_object_member (first, "properties"),
                                         "reported"));
}

static void
test_keywords_case_insensitive (void)
{
  assert_ids ("select * from DEVICES where STATUS = 'enabled'", "dev-a,dev-c");
  assert_ids ("SeLeCt * FrOm devices WhErE tags.line = 'L1' aNd NoT deviceId = 'dev-a'", "dev-c");
  /* Twin system properties match in any case, as the hub's DeviceId does. */
  assert_ids ("SELECT * FROM devices WHERE DeviceId = 'dev-b'", "dev-b");
}

static void
test_operators (void)
{
  assert_ids ("SELECT * FROM devices WHERE tags.floor = 2", "dev-b");
  assert_ids ("SELECT * FROM devices WHERE tags.floor != 2", "dev-a,dev-c");
  assert_ids ("SELECT * FROM devices WHERE tags.floor <> 2", "dev-a,dev-c");
  assert_ids ("SELECT * FROM devices WHERE tags.floor < 2", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE tags.floor > 2", "dev-c");
  assert_ids ("SELECT * FROM devices WHERE tags.floor <= 2", "dev-a,dev-b");
  assert_ids ("SELECT * FROM devices WHERE tags.floor >= 2", "dev-b,dev-c");
  /* Literal on the left. */
  assert_ids ("SELECT * FROM devices WHERE 2 < tags.floor", "dev-c");
  /* Integers and decimals compare as numbers. */
  assert_ids ("SELECT * FROM devices WHERE properties.reported.temp > 20", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE properties.reported.temp = 20.5", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE properties.desired.interval >= 3e1", "dev-a,dev-c");
  assert_ids ("SELECT * FROM devices WHERE tags.floor > -1", "dev-a,dev-b,dev-c");
  /* Strings order by code point. */
  assert_ids ("SELECT * FROM devices WHERE deviceId > 'dev-a'", "dev-b,dev-c");
  assert_ids ("SELECT * FROM devices WHERE deviceId <= 'dev-b'", "dev-a,dev-b");
  /* Booleans and null. */
  assert_ids ("SELECT * FROM devices WHERE properties.reported.ok = true", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE properties.reported.ok = FALSE", "dev-b");
  assert_ids ("SELECT * FROM devices WHERE properties.reported.ok != false", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE properties.reported.fw = null", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE properties.reported.fw != null", "");
  /* Bracketed property names. */
  assert_ids ("SELECT * FROM devices WHERE tags['site']['name'] = 'north'", "dev-a");
}

static void
test_mixed_types_are_undefined (void)
{
  /* dev-b reports temp as the string "20": it neither equals nor differs from the number 20,
   * and the undefined comparison stays undefined under NOT. */
  assert_ids ("SELECT * FROM devices WHERE properties.reported.temp = 20", "");
  assert_ids ("SELECT * FROM devices WHERE properties.reported.temp != 20", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE properties.reported.temp = '20'", "dev-b");
  assert_ids ("SELECT * FROM devices WHERE NOT (properties.reported.temp = '20')", "");
  /* Objects are not primitives. */
  assert_ids ("SELECT * FROM devices WHERE properties.reported.certificate = 'x'", "");
  /* A missing property is undefined, not null. */
  assert_ids ("SELECT * FROM devices WHERE tags.owner = null", "");
  /* Undefined OR true is true; undefined AND false is false. */
  assert_ids ("SELECT * FROM devices WHERE tags.owner = 'x' OR tags.floor = 3", "dev-c");
  assert_ids ("SELECT * FROM devices WHERE NOT (tags.owner = 'x' AND tags.floor = 3)",
              "dev-a,dev-b");
}

static void
test_precedence (void)
{
  /* AND binds tighter than OR. */
  assert_ids ("SELECT * FROM devices WHERE deviceId = 'dev-b' OR tags.line = 'L1' AND tags.floor = 3",
              "dev-b,dev-c");
  assert_ids ("SELECT * FROM devices WHERE (deviceId = 'dev-b' OR tags.line = 'L1') AND tags.floor = 3",
              "dev-c");
  /* NOT binds tighter than AND. */
  assert_ids ("SELECT * FROM devices WHERE NOT status = 'disabled' AND tags.floor > 1", "dev-c");
  assert_ids ("SELECT * FROM devices WHERE NOT (status = 'disabled' AND tags.floor > 1)",
              "dev-a,dev-c");
  assert_ids ("SELECT * FROM devices WHERE NOT NOT status = 'disabled'", "dev-b");
  assert_ids ("SELECT * FROM devices WHERE ((tags.floor = 1)) OR (((tags.floor = 2)))",
              "dev-a,dev-b");
}

static void
test_strings_with_quotes (void)
{
  assert_ids ("SELECT * FROM devices WHERE tags.owner = 'O\\'Brien'", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE tags.owner = \"O'Brien\"", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE tags.note = 'say \"hi\"'", "dev-b");
  assert_ids ("SELECT * FROM devices WHERE tags.note = \"say \\\"hi\\\"\"", "dev-b");
  assert_ids ("SELECT * FROM devices WHERE tags.line = '\\u004C1'", "dev-a,dev-c");
}

static void
test_valid_until_string_comparison (void)
{
  /* No datetime type: ISO-8601 in one fixed format compares correctly as text. */
  assert_ids ("SELECT * FROM devices "
              "WHERE properties.reported.certificate.validUntil < '2026-05-01T00:00:00Z'", "dev-a");
  assert_ids ("SELECT * FROM devices "
              "WHERE properties.reported.certificate.validUntil >= '2026-05-01T00:00:00Z'", "dev-b");
  /* dev-c reports no certificate at all: it is in neither answer. */
}

static void
test_is_defined (void)
{
  assert_ids ("SELECT * FROM devices WHERE IS_DEFINED(properties.reported.certificate)",
              "dev-a,dev-b");
  assert_ids ("SELECT * FROM devices WHERE NOT is_defined(properties.reported.certificate)",
              "dev-c");
  /* Null is defined. */
  assert_ids ("SELECT * FROM devices WHERE IS_DEFINED(properties.reported.fw)", "dev-a");
  assert_ids ("SELECT * FROM devices WHERE IS_DEFINED(tags.site.name) OR IS_DEFINED(tags.note)",
              "dev-a,dev-b");
  assert_ids ("SELECT * FROM devices WHERE STARTSWITH(deviceId, 'dev-') AND ENDSWITH(deviceId, 'c')",
              "dev-c");
}

static void
test_in_nin (void)
{
  assert_ids ("SELECT * FROM devices WHERE deviceId IN ['dev-a', 'dev-c', 'nope']", "dev-a,dev-c");
  assert_ids ("SELECT * FROM devices WHERE deviceId NIN ['dev-a', 'dev-c']", "dev-b");
  assert_ids ("SELECT * FROM devices WHERE tags.floor in [1, 3]", "dev-a,dev-c");
  /* A number is not in a list of strings, and an undefined value is in neither answer. */
  assert_ids ("SELECT * FROM devices WHERE tags.floor IN ['1', '3']", "");
  assert_ids ("SELECT * FROM devices WHERE tags.owner NIN ['x']", "dev-a");
}

static void
test_top (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse ("SELECT TOP 2 * FROM devices", &error);

  g_assert_no_error (error);
  g_assert_cmpint (cb_hub_query_get_top (query), ==, 2);

  assert_ids ("SELECT TOP 2 * FROM devices", "dev-a,dev-b");
  assert_ids ("SELECT TOP 1 * FROM devices WHERE status = 'enabled' AND tags.floor > 1", "dev-c");
  assert_ids ("select top 0 * from devices", "");
  assert_ids ("SELECT TOP 10 deviceId FROM devices WHERE tags.line = 'L1'", "dev-a,dev-c");
}

static void
test_projection (void)
{
  g_autoptr(JsonArray) rows = run_query (
    "SELECT deviceId, properties.reported.certificate.validUntil AS validUntil, tags.floor "
    "FROM devices WHERE tags.line = 'L1'");
  JsonObject *a, *c;

  g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  a = json_array_get_object_element (rows, 0);
  c = json_array_get_object_element (rows, 1);

  g_assert_cmpuint (json_object_get_size (a), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (a, "deviceId"), ==, "dev-a");
  g_assert_cmpstr (json_object_get_string_member (a, "validUntil"), ==, "2026-03-31T00:00:00Z");
  /* Without AS the row uses the last name of the path. */
  g_assert_cmpint (json_object_get_int_member (a, "floor"), ==, 1);

  /* dev-c has no certificate: the member is left out, not null. */
  g_assert_cmpuint (json_object_get_size (c), ==, 2);
  g_assert_false (json_object_has_member (c, "validUntil"));

  /* An object value projects whole. */
  {
    g_autoptr(JsonArray) certs = run_query (
      "SELECT properties.reported.certificate AS cert FROM devices WHERE deviceId = 'dev-a'");
    JsonObject *row = json_array_get_object_element (certs, 0);
    JsonObject *cert = json_object_get_object_member (row, "cert");

    g_assert_cmpstr (json_object_get_string_member (cert, "validFrom"), ==, "2026-03-01T00:00:00Z");
  }
}

static JsonObject *
find_group (JsonArray  *rows,
            const char *member,
            const char *value)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (value == NULL && !json_object_has_member (row, member))
        return row;
      if (value != NULL && g_strcmp0 (json_object_get_string_member_with_default (row, member, NULL),
                                      value) == 0)
        return row;
    }
  return NULL;
}

static void
test_count_and_group_by (void)
{
  g_autoptr(JsonArray) total = run_query ("SELECT COUNT() AS numberOfDevices FROM devices");
  g_autoptr(JsonArray) enabled = run_query ("SELECT COUNT() AS n FROM devices WHERE status = 'enabled'");
  g_autoptr(JsonArray) none = run_query ("SELECT COUNT() FROM devices WHERE status = 'missing'");
  g_autoptr(JsonArray) by_line = run_query (
    "SELECT tags.line AS line, COUNT() AS numberOfDevices FROM devices GROUP BY tags.line");
  g_autoptr(JsonArray) by_cert = run_query (
    "SELECT properties.reported.ok, COUNT() AS n FROM devices GROUP BY properties.reported.ok");
  g_autoptr(JsonArray) top = run_query (
    "SELECT TOP 1 status, COUNT() AS n FROM devices GROUP BY status");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse ("SELECT COUNT() AS n FROM devices", &error);
  JsonObject *row;

  g_assert_no_error (error);
  g_assert_true (cb_hub_query_is_aggregate (query));

  g_assert_cmpuint (json_array_get_length (total), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (total, 0),
                                               "numberOfDevices"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (enabled, 0), "n"), ==, 2);
  /* COUNT() over no device is one row with 0; unnamed it is called $1. */
  g_assert_cmpuint (json_array_get_length (none), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (none, 0), "$1"), ==, 0);

  g_assert_cmpuint (json_array_get_length (by_line), ==, 2);
  row = find_group (by_line, "line", "L1");
  g_assert_nonnull (row);
  g_assert_cmpint (json_object_get_int_member (row, "numberOfDevices"), ==, 2);
  row = find_group (by_line, "line", "L2");
  g_assert_nonnull (row);
  g_assert_cmpint (json_object_get_int_member (row, "numberOfDevices"), ==, 1);

  /* true, false and undefined are three groups; the undefined one has no "ok" member. */
  g_assert_cmpuint (json_array_get_length (by_cert), ==, 3);
  row = find_group (by_cert, "ok", NULL);
  g_assert_nonnull (row);
  g_assert_cmpint (json_object_get_int_member (row, "n"), ==, 1);

  g_assert_cmpuint (json_array_get_length (top), ==, 1);
}

static void
assert_syntax_error (const char *text,
                     const char *expected_fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse (text, &error);

  g_assert_null (query);
  g_assert_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_SYNTAX);
  g_test_message ("%s -> %s", text, error->message);
  if (strstr (error->message, expected_fragment) == NULL)
    g_error ("\"%s\" does not contain \"%s\"", error->message, expected_fragment);
}

static void
test_errors_point_at_token (void)
{
  assert_syntax_error ("SELECT * FORM devices", "line 1, column 10 near 'FORM': expected FROM");
  assert_syntax_error ("SELECT * FROM devices WHERE status == 'enabled'",
                       "column 37 near '='");
  assert_syntax_error ("SELECT * FROM devices WHERE status = ", "column 38 at the end of the query");
  assert_syntax_error ("SELECT * FROM devices WHERE (status = 'enabled'",
                       "at the end of the query: expected ')'");
  assert_syntax_error ("SELECT * FROM devices WHERE status = 'enabled",
                       "column 38 near ''enabled'");
  assert_syntax_error ("SELECT * FROM devices WHERE tags.x # 1", "column 36 near '#'");
  assert_syntax_error ("SELECT * FROM devices WHERE deviceId IN ('a')", "near '(': expected '['");
  assert_syntax_error ("SELECT * FROM devices WHERE status = 'a' status", "near 'status'");
  assert_syntax_error ("SELECT TOP x * FROM devices", "column 12 near 'x'");
  assert_syntax_error ("SELECT * FROM devices ORDER BY deviceId", "near 'ORDER'");
  assert_syntax_error ("SELECT * FROM twins", "near 'twins'");
  assert_syntax_error ("SELECT * FROM devices WHERE NO_SUCH(deviceId)", "near 'NO_SUCH'");
  assert_syntax_error ("SELECT * FROM devices\nWHERE AND", "line 2, column 7 near 'AND'");
  assert_syntax_error ("", "expected SELECT");
}

static void
assert_too_complex (const char *text,
                    const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse (text, &error);

  g_assert_null (query);
  g_assert_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_TOO_COMPLEX);
  g_assert_nonnull (strstr (error->message, expected));
}

/* "SELECT * FROM devices WHERE " + n times open + "status = 'enabled'" + n times close */
static char *
nested_query (guint       n,
              const char *open,
              const char *close)
{
  GString *text = g_string_new ("SELECT * FROM devices WHERE ");

  for (guint i = 0; i < n; i++)
    g_string_append (text, open);
  g_string_append (text, "status = 'enabled'");
  for (guint i = 0; i < n; i++)
    g_string_append (text, close);
  return g_string_free (text, FALSE);
}

static void
test_limits (void)
{
  g_autofree char *parens = nested_query (100000, "(", ")");
  g_autofree char *nots = nested_query (100000, "NOT ", "");
  g_autofree char *mixed = nested_query (CB_HUB_QUERY_MAX_DEPTH / 2 + 1, "NOT (", ")");
  g_autofree char *at_limit = nested_query (CB_HUB_QUERY_MAX_DEPTH, "(", ")");
  g_autofree char *over_limit = nested_query (CB_HUB_QUERY_MAX_DEPTH + 1, "(", ")");
  g_autoptr(GString) chain = g_string_new ("SELECT * FROM devices WHERE deviceId = 'dev-a'");
  g_autoptr(GString) short_chain = g_string_new ("SELECT * FROM devices WHERE deviceId = 'dev-a'");
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(JsonArray) chain_rows = NULL;

  /* the query: 100,000 nested parentheses overflowed the stack */
  assert_too_complex (parens, "more than 32 levels deep (parentheses and NOT)");
  assert_too_complex (parens, "line 1, column 61 near '('");
  assert_too_complex (nots, "more than 32 levels deep");
  assert_too_complex (mixed, "more than 32 levels deep");
  assert_too_complex (over_limit, "more than 32 levels deep");

  /* an AND/OR chain builds a tree as deep as it is long: bounded by the number of conditions */
  for (guint i = 0; i < 100000; i++)
    g_string_append (chain, i % 2 ? " OR deviceId = 'dev-b'" : " AND status = 'enabled'");
  assert_too_complex (chain->str, "more than 500 conditions");

  /* up to the limits, queries run */
  rows = run_query (at_limit);
  g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  for (guint i = 1; i < CB_HUB_QUERY_MAX_CONDITIONS; i++)
    g_string_append (short_chain, " OR deviceId = 'dev-c'");
  chain_rows = run_query (short_chain->str);
  g_assert_cmpuint (json_array_get_length (chain_rows), ==, 2);
}

static void
test_semantic_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) q1 = cb_hub_query_parse ("SELECT deviceId, COUNT() FROM devices GROUP BY status",
                                                 &error);

  g_assert_null (q1);
  g_assert_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "'deviceId'"));
  g_clear_error (&error);

  {
    g_autoptr(CbHubQuery) q2 = cb_hub_query_parse ("SELECT * FROM devices.modules", &error);

    g_assert_null (q2);
    g_assert_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_UNSUPPORTED);
    g_clear_error (&error);
  }
  {
    g_autoptr(CbHubQuery) q3 = cb_hub_query_parse ("SELECT * FROM devices GROUP BY status", &error);

    g_assert_null (q3);
    g_assert_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_INVALID);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/hub-query/select-all", test_select_all);
  g_test_add_func ("/cb/hub-query/keywords-case-insensitive", test_keywords_case_insensitive);
  g_test_add_func ("/cb/hub-query/operators", test_operators);
  g_test_add_func ("/cb/hub-query/mixed-types-undefined", test_mixed_types_are_undefined);
  g_test_add_func ("/cb/hub-query/precedence", test_precedence);
  g_test_add_func ("/cb/hub-query/strings-with-quotes", test_strings_with_quotes);
  g_test_add_func ("/cb/hub-query/valid-until", test_valid_until_string_comparison);
  g_test_add_func ("/cb/hub-query/is-defined", test_is_defined);
  g_test_add_func ("/cb/hub-query/in-nin", test_in_nin);
  g_test_add_func ("/cb/hub-query/top", test_top);
  g_test_add_func ("/cb/hub-query/projection", test_projection);
  g_test_add_func ("/cb/hub-query/count-group-by", test_count_and_group_by);
  g_test_add_func ("/cb/hub-query/errors-point-at-token", test_errors_point_at_token);
  g_test_add_func ("/cb/hub-query/semantic-errors", test_semantic_errors);
  g_test_add_func ("/cb/hub-query/limits", test_limits);

  return g_test_run ();
}
