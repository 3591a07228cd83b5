/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The effective device state rules (cb-device-state): precedence, the reasons, the revocation
 * sources from activity events, and that every hub-query condition selects exactly the twins
 * evaluate() puts in its state (checked with the sandbox's own query engine). */

#include "config.h"

#include "cb-activity-event.h"
#include "cb-device-state.h"
#include "cb-hub-query.h"
#include "cb-util.h"

#define DAY   ((gint64) 86400)
#define NOW   ((gint64) 1800000000)
#define NS_ID "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DeviceRegistry/namespaces/ns"

static CbDeviceSignals
dates (gint64 from,
       gint64 until)
{
  CbDeviceSignals s = { 0 };

  s.has_dates = TRUE;
  s.valid_from = from;
  s.valid_until = until;
  return s;
}

static CbDeviceStateContext
context (const CbRevocations *revocations)
{
  CbDeviceStateContext c = { 0 };

  c.now = NOW;
  c.renewal_fraction = 0.8;
  c.validity_days = 30;
  c.revocations_known = TRUE;
  c.revocations = revocations;
  return c;
}

static CbDeviceState
evaluate (const CbDeviceStateContext *c,
          const CbDeviceSignals      *s,
          const char                 *expect_in_reason)
{
  g_autofree char *reason = NULL;
  CbDeviceState state = cb_device_state_evaluate (c, s, &reason);

  g_assert_nonnull (reason);
  if (expect_in_reason != NULL && strstr (reason, expect_in_reason) == NULL)
    g_error ("reason “%s” lacks “%s”", reason, expect_in_reason);
  return state;
}

static void
test_precedence (void)
{
  g_autoptr(CbRevocations) revocations = cb_revocations_new ();
  CbDeviceStateContext c = context (revocations);
  CbDeviceSignals healthy = dates (NOW - 2 * DAY, NOW + 28 * DAY);
  CbDeviceSignals due = dates (NOW - 26 * DAY, NOW + 4 * DAY);
  CbDeviceSignals expired = dates (NOW - 40 * DAY, NOW - 10 * DAY);
  CbDeviceSignals none = { 0 };
  CbDeviceSignals s;

  g_assert_cmpint (evaluate (&c, &healthy, "Valid"), ==, CB_DEVICE_STATE_HEALTHY);
  g_assert_cmpint (evaluate (&c, &due, "renewal point"), ==, CB_DEVICE_STATE_RENEWAL_DUE);
  g_assert_cmpint (evaluate (&c, &expired, "expired"), ==, CB_DEVICE_STATE_EXPIRED);
  g_assert_cmpint (evaluate (&c, &none, "never reported"), ==, CB_DEVICE_STATE_NOT_REPORTING);

  /* Disabled beats the dates. */
  s = expired;
  s.disabled = TRUE;
  g_assert_cmpint (evaluate (&c, &s, "disabled"), ==, CB_DEVICE_STATE_DISABLED);

  /* A revoke after the certificate was issued: revoked, whatever the dates and switches say. */
  s = healthy;
  s.revoked_at = NOW - DAY;
  s.disabled = TRUE;
  g_assert_cmpint (evaluate (&c, &s, "revoked"), ==, CB_DEVICE_STATE_REVOKED);
  g_assert_false (cb_device_state_can_revoke (CB_DEVICE_STATE_REVOKED));
  s.disabled = FALSE;
  g_assert_cmpint (evaluate (&c, &s, "revoked"), ==, CB_DEVICE_STATE_REVOKED);
  /* ... even one that never reported */
  s = none;
  s.revoked_at = NOW - DAY;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_REVOKED);
  /* A certificate issued after the revoke is a new one. */
  s = dates (NOW - DAY + 60, NOW + 29 * DAY);
  s.revoked_at = NOW - DAY;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_HEALTHY);
  /* Back-dated, but the hub accepted the device after the revoke. */
  s = dates (NOW - DAY - 300, NOW + 29 * DAY);
  s.revoked_at = NOW - DAY;
  s.last_activity = NOW - DAY + 5;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_HEALTHY);
  s.last_activity = NOW - DAY;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_REVOKED);

  /* The issuer revoked after the certificate was issued: needs re-provisioning, not healthy. */
  c.issuer_rotated_at = NOW - 3600;
  g_assert_cmpint (evaluate (&c, &healthy, "issuing CA"), ==, CB_DEVICE_STATE_ISSUER_REVOKED);
  g_assert_cmpint (evaluate (&c, &expired, NULL), ==, CB_DEVICE_STATE_ISSUER_REVOKED);
  g_assert_false (cb_device_state_can_revoke (CB_DEVICE_STATE_ISSUER_REVOKED));
  s = dates (NOW - 60, NOW + 30 * DAY);
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_HEALTHY);
  g_assert_cmpint (evaluate (&c, &none, NULL), ==, CB_DEVICE_STATE_NOT_REPORTING);
  c.issuer_rotated_at = 0;

  /* The chain itself says its issuer is gone (Diagnostics). */
  s = healthy;
  s.issuer = CB_DEVICE_ISSUER_REPLACED;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_ISSUER_REVOKED);

  /* No signal about revocations: unknown, never healthy; the bad states stay what they are. */
  c.revocations_known = FALSE;
  g_assert_cmpint (evaluate (&c, &healthy, "could not be read"), ==, CB_DEVICE_STATE_UNKNOWN);
  g_assert_cmpint (evaluate (&c, &expired, NULL), ==, CB_DEVICE_STATE_EXPIRED);
  g_assert_cmpint (evaluate (&c, &due, NULL), ==, CB_DEVICE_STATE_RENEWAL_DUE);
  c.revocations_known = TRUE;

  /* A certificate without its chain (a leaf-only file on Diagnostics): its dates make no
   * healthy device; the states its dates or the service decide stay what they are. */
  s = healthy;
  s.chain_incomplete = TRUE;
  g_assert_cmpint (evaluate (&c, &s, "chain is incomplete"), ==, CB_DEVICE_STATE_UNKNOWN);
  g_assert_cmpint (evaluate (&c, &s, "add the chain, or the issuing CA"), ==,
                   CB_DEVICE_STATE_UNKNOWN);
  s = expired;
  s.chain_incomplete = TRUE;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_EXPIRED);
  s = due;
  s.chain_incomplete = TRUE;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_RENEWAL_DUE);
  s = healthy;
  s.chain_incomplete = TRUE;
  s.revoked_at = NOW - DAY;
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_REVOKED);

  g_assert_true (cb_device_state_can_revoke (CB_DEVICE_STATE_HEALTHY));
  g_assert_true (cb_device_state_can_revoke (CB_DEVICE_STATE_EXPIRED));
}

static void
test_refused (void)
{
  CbDeviceStateContext c = context (NULL);
  CbDeviceSignals s = dates (NOW - 2 * DAY, NOW + 28 * DAY);

  s.refused = TRUE;
  s.refused_verdict = "bad-chain";
  s.refused_reason = "the chain does not verify";
  g_assert_cmpint (evaluate (&c, &s, "the chain does not verify"), ==, CB_DEVICE_STATE_REFUSED);

  /* The sandbox's verdict refines, it does not contradict. */
  s.refused_verdict = "revoked-identifier";
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_REVOKED);
  s.refused_verdict = "revoked-issuer";
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_ISSUER_REVOKED);
  s.refused_verdict = "device-disabled";
  g_assert_cmpint (evaluate (&c, &s, NULL), ==, CB_DEVICE_STATE_DISABLED);
}

static CbActivityEvent *
event (const char *time,
       const char *operation,
       const char *resource,
       const char *status)
{
  g_autofree char *json = g_strdup_printf ("{\"eventTimestamp\": \"%s\", \"operationName\": "
                                           "{\"value\": \"%s\"}, \"resourceId\": \"%s\", "
                                           "\"status\": {\"value\": \"%s\"}}",
                                           time, operation, resource, status);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  CbActivityEvent *e = cb_activity_event_new_from_json (node, &error);

  g_assert_no_error (error);
  return e;
}

static void
test_events (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CbRevocations) r = cb_revocations_new ();
  gint64 t1, t2;
  g_autoptr(GPtrArray) ids = NULL;

  g_assert_true (cb_time_parse_iso8601 ("2027-01-01T10:00:00Z", &t1));
  g_assert_true (cb_time_parse_iso8601 ("2027-01-02T10:00:00Z", &t2));

  g_ptr_array_add (events, event ("2027-01-01T10:00:00Z",
                                  "Microsoft.DeviceRegistry/namespaces/devices/revoke/action",
                                  NS_ID "/devices/dev-1", "Succeeded"));
  g_ptr_array_add (events, event ("2027-01-02T10:00:00Z",
                                  "Microsoft.DeviceRegistry/namespaces/devices/revoke/action",
                                  NS_ID "/devices/dev-1", "Succeeded"));
  /* Not (yet) done, or in another namespace: no revoke. */
  g_ptr_array_add (events, event ("2027-01-02T10:00:00Z",
                                  "Microsoft.DeviceRegistry/namespaces/devices/revoke/action",
                                  NS_ID "/devices/dev-2", "Started"));
  g_ptr_array_add (events, event ("2027-01-02T10:00:00Z",
                                  "Microsoft.DeviceRegistry/namespaces/devices/revoke/action",
                                  NS_ID "-other/devices/dev-3", "Succeeded"));
  g_ptr_array_add (events, event ("2027-01-01T10:00:00Z",
                                  "Microsoft.DeviceRegistry/namespaces/credentials/policies/"
                                  "revokeIssuer/action",
                                  NS_ID "/credentials/default/policies/default", "Succeeded"));
  g_ptr_array_add (events, event ("2027-01-01T10:00:00Z",
                                  "Microsoft.DeviceRegistry/namespaces/devices/write",
                                  NS_ID "/devices/dev-4", "Succeeded"));

  cb_revocations_add_events (r, events, NS_ID "/");
  g_assert_cmpint (cb_revocations_get_device (r, "dev-1"), ==, t2);
  g_assert_cmpint (cb_revocations_get_device (r, "dev-2"), ==, 0);
  g_assert_cmpint (cb_revocations_get_device (r, "dev-3"), ==, 0);
  g_assert_cmpint (cb_revocations_get_device (r, "dev-4"), ==, 0);
  g_assert_cmpint (cb_revocations_get_issuer (r, "default"), ==, t1);
  g_assert_cmpint (cb_revocations_get_issuer (r, "other"), ==, 0);
  ids = cb_revocations_list_devices (r);
  g_assert_cmpuint (ids->len, ==, 1);
}

/* A twin as the hub returns it. */
static JsonObject *
twin (const char *id,
      const char *status,
      gint64      from,
      gint64      until,
      gint64      activity)
{
  JsonObject *t = json_object_new ();
  JsonObject *props = json_object_new ();
  JsonObject *reported = json_object_new ();

  json_object_set_string_member (t, "deviceId", id);
  json_object_set_string_member (t, "status", status);
  if (activity != 0)
    {
      g_autofree char *text = cb_time_format_precise (activity * G_USEC_PER_SEC + 250000);
      json_object_set_string_member (t, "lastActivityTime", text);
    }
  else
    json_object_set_string_member (t, "lastActivityTime", "0001-01-01T00:00:00Z");
  if (until != 0)
    {
      JsonObject *cert = json_object_new ();
      g_autofree char *f = cb_time_format_fixed (from);
      g_autofree char *u = cb_time_format_fixed (until);

      json_object_set_string_member (cert, "validFrom", f);
      json_object_set_string_member (cert, "validUntil", u);
      json_object_set_object_member (reported, "certificate", cert);
    }
  json_object_set_object_member (props, "reported", reported);
  json_object_set_object_member (props, "desired", json_object_new ());
  json_object_set_object_member (t, "properties", props);
  return t;
}

static CbDeviceState
evaluate_twin (const CbDeviceStateContext *c,
               JsonObject                 *t)
{
  CbDeviceSignals s;
  JsonObject *cert = NULL;
  JsonObject *reported;

  reported = json_object_get_object_member (json_object_get_object_member (t, "properties"),
                                            "reported");
  if (json_object_has_member (reported, "certificate"))
    cert = json_object_get_object_member (reported, "certificate");
  cb_device_signals_init_from_twin (&s, c, json_object_get_string_member (t, "deviceId"),
                                    json_object_get_string_member (t, "status"),
                                    cert ? json_object_get_string_member (cert, "validFrom") : NULL,
                                    cert ? json_object_get_string_member (cert, "validUntil") : NULL,
                                    json_object_get_string_member (t, "lastActivityTime"));
  return cb_device_state_evaluate (c, &s, NULL);
}

static void
check_conditions_agree (const CbDeviceStateContext *c,
                        GPtrArray                  *twins)
{
  guint seen[CB_DEVICE_N_STATES] = { 0 };
  guint matched = 0;

  for (guint i = 0; i < twins->len; i++)
    seen[evaluate_twin (c, g_ptr_array_index (twins, i))]++;

  for (CbDeviceState state = 0; state < CB_DEVICE_N_STATES; state++)
    {
      g_autofree char *condition = cb_device_state_build_condition (state, c);
      g_autofree char *text = g_strdup_printf ("SELECT * FROM devices WHERE %s", condition);
      g_autoptr(GError) error = NULL;
      g_autoptr(CbHubQuery) query = cb_hub_query_parse (text, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < twins->len; i++)
        {
          JsonObject *t = g_ptr_array_index (twins, i);
          gboolean match = cb_hub_query_matches (query, t);

          if (match != (evaluate_twin (c, t) == state))
            g_error ("%s: the condition says %d, evaluate() says %s; %s",
                     json_object_get_string_member (t, "deviceId"), match,
                     cb_device_state_to_string (evaluate_twin (c, t)), condition);
          matched += match;
        }
    }
  /* Every twin lands in exactly one group. */
  g_assert_cmpuint (matched, ==, twins->len);
  (void) seen;
}

static void
test_conditions_agree (void)
{
  g_autoptr(GPtrArray) twins = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(CbRevocations) r = cb_revocations_new ();
  CbDeviceStateContext c = context (r);
  g_autofree char *live = NULL;
  g_autoptr(CbHubQuery) query = NULL;
  g_autofree char *text = NULL;
  guint n_live = 0;

  g_ptr_array_add (twins, twin ("healthy", "enabled", NOW - 2 * DAY, NOW + 28 * DAY, NOW - 60));
  g_ptr_array_add (twins, twin ("due", "enabled", NOW - 26 * DAY, NOW + 4 * DAY, 0));
  g_ptr_array_add (twins, twin ("expired", "enabled", NOW - 40 * DAY, NOW - 10 * DAY, 0));
  g_ptr_array_add (twins, twin ("silent", "enabled", 0, 0, 0));
  g_ptr_array_add (twins, twin ("off", "disabled", NOW - 2 * DAY, NOW + 28 * DAY, 0));
  g_ptr_array_add (twins, twin ("off-silent", "disabled", 0, 0, 0));
  g_ptr_array_add (twins, twin ("rev", "enabled", NOW - 5 * DAY, NOW + 25 * DAY, NOW - 2 * DAY));
  g_ptr_array_add (twins, twin ("rev-off", "disabled", NOW - 5 * DAY, NOW + 25 * DAY, 0));
  g_ptr_array_add (twins, twin ("rev-silent", "enabled", 0, 0, 0));
  g_ptr_array_add (twins, twin ("rev-new", "enabled", NOW - DAY + 60, NOW + 29 * DAY, 0));
  g_ptr_array_add (twins, twin ("rev-back", "enabled", NOW - DAY - 300, NOW + 29 * DAY, NOW - DAY + 30));
  g_ptr_array_add (twins, twin ("rev-same", "enabled", NOW - DAY - 300, NOW + 29 * DAY, NOW - DAY));
  g_ptr_array_add (twins, twin ("it's", "enabled", NOW - 2 * DAY, NOW + 28 * DAY, 0));

  cb_revocations_add_device (r, "rev", NOW - DAY);
  cb_revocations_add_device (r, "rev-off", NOW - DAY);
  cb_revocations_add_device (r, "rev-silent", NOW - DAY);
  cb_revocations_add_device (r, "rev-new", NOW - DAY);
  cb_revocations_add_device (r, "rev-back", NOW - DAY);
  cb_revocations_add_device (r, "rev-same", NOW - DAY);

  check_conditions_agree (&c, twins);
  g_assert_cmpint (evaluate_twin (&c, g_ptr_array_index (twins, 6)), ==, CB_DEVICE_STATE_REVOKED);
  g_assert_cmpint (evaluate_twin (&c, g_ptr_array_index (twins, 10)), ==, CB_DEVICE_STATE_HEALTHY);
  g_assert_cmpint (evaluate_twin (&c, g_ptr_array_index (twins, 11)), ==, CB_DEVICE_STATE_REVOKED);

  /* After an issuer revoke, and without revocation info. */
  c.issuer_rotated_at = NOW - 3 * DAY;
  check_conditions_agree (&c, twins);
  g_assert_cmpint (evaluate_twin (&c, g_ptr_array_index (twins, 0)), ==, CB_DEVICE_STATE_HEALTHY);
  g_assert_cmpint (evaluate_twin (&c, g_ptr_array_index (twins, 1)), ==,
                   CB_DEVICE_STATE_ISSUER_REVOKED);
  c.revocations_known = FALSE;
  check_conditions_agree (&c, twins);
  g_assert_cmpint (evaluate_twin (&c, g_ptr_array_index (twins, 0)), ==, CB_DEVICE_STATE_UNKNOWN);
  c.revocations_known = TRUE;

  /* What an issuer revoke would take: working certificates that are not revoked already. */
  live = cb_device_state_build_live_condition (&c);
  text = g_strdup_printf ("SELECT * FROM devices WHERE %s", live);
  query = cb_hub_query_parse (text, NULL);
  g_assert_nonnull (query);
  for (guint i = 0; i < twins->len; i++)
    n_live += cb_hub_query_matches (query, g_ptr_array_index (twins, i));
  /* healthy, off, it's, rev-new, rev-back (the rest is due before the rotation, expired,
   * silent or revoked) */
  g_assert_cmpuint (n_live, ==, 5);
}

static void
test_labels (void)
{
  /* One name for the renewal state, everywhere. */
  g_assert_cmpstr (cb_device_state_to_label (CB_DEVICE_STATE_RENEWAL_DUE), ==, "Renewal due");
  g_assert_cmpstr (cb_device_state_to_label (CB_DEVICE_STATE_ISSUER_REVOKED), ==,
                   "Needs re-provisioning");
  for (CbDeviceState s = 0; s < CB_DEVICE_N_STATES; s++)
    g_assert_nonnull (cb_device_state_to_string (s));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/device-state/precedence", test_precedence);
  g_test_add_func ("/cb/device-state/refused", test_refused);
  g_test_add_func ("/cb/device-state/events", test_events);
  g_test_add_func ("/cb/device-state/conditions-agree", test_conditions_agree);
  g_test_add_func ("/cb/device-state/labels", test_labels);

  return g_test_run ();
}
