/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "cb-application.h"
#include "cb-preferences-window.h"
#include "cb-sandbox-service.h"
#include "cb-test-app.h"
#include "cb-window.h"

/* The whole application as a new user starts it: fresh data and config folders, the real
 * secret service (the suite unlocks a throwaway keyring), the sandbox started in-process. */

static char *tmp_dir;

typedef struct
{
  CbSecrets  *secrets;
  gboolean    done;
  char       *value;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(GError) error = NULL;

  lookup->value = cb_secrets_lookup_finish (CB_SECRETS (object), result, &error);
  g_assert_no_error (error);
  lookup->done = TRUE;
}

static gboolean
is_done (gpointer user_data)
{
  return ((Lookup *) user_data)->done;
}

static gboolean
has_secret (CbSecrets    *secrets,
            CbSecretKind  kind)
{
  Lookup lookup = { secrets, FALSE, NULL };
  gboolean found;

  cb_secrets_lookup_async (secrets, "sandbox", kind, NULL, lookup_cb, &lookup);
  cb_test_app_wait (is_done, &lookup, 10000);
  found = lookup.value != NULL && *lookup.value != '\0';
  cb_secrets_free_value (lookup.value);
  return found;
}

static gboolean
enrollment_key_stored (gpointer user_data)
{
  return has_secret (user_data, CB_SECRET_ENROLLMENT_GROUP_KEY);
}

static gboolean
ports_scanned (gpointer user_data)
{
  return cb_port_monitor_get_scanned (user_data);
}

static void
test_first_run (void)
{
  g_autoptr(CbApplication) app = cb_application_new ();
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  g_autoptr(GError) error = NULL;
  g_autofree char *sandbox_dir = NULL;
  g_autofree char *active = NULL;
  CbContext *context;
  GtkWindow *window;
  gboolean about = FALSE;
  gboolean preferences = FALSE;
  gint64 start;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  context = cb_application_get_context (app);
  g_assert_nonnull (context);
  g_assert_false (cb_secrets_is_memory (cb_context_get_secrets (context)));

  /* The window is there at once; the sandbox comes up behind it. */
  start = g_get_monotonic_time ();
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (CB_IS_WINDOW (window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_cmpint (cb_context_get_state (context), ==, CB_CONTEXT_STATE_STARTING);
  g_assert_cmpstr (cb_window_get_page (CB_WINDOW (window)), ==, "bench");
  /* The ports are scanned after the first frame, not before it. */
  g_assert_false (cb_port_monitor_get_scanned (cb_context_get_port_monitor (context)));
  cb_test_app_wait (ports_scanned, cb_context_get_port_monitor (context), 30000);

  cb_test_app_wait_for_state (context, CB_CONTEXT_STATE_READY, 60000);
  g_test_message ("Ready %d ms after activation", (int) ((g_get_monotonic_time () - start) / 1000));

  sandbox_dir = g_build_filename (tmp_dir, "data", "certbench", "sandbox", NULL);
  g_assert_true (g_file_test (sandbox_dir, G_FILE_TEST_IS_DIR));
  g_assert_nonnull (cb_context_get_sandbox (context));
  g_assert_cmpint (cb_profile_get_kind (cb_context_get_profile (context)), ==,
                   CB_PROFILE_KIND_SANDBOX);
  active = g_settings_get_string (settings, "active-profile");
  g_assert_cmpstr (active, ==, "sandbox");

  /* Signed in through the device-code flow: the refresh token and the demo enrollment key
   * are kept for the session, not in the keyring (the sandbox hands them again at every
   * start, so a missing or locked keyring cannot stop it). */
  g_assert_true (has_secret (cb_context_get_secrets (context), CB_SECRET_REFRESH_TOKEN));
  cb_test_app_wait (enrollment_key_stored, cb_context_get_secrets (context), 10000);
  {
    g_autoptr(CbSecrets) keyring = cb_secrets_new ();

    g_assert_false (has_secret (keyring, CB_SECRET_REFRESH_TOKEN));
    g_assert_false (has_secret (keyring, CB_SECRET_ENROLLMENT_GROUP_KEY));
  }
  g_assert_null (cb_context_get_secrets_problem (context));

  /* The application's actions open their windows. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 3);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    {
      if (ADW_IS_ABOUT_WINDOW (l->data))
        about = TRUE;
      else if (CB_IS_PREFERENCES_WINDOW (l->data))
        preferences = TRUE;
    }
  g_assert_true (about);
  g_assert_true (preferences);

  /* Quit closes every window. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  cb_test_app_spin (100);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (app)));

  cb_context_shutdown (context);
  cb_test_app_spin (100);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;
  int ret;

  /* Before anything reads them: the user's folders are never touched. */
  tmp_dir = g_dir_make_tmp ("certbench-app-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  data = g_build_filename (tmp_dir, "data", NULL);
  config = g_build_filename (tmp_dir, "config", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);

  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-application/first-run", test_first_run);

  ret = g_test_run ();
  cb_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
