/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-device-state.h"
#include "cb-hub-query.h"
#include "cb-sandbox-private.h"
#include "cb-sandbox-seed-fleet.h"
#include "cb-sas.h"
#include "cb-sb-hub-query-sql.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-hub.h"
#include "cb-sb-topology.h"
#include "cb-test-sandbox.h"
#include "cb-util.h"

/* Hub queries answered by SQLite (cb-sb-hub-query-sql.c) against the same queries evaluated
 * twin by twin (CB_SANDBOX_HUB_QUERY=evaluate): on a seeded fleet with odd twins added, every
 * page of every query must be byte for byte the same, continuation tokens included. */

#define HUB       "demo-hub"
#define HUB_HOST  "demo-hub.azure-devices.net"
#define HUB_API   "api-version=2021-04-12"

/* The sanitizer pass unwinds the whole stack on every allocation, which makes the evaluator
 * (it decodes every twin, with its metadata, for every page) about a hundred times slower
 * (4 s here, 370 s there, the pass's longest test; each query evaluates the demo seed's 240
 * twins and the fleet's): there every third hostile query runs whole and every twelfth also in
 * pages of 7, and the Fleet page's conditions only with the revocations known and the issuer
 * not rotated. The sanitizer looks for memory errors, which the same code paths show with
 * fewer rounds; the normal pass compares all of it. */
#ifdef __SANITIZE_ADDRESS__
#define QUERY_EVERY   3
#define PAGED_EVERY   12
#define FIRST_KNOWN   1
#define LAST_ROTATED  0
#else
#define QUERY_EVERY   1
#define PAGED_EVERY   1
#define FIRST_KNOWN   0
#define LAST_ROTATED  1
#endif

typedef struct
{
  CbTestSandbox *ts;
} Fixture;

static void
set_twin (Fixture    *fx,
          const char *device_id,
          const char *tags_json,
          const char *reported_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSbHubDevice) dev = NULL;

  cb_sb_lock (fx->ts->sandbox);
  g_assert_true (cb_sb_hub_ensure_device (fx->ts->sandbox, HUB, device_id, &error));
  g_assert_no_error (error);
  if (reported_json != NULL)
    {
      g_autoptr(JsonNode) patch = json_from_string (reported_json, &error);

      g_assert_no_error (error);
      g_assert_true (cb_sb_hub_patch_reported (fx->ts->sandbox, HUB, device_id,
                                               json_node_get_object (patch), &error));
      g_assert_no_error (error);
    }
  if (tags_json != NULL)
    {
      g_autoptr(JsonNode) tags = json_from_string (tags_json, &error);

      g_assert_no_error (error);
      dev = cb_sb_hub_device_load (fx->ts->sandbox, HUB, device_id);
      g_assert_nonnull (dev);
      g_clear_pointer (&dev->tags, json_object_unref);
      dev->tags = json_object_ref (json_node_get_object (tags));
      g_assert_true (cb_sb_hub_device_save (fx->ts->sandbox, dev, &error));
      g_assert_no_error (error);
    }
  cb_sb_unlock (fx->ts->sandbox);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  /* Every state of cb_sandbox_fleet_state_for() several times over; the queries, not the
   * fleet's size, are what this test is about (the evaluator decodes every twin for every
   * page, which the sanitizer pass makes a hundred times slower). */
  CbSandboxFleetSpec spec = { 36, 4, 3, 6 };

  fx->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_fleet (fx->ts->sandbox, &spec, &error));
  g_assert_no_error (error);

  /* Odd twins: other types where dates belong, unicode, deep paths, nulls, quotes. */
  set_twin (fx, "odd-number", "{\"site\": 7}",
            "{\"certificate\": {\"validUntil\": 20270101, \"validFrom\": 1.5}}");
  set_twin (fx, "odd-bool", "{\"site\": true, \"floor\": null}",
            "{\"certificate\": {\"validUntil\": true, \"validFrom\": false}}");
  set_twin (fx, "odd-null", "{\"site\": null}",
            "{\"certificate\": {\"validUntil\": null}, \"firmware\": null}");
  set_twin (fx, "odd-object", "{\"site\": {\"name\": \"Zürich\", \"level\": {\"n\": 3}}}",
            "{\"certificate\": {\"validUntil\": {\"at\": \"2027-01-01T00:00:00Z\"}}}");
  set_twin (fx, "odd-array", "{\"site\": [\"a\", \"b\"]}",
            "{\"certificate\": [1, 2], \"firmware\": [\"1.5.0\"]}");
  set_twin (fx, "odd-unicode", "{\"site\": \"Zürich \\u00e9\\u4e2d\", \"it's\": \"o'k\", "
            "\"a.b\": \"dotted\", \"q\\\"uote\": 1}",
            "{\"certificate\": {\"validUntil\": \"2030-01-01T00:00:00Z\", "
            "\"validFrom\": \"\\u00e9t\\u00e9\"}, \"firmware\": \"1.5.0-\\u03b2\"}");
  set_twin (fx, "odd-deep", "{\"a\": {\"b\": {\"c\": {\"d\": {\"e\": \"deep\"}}}}, \"n\": 10}",
            "{\"a\": {\"b\": {\"c\": {\"d\": {\"e\": 2.25}}}}, \"firmware\": \"1.4.2\"}");
  set_twin (fx, "odd-big", "{\"n\": 9007199254740993, \"f\": -0.5, \"e\": 1e3}", "{}");
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  cb_test_sandbox_free (fx->ts);
}

static char *
hub_sas (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  gint64 now;
  char *token;

  cb_sb_lock (fx->ts->sandbox);
  key = cb_sb_dup_hub_key (fx->ts->sandbox, HUB, "iothubowner");
  now = cb_sb_now (fx->ts->sandbox);
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (HUB_HOST, key, "iothubowner", now + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

/* Every page of the query, each page's body and continuation, as one text. */
static char *
run_query (Fixture    *fx,
           const char *auth,
           const char *query,
           const char *page_size)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *continuation = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body_node = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_add_string_value (builder, query);
  json_builder_end_object (builder);
  body_node = json_builder_get_root (builder);
  body = json_to_string (body_node, FALSE);

  for (guint page = 0; page < 1000; page++)
    {
      g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (fx->ts->sandbox),
                                          "/hubs/" HUB "/devices/query?" HUB_API, NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;
      SoupMessageHeaders *request_headers = soup_message_get_request_headers (msg);
      const char *next;
      const char *type;
      gsize len = 0;
      const char *data;

      /* As the app sends it (cb_http_client_query_async): on one kept-alive connection. */
      soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
      soup_message_headers_replace (request_headers, "Authorization", auth);
      if (page_size != NULL)
        soup_message_headers_replace (request_headers, "x-ms-max-item-count", page_size);
      if (continuation != NULL)
        soup_message_headers_replace (request_headers, "x-ms-continuation", continuation);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      reply = soup_session_send_and_read (fx->ts->session, msg, NULL, &error);
      g_assert_no_error (error);

      data = g_bytes_get_data (reply, &len);
      type = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                           "x-ms-item-type");
      g_string_append_printf (out, "%u %s %.*s\n", soup_message_get_status (msg),
                              type != NULL ? type : "-", (int) len, data);
      next = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                           "x-ms-continuation");
      if (soup_message_get_status (msg) != 200 || next == NULL)
        break;
      g_string_append_printf (out, "continuation %s\n", next);
      g_free (continuation);
      continuation = g_strdup (next);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The same query through SQL and through the evaluator. */
static void
assert_same (Fixture    *fx,
             const char *auth,
             const char *query,
             const char *page_size)
{
  g_autofree char *sql = NULL;
  g_autofree char *evaluated = NULL;

  g_unsetenv ("CB_SANDBOX_HUB_QUERY");
  sql = run_query (fx, auth, query, page_size);
  g_setenv ("CB_SANDBOX_HUB_QUERY", "evaluate", TRUE);
  evaluated = run_query (fx, auth, query, page_size);
  g_unsetenv ("CB_SANDBOX_HUB_QUERY");

  if (g_strcmp0 (sql, evaluated) != 0)
    g_printerr ("query: %s\nSQL:\n%.2000s\nevaluator:\n%.2000s\n", query, sql, evaluated);
  g_assert_cmpstr (sql, ==, evaluated);
}

/* Whether SQLite answers the query (no fallback to the evaluator). */
static gboolean
has_sql (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQuery) query = cb_hub_query_parse (text, &error);
  g_auto(CbSbHubQuerySql) where = { 0 };
  g_autoptr(GString) keys = g_string_new (NULL);

  g_assert_no_error (error);
  return cb_sb_hub_query_where_sql (query, &where) &&
         cb_sb_hub_query_group_sql (query, &where, keys);
}

static const char *const hostile_queries[] = {
  "SELECT * FROM devices",
  "SELECT COUNT() AS n FROM devices",
  "SELECT COUNT() FROM devices WHERE status = 'disabled'",
  "SELECT deviceId, status FROM devices WHERE connectionState = 'Disconnected'",
  "SELECT * FROM devices WHERE properties.reported.certificate.validUntil < '2026-12-01T00:00:00Z'",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validUntil >= 20270101",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validUntil = 20270101",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validFrom > 1",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validFrom <= 1.5",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validUntil = true",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validUntil != false",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validFrom < true",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validUntil = null",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validUntil != null",
  "SELECT deviceId FROM devices WHERE tags.site = null OR tags.floor = null",
  "SELECT deviceId FROM devices WHERE NOT (properties.reported.certificate.validUntil > '2026')",
  "SELECT deviceId FROM devices WHERE NOT IS_DEFINED(properties.reported.certificate.validUntil)",
  "SELECT deviceId FROM devices WHERE IS_DEFINED(properties.reported.certificate)",
  "SELECT deviceId FROM devices WHERE IS_DEFINED(tags.site.level.n) AND tags.site.level.n = 3",
  "SELECT deviceId FROM devices WHERE tags.site.name = 'Zürich'",
  "SELECT deviceId FROM devices WHERE tags.site = 'Zürich é中'",
  "SELECT deviceId FROM devices WHERE tags.site > 'Z' AND tags.site < 'Zz'",
  "SELECT deviceId FROM devices WHERE tags[\"it's\"] = \"o'k\"",
  "SELECT deviceId FROM devices WHERE tags['a.b'] = 'dotted'",
  "SELECT deviceId FROM devices WHERE tags['q\"uote'] = 1",
  "SELECT deviceId FROM devices WHERE tags.a.b.c.d.e = 'deep' OR properties.reported.a.b.c.d.e = 2.25",
  "SELECT deviceId FROM devices WHERE tags.n > 9007199254740992",
  "SELECT deviceId FROM devices WHERE tags.f < 0 OR tags.e = 1000",
  "SELECT deviceId FROM devices WHERE tags.nothing.deeper = 1 OR NOT tags.missing = 2",
  "SELECT deviceId FROM devices WHERE properties.reported.firmware IN ['1.5.0', 1, true, null]",
  "SELECT deviceId FROM devices WHERE properties.reported.firmware NIN ['1.5.0', '1.4.2']",
  "SELECT deviceId FROM devices WHERE tags.site IN [7, true] OR tags.site NIN ['zz']",
  "SELECT deviceId FROM devices WHERE status IN ['disabled', 1] OR deviceId NIN ['odd-null', 2]",
  "SELECT deviceId FROM devices WHERE STARTSWITH(deviceId, 'odd-') OR ENDSWITH(deviceId, '99')",
  "SELECT deviceId FROM devices WHERE STARTSWITH(properties.reported.firmware, '1.5.0-β')",
  "SELECT deviceId FROM devices WHERE ENDSWITH(properties.reported.firmware, 'β') OR ENDSWITH(tags.site, '')",
  "SELECT deviceId FROM devices WHERE STARTSWITH(tags.site, '') AND NOT ENDSWITH(tags.site, 'xyz')",
  "SELECT deviceId FROM devices WHERE DeviceId = 'odd-deep' OR STATUS = 'enabled' AND deviceid > 'odd'",
  "SELECT deviceId FROM devices WHERE status = 1 OR status != true OR NOT (status = null)",
  "SELECT deviceId, lastActivityTime FROM devices WHERE lastActivityTime > '2026-01-01' AND lastActivityTime < '9'",
  "SELECT deviceId FROM devices WHERE lastActivityTime = '0001-01-01T00:00:00Z'",
  "SELECT deviceId FROM devices WHERE properties.reported.$version > 1",
  "SELECT deviceId FROM devices WHERE properties.desired.x = 1 OR version > 0",
  "SELECT deviceId FROM devices WHERE properties.reported.certificate.validUntil = properties.reported.certificate.validFrom",
  "SELECT deviceId FROM devices WHERE 'a' = 'a' AND deviceId < 'fleet-000010'",
  "SELECT TOP 7 deviceId, properties.reported.certificate AS cert FROM devices WHERE tags.site != 'x'",
  "SELECT TOP 3 * FROM devices WHERE properties.reported.firmware = '1.5.0'",
  "SELECT properties.reported.firmware AS fw, COUNT() AS n FROM devices GROUP BY properties.reported.firmware",
  "SELECT status, connectionState, COUNT() AS n FROM devices GROUP BY status, connectionState",
  "SELECT tags.site AS site, COUNT() AS n FROM devices GROUP BY tags.site",
  "SELECT tags.n, tags.f, COUNT() FROM devices WHERE IS_DEFINED(tags.n) GROUP BY tags.n, tags.f",
  "SELECT TOP 2 properties.reported.certificate.validUntil AS u, COUNT() AS n FROM devices GROUP BY properties.reported.certificate.validUntil",
  "SELECT properties.reported.certificate AS c, COUNT() AS n FROM devices WHERE STARTSWITH(deviceId, 'odd') GROUP BY properties.reported.certificate",
  "SELECT lastActivityTime, COUNT() AS n FROM devices WHERE STARTSWITH(deviceId, 'fleet-00001') GROUP BY lastActivityTime",
  "SELECT COUNT() AS n FROM devices WHERE properties.reported.nothing = 'x'",
};

static void
test_hostile (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *auth = hub_sas (fx);

  for (guint i = 0; i < G_N_ELEMENTS (hostile_queries); i++)
    {
      if (i % QUERY_EVERY != 0)
        continue;
      assert_same (fx, auth, hostile_queries[i], NULL);
      if (i % PAGED_EVERY == 0)
        assert_same (fx, auth, hostile_queries[i], "7");
    }
}

/* The Fleet page's counts and group lists (cb_device_state_build_condition), with the
 * revocations the seed logged: SQLite answers each, with the evaluator's result. */
static void
test_fleet_page (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *auth = hub_sas (fx);
  g_autoptr(CbRevocations) revocations = cb_revocations_new ();
  CbDeviceStateContext context = { 0 };
  gint64 now;

  cb_sb_lock (fx->ts->sandbox);
  now = cb_sb_now (fx->ts->sandbox);
  cb_sb_unlock (fx->ts->sandbox);

  /* Revoked a while ago, and just now: devices connected after the first are not revoked. */
  cb_revocations_add_device (revocations, "fleet-000010", now - 20 * 86400);
  cb_revocations_add_device (revocations, "fleet-000020", now);
  cb_revocations_add_device (revocations, "fleet-000030", now);
  cb_revocations_add_device (revocations, "odd-unicode", now);
  context.now = now;
  context.renewal_fraction = 0.8;
  context.validity_days = 30;
  context.revocations = revocations;

  for (int known = FIRST_KNOWN; known < 2; known++)
    for (int rotated = 0; rotated <= LAST_ROTATED; rotated++)
      for (guint state = 0; state < CB_DEVICE_N_STATES; state++)
        {
          g_autofree char *condition = NULL;
          g_autofree char *count = NULL;
          g_autofree char *list = NULL;

          context.revocations_known = known;
          context.issuer_rotated_at = rotated ? now - 5 * 86400 : 0;
          condition = cb_device_state_build_condition (state, &context);
          count = g_strdup_printf ("SELECT COUNT() AS n FROM devices WHERE %s", condition);
          list = g_strdup_printf ("SELECT * FROM devices WHERE %s", condition);
          g_assert_true (has_sql (count));
          assert_same (fx, auth, count, NULL);
          if (known && !rotated)
            assert_same (fx, auth, list, "9");
        }
}

/* What has no exact SQL form is left to the evaluator (and still answers the same). */
static void
test_fallback (void)
{
  g_assert_true (has_sql ("SELECT COUNT() FROM devices WHERE tags.a = 1 AND status != 'x'"));
  g_assert_true (has_sql ("SELECT tags.x, COUNT() FROM devices GROUP BY tags.x"));
  g_assert_false (has_sql ("SELECT * FROM devices WHERE properties.desired.x = 1"));
  g_assert_false (has_sql ("SELECT * FROM devices WHERE tags.a = tags.b"));
  g_assert_false (has_sql ("SELECT * FROM devices WHERE tags['q\"uote'] = 1"));
  g_assert_false (has_sql ("SELECT * FROM devices WHERE properties.reported.$version = 1"));
  g_assert_false (has_sql ("SELECT version, COUNT() FROM devices GROUP BY version"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/hub-query-sql/hostile", Fixture, NULL, fixture_setup, test_hostile,
              fixture_teardown);
  g_test_add ("/hub-query-sql/fleet-page", Fixture, NULL, fixture_setup, test_fleet_page,
              fixture_teardown);
  g_test_add_func ("/hub-query-sql/fallback", test_fallback);

  return g_test_run ();
}
