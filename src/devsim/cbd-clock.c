/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-clock"

#include "config.h"

#include "cb-http.h"
#include "cbd-clock.h"

/* The sandbox clock, followed by polling: between polls it is extrapolated with the rate, so
 * an accelerated sandbox also accelerates the devices' renewals. */

#define POLL_INTERVAL_S 5

struct _CbdClock
{
  char         *url;
  CbHttpClient *http;
  GCancellable *cancellable;
  guint         poll_source;
  gboolean      fetching;
  gboolean      again;        /* a refresh came while fetching: its answer may be stale */
  gboolean      answered;     /* the first poll ended (well or not) */
  GError       *first_error;

  gboolean      synced;
  gboolean      failing;      /* the last poll failed (warn once per streak) */
  double        base_now;     /* sandbox seconds at the fetch */
  gint64        base_real_us; /* monotonic µs at the fetch */
  double        rate;
};

static void clock_fetch (CbdClock *clock);

static gboolean
poll_cb (gpointer user_data)
{
  clock_fetch (user_data);
  return G_SOURCE_CONTINUE;
}

CbdClock *
cbd_clock_new (const char  *url,
               const char  *ca_file,
               GError     **error)
{
  g_autoptr(CbdClock) clock = g_new0 (CbdClock, 1);

  clock->rate = 1.0;
  if (!cbd_clock_follow (clock, url, ca_file, error))
    return NULL;
  return g_steal_pointer (&clock);
}

gboolean
cbd_clock_follow (CbdClock    *clock,
                  const char  *url,
                  const char  *ca_file,
                  GError     **error)
{
  g_autoptr(CbHttpClient) http = NULL;

  if (g_strcmp0 (url, clock->url) == 0)
    return TRUE;
  if (url != NULL && (http = cb_http_client_new_for_ca_file (ca_file, error)) == NULL)
    return FALSE;

  /* A poll still running for the old clock ends cancelled and touches nothing. */
  g_clear_handle_id (&clock->poll_source, g_source_remove);
  if (clock->cancellable != NULL)
    g_cancellable_cancel (clock->cancellable);
  g_clear_object (&clock->cancellable);
  g_clear_object (&clock->http);
  g_clear_pointer (&clock->url, g_free);
  g_clear_error (&clock->first_error);
  clock->fetching = clock->again = clock->answered = clock->synced = clock->failing = FALSE;
  clock->rate = 1.0;
  if (url == NULL)
    return TRUE;

  clock->url = g_strdup (url);
  clock->http = g_steal_pointer (&http);
  /* A poll that fails is repeated by the next poll, not by the client. */
  cb_http_client_set_max_attempts (clock->http, 1);
  clock->cancellable = g_cancellable_new ();
  clock_fetch (clock);
  clock->poll_source = g_timeout_add_seconds (POLL_INTERVAL_S, poll_cb, clock);
  return TRUE;
}

void
cbd_clock_free (CbdClock *clock)
{
  if (clock == NULL)
    return;
  g_clear_handle_id (&clock->poll_source, g_source_remove);
  if (clock->cancellable != NULL)
    g_cancellable_cancel (clock->cancellable);
  g_clear_object (&clock->cancellable);
  g_clear_object (&clock->http);
  g_clear_error (&clock->first_error);
  g_free (clock->url);
  g_free (clock);
}

typedef struct
{
  CbdClock *clock;
  gint64    sent_us;
} FetchData;

static void
fetch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  FetchData *data = user_data;
  CbdClock *clock = data->clock;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GTimeZone) utc = NULL;
  gint64 sent_us = data->sent_us, now_us;
  JsonObject *obj;
  const char *text;
  double rate = 1.0;

  g_free (data);
  response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* freed */
  clock->fetching = FALSE;
  if (clock->again)
    {
      clock->again = FALSE;
      clock_fetch (clock);
    }

  obj = response != NULL ? cb_http_response_get_object (response) : NULL;
  text = obj != NULL ? json_object_get_string_member_with_default (obj, "now", NULL) : NULL;
  utc = g_time_zone_new_utc ();
  if (text != NULL)
    dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    {
      if (error == NULL)
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "%s: no readable \"now\" in the answer", clock->url);
      if (!clock->answered)
        clock->first_error = g_error_copy (error);
      clock->answered = TRUE;
      /* A message, not a warning: losing the time server is a condition the device handles
       * (it keeps extrapolating), as when the sandbox stops before a device that reads it. */
      if (!clock->failing)
        g_message ("Device clock: %s (keeps extrapolating, polls again)", error->message);
      clock->failing = TRUE;
      return;
    }
  if (json_object_has_member (obj, "rate"))
    rate = json_object_get_double_member_with_default (obj, "rate", 1.0);
  if (!(rate > 0))
    rate = 1.0;

  /* The server read its clock about halfway through the round trip. */
  now_us = g_get_monotonic_time ();
  clock->base_real_us = sent_us + (now_us - sent_us) / 2;
  clock->base_now = (double) g_date_time_to_unix (dt) + g_date_time_get_microsecond (dt) / 1e6;
  if (clock->rate != rate)
    g_debug ("Device clock follows %s at rate %g", clock->url, rate);
  clock->rate = rate;
  clock->synced = TRUE;
  clock->answered = TRUE;
  clock->failing = FALSE;
}

static void
clock_fetch (CbdClock *clock)
{
  FetchData *data;

  if (clock->http == NULL || clock->fetching)
    return;
  clock->fetching = TRUE;
  data = g_new0 (FetchData, 1);
  data->clock = clock;
  data->sent_us = g_get_monotonic_time ();
  cb_http_client_request_async (clock->http, "GET", clock->url, NULL, NULL, NULL,
                                CB_HTTP_STYLE_ARM, clock->cancellable, fetch_cb, data);
}

void
cbd_clock_refresh (CbdClock *clock)
{
  if (clock == NULL)
    return;
  if (clock->fetching)
    clock->again = TRUE;
  else
    clock_fetch (clock);
}

gboolean
cbd_clock_wait_synced (CbdClock  *clock,
                       guint      timeout_ms,
                       GError   **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  GMainContext *context = g_main_context_get_thread_default ();

  if (clock == NULL || clock->http == NULL)
    return TRUE;
  while (!clock->answered && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);
  if (clock->synced)
    return TRUE;
  if (clock->first_error != NULL)
    g_propagate_error (error, g_steal_pointer (&clock->first_error));
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not answer in time",
                 clock->url);
  return FALSE;
}

gint64
cbd_clock_now (CbdClock *clock)
{
  double elapsed;

  if (clock == NULL || !clock->synced)
    return g_get_real_time () / G_USEC_PER_SEC;
  elapsed = (g_get_monotonic_time () - clock->base_real_us) / 1e6;
  return (gint64) (clock->base_now + elapsed * clock->rate);
}

double
cbd_clock_get_rate (CbdClock *clock)
{
  return clock != NULL ? clock->rate : 1.0;
}

int64_t
cbd_clock_now_cb (void *ctx)
{
  return cbd_clock_now (ctx);
}

int64_t
cbd_clock_monotonic_ms (void *ctx)
{
  (void) ctx;
  return g_get_monotonic_time () / 1000;
}
