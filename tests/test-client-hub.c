/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-hub-client.h"
#include "cb-sandbox-profile.h"
#include "cb-test-sandbox.h"

/* CbHubClient against the sandbox's IoT Hub service REST over real HTTPS on loopback. */

#define HUB        "bench-hub"
#define SUB        "00000000-0000-0000-0000-000000000001"
#define RG         "rg-bench"
#define PRINCIPAL  "hubadmin@sandbox.example"

typedef struct
{
  CbTestSandbox *ts;
  CbProfile     *profile;
  CbHttpClient  *http;
  CbSecrets     *secrets;
  CbEntraClient *entra;
  CbHubClient   *hub;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) info = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *key = NULL;
  const char *host_name = NULL;
  JsonArray *hubs;
  guint status;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);

  cb_sb_lock (f->ts->sandbox);
  cb_sb_create_hub (f->ts->sandbox, SUB, RG, HUB, NULL, &error);
  g_assert_no_error (error);
  cb_sb_add_principal (f->ts->sandbox, PRINCIPAL, "Hub admin", &error);
  g_assert_no_error (error);
  cb_sb_set_meta (f->ts->sandbox, "default_principal", PRINCIPAL);
  tenant = cb_sb_dup_meta (f->ts->sandbox, "tenant_id");
  key = cb_sb_dup_hub_key (f->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (f->ts->sandbox);
  g_assert_nonnull (key);

  /* The hub's host name (what SAS tokens sign) as the sandbox advertises it. */
  status = cb_test_sandbox_request_json (f->ts, "GET", "/sandbox/info", NULL, NULL, &info, NULL);
  g_assert_cmpuint (status, ==, 200);
  hubs = json_object_get_array_member (json_node_get_object (info), "hubs");
  for (guint i = 0; i < json_array_get_length (hubs); i++)
    {
      JsonObject *hub = json_array_get_object_element (hubs, i);

      if (g_strcmp0 (json_object_get_string_member (hub, "name"), HUB) == 0)
        host_name = json_object_get_string_member (hub, "hostName");
    }
  g_assert_nonnull (host_name);

  f->profile = cb_sandbox_create_profile (f->ts->sandbox);
  cb_profile_set_client_id (f->profile, "certbench-tests");
  g_assert_cmpstr (cb_profile_get_hub_name (f->profile), ==, HUB);
  g_assert_cmpstr (cb_profile_get_hub_host_name (f->profile), ==, host_name);

  f->http = cb_http_client_new (f->profile, &error);
  g_assert_no_error (error);
  f->secrets = cb_secrets_new_memory ();
  f->entra = cb_entra_client_new (f->profile, f->http, f->secrets);
  f->hub = cb_hub_client_new (f->profile, f->http, f->entra);
  cb_hub_client_set_sas_key (f->hub, NULL, key);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->hub);
  g_assert_finalize_object (f->entra);
  g_assert_finalize_object (f->secrets);
  g_assert_finalize_object (f->http);
  g_assert_finalize_object (f->profile);
  cb_test_sandbox_free (f->ts);
}

/* ---- helpers -------------------------------------------------------------------------------- */



static JsonObject *
device_body (const char *device_id)
{
  g_autofree char *json = g_strdup_printf ("{\"deviceId\":\"%s\",\"status\":\"enabled\","
                                           "\"authentication\":{\"type\":\"certificateAuthority\"}}",
                                           device_id);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  return json_object_ref (json_node_get_object (node));
}

static JsonObject *
put_device (CbHubClient  *hub,
            const char   *device_id,
            JsonObject   *device,
            const char   *etag,
            GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_hub_client_put_device_async (hub, device_id, device, etag, NULL, cb_test_store_result_cb, &result);
  return cb_hub_client_object_finish (hub, cb_test_wait_for (&result), error);
}

static JsonObject *
create_device (Fixture    *f,
               const char *device_id)
{
  g_autoptr(JsonObject) body = device_body (device_id);
  g_autoptr(GError) error = NULL;
  JsonObject *device = put_device (f->hub, device_id, body, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (device);
  return device;
}

static JsonObject *
get_device (CbHubClient  *hub,
            const char   *device_id,
            GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_hub_client_get_device_async (hub, device_id, NULL, cb_test_store_result_cb, &result);
  return cb_hub_client_object_finish (hub, cb_test_wait_for (&result), error);
}

static gboolean
delete_device (CbHubClient  *hub,
               const char   *device_id,
               const char   *etag,
               GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_hub_client_delete_device_async (hub, device_id, etag, NULL, cb_test_store_result_cb, &result);
  return cb_hub_client_delete_device_finish (hub, cb_test_wait_for (&result), error);
}

static CbHubQueryPage *
query (CbHubClient  *hub,
       const char   *text,
       guint         page_size,
       const char   *continuation,
       GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_hub_client_query_async (hub, text, page_size, continuation, NULL, cb_test_store_result_cb, &result);
  return cb_hub_client_query_finish (hub, cb_test_wait_for (&result), error);
}

static void
set_faults (Fixture    *f,
            const char *json)
{
  guint status = cb_test_sandbox_request (f->ts, "PUT", "/sandbox/faults", NULL, NULL, json,
                                          NULL, NULL);

  g_assert_cmpuint (status / 100, ==, 2);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void
test_device_etags (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-1");
  g_autoptr(JsonObject) fetched = NULL;
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_etag = NULL;
  const char *etag;

  etag = json_object_get_string_member (created, "etag");
  g_assert_nonnull (etag);
  first_etag = g_strdup (etag);
  g_assert_cmpstr (json_object_get_string_member (created, "deviceId"), ==, "dev-1");

  fetched = get_device (f->hub, "dev-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (fetched, "etag"), ==, first_etag);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (fetched, "authentication"), "type"),
                   ==, "certificateAuthority");

  /* Creating again (no If-Match) conflicts. */
  again = put_device (f->hub, "dev-1", fetched, NULL, &error);
  g_assert_null (again);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_CONFLICT);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "DeviceAlreadyExists");
  g_clear_error (&error);

  /* Updating with the current etag works and changes the etag. */
  json_object_set_string_member (fetched, "status", "disabled");
  updated = put_device (f->hub, "dev-1", fetched, first_etag, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (updated, "status"), ==, "disabled");
  g_assert_cmpstr (json_object_get_string_member (updated, "etag"), !=, first_etag);

  /* The old etag is now stale: 412 for update and delete. */
  g_clear_pointer (&again, json_object_unref);
  again = put_device (f->hub, "dev-1", fetched, first_etag, &error);
  g_assert_null (again);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PRECONDITION_FAILED);
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 412);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "PreconditionFailed");
  g_clear_error (&error);

  g_assert_false (delete_device (f->hub, "dev-1", first_etag, &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PRECONDITION_FAILED);
  g_clear_error (&error);

  g_assert_true (delete_device (f->hub, "dev-1", json_object_get_string_member (updated, "etag"),
                                &error));
  g_assert_no_error (error);

  g_clear_pointer (&fetched, json_object_unref);
  fetched = get_device (f->hub, "dev-1", &error);
  g_assert_null (fetched);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "DeviceNotFound");
}

static void
test_set_enabled (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-2");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) device = NULL;
  gboolean enabled = TRUE;

  cb_hub_client_set_device_enabled_async (f->hub, "dev-2", FALSE, NULL, cb_test_store_result_cb, &result);
  device = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (device, "status"), ==, "disabled");

  cb_sb_lock (f->ts->sandbox);
  g_assert_true (cb_sb_hub_lookup_device (f->ts->sandbox, HUB, "dev-2", &enabled));
  cb_sb_unlock (f->ts->sandbox);
  g_assert_false (enabled);

  g_clear_object (&result);
  g_clear_pointer (&device, json_object_unref);
  cb_hub_client_set_device_enabled_async (f->hub, "dev-2", TRUE, NULL, cb_test_store_result_cb, &result);
  device = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (device, "status"), ==, "enabled");

  /* A missing device is reported, not created. */
  g_clear_object (&result);
  g_clear_pointer (&device, json_object_unref);
  cb_hub_client_set_device_enabled_async (f->hub, "nope", FALSE, NULL, cb_test_store_result_cb, &result);
  device = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
  g_assert_null (device);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
}

static void
test_twin_patch (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-3");
  g_autoptr(JsonNode) tags = json_from_string ("{\"site\":\"lab-2\",\"line\":{\"n\":4}}", NULL);
  g_autoptr(JsonNode) desired = json_from_string ("{\"telemetryInterval\":30}", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) twin = NULL;
  g_autoptr(JsonObject) fetched = NULL;
  g_autoptr(JsonObject) stale = NULL;
  g_autofree char *old_etag = NULL;
  JsonObject *properties;

  cb_hub_client_get_twin_async (f->hub, "dev-3", NULL, cb_test_store_result_cb, &result);
  twin = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  old_etag = g_strdup (json_object_get_string_member (twin, "etag"));
  g_assert_nonnull (old_etag);

  g_clear_object (&result);
  g_clear_pointer (&twin, json_object_unref);
  cb_hub_client_update_twin_async (f->hub, "dev-3", json_node_get_object (tags),
                                   json_node_get_object (desired), old_etag, NULL,
                                   cb_test_store_result_cb, &result);
  twin = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (twin, "tags"),
                                                  "site"), ==, "lab-2");

  /* Read back: the hub kept both. */
  g_clear_object (&result);
  cb_hub_client_get_twin_async (f->hub, "dev-3", NULL, cb_test_store_result_cb, &result);
  fetched = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (json_object_get_object_member (fetched, "tags"),
                                                    "line"), "n"), ==, 4);
  properties = json_object_get_object_member (fetched, "properties");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (properties, "desired"),
                                               "telemetryInterval"), ==, 30);
  g_assert_cmpstr (json_object_get_string_member (fetched, "etag"), !=, old_etag);

  /* The etag read before the patch no longer matches. */
  g_clear_object (&result);
  cb_hub_client_update_twin_async (f->hub, "dev-3", json_node_get_object (tags), NULL, old_etag,
                                   NULL, cb_test_store_result_cb, &result);
  stale = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
  g_assert_null (stale);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PRECONDITION_FAILED);
}

static void
test_query_paging (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *continuation = NULL;
  guint pages = 0;
  guint sizes[8] = { 0, };

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *id = g_strdup_printf ("q-%02u", i);
      g_autoptr(JsonObject) device = create_device (f, id);
    }

  do
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbHubQueryPage) page = query (f->hub, "SELECT * FROM devices", 3, continuation,
                                              &error);

      g_assert_no_error (error);
      g_assert_nonnull (page);
      g_assert_cmpstr (page->item_type, ==, "twin");
      g_assert_cmpuint (pages, <, G_N_ELEMENTS (sizes));
      sizes[pages++] = json_array_get_length (page->items);

      for (guint i = 0; i < json_array_get_length (page->items); i++)
        {
          const char *id = json_object_get_string_member (json_array_get_object_element (page->items, i),
                                                          "deviceId");

          g_assert_false (g_hash_table_contains (seen, id));
          g_hash_table_add (seen, g_strdup (id));
        }

      g_free (continuation);
      continuation = g_strdup (page->continuation);
    }
  while (continuation != NULL);

  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (sizes[0], ==, 3);
  g_assert_cmpuint (sizes[1], ==, 3);
  g_assert_cmpuint (sizes[2], ==, 1);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 7);
}

static void
test_query_projection (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonObject) device = create_device (f, "proj-1");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(CbHubQueryPage) bad = NULL;

  page = query (f->hub, "SELECT deviceId, status FROM devices WHERE deviceId = 'proj-1'", 0, NULL,
                &error);
  g_assert_no_error (error);
  g_assert_cmpstr (page->item_type, ==, "raw");
  g_assert_null (page->continuation);
  g_assert_cmpuint (json_array_get_length (page->items), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (page->items, 0),
                                                  "status"), ==, "enabled");

  bad = query (f->hub, "SELEKT nonsense", 0, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
}

static void
test_throttled_then_success (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-4");
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  /* Two 429s with Retry-After: 1, then the real answer. */
  set_faults (f, "{\"faults\":[{\"method\":\"GET\",\"path\":\"/hubs/*/devices/dev-4\","
                 "\"status\":429,\"retryAfter\":1,\"count\":2}]}");

  start = g_get_monotonic_time ();
  device = get_device (f->hub, "dev-4", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (device, "deviceId"), ==, "dev-4");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1900 * 1000);
}

static void
test_throttled_exhausted (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-5");
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(GError) error = NULL;

  set_faults (f, "{\"faults\":[{\"path\":\"/hubs/*/devices/dev-5\",\"status\":429,"
                 "\"retryAfter\":1,\"count\":10}]}");
  cb_http_client_set_max_attempts (f->http, 2);

  device = get_device (f->hub, "dev-5", &error);
  g_assert_null (device);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_THROTTLED);
  g_assert_cmpuint (cb_api_error_get_retry_after (error), ==, 1);
}

static void
test_read_only_key (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-6");
  g_autoptr(JsonObject) body = device_body ("dev-7");
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(JsonObject) denied = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  cb_sb_lock (f->ts->sandbox);
  key = cb_sb_dup_hub_key (f->ts->sandbox, HUB, "registryRead");
  cb_sb_unlock (f->ts->sandbox);
  cb_hub_client_set_sas_key (f->hub, "registryRead", key);

  device = get_device (f->hub, "dev-6", &error);
  g_assert_no_error (error);

  denied = put_device (f->hub, "dev-7", body, NULL, &error);
  g_assert_null (denied);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
}

static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(GError) error = NULL;

  /* A well-formed key that is not the hub's. */
  cb_hub_client_set_sas_key (f->hub, "iothubowner", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  device = get_device (f->hub, "dev-1", &error);
  g_assert_null (device);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_null (strstr (error->message, "sig="));
}

static void
test_bearer (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-8");
  g_autoptr(CbEntraDeviceCode) code = NULL;
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* Without a key the client falls back to Entra, which is not signed in yet. */
  cb_hub_client_set_sas_key (f->hub, NULL, NULL);
  device = get_device (f->hub, "dev-8", &error);
  g_assert_null (device);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  cb_entra_client_begin_sign_in_async (f->entra, NULL, cb_test_store_result_cb, &result);
  code = cb_entra_client_begin_sign_in_finish (f->entra, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  cb_entra_client_complete_sign_in_async (f->entra, code, NULL, cb_test_store_result_cb, &result);
  g_assert_true (cb_entra_client_complete_sign_in_finish (f->entra, cb_test_wait_for (&result), &error));
  g_assert_no_error (error);

  device = get_device (f->hub, "dev-8", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (device, "deviceId"), ==, "dev-8");
  g_clear_pointer (&device, json_object_unref);

  /* Two hours on by the service's clock, the cached token is refused though ours still calls
   * it valid: the client gets a new one through the refresh token and sends again. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 7200}", NULL, NULL), ==, 200);
  device = get_device (f->hub, "dev-8", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (device, "deviceId"), ==, "dev-8");
}

static void
count_queued (SoupSession *session,
              SoupMessage *msg,
              guint       *queued)
{
  (*queued)++;
}

/* Signed in, a request with a cached Entra token goes out from the call itself: the token
 * used to come back through a GTask of the Entra client's, in an idle on a main-loop turn of
 * its own, before the request was queued. Counted: requests queued before the loop turns. */
static void
test_bearer_cached (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) created = create_device (f, "dev-9");
  g_autoptr(CbEntraDeviceCode) code = NULL;
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  SoupSession *session;
  guint queued = 0;
  gulong handler;

  cb_hub_client_set_sas_key (f->hub, NULL, NULL);
  g_assert_null (cb_entra_client_dup_cached_access_token (f->entra, CB_ENTRA_SCOPE_HUB));
  cb_entra_client_begin_sign_in_async (f->entra, NULL, cb_test_store_result_cb, &result);
  code = cb_entra_client_begin_sign_in_finish (f->entra, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  cb_entra_client_complete_sign_in_async (f->entra, code, NULL, cb_test_store_result_cb, &result);
  g_assert_true (cb_entra_client_complete_sign_in_finish (f->entra, cb_test_wait_for (&result),
                                                          &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* The first request gets the hub's token; the next ones find it cached. */
  device = get_device (f->hub, "dev-9", &error);
  g_assert_no_error (error);
  g_clear_pointer (&device, json_object_unref);
  token = cb_entra_client_dup_cached_access_token (f->entra, CB_ENTRA_SCOPE_HUB);
  g_assert_nonnull (token);

  session = cb_http_client_get_session_for_url (f->http, cb_profile_get_hub_endpoint (f->profile));
  handler = g_signal_connect (session, "request-queued", G_CALLBACK (count_queued), &queued);
  for (guint i = 0; i < 3; i++)
    {
      cb_hub_client_get_device_async (f->hub, "dev-9", NULL, cb_test_store_result_cb, &result);
      g_assert_cmpuint (queued, ==, i + 1);
      device = cb_hub_client_object_finish (f->hub, cb_test_wait_for (&result), &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (device, "deviceId"), ==, "dev-9");
      g_clear_pointer (&device, json_object_unref);
      g_clear_object (&result);
    }
  g_signal_handler_disconnect (session, handler);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/client-hub/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("device-etags", test_device_etags);
  ADD ("set-enabled", test_set_enabled);
  ADD ("twin-patch", test_twin_patch);
  ADD ("query-paging", test_query_paging);
  ADD ("query-projection", test_query_projection);
  ADD ("throttled-then-success", test_throttled_then_success);
  ADD ("throttled-exhausted", test_throttled_exhausted);
  ADD ("read-only-key", test_read_only_key);
  ADD ("wrong-key", test_wrong_key);
  ADD ("bearer", test_bearer);
  ADD ("bearer-cached", test_bearer_cached);
#undef ADD

  return g_test_run ();
}
