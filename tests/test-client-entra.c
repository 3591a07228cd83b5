/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-entra-client.h"
#include "cb-error.h"
#include "cb-sandbox-profile.h"
#include "cb-test-sandbox.h"

/* CbEntraClient against the sandbox's Entra stand-in over real HTTPS on loopback, with the
 * sandbox CA pinned exactly as the app pins it. */

#define PRINCIPAL "alice@sandbox.example"
#define CLIENT_ID "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

typedef struct
{
  CbTestSandbox *ts;
  CbProfile     *profile;
  CbHttpClient  *http;
  CbSecrets     *secrets;
  CbEntraClient *entra;
} Fixture;

static CbProfile *
profile_for (CbTestSandbox *ts)
{
  CbProfile *profile = cb_sandbox_create_profile (ts->sandbox);

  cb_profile_set_client_id (profile, CLIENT_ID);
  return profile;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  CbTestSandboxFlags flags = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (flags);

  cb_sb_lock (f->ts->sandbox);
  cb_sb_add_principal (f->ts->sandbox, PRINCIPAL, "Alice", &error);
  g_assert_no_error (error);
  cb_sb_set_meta (f->ts->sandbox, "default_principal", PRINCIPAL);
  cb_sb_unlock (f->ts->sandbox);

  f->profile = profile_for (f->ts);
  f->http = cb_http_client_new (f->profile, &error);
  g_assert_no_error (error);
  f->secrets = cb_secrets_new_memory ();
  f->entra = cb_entra_client_new (f->profile, f->http, f->secrets);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->entra);
  g_assert_finalize_object (f->secrets);
  g_assert_finalize_object (f->http);
  g_assert_finalize_object (f->profile);
  cb_test_sandbox_free (f->ts);
}

/* ---- helpers -------------------------------------------------------------------------------- */



static CbEntraDeviceCode *
begin (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CbEntraDeviceCode *code;

  cb_entra_client_begin_sign_in_async (f->entra, NULL, cb_test_store_result_cb, &result);
  code = cb_entra_client_begin_sign_in_finish (f->entra, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (code);

  return code;
}

static gboolean
complete (Fixture            *f,
          CbEntraDeviceCode  *code,
          GCancellable       *cancellable,
          GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_entra_client_complete_sign_in_async (f->entra, code, cancellable, cb_test_store_result_cb, &result);
  return cb_entra_client_complete_sign_in_finish (f->entra, cb_test_wait_for (&result), error);
}

static void
sign_in (Fixture *f)
{
  g_autoptr(CbEntraDeviceCode) code = begin (f);
  g_autoptr(GError) error = NULL;

  g_assert_true (complete (f, code, NULL, &error));
  g_assert_no_error (error);
}

static char *
get_token (CbEntraClient  *entra,
           const char     *scope,
           GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_entra_client_get_access_token_async (entra, scope, NULL, cb_test_store_result_cb, &result);
  return cb_entra_client_get_access_token_finish (entra, cb_test_wait_for (&result), error);
}

static char *
stored_secret (Fixture      *f,
               CbSecretKind  kind)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *value;

  cb_secrets_lookup_async (f->secrets, cb_profile_get_id (f->profile), kind, NULL, cb_test_store_result_cb, &result);
  value = cb_secrets_lookup_finish (f->secrets, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);

  return value;
}

/* The audience the sandbox recorded for an access token, or NULL if it does not know it. */
static char *
token_audience (Fixture    *f,
                const char *token)
{
  g_autofree char *principal = NULL;
  g_autofree char *name = NULL;
  g_autofree char *client = NULL;
  char *audience = NULL;
  gboolean expired = TRUE;

  cb_sb_lock (f->ts->sandbox);
  principal = cb_sb_lookup_token (f->ts->sandbox, token, "access", &audience, &name, &client,
                                  NULL, &expired);
  cb_sb_unlock (f->ts->sandbox);

  if (principal == NULL)
    return NULL;

  g_assert_false (expired);
  g_assert_cmpstr (name, ==, PRINCIPAL);
  g_assert_cmpstr (client, ==, CLIENT_ID);
  return audience;
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  (*(guint *) user_data)++;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void
test_auto_approve (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CbEntraDeviceCode) code = begin (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *arm = NULL;
  g_autofree char *arm_again = NULL;
  g_autofree char *hub = NULL;
  g_autofree char *arm_audience = NULL;
  g_autofree char *hub_audience = NULL;
  g_autofree char *refresh = NULL;
  guint notified = 0;

  g_assert_nonnull (cb_entra_device_code_get_user_code (code));
  g_assert_true (g_str_has_prefix (cb_entra_device_code_get_verification_uri (code), "https://"));
  g_assert_nonnull (strstr (cb_entra_device_code_get_message (code),
                            cb_entra_device_code_get_user_code (code)));
  g_assert_cmpuint (cb_entra_device_code_get_interval (code), ==, 1);
  g_assert_cmpint (cb_entra_device_code_get_expires_at (code), >, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_false (cb_entra_client_get_signed_in (f->entra));

  g_signal_connect (f->entra, "notify::signed-in", G_CALLBACK (notify_cb), &notified);
  g_assert_true (complete (f, code, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cb_entra_client_get_signed_in (f->entra));
  g_assert_cmpuint (notified, ==, 1);

  /* The refresh token went to the secret store, not anywhere else. */
  refresh = stored_secret (f, CB_SECRET_REFRESH_TOKEN);
  g_assert_nonnull (refresh);

  /* The sign-in cached an ARM token; asking again returns the same one. */
  arm = get_token (f->entra, CB_ENTRA_SCOPE_ARM, &error);
  g_assert_no_error (error);
  arm_again = get_token (f->entra, CB_ENTRA_SCOPE_ARM, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (arm, ==, arm_again);
  arm_audience = token_audience (f, arm);
  g_assert_cmpstr (arm_audience, ==, "https://management.azure.com");

  /* Another resource needs its own token, obtained with the refresh token. */
  hub = get_token (f->entra, CB_ENTRA_SCOPE_HUB, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hub, !=, arm);
  hub_audience = token_audience (f, hub);
  g_assert_cmpstr (hub_audience, ==, "https://iothubs.azure.net");

  cb_secrets_free_value (refresh);
  /* The sandbox rotates refresh tokens: the stored one changed. */
  refresh = stored_secret (f, CB_SECRET_REFRESH_TOKEN);
  g_assert_nonnull (refresh);

  g_signal_handlers_disconnect_by_func (f->entra, notify_cb, &notified);
}

typedef struct
{
  GAsyncResult *result;
  const char   *scope;
} Pending;

static void
test_concurrent_scopes (Fixture       *f,
                        gconstpointer  data)
{
  Pending pending[] = {
    { NULL, CB_ENTRA_SCOPE_HUB },
    { NULL, CB_ENTRA_SCOPE_DPS },
    { NULL, CB_ENTRA_SCOPE_HUB },
    { NULL, CB_ENTRA_SCOPE_DPS },
  };
  char *tokens[G_N_ELEMENTS (pending)];

  sign_in (f);

  /* All at once: refresh tokens rotate, so the client must not spend one twice, and callers
   * for one scope share one request. */
  for (guint i = 0; i < G_N_ELEMENTS (pending); i++)
    cb_entra_client_get_access_token_async (f->entra, pending[i].scope, NULL, cb_test_store_result_cb,
                                            &pending[i].result);

  for (guint i = 0; i < G_N_ELEMENTS (pending); i++)
    {
      g_autoptr(GError) error = NULL;

      tokens[i] = cb_entra_client_get_access_token_finish (f->entra, cb_test_wait_for (&pending[i].result),
                                                           &error);
      g_assert_no_error (error);
      g_assert_nonnull (tokens[i]);
    }

  g_assert_cmpstr (tokens[0], ==, tokens[2]);
  g_assert_cmpstr (tokens[1], ==, tokens[3]);
  g_assert_cmpstr (tokens[0], !=, tokens[1]);

  for (guint i = 0; i < G_N_ELEMENTS (pending); i++)
    {
      g_clear_object (&pending[i].result);
      cb_secrets_free_value (tokens[i]);
    }
}

typedef struct
{
  Fixture    *f;
  const char *user_code;
  gboolean    decline;
  gboolean    done;
} Approval;

static void
approve_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Approval *approval = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 204);
  approval->done = TRUE;
}

/* Approves (or declines) the code the way the sign-in page does. Sent without blocking: a
 * synchronous request from inside the main loop's dispatch deadlocks in the TLS handshake
 * when the sandbox asks for a client certificate, as DPS does (libsoup's certificate
 * interaction waits for the main context the request blocks). */
static gboolean
approve_cb (gpointer user_data)
{
  Approval *approval = user_data;
  g_autofree char *body = g_strdup_printf ("{\"userCode\":\"%s\",\"decline\":%s}",
                                           approval->user_code,
                                           approval->decline ? "true" : "false");
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (approval->f->ts->sandbox),
                                      "/sandbox/entra/approve", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  /* Not signed in while the code waits. */
  g_assert_false (cb_entra_client_get_signed_in (approval->f->entra));

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (approval->f->ts->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    approve_sent_cb, approval);
  return G_SOURCE_REMOVE;
}

static void
wait_approved (Approval *approval)
{
  while (!approval->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_manual_approve (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CbEntraDeviceCode) code = begin (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *arm = NULL;
  Approval approval = { f, cb_entra_device_code_get_user_code (code), FALSE, FALSE };
  gint64 start = g_get_monotonic_time ();

  /* Approve only after the client has polled (interval 1 s) and got authorization_pending
   * at least twice. */
  g_timeout_add (2500, approve_cb, &approval);

  g_assert_true (complete (f, code, NULL, &error));
  g_assert_no_error (error);
  wait_approved (&approval);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2500 * 1000);
  g_assert_true (cb_entra_client_get_signed_in (f->entra));

  arm = get_token (f->entra, CB_ENTRA_SCOPE_ARM, &error);
  g_assert_no_error (error);
  g_assert_nonnull (arm);
}

static void
test_declined (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CbEntraDeviceCode) code = begin (f);
  g_autoptr(GError) error = NULL;
  Approval approval = { f, cb_entra_device_code_get_user_code (code), TRUE, FALSE };

  g_timeout_add (1200, approve_cb, &approval);

  g_assert_false (complete (f, code, NULL, &error));
  wait_approved (&approval);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_DECLINED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "authorization_declined");
  g_assert_false (cb_entra_client_get_signed_in (f->entra));
}

static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CbEntraDeviceCode) code = begin (f);
  g_autoptr(GError) error = NULL;
  guint status;

  /* Jump the sandbox clock past the code's 15 minutes. */
  status = cb_test_sandbox_request (f->ts, "POST", "/sandbox/clock", NULL, NULL,
                                    "{\"advanceSeconds\": 1000}", NULL, NULL);
  g_assert_cmpuint (status / 100, ==, 2);

  g_assert_false (complete (f, code, NULL, &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_EXPIRED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "expired_token");
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
run_cancel (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(CbEntraDeviceCode) code = begin (f);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_timeout_add (1500, cancel_cb, cancellable);

  g_assert_false (complete (f, code, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_false (cb_entra_client_get_signed_in (f->entra));
}

/* A wall-clock check: the sanitizer pass (build-aux/test-sanitize.sh) leaves it out. */
static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  if (cb_test_skip_under_sanitizer ("a cancel that must land within 5 s"))
    return;
  run_cancel (f, data);
}

static void
test_refresh_and_restart (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CbEntraClient) restarted = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *from_store = NULL;
  g_autofree char *audience = NULL;

  sign_in (f);
  before = get_token (f->entra, CB_ENTRA_SCOPE_ARM, &error);
  g_assert_no_error (error);

  cb_entra_client_refresh_async (f->entra, CB_ENTRA_SCOPE_ARM, NULL, cb_test_store_result_cb, &result);
  after = cb_entra_client_refresh_finish (f->entra, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (after);
  g_assert_cmpstr (before, !=, after);

  /* A new client (the app restarted) finds the sign-in in the secret store. */
  restarted = cb_entra_client_new (f->profile, f->http, f->secrets);
  g_assert_false (cb_entra_client_get_signed_in (restarted));
  from_store = get_token (restarted, CB_ENTRA_SCOPE_ARM, &error);
  g_assert_no_error (error);
  g_assert_nonnull (from_store);
  g_assert_true (cb_entra_client_get_signed_in (restarted));
  audience = token_audience (f, from_store);
  g_assert_cmpstr (audience, ==, "https://management.azure.com");

  g_assert_finalize_object (g_steal_pointer (&restarted));
}

static void
test_revoked_refresh_token (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *token = NULL;

  sign_in (f);

  /* The refresh token dies on the service side (revoked, password change). */
  refresh = stored_secret (f, CB_SECRET_REFRESH_TOKEN);
  cb_sb_lock (f->ts->sandbox);
  cb_sb_delete_token (f->ts->sandbox, refresh);
  cb_sb_unlock (f->ts->sandbox);

  token = get_token (f->entra, CB_ENTRA_SCOPE_HUB, &error);
  g_assert_null (token);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "invalid_grant");
  g_assert_null (strstr (error->message, refresh));
  g_assert_false (cb_entra_client_get_signed_in (f->entra));
}

static void
test_sign_out (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *refresh = NULL;

  sign_in (f);

  cb_entra_client_sign_out_async (f->entra, NULL, cb_test_store_result_cb, &result);
  g_assert_true (cb_entra_client_sign_out_finish (f->entra, cb_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_assert_false (cb_entra_client_get_signed_in (f->entra));

  refresh = stored_secret (f, CB_SECRET_REFRESH_TOKEN);
  g_assert_null (refresh);

  token = get_token (f->entra, CB_ENTRA_SCOPE_ARM, &error);
  g_assert_null (token);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
}

static void
test_not_signed_in (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = get_token (f->entra, CB_ENTRA_SCOPE_ARM, &error);

  g_assert_null (token);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
}

static void
test_unknown_tenant (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbEntraDeviceCode) code = NULL;

  cb_profile_set_tenant (f->profile, "contoso.example");
  cb_entra_client_begin_sign_in_async (f->entra, NULL, cb_test_store_result_cb, &result);
  code = cb_entra_client_begin_sign_in_finish (f->entra, cb_test_wait_for (&result), &error);

  g_assert_null (code);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 400);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "invalid_request");
  g_assert_nonnull (strstr (error->message, "contoso.example"));
}

/* The app and the CLI on one profile: two clients, one secret store. Each refreshes in turn
 * (every refresh answers with a new refresh token, which the refreshing client stores): the
 * other goes on with the one it holds, as Entra revokes none on use, and neither is signed out.
 * The sandbox used to spend a refresh token when it was redeemed, so the second client's next
 * refresh failed with invalid_grant and it had to sign in again. */
static void
test_two_clients_one_profile (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(CbEntraClient) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;

  sign_in (f);
  other = cb_entra_client_new (f->profile, f->http, f->secrets);
  first = get_token (other, CB_ENTRA_SCOPE_ARM, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);

  for (guint round = 0; round < 3; round++)
    {
      g_autofree char *mine = NULL;
      g_autofree char *theirs = NULL;

      cb_entra_client_forget_access_token (f->entra, CB_ENTRA_SCOPE_HUB);
      mine = get_token (f->entra, CB_ENTRA_SCOPE_HUB, &error);
      g_assert_no_error (error);
      g_assert_nonnull (mine);

      cb_entra_client_forget_access_token (other, CB_ENTRA_SCOPE_DPS);
      theirs = get_token (other, CB_ENTRA_SCOPE_DPS, &error);
      g_assert_no_error (error);
      g_assert_nonnull (theirs);
    }
  g_assert_true (cb_entra_client_get_signed_in (f->entra));
  g_assert_true (cb_entra_client_get_signed_in (other));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, flags, func) \
  g_test_add ("/cb/client-entra/" path, Fixture, GUINT_TO_POINTER (flags), \
              fixture_setup, func, fixture_teardown)

  ADD ("auto-approve", CB_TEST_SANDBOX_NONE, test_auto_approve);
  ADD ("concurrent-scopes", CB_TEST_SANDBOX_NONE, test_concurrent_scopes);
  ADD ("manual-approve", CB_TEST_SANDBOX_MANUAL_SIGN_IN, test_manual_approve);
  ADD ("declined", CB_TEST_SANDBOX_MANUAL_SIGN_IN, test_declined);
  ADD ("expired", CB_TEST_SANDBOX_MANUAL_SIGN_IN, test_expired);
  ADD ("cancel", CB_TEST_SANDBOX_MANUAL_SIGN_IN, test_cancel);
  ADD ("refresh-and-restart", CB_TEST_SANDBOX_NONE, test_refresh_and_restart);
  ADD ("revoked-refresh-token", CB_TEST_SANDBOX_NONE, test_revoked_refresh_token);
  ADD ("two-clients-one-profile", CB_TEST_SANDBOX_NONE, test_two_clients_one_profile);
  ADD ("sign-out", CB_TEST_SANDBOX_NONE, test_sign_out);
  ADD ("not-signed-in", CB_TEST_SANDBOX_NONE, test_not_signed_in);
  ADD ("unknown-tenant", CB_TEST_SANDBOX_NONE, test_unknown_tenant);
#undef ADD

  return g_test_run ();
}
