/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The system trust store is read only by a connection that verifies against it, and then once
 * per process (cb-tls-lazy-database.c). The test counts GnuTLS's reads of the store by defining
 * gnutls_x509_trust_list_add_system_trust() itself (the executable exports its symbols, so
 * glib-networking's call lands here) and passing each call on to GnuTLS. */

#include "config.h"

#define _GNU_SOURCE
#include <dlfcn.h>
#include <gnutls/x509.h>

#include "cb-http.h"
#include "cb-mqtt-client.h"
#include "cb-sandbox.h"
#include "cb-test-sandbox.h"
#include "cb-tls-lazy-database.h"

static gint system_trust_reads;

int
gnutls_x509_trust_list_add_system_trust (gnutls_x509_trust_list_t list,
                                         unsigned int             tl_flags,
                                         unsigned int             tl_vflags)
{
  static int (*real) (gnutls_x509_trust_list_t, unsigned int, unsigned int);

  if (real == NULL)
    real = dlsym (RTLD_NEXT, "gnutls_x509_trust_list_add_system_trust");
  g_atomic_int_inc (&system_trust_reads);
  return real (list, tl_flags, tl_vflags);
}

/* A sandbox of its own: cb-test-sandbox.c installs the lazy database itself, which would hide
 * a client that forgot to. */
typedef struct
{
  CbSandbox *sandbox;
  char      *dir;
} Sandbox;

static Sandbox *
sandbox_start (void)
{
  Sandbox *sb = g_new0 (Sandbox, 1);
  g_autoptr(GError) error = NULL;

  sb->dir = g_dir_make_tmp ("cb-tls-lazy-XXXXXX", &error);
  g_assert_no_error (error);
  sb->sandbox = cb_sandbox_new (sb->dir);
  cb_sandbox_set_port (sb->sandbox, 0);
  cb_sandbox_start_in_thread (sb->sandbox, &error);
  g_assert_no_error (error);
  return sb;
}

static void
sandbox_stop (Sandbox *sb)
{
  cb_sandbox_stop (sb->sandbox);
  g_clear_object (&sb->sandbox);
  cb_test_remove_tree (sb->dir);
  g_free (sb->dir);
  g_free (sb);
}

typedef struct
{
  GMainLoop      *loop;
  CbHttpResponse *response;
  GError         *error;
  gboolean        done;
} Wait;

static void
request_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *w = user_data;

  w->response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &w->error);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

/* GET url with client; the error, if any, in *error. */
static void
get (CbHttpClient  *client,
     const char    *url,
     GError       **error)
{
  Wait w = { g_main_loop_new (NULL, FALSE), NULL, NULL, FALSE };

  cb_http_client_request_async (client, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_ARM, NULL,
                                request_done, &w);
  while (!w.done)
    g_main_loop_run (w.loop);
  g_clear_pointer (&w.response, cb_http_response_unref);
  g_main_loop_unref (w.loop);
  if (w.error != NULL)
    g_propagate_error (error, w.error);
}

static void
mqtt_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *w = user_data;

  cb_mqtt_client_connect_finish (CB_MQTT_CLIENT (object), result, &w->error);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

/* Pinned to the sandbox's CA: HTTPS and MQTT connections never read the system store. */
static void
test_pinned (void)
{
  Sandbox *ts = sandbox_start ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHttpClient) client = cb_http_client_new_for_ca_file (cb_sandbox_get_ca_file (ts->sandbox),
                                                                   &error);
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), "/sandbox/info", NULL);
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(CbMqttClient) mqtt = NULL;
  Wait w = { g_main_loop_new (NULL, FALSE), NULL, NULL, FALSE };

  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      /* A new connection each time: the kept-alive one would hide a per-connection read. */
      g_autoptr(CbHttpClient) fresh = cb_http_client_new_for_ca_file (cb_sandbox_get_ca_file (ts->sandbox),
                                                                      &error);
      g_assert_no_error (error);
      get (fresh, url, &error);
      g_assert_no_error (error);
    }
  get (client, url, &error);
  g_assert_no_error (error);

  /* The hub's MQTT endpoint: the TLS handshake succeeds (the CONNECT is then refused, as it
   * carries no credentials the hub knows). */
  db = g_tls_file_database_new (cb_sandbox_get_ca_file (ts->sandbox), &error);
  g_assert_no_error (error);
  mqtt = cb_mqtt_client_new (db);
  cb_mqtt_client_connect_async (mqtt, "127.0.0.1", cb_sandbox_get_mqtt_port (ts->sandbox),
                                "nobody", "nohub.azure-devices.net/nobody/?api-version=2021-04-12",
                                "not-a-sas", NULL, mqtt_done, &w);
  while (!w.done)
    g_main_loop_run (w.loop);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&w.error);
  g_main_loop_unref (w.loop);

  g_assert_cmpint (g_atomic_int_get (&system_trust_reads), ==, 0);
  g_assert_false (cb_tls_lazy_database_system_loaded ());
  sandbox_stop (ts);
}

/* Without a pinned CA the system store still decides (the sandbox's CA is not in it), and it
 * is read once for the process, not once per connection. */
static void
test_system (void)
{
  Sandbox *ts = sandbox_start ();
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), "/sandbox/info", NULL);
  gint before = g_atomic_int_get (&system_trust_reads);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbHttpClient) client = cb_http_client_new_for_ca_file (NULL, &error);

      g_assert_no_error (error);
      cb_http_client_set_max_attempts (client, 1);
      get (client, url, &error);
      g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
    }
  g_assert_true (cb_tls_lazy_database_system_loaded ());
  g_assert_cmpint (g_atomic_int_get (&system_trust_reads) - before, ==, 1);
  sandbox_stop (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* In this order: the store, once read, stays read for the process. */
  g_test_add_func ("/cb/tls-lazy-database/pinned", test_pinned);
  g_test_add_func ("/cb/tls-lazy-database/system", test_system);

  return g_test_run ();
}
