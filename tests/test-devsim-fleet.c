/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated fleet (cbd-fleet) in-process against a real sandbox (its own thread, real TLS,
 * real MQTT): small N, the sandbox clock two days a second, so registrations, connections,
 * twin reports, renewals and expiries all happen within seconds. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cb-sas.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"
#include "cbd-device.h"
#include "cbd-fleet.h"

#define HUB       "demo-hub"
#define HUB_HOST  "demo-hub.azure-devices.net"
#define HUB_API   "api-version=2021-04-12"
#define N         24
#define DAYS_PER_SECOND 2.0

typedef struct
{
  CbTestSandbox *ts;
  char          *state_dir;
  CbdFleet      *fleet;
} Fixture;

static gint64
sandbox_now (Fixture *fx)
{
  gint64 now;

  cb_sb_lock (fx->ts->sandbox);
  now = cb_sb_now (fx->ts->sandbox);
  cb_sb_unlock (fx->ts->sandbox);
  return now;
}

/* A hub SAS valid for an hour of the sandbox's (accelerated) world clock. */
static char *
hub_sas (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (fx->ts->sandbox);
  key = cb_sb_dup_hub_key (fx->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (HUB_HOST, key, "iothubowner", sandbox_now (fx) + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

static gint64
query_count (Fixture    *fx,
             const char *where)
{
  g_autofree char *auth = hub_sas (fx);
  g_autofree char *query = g_strdup_printf ("SELECT COUNT() AS n FROM devices WHERE %s", where);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *text = NULL;
  JsonArray *rows;
  guint status;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_add_string_value (builder, query);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  json_generator_set_root (gen, body);
  text = json_generator_to_data (gen, NULL);

  status = cb_test_sandbox_request_json (fx->ts, "POST", "/hubs/" HUB "/devices/query?" HUB_API,
                                         auth, text, &reply, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (reply));
  rows = json_node_get_array (reply);
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  return json_object_get_int_member (json_array_get_object_element (rows, 0), "n");
}

/* The twin's reported certificate dates; FALSE when the device reported none. */
static gboolean
twin_dates (Fixture     *fx,
            const char  *device_id,
            char       **valid_from,
            char       **valid_until,
            char       **connection_state)
{
  g_autofree char *auth = hub_sas (fx);
  g_autofree char *path = g_strdup_printf ("/hubs/" HUB "/twins/%s?" HUB_API, device_id);
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *twin, *props, *reported, *cert;

  g_assert_cmpuint (cb_test_sandbox_request_json (fx->ts, "GET", path, auth, NULL, &reply, NULL),
                    ==, 200);
  twin = json_node_get_object (reply);
  if (connection_state != NULL)
    *connection_state = g_strdup (json_object_get_string_member_with_default (twin,
                                                                              "connectionState",
                                                                              ""));
  props = json_object_get_object_member (twin, "properties");
  reported = props != NULL ? json_object_get_object_member (props, "reported") : NULL;
  if (reported == NULL || !json_object_has_member (reported, "certificate"))
    return FALSE;
  cert = json_object_get_object_member (reported, "certificate");
  *valid_from = g_strdup (json_object_get_string_member (cert, "validFrom"));
  *valid_until = g_strdup (json_object_get_string_member (cert, "validUntil"));
  return TRUE;
}

static char *
iso (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

/* The device's active leaf, read from its storage (DER chain, leaf first). */
static CbCertificate *
active_leaf (Fixture    *fx,
             const char *device_id)
{
  g_autofree char *path = g_build_filename (fx->state_dir, device_id, "active", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) leaf = NULL;
  char *data = NULL;
  gsize len = 0;
  size_t n;
  CbCertificate *cert;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  n = cbd_der_element_len ((const uint8_t *) data, len);
  g_assert_cmpuint (n, >, 0);
  leaf = g_bytes_new_take (data, n);
  cert = cb_certificate_new_from_der (leaf, &error);
  g_assert_no_error (error);
  return cert;
}

typedef gboolean (*Condition) (Fixture *fx, const CbdFleetStats *stats);

/* Runs the fleet until cond holds or timeout_s passed. */
static void
run_until (Fixture    *fx,
           Condition   cond,
           guint       timeout_s,
           const char *what)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  gint64 next_log = 0;
  CbdFleetStats stats;

  for (;;)
    {
      g_main_context_iteration (NULL, FALSE);
      cbd_fleet_get_stats (fx->fleet, &stats);
      if (cond (fx, &stats))
        break;
      if (g_get_monotonic_time () > next_log)
        {
          g_autofree char *line = cbd_fleet_format_stats (&stats);
          g_test_message ("waiting for %s: %s", what, line);
          next_log = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *line = cbd_fleet_format_stats (&stats);
          g_error ("Timed out waiting for %s: %s", what, line);
        }
      g_usleep (10000);
    }
  {
    g_autofree char *line = cbd_fleet_format_stats (&stats);
    g_test_message ("%s: %s", what, line);
  }
}

static gboolean
all_online_connected (Fixture *fx, const CbdFleetStats *stats)
{
  return stats->registered == stats->devices &&
         stats->connected == stats->devices - stats->offline;
}

static gboolean
renewed_all_renewing (Fixture *fx, const CbdFleetStats *stats)
{
  return stats->renewed >= stats->devices - stats->offline - stats->never_renew &&
         stats->connected >= stats->devices - stats->offline - stats->never_renew;
}

static gboolean
never_renew_expired (Fixture *fx, const CbdFleetStats *stats)
{
  /* The offline devices never renew either. */
  return stats->expired >= stats->never_renew + stats->offline;
}

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CbdFleetOptions opts = { 0 };

  fx->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (fx->ts->sandbox, &error));
  g_assert_no_error (error);
  fx->state_dir = g_dir_make_tmp ("certbench-fleet-XXXXXX", &error);
  g_assert_no_error (error);

  opts.sandbox_url = cb_sandbox_get_base_url (fx->ts->sandbox);
  opts.ca_file = cb_sandbox_get_ca_file (fx->ts->sandbox);
  opts.state_dir = fx->state_dir;
  opts.count = N;
  opts.days_per_second = DAYS_PER_SECOND;
  opts.never_renew = 0.1;
  opts.offline = 0.1;
  opts.seed = 7;
  fx->fleet = cbd_fleet_new (&opts);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_clear_pointer (&fx->fleet, cbd_fleet_free);
  g_clear_pointer (&fx->ts, cb_test_sandbox_free);
  cb_test_remove_tree (fx->state_dir);
  g_free (fx->state_dir);
}

static void
test_roles (void)
{
  CbdFleetOptions opts = { 0 };
  g_autoptr(GPtrArray) fleets = g_ptr_array_new_with_free_func ((GDestroyNotify) cbd_fleet_free);
  guint f, i, offline = 0, never = 0, same = 0;

  opts.count = 200;
  opts.never_renew = 0.05;
  opts.offline = 0.05;
  opts.seed = 42;
  g_ptr_array_add (fleets, cbd_fleet_new (&opts));
  g_ptr_array_add (fleets, cbd_fleet_new (&opts));
  opts.seed = 43;
  g_ptr_array_add (fleets, cbd_fleet_new (&opts));

  for (f = 0; f < fleets->len; f++)
    {
      CbdFleet *fleet = g_ptr_array_index (fleets, f);

      offline = never = 0;
      for (i = 0; i < opts.count; i++)
        {
          offline += cbd_fleet_is_offline (fleet, i);
          never += cbd_fleet_is_never_renew (fleet, i);
          g_assert_false (cbd_fleet_is_offline (fleet, i) && cbd_fleet_is_never_renew (fleet, i));
        }
      /* Exactly the fractions, not about them. */
      g_assert_cmpuint (offline, ==, 10);
      g_assert_cmpuint (never, ==, 10);
    }

  /* The same seed picks the same devices; another seed others. */
  for (i = 0; i < opts.count; i++)
    {
      g_assert_cmpint (cbd_fleet_is_offline (g_ptr_array_index (fleets, 0), i), ==,
                       cbd_fleet_is_offline (g_ptr_array_index (fleets, 1), i));
      g_assert_cmpint (cbd_fleet_is_never_renew (g_ptr_array_index (fleets, 0), i), ==,
                       cbd_fleet_is_never_renew (g_ptr_array_index (fleets, 1), i));
      same += cbd_fleet_is_offline (g_ptr_array_index (fleets, 0), i) &&
              cbd_fleet_is_offline (g_ptr_array_index (fleets, 2), i);
    }
  g_assert_cmpuint (same, <, 10);
}

static void
test_stats_line (void)
{
  CbdFleetStats stats = { 0 };
  g_autofree char *line = NULL;

  stats.t = 12.34;
  stats.registered = 24;
  stats.connected = 21;
  stats.renewed = 5;
  stats.reregistered = 1;
  stats.refused = 2;
  stats.expired = 3;
  stats.failed = 4;
  line = cbd_fleet_format_stats (&stats);
  g_assert_cmpstr (line, ==, "t=12.3 registered=24 connected=21 renewed=5 reregistered=1 "
                             "refused=2 expired=3 failed=4");
}

static void
run_lifecycle (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first_until = g_ptr_array_new_with_free_func (g_free);
  CbdFleetStats stats;
  guint i, checked = 0, moved = 0, expired = 0;

  g_assert_true (cbd_fleet_start (fx->fleet, &error));
  g_assert_no_error (error);

  /* 1. Every device registers; all but the offline ones connect, as the hub sees it too. */
  run_until (fx, all_online_connected, 30, "all registered and online devices connected");
  cbd_fleet_get_stats (fx->fleet, &stats);
  g_assert_cmpuint (stats.offline, ==, 2);
  g_assert_cmpuint (stats.never_renew, ==, 2);
  g_assert_cmpuint (stats.refused, ==, 0);
  g_assert_cmpint (query_count (fx, "connectionState = 'Connected'"), ==, N - 2);

  /* 2. Their twins report the dates of the certificate each device holds. */
  for (i = 0; i < N; i++)
    {
      const char *id = cbd_fleet_get_registration_id (fx->fleet, i);
      g_autofree char *from = NULL, *until = NULL, *state = NULL;
      gboolean reported;

      /* A device may still be waiting for the hub's 204 to its first report. */
      for (int tries = 0; tries < 100; tries++)
        {
          g_clear_pointer (&from, g_free);
          g_clear_pointer (&until, g_free);
          g_clear_pointer (&state, g_free);
          reported = twin_dates (fx, id, &from, &until, &state);
          if (reported || cbd_fleet_is_offline (fx->fleet, i))
            break;
          g_main_context_iteration (NULL, FALSE);
          g_usleep (20000);
        }

      if (cbd_fleet_is_offline (fx->fleet, i))
        {
          g_autoptr(CbCertificate) leaf = active_leaf (fx, id);

          /* Registered (it has a certificate) but never connected nor reported. */
          g_assert_nonnull (leaf);
          g_assert_false (reported);
          g_assert_cmpstr (state, !=, "Connected");
          g_ptr_array_add (first_until, NULL);
          continue;
        }

      {
        g_autoptr(CbCertificate) leaf = active_leaf (fx, id);
        g_autofree char *nb = iso (cb_certificate_get_not_before (leaf));
        g_autofree char *na = iso (cb_certificate_get_not_after (leaf));

        g_assert_true (reported);
        g_assert_cmpstr (state, ==, "Connected");
        /* Renewal may have replaced the certificate between the two reads: compare again. */
        if (g_strcmp0 (until, na) != 0)
          {
            g_clear_pointer (&from, g_free);
            g_clear_pointer (&until, g_free);
            g_assert_true (twin_dates (fx, id, &from, &until, NULL));
          }
        g_assert_cmpstr (from, ==, nb);
        g_assert_cmpstr (until, ==, na);
        g_ptr_array_add (first_until, g_strdup (until));
        checked++;
      }
    }
  g_assert_cmpuint (checked, ==, N - 2);

  /* 3. On the accelerated clock (30-day leaves, renewal at 24 days = 12 s) every renewing
   * device renews through the hub, and its twin's validUntil moves forward. */
  run_until (fx, renewed_all_renewing, 40, "every renewing device renewed");
  for (i = 0; i < N; i++)
    {
      const char *id = cbd_fleet_get_registration_id (fx->fleet, i);
      g_autofree char *from = NULL, *until = NULL;
      const char *before = g_ptr_array_index (first_until, i);

      if (cbd_fleet_is_offline (fx->fleet, i) || cbd_fleet_is_never_renew (fx->fleet, i))
        continue;
      /* Its twin moves once the device reconnected with the new certificate and reported. */
      for (int tries = 0; tries < 250; tries++)
        {
          g_clear_pointer (&from, g_free);
          g_clear_pointer (&until, g_free);
          g_assert_true (twin_dates (fx, id, &from, &until, NULL));
          if (strcmp (until, before) > 0)
            break;
          g_main_context_iteration (NULL, FALSE);
          g_usleep (20000);
        }
      g_assert_cmpstr (until, >, before);
      moved++;
    }
  g_assert_cmpuint (moved, ==, N - 4);

  /* 4. The never-renew devices end up expired: their twin's validUntil is behind the
   * sandbox's now, which the fleet expiry view shows. */
  run_until (fx, never_renew_expired, 30, "the never-renew devices expired");
  for (i = 0; i < N; i++)
    {
      const char *id = cbd_fleet_get_registration_id (fx->fleet, i);
      g_autofree char *from = NULL, *until = NULL, *now = NULL;

      if (!cbd_fleet_is_never_renew (fx->fleet, i))
        continue;
      /* The device clock follows the sandbox's by polling it: allow it a moment. */
      for (int tries = 0; tries < 250; tries++)
        {
          g_clear_pointer (&from, g_free);
          g_clear_pointer (&until, g_free);
          g_clear_pointer (&now, g_free);
          g_assert_true (twin_dates (fx, id, &from, &until, NULL));
          now = iso (sandbox_now (fx));
          if (strcmp (until, now) < 0)
            break;
          g_main_context_iteration (NULL, FALSE);
          g_usleep (20000);
        }
      g_assert_cmpstr (until, <, now);
      expired++;
    }
  g_assert_cmpuint (expired, ==, 2);
  cbd_fleet_get_stats (fx->fleet, &stats);
  g_assert_cmpuint (stats.reregistered, ==, 0);

  /* 5. Stop sets the sandbox clock back to real time. */
  cbd_fleet_stop (fx->fleet);
  {
    gint64 a = sandbox_now (fx), b;

    g_usleep (1100000);
    b = sandbox_now (fx);
    g_assert_cmpint (b - a, <=, 3);
  }
}

/* A wall-clock check: the sanitizer pass (build-aux/test-sanitize.sh) leaves it out. */
static void
test_lifecycle (Fixture       *fx,
                gconstpointer  data)
{
  if (cb_test_skip_under_sanitizer ("a fleet that must renew on an accelerated clock before "
                                    "its certificates expire"))
    return;
  run_lifecycle (fx, data);
}

static GBytes *
read_active (Fixture    *fx,
             const char *device_id)
{
  g_autofree char *path = g_build_filename (fx->state_dir, device_id, "active", NULL);
  char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >, 0);
  return g_bytes_new_take (data, len);
}

/* A second run on the same state directory brings the same devices back with their
 * certificates: nobody registers again, everyone online reconnects. */
static void
test_restart (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  CbdFleetOptions opts = { 0 };
  CbdFleetStats stats;
  guint i;

  /* Real time: nothing renews or expires in between. */
  opts.sandbox_url = cb_sandbox_get_base_url (fx->ts->sandbox);
  opts.ca_file = cb_sandbox_get_ca_file (fx->ts->sandbox);
  opts.state_dir = fx->state_dir;
  opts.count = 6;
  opts.offline = 0.2;
  opts.seed = 3;
  g_clear_pointer (&fx->fleet, cbd_fleet_free);
  fx->fleet = cbd_fleet_new (&opts);
  g_assert_true (cbd_fleet_start (fx->fleet, &error));
  g_assert_no_error (error);
  run_until (fx, all_online_connected, 30, "first run connected");
  for (i = 0; i < opts.count; i++)
    g_ptr_array_add (first, read_active (fx, cbd_fleet_get_registration_id (fx->fleet, i)));
  cbd_fleet_get_stats (fx->fleet, &stats);
  g_assert_cmpuint (stats.offline, ==, 1);
  g_clear_pointer (&fx->fleet, cbd_fleet_free);

  fx->fleet = cbd_fleet_new (&opts);
  g_assert_true (cbd_fleet_start (fx->fleet, &error));
  g_assert_no_error (error);
  run_until (fx, all_online_connected, 30, "second run connected");
  cbd_fleet_get_stats (fx->fleet, &stats);
  g_assert_cmpuint (stats.registering, ==, 0);
  g_assert_cmpuint (stats.failed, ==, 0);
  for (i = 0; i < opts.count; i++)
    {
      g_autoptr(GBytes) again = read_active (fx, cbd_fleet_get_registration_id (fx->fleet, i));

      /* The same certificate, not a new registration's. */
      g_assert_true (g_bytes_equal (again, g_ptr_array_index (first, i)));
    }
  g_assert_cmpint (query_count (fx, "connectionState = 'Connected'"), ==, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/devsim-fleet/roles", test_roles);
  g_test_add_func ("/cb/devsim-fleet/stats-line", test_stats_line);
  g_test_add ("/cb/devsim-fleet/lifecycle", Fixture, NULL, fixture_set_up, test_lifecycle,
              fixture_tear_down);
  g_test_add ("/cb/devsim-fleet/restart", Fixture, NULL, fixture_set_up, test_restart,
              fixture_tear_down);
  return g_test_run ();
}
