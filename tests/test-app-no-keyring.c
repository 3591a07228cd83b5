/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app with the real keyring store but no usable keyring: run by run-without-keyring.sh,
 * on a bus with no secret service ("none") or with a locked keyring whose prompts are
 * dismissed ("locked"). The local sandbox needs no stored secret: it signs in and provisions.
 * An Azure profile signs in for the session, and the window says why it will not be kept. */
#include "config.h"

#include <string.h>

#include "cb-test-app.h"

#include "cb-bench-page.h"
#include "cb-secrets.h"
#include "cb-sandbox-profile.h"
#include "cb-sandbox-service.h"
#include "cbd-virtual-device.h"
#include "cb-window.h"

typedef struct
{
  CbTestSandbox *ts;
  CbContext     *context;
  CbWindow      *window;
  char          *dir;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(CbPortMonitor) monitor = cb_port_monitor_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *profiles = NULL;
  g_autofree char *journal = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (f->ts->sandbox, &error));
  g_assert_no_error (error);

  f->dir = g_dir_make_tmp ("certbench-no-keyring-XXXXXX", &error);
  g_assert_no_error (error);
  profiles = g_build_filename (f->dir, "profiles.ini", NULL);
  journal = g_build_filename (f->dir, "journal.sqlite", NULL);

  /* NULL secrets: the keyring store the app uses, not the tests' memory store. */
  f->context = cb_context_new_full (f->ts->sandbox, NULL, monitor, f->dir, profiles, journal);
  g_assert_false (cb_secrets_is_memory (cb_context_get_secrets (f->context)));
  f->window = cb_window_new (NULL, f->context);
  gtk_window_present (GTK_WINDOW (f->window));
  cb_context_start (f->context);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  cb_context_shutdown (f->context);
  cb_test_app_spin (100);
  g_clear_object (&f->context);
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
}

static gboolean
page_idle (gpointer user_data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (user_data)) == 0;
}

static GtkInfoBar *
secrets_bar (Fixture *f)
{
  GtkWidget *bar = cb_test_app_find_widget (GTK_WIDGET (f->window), GTK_TYPE_INFO_BAR);

  g_assert_nonnull (bar);
  return GTK_INFO_BAR (bar);
}

typedef struct
{
  char     *value;
  GError   *error;
  gboolean  done;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;

  lookup->value = cb_secrets_lookup_finish (CB_SECRETS (object), result, &lookup->error);
  lookup->done = TRUE;
}

static gboolean
lookup_done (gpointer user_data)
{
  return ((Lookup *) user_data)->done;
}

/* Looks @profile_id's @kind up in @secrets: the value, or NULL. */
static char *
lookup (CbSecrets    *secrets,
        const char   *profile_id,
        CbSecretKind  kind)
{
  Lookup l = { 0 };

  cb_secrets_lookup_async (secrets, profile_id, kind, NULL, lookup_cb, &l);
  cb_test_app_wait (lookup_done, &l, 10000);
  if (l.error != NULL)
    g_test_message ("lookup: %s", l.error->message);
  g_clear_error (&l.error);
  return l.value;
}

static void
test_sandbox_provisions (Fixture       *f,
                         gconstpointer  data)
{
  GtkWidget *page;
  CbBenchPage *bench;
  CbVirtualDevice *device;
  CbRunResult *result;
  const char *path;
  char *key;

  /* Signed in to the sandbox without asking the keyring anything. */
  cb_test_app_wait_for_state (f->context, CB_CONTEXT_STATE_READY, 30000);
  g_assert_cmpint (cb_profile_get_kind (cb_context_get_profile (f->context)), ==,
                   CB_PROFILE_KIND_SANDBOX);
  g_assert_null (cb_context_get_secrets_problem (f->context));
  g_assert_false (gtk_info_bar_get_revealed (secrets_bar (f)));

  /* The sandbox handed its enrollment key for this session. */
  key = lookup (cb_context_get_secrets (f->context), "sandbox", CB_SECRET_ENROLLMENT_GROUP_KEY);
  g_assert_nonnull (key);
  cb_secrets_free_value (key);

  /* Provision is there and works. */
  page = cb_window_get_page_widget (f->window, "bench");
  g_assert_true (CB_IS_BENCH_PAGE (page));
  bench = CB_BENCH_PAGE (page);
  device = cb_bench_page_get_virtual_device (bench);
  g_assert_nonnull (device);
  path = cb_virtual_device_get_path (device);
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  cb_test_app_wait (page_idle, page, 60000);

  result = cb_provisioning_run_get_result (cb_bench_page_get_run (bench, path));
  g_assert_nonnull (result);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run failed: %s", cb_run_result_get_error (result)->message);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 1);

  /* Nothing of the sandbox's went to the keyring. */
  g_assert_null (cb_context_get_secrets_problem (f->context));
}

typedef struct
{
  CbEntraDeviceCode *code;
  gboolean           signed_in;
  GError            *error;
  gboolean           done;
} SignIn;

static void
begin_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  SignIn *s = user_data;

  s->code = cb_context_begin_sign_in_finish (CB_CONTEXT (object), result, &s->error);
  s->done = TRUE;
}

static void
complete_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  SignIn *s = user_data;

  s->signed_in = cb_context_complete_sign_in_finish (CB_CONTEXT (object), result, &s->error);
  s->done = TRUE;
}

static gboolean
sign_in_done (gpointer user_data)
{
  return ((SignIn *) user_data)->done;
}

static void
test_azure_signs_in_for_the_session (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(CbProfile) azure = NULL;
  g_autoptr(GKeyFile) key_file = NULL;
  g_autoptr(CbSecrets) keyring = cb_secrets_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *png = NULL;
  SignIn s = { 0 };
  const char *problem;
  const char *text;
  char *token;

  cb_test_app_wait_for_state (f->context, CB_CONTEXT_STATE_READY, 30000);

  /* An Azure profile (the sandbox stands in for Azure) with nothing stored: signed out. */
  key_file = g_key_file_new ();
  cb_profile_to_key_file (cb_context_get_profile (f->context), key_file, "p");
  g_key_file_set_string (key_file, "p", "id", "line1");
  g_key_file_set_string (key_file, "p", "kind", "azure");
  azure = cb_profile_new_from_key_file (key_file, "p", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_profile_get_kind (azure), ==, CB_PROFILE_KIND_AZURE);
  cb_profile_set_name (azure, "Line 1");
  g_assert_true (cb_context_save_profile (f->context, azure, &error));
  g_assert_no_error (error);
  g_assert_true (cb_context_switch_profile (f->context, cb_profile_get_id (azure), &error));
  g_assert_no_error (error);
  cb_test_app_wait_for_state (f->context, CB_CONTEXT_STATE_SIGNED_OUT, 30000);

  /* The device-code sign-in (the sandbox approves it) works for this session... */
  cb_context_begin_sign_in_async (f->context, NULL, begin_cb, &s);
  cb_test_app_wait (sign_in_done, &s, 30000);
  g_assert_no_error (s.error);
  g_assert_nonnull (s.code);
  s.done = FALSE;
  cb_context_complete_sign_in_async (f->context, s.code, NULL, complete_cb, &s);
  cb_test_app_wait (sign_in_done, &s, 30000);
  g_assert_no_error (s.error);
  g_assert_true (s.signed_in);
  g_assert_cmpint (cb_context_get_state (f->context), ==, CB_CONTEXT_STATE_READY);
  g_clear_object (&s.code);

  /* ...its refresh token is kept in the process, not in the keyring... */
  token = lookup (cb_context_get_secrets (f->context), cb_profile_get_id (azure),
                  CB_SECRET_REFRESH_TOKEN);
  g_assert_nonnull (token);
  cb_secrets_free_value (token);
  token = lookup (keyring, cb_profile_get_id (azure), CB_SECRET_REFRESH_TOKEN);
  g_assert_null (token);

  /* ...and a banner says so, and why. */
  problem = cb_context_get_secrets_problem (f->context);
  g_assert_nonnull (problem);
  g_test_message ("The keyring's problem: %s", problem);
  if (g_strcmp0 (g_getenv ("CB_TEST_KEYRING_MODE"), "none") == 0)
    g_assert_nonnull (strstr (problem, "org.freedesktop.secrets"));
  cb_test_app_spin (300);
  g_assert_true (gtk_info_bar_get_revealed (secrets_bar (f)));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (secrets_bar (f))));
  text = gtk_label_get_label (GTK_LABEL (cb_test_app_find_widget (GTK_WIDGET (secrets_bar (f)),
                                                                  GTK_TYPE_LABEL)));
  g_assert_true (g_str_has_prefix (text, "Secrets cannot be kept in the keyring"));
  g_assert_nonnull (strstr (text, problem));
  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "no-keyring-banner.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->window), png, 1280, 800);

  /* Back on the sandbox, which keeps nothing: no banner. */
  g_assert_true (cb_context_switch_profile (f->context, "sandbox", &error));
  g_assert_no_error (error);
  cb_test_app_wait_for_state (f->context, CB_CONTEXT_STATE_READY, 30000);
  g_assert_null (cb_context_get_secrets_problem (f->context));
  g_assert_false (gtk_info_bar_get_revealed (secrets_bar (f)));
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app-no-keyring/sandbox-provisions", Fixture, NULL,
              fixture_set_up, test_sandbox_provisions, fixture_tear_down);
  g_test_add ("/cb/app-no-keyring/azure-signs-in-for-the-session", Fixture, NULL,
              fixture_set_up, test_azure_signs_in_for_the_session, fixture_tear_down);

  return g_test_run ();
}
