/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "cb-bench-page.h"
#include "cb-connections-window.h"
#include "cb-device-list-model.h"
#include "cb-preferences-window.h"
#include "cb-sandbox-service.h"
#include "cb-sign-in-dialog.h"
#include "cb-test-app.h"
#include "cb-window.h"

static const char * const pages[] = { "bench", "journal", "registry", "fleet", "diagnostics" };

/* Buttons follow their action's enabled state. */
static gboolean
action_enabled (CbWindow   *window,
                const char *button_label)
{
  GtkWidget *button = cb_test_app_find_button (GTK_WIDGET (window), button_label);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

static void
test_window_pages (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  CbWindow *window = cb_window_new (NULL, app->context);

  g_assert_true (cb_window_get_context (window) == app->context);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      GtkWidget *page = cb_window_get_page_widget (window, pages[i]);
      CbContext *context = NULL;

      g_assert_nonnull (page);
      g_assert_true (ADW_IS_BIN (page));
      g_object_get (page, "context", &context, NULL);
      g_assert_true (context == app->context);
      g_object_unref (context);
    }

  /* The bench is the first page; Ctrl+1..5 go through win.show-page. */
  g_assert_cmpstr (cb_window_get_page (window), ==, "bench");
  for (guint i = G_N_ELEMENTS (pages); i > 0; i--)
    {
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s",
                                                 pages[i - 1]));
      g_assert_cmpstr (cb_window_get_page (window), ==, pages[i - 1]);
    }

  /* An unknown page leaves the current one. */
  cb_window_set_page (window, "nowhere");
  g_assert_cmpstr (cb_window_get_page (window), ==, "bench");

  /* Toasts are accepted at any time. */
  cb_window_add_toast (window, adw_toast_new ("Hello"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_connection_indicator (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  g_autofree char *signed_in = NULL;
  CbWindow *window = cb_window_new (NULL, app->context);

  gtk_window_present (GTK_WINDOW (window));

  /* Before start the indicator says so and nothing can be signed in or out. */
  g_assert_cmpint (cb_context_get_state (app->context), ==, CB_CONTEXT_STATE_STARTING);
  g_assert_false (action_enabled (window, "Sign _Out"));
  g_assert_false (action_enabled (window, "_Sign In…"));
  g_assert_false (action_enabled (window, "_Try Again"));
  g_assert_true (action_enabled (window, "_Connections…"));

  cb_context_start (app->context);
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_READY, 30000);

  g_assert_cmpstr (cb_context_get_status_text (app->context), ==, "Sandbox");
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window), "Sandbox"));
  /* The popover says who is signed in (the sandbox's ID token names its demo admin). */
  g_assert_nonnull (cb_context_get_username (app->context));
  signed_in = g_strdup_printf ("Signed in as %s", cb_context_get_username (app->context));
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window), signed_in));
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window), "Local Sandbox"));
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window), "Connected"));

  /* Starting up is not an outcome to toast about. */
  cb_test_app_spin (50);
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (window), "Connected to Local sandbox (demo)"));
  g_assert_nonnull (cb_context_get_adr (app->context));
  g_assert_nonnull (cb_context_get_hub (app->context));
  g_assert_nonnull (cb_context_get_dps (app->context));
  g_assert_true (cb_entra_client_get_signed_in (cb_context_get_entra (app->context)));

  /* The sandbox cannot be signed out of from the UI; it is always there. */
  g_assert_false (action_enabled (window, "Sign _Out"));
  g_assert_false (action_enabled (window, "_Sign In…"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cb_secrets_store_finish (CB_SECRETS (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean is_true (gpointer user_data);

static void
test_window_error_and_reconnect (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(CbProfile) broken = NULL;
  g_autofree char *connected = NULL;
  CbWindow *window = cb_window_new (NULL, app->context);
  gboolean stored = FALSE;
  GtkWidget *retry;

  gtk_window_present (GTK_WINDOW (window));
  retry = cb_test_app_find_button (GTK_WIDGET (window), "_Try Again");
  g_assert_nonnull (retry);
  g_assert_false (gtk_widget_get_visible (retry));

  /* An Azure profile whose sign-in service cannot be reached (nothing listens on port 1)
   * while a refresh token is stored: an error, shown in the indicator, with "try again"
   * and "sign in" offered. */
  broken = cb_profile_new_azure ("Unreachable", "contoso", "client", "sub", "rg", "hub", NULL,
                                 NULL);
  cb_profile_set_login_endpoint (broken, "https://127.0.0.1:1");
  g_assert_true (cb_context_save_profile (app->context, broken, NULL));
  cb_secrets_store_async (cb_context_get_secrets (app->context), cb_profile_get_id (broken),
                          CB_SECRET_REFRESH_TOKEN, "not-a-real-token", NULL, store_cb, &stored);
  cb_test_app_wait (is_true, &stored, 5000);

  g_assert_true (cb_context_switch_profile (app->context, cb_profile_get_id (broken), NULL));
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_ERROR, 30000);
  g_assert_nonnull (cb_context_get_error (app->context));
  g_assert_cmpstr (cb_context_get_status_text (app->context), ==, "Unreachable · Unavailable");
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window), "Unreachable · Unavailable"));
  g_assert_true (gtk_widget_get_visible (retry));
  g_assert_true (gtk_widget_get_sensitive (retry));
  g_assert_true (gtk_widget_get_visible (cb_test_app_find_button (GTK_WIDGET (window), "_Sign In…")));

  /* Trying again goes through the same steps and ends the same way. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.reconnect", NULL));
  g_assert_cmpint (cb_context_get_state (app->context), ==, CB_CONTEXT_STATE_STARTING);
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_ERROR, 30000);

  /* Back on the sandbox: ready, nothing to retry, no account buttons. */
  g_assert_true (cb_context_switch_profile (app->context, "sandbox", NULL));
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_READY, 30000);
  connected = g_strdup_printf ("Connected to %s",
                               cb_profile_get_name (cb_context_get_profile (app->context)));
  cb_test_app_spin (50);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window), connected));
  g_assert_false (gtk_widget_get_visible (retry));
  g_assert_false (gtk_widget_get_visible (cb_test_app_find_button (GTK_WIDGET (window), "_Sign In…")));
  g_assert_false (gtk_widget_get_visible (cb_test_app_find_button (GTK_WIDGET (window), "Sign _Out")));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_settings (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  CbWindow *window;
  int width, height;

  /* Size and page come back from GSettings, and the page shown goes there. */
  g_settings_set_int (settings, "window-width", 1000);
  g_settings_set_int (settings, "window-height", 700);
  g_settings_set_string (settings, "last-page", "fleet");
  window = cb_window_new (NULL, app->context);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 1000);
  g_assert_cmpint (height, ==, 700);
  g_assert_cmpstr (cb_window_get_page (window), ==, "fleet");

  cb_window_set_page (window, "registry");
  g_assert_cmpstr (g_settings_get_string (settings, "last-page"), ==, "registry");
  gtk_window_destroy (GTK_WINDOW (window));

  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
  g_settings_reset (settings, "last-page");
}

typedef struct
{
  CbContext *context;
  guint      profile_notifies;
} SwitchData;

static void
on_profile_notify (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  SwitchData *data = user_data;

  data->profile_notifies++;
}

static void
test_connections_add_and_switch (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(GPtrArray) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (app->dir, "profiles.ini", NULL);
  CbConnectionsWindow *connections = cb_connections_window_new (app->context);
  GCancellable *old_cancellable = cb_context_get_cancellable (app->context);
  SwitchData data = { app->context, 0 };
  CbProfile *azure;
  struct { const char *field, *value; } fields[] = {
    { "name", "Line 1 (West Europe)" },
    { "tenant", "contoso.onmicrosoft.com" },
    { "client-id", "11111111-2222-3333-4444-555555555555" },
    { "subscription-id", "00000000-0000-0000-0000-000000000001" },
    { "resource-group", "rg-line1" },
    { "namespace", "ns-line1" },
    { "dps-id-scope", "0ne00000001" },
    { "hub-host-name", "hub-line1.azure-devices.net" },
  };

  g_object_ref (old_cancellable);
  gtk_window_present (GTK_WINDOW (connections));

  /* Saving an empty form is refused. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.add", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.save", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (cb_context_get_profiles (app->context)), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    gtk_editable_set_text (cb_connections_window_get_field (connections, fields[i].field),
                           fields[i].value);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.save", NULL));

  g_assert_cmpuint (g_list_model_get_n_items (cb_context_get_profiles (app->context)), ==, 2);
  azure = g_list_model_get_item (cb_context_get_profiles (app->context), 1);
  g_assert_cmpstr (cb_profile_get_name (azure), ==, "Line 1 (West Europe)");
  g_assert_cmpstr (cb_profile_get_hub_name (azure), ==, "hub-line1");
  g_assert_cmpstr (cb_profile_get_hub_endpoint (azure), ==, "https://hub-line1.azure-devices.net");
  g_assert_cmpstr (cb_profile_get_dps_global_endpoint (azure), ==, CB_AZURE_DPS_GLOBAL_ENDPOINT);

  /* It is on disk, and only the Azure profile is. */
  saved = cb_profile_list_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->len, ==, 1);
  g_assert_cmpstr (cb_profile_get_namespace (g_ptr_array_index (saved, 0)), ==, "ns-line1");
  g_assert_cmpstr (cb_profile_get_id (g_ptr_array_index (saved, 0)), ==, cb_profile_get_id (azure));

  /* Switching: a new cancellable, the old one cancelled, profile notified, and without a
   * stored sign-in the Azure profile is signed out. */
  g_signal_connect (app->context, "notify::profile", G_CALLBACK (on_profile_notify), &data);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.use", "s",
                                             cb_profile_get_id (azure)));
  g_assert_true (cb_context_get_profile (app->context) == azure);
  g_assert_cmpuint (data.profile_notifies, >=, 1);
  g_assert_true (g_cancellable_is_cancelled (old_cancellable));
  g_assert_false (cb_context_get_cancellable (app->context) == old_cancellable);
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_SIGNED_OUT, 10000);
  g_assert_null (cb_context_get_username (app->context));

  /* And back to the sandbox, ready again without a restart. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.use", "s",
                                             "sandbox"));
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_READY, 30000);
  g_assert_cmpint (cb_profile_get_kind (cb_context_get_profile (app->context)), ==,
                   CB_PROFILE_KIND_SANDBOX);

  /* Removing it takes it off the disk too. */
  cb_connections_window_edit (connections, cb_profile_get_id (azure));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.remove", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (cb_context_get_profiles (app->context)), ==, 1);
  g_clear_pointer (&saved, g_ptr_array_unref);
  saved = cb_profile_list_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->len, ==, 0);

  g_signal_handlers_disconnect_by_data (app->context, &data);
  g_object_unref (azure);
  g_object_unref (old_cancellable);
  gtk_window_destroy (GTK_WINDOW (connections));
}

static gboolean
has_code (gpointer user_data)
{
  return cb_sign_in_dialog_get_code (user_data) != NULL;
}

static void
on_destroy (GtkWidget *widget,
            gpointer   user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
sign_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cb_context_sign_out_finish (CB_CONTEXT (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
test_sign_in_dialog (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  CbWindow *window = cb_window_new (NULL, app->context);
  CbSignInDialog *dialog;
  gboolean signed_out = FALSE;
  gboolean destroyed = FALSE;

  cb_context_sign_out_async (app->context, NULL, sign_out_cb, &signed_out);
  cb_test_app_wait (is_true, &signed_out, 10000);
  g_assert_cmpint (cb_context_get_state (app->context), ==, CB_CONTEXT_STATE_SIGNED_OUT);
  g_assert_false (cb_entra_client_get_signed_in (cb_context_get_entra (app->context)));

  /* Signed out, the window offers sign-in; the dialog shows a code, the sandbox approves it,
   * the context is ready and the dialog goes away by itself. */
  gtk_window_present (GTK_WINDOW (window));
  dialog = cb_sign_in_dialog_new (app->context);
  g_signal_connect (dialog, "destroy", G_CALLBACK (on_destroy), &destroyed);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (dialog));

  cb_test_app_wait (has_code, dialog, 10000);
  g_assert_cmpuint (strlen (cb_sign_in_dialog_get_code (dialog)), >, 4);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "sign-in.copy", NULL));

  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_READY, 30000);
  cb_test_app_wait (is_true, &destroyed, 5000);
  g_assert_true (cb_entra_client_get_signed_in (cb_context_get_entra (app->context)));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_sign_in_cancel (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_MANUAL_SIGN_IN);
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(CbPortMonitor) monitor = cb_port_monitor_new ();
  g_autofree char *dir = g_dir_make_tmp ("certbench-app-XXXXXX", NULL);
  g_autofree char *profiles = g_build_filename (dir, "profiles.ini", NULL);
  g_autofree char *journal = g_build_filename (dir, "journal.sqlite", NULL);
  g_autoptr(CbContext) context = NULL;
  CbSignInDialog *dialog;
  gboolean destroyed = FALSE;

  /* A sandbox that waits for approval: the app keeps waiting (still starting), the user's
   * own dialog shows a code and can be cancelled without an error. */
  g_assert_true (cb_sandbox_seed_demo (ts->sandbox, NULL));
  context = cb_context_new_full (ts->sandbox, secrets, monitor, dir, profiles, journal);
  cb_context_start (context);
  cb_test_app_spin (500);

  dialog = cb_sign_in_dialog_new (context);
  g_signal_connect (dialog, "destroy", G_CALLBACK (on_destroy), &destroyed);
  gtk_window_present (GTK_WINDOW (dialog));
  cb_test_app_wait (has_code, dialog, 10000);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL));
  cb_test_app_wait (is_true, &destroyed, 5000);
  g_assert_cmpint (cb_context_get_state (context), !=, CB_CONTEXT_STATE_READY);

  cb_context_shutdown (context);
  g_clear_object (&context);
  cb_test_app_spin (100);
  g_unlink (profiles);
  g_unlink (journal);
  g_rmdir (dir);
}

static GtkWidget *
find_type (GtkWidget *root,
           GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_type (child, type)) != NULL)
        return found;
    }

  return NULL;
}

/* The widget whose name (gtk_widget_set_name) is @name. */
static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_widget_get_name (child), name) == 0)
        return child;
      if ((found = find_named (child, name)) != NULL)
        return found;
    }

  return NULL;
}

static void
test_preferences (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  g_autofree char *template = NULL;
  CbPreferencesWindow *preferences;
  GtkWidget *row;
  GtkWidget *toggle;
  GtkWidget *spin;
  GtkWidget *sec_tag;

  g_settings_reset (settings, "registration-id-template");
  template = g_settings_get_string (settings, "registration-id-template");
  g_assert_cmpstr (template, ==, "line1-{serial}");
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "renewal-fraction"), 0.8,
                                  1e-9);
  g_assert_false (g_settings_get_boolean (settings, "auto-start"));

  preferences = cb_preferences_window_new (settings);
  gtk_window_present (GTK_WINDOW (preferences));
  row = find_type (GTK_WIDGET (preferences), ADW_TYPE_ENTRY_ROW);
  toggle = find_type (GTK_WIDGET (preferences), GTK_TYPE_SWITCH);
  spin = find_named (GTK_WIDGET (preferences), "renewal-spin");
  sec_tag = find_named (GTK_WIDGET (preferences), "sec-tag-spin");
  g_assert_true (GTK_IS_SPIN_BUTTON (sec_tag));
  g_assert_nonnull (row);
  g_assert_nonnull (toggle);
  g_assert_nonnull (spin);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "line1-{serial}");
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), 80, 1e-9);

  /* A template DPS would refuse is not saved. */
  gtk_editable_set_text (GTK_EDITABLE (row), "line1-{serial");
  g_signal_emit_by_name (row, "apply");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_clear_pointer (&template, g_free);
  template = g_settings_get_string (settings, "registration-id-template");
  g_assert_cmpstr (template, ==, "line1-{serial}");

  gtk_editable_set_text (GTK_EDITABLE (row), "line2-{model}-{serial}");
  g_signal_emit_by_name (row, "apply");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_clear_pointer (&template, g_free);
  template = g_settings_get_string (settings, "registration-id-template");
  g_assert_cmpstr (template, ==, "line2-{model}-{serial}");

  /* Both ways between the controls and GSettings. */
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "auto-start"));
  g_settings_set_double (settings, "renewal-fraction", 0.5);
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), 50, 1e-9);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 80);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "renewal-fraction"), 0.8,
                                  1e-9);
  g_settings_set_string (settings, "registration-id-template", "bench-{serial}");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "bench-{serial}");
  /* The nRF91 security tag: 11 unless set, and the whole of Nordic's range. */
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (GTK_SPIN_BUTTON (sec_tag)), 11, 1e-9);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (sec_tag), 2147483647);
  g_assert_cmpuint (g_settings_get_uint (settings, "modem-sec-tag"), ==, 2147483647);
  g_settings_set_uint (settings, "modem-sec-tag", 42);
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (GTK_SPIN_BUTTON (sec_tag)), 42, 1e-9);

  gtk_window_destroy (GTK_WINDOW (preferences));
  g_settings_reset (settings, "auto-start");
  g_settings_reset (settings, "renewal-fraction");
  g_settings_reset (settings, "registration-id-template");
  g_settings_reset (settings, "modem-sec-tag");
}

static void
test_help_overlay (void)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/certbench/Certbench/gtk/help-overlay.ui");
  GObject *overlay = gtk_builder_get_object (builder, "help_overlay");
  const char *expected[] = { "app.preferences", "app.quit", "win.show-help-overlay" };
  const char *accels[] = { "F5", "<Control>1", "<Control>5" };
  g_autoptr(GString) found = g_string_new ("");
  g_autoptr(GSList) objects = gtk_builder_get_objects (builder);

  /* GtkApplication picks this file up by name from the resource base path. */
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));

  for (GSList *l = objects; l != NULL; l = l->next)
    {
      if (GTK_IS_SHORTCUTS_SHORTCUT (l->data))
        {
          g_autofree char *action = NULL;
          g_autofree char *accel = NULL;

          g_object_get (l->data, "action-name", &action, "accelerator", &accel, NULL);
          g_string_append_printf (found, "[%s]", action != NULL ? action : accel);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *needle = g_strdup_printf ("[%s]", expected[i]);
      g_assert_nonnull (strstr (found->str, needle));
    }
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    {
      g_autofree char *needle = g_strdup_printf ("[%s]", accels[i]);
      g_assert_nonnull (strstr (found->str, needle));
    }

  gtk_window_destroy (GTK_WINDOW (overlay));
}

static gboolean
bench_idle (gpointer data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (data)) == 0;
}

static void
log_run_failure (GtkWidget *bench)
{
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (bench));
  CbProvisioningRun *run = cb_bench_page_get_run (CB_BENCH_PAGE (bench),
                                                  cb_virtual_device_get_path (device));
  CbRunResult *result = run != NULL ? cb_provisioning_run_get_result (run) : NULL;

  if (result != NULL && cb_run_result_get_error (result) != NULL)
    g_test_message ("run failed: %s", cb_run_result_get_error (result)->message);
}

static int
min_width (GtkWidget *widget)
{
  int min = 0;

  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  return min;
}

/* Names the widgets that ask for more than @limit while none of their children does: where
 * to look when a page is too wide. */
static void
report_too_wide (GtkWidget *widget,
                 int        limit,
                 int        depth)
{
  gboolean child_too_wide = FALSE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (min_width (child) > limit)
        {
          child_too_wide = TRUE;
          report_too_wide (child, limit, depth + 1);
        }
    }
  if (!child_too_wide)
    {
      g_test_message ("%*s%s (%s) asks for %d px", depth, "", G_OBJECT_TYPE_NAME (widget),
                      gtk_widget_get_name (widget), min_width (widget));
      for (GtkWidget *child = gtk_widget_get_first_child (widget);
           child != NULL;
           child = gtk_widget_get_next_sibling (child))
        g_test_message ("%*s  child %s: %d px", depth, "", G_OBJECT_TYPE_NAME (child),
                        min_width (child));
    }
}

/* The window adapts down to 360 px (a phone, a half-tiled small screen): no page asks for
 * more, the header shows the title and the view switcher moves to the bottom bar. */
static void
test_window_narrow (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  CbWindow *window = cb_window_new (NULL, app->context);
  g_autoptr(GString) too_wide = g_string_new ("");
  GtkWidget *content;
  GtkWidget *bar;
  int width;
  int height;

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  gtk_window_present (GTK_WINDOW (window));
  content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (window));

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      GtkWidget *page = cb_window_get_page_widget (window, pages[i]);
      int page_min;

      cb_window_set_page (window, pages[i]);
      /* Pages load when shown; their loaded states count too. */
      cb_test_app_spin (1500);
      page_min = min_width (page);
      g_test_message ("%s asks for %d px", pages[i], page_min);
      if (page_min > 360)
        {
          report_too_wide (page, 360, 0);
          g_string_append_printf (too_wide, "%s: %d px; ", pages[i], page_min);
        }
    }
  {
    GtkWidget *header = cb_test_app_find_widget (content, ADW_TYPE_HEADER_BAR);
    g_autofree char *layout = NULL;

    g_object_get (gtk_settings_get_default (), "gtk-decoration-layout", &layout, NULL);
    g_test_message ("decoration layout %s; header asks for %d", layout, min_width (header));
  }
  /* The bench after a run: result, steps and the issued chain. */
  {
    GtkWidget *bench = cb_window_get_page_widget (window, "bench");
    CbVirtualDevice *device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (bench));
    int bench_min;

    cb_window_set_page (window, "bench");
    g_assert_true (gtk_widget_activate_action (bench, "bench.provision", "s",
                                               cb_virtual_device_get_path (device)));
    cb_test_app_wait (bench_idle, bench, 60000);
    log_run_failure (bench);
    g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (bench)), ==, "PASS");
    cb_test_app_spin (200);
    bench_min = min_width (bench);
    g_test_message ("bench after a run asks for %d px", bench_min);
    if (bench_min > 360)
      {
        report_too_wide (bench, 360, 0);
        g_string_append_printf (too_wide, "bench after a run: %d px; ", bench_min);
      }
  }
  /* Every page first, so one run names all that are too wide. */
  g_assert_cmpstr (too_wide->str, ==, "");
  /* The header bar and whatever sits around the pages too. */
  if (min_width (content) > 360)
    report_too_wide (content, 360, 0);
  g_assert_cmpint (min_width (content), <=, 360);

  /* Narrow, the switcher is the bottom bar. */
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (gtk_widget_get_width (content), <=, 360);
  bar = cb_test_app_find_widget (content, ADW_TYPE_VIEW_SWITCHER_BAR);
  g_assert_nonnull (bar);
  g_assert_true (adw_view_switcher_bar_get_reveal (ADW_VIEW_SWITCHER_BAR (bar)));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* How much of @widget the scrolled window around it shows, as a fraction of its height. */
static double
fraction_in_view (GtkWidget *widget)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;
  double top, bottom;

  g_assert_nonnull (scroller);
  g_assert_true (gtk_widget_compute_bounds (widget, scroller, &bounds));
  if (bounds.size.height <= 0)
    return 0;
  top = MAX (bounds.origin.y, 0);
  bottom = MIN (bounds.origin.y + bounds.size.height, gtk_widget_get_height (scroller));
  return MAX (bottom - top, 0) / bounds.size.height;
}

static gboolean
fully_in_view (gpointer widget)
{
  return fraction_in_view (widget) == 1.0;
}

static gboolean
partly_hidden (gpointer widget)
{
  return fraction_in_view (widget) < 1.0;
}

/* At 1280×800 the result of a run and the chain it issued are on screen when the run ends,
 * without scrolling; Provision Again goes back to the top even when the last run was
 * scrolled down. */
static void
test_window_bench_result_in_view (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  CbWindow *window = cb_window_new (NULL, app->context);
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                "bench-result-in-view.png", NULL);
  GtkWidget *bench = cb_window_get_page_widget (window, "bench");
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (bench));
  GtkWidget *result;
  GtkWidget *chain_row;
  GtkScrolledWindow *scroller;
  GtkAdjustment *vadjustment;

  cb_window_set_page (window, "bench");
  cb_test_app_save_png (GTK_WIDGET (window), png, 1280, 800);
  g_assert_true (gtk_widget_activate_action (bench, "bench.provision", "s",
                                             cb_virtual_device_get_path (device)));
  cb_test_app_wait (bench_idle, bench, 60000);
  log_run_failure (bench);
  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (bench)), ==, "PASS");
  cb_test_app_save_png (GTK_WIDGET (window), png, 1280, 800);

  result = cb_test_app_find_label (bench, "PASS");
  g_assert_nonnull (result);
  chain_row = gtk_widget_get_first_child (GTK_WIDGET (cb_bench_page_get_chain_list (CB_BENCH_PAGE (bench))));
  g_assert_nonnull (chain_row);
  g_test_message ("in view: result %.2f, device certificate %.2f", fraction_in_view (result),
                  fraction_in_view (chain_row));
  g_assert_cmpfloat (fraction_in_view (result), ==, 1.0);
  g_assert_cmpfloat (fraction_in_view (chain_row), ==, 1.0);

  /* Scrolled down to the steps, then Provision Again: the result is back in view while it
   * runs and when it has passed. */
  scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (result, GTK_TYPE_SCROLLED_WINDOW));
  vadjustment = gtk_scrolled_window_get_vadjustment (scroller);
  g_assert_cmpfloat (gtk_adjustment_get_upper (vadjustment), >,
                     gtk_adjustment_get_page_size (vadjustment));
  /* Each state is waited for, not given a fixed time: under load (CI's sanitizer pass, two
   * cores) scrolling and layout take longer, and a fixed 100 ms was not always enough. */
  gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_upper (vadjustment));
  cb_test_app_wait (partly_hidden, result, 10000);

  g_assert_true (gtk_widget_activate_action (bench, "bench.provision-selected", NULL));
  cb_test_app_wait (fully_in_view, result, 10000);
  g_assert_cmpuint (cb_bench_page_get_n_running (CB_BENCH_PAGE (bench)), ==, 1);
  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (bench)), ==, "Running…");
  cb_test_app_wait (bench_idle, bench, 60000);
  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (bench)), ==, "PASS");
  cb_test_app_wait (fully_in_view, result, 10000);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
collect_row_titles (GtkWidget *root,
                    GPtrArray *titles)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (ADW_IS_PREFERENCES_ROW (child))
        g_ptr_array_add (titles, (gpointer) adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)));
      collect_row_titles (child, titles);
    }
}

static gboolean
has_title (GPtrArray  *titles,
           const char *title)
{
  for (guint i = 0; i < titles->len; i++)
    if (g_strcmp0 (g_ptr_array_index (titles, i), title) == 0)
      return TRUE;
  return FALSE;
}

/* Sentence case (the HIG's rule for row titles): no word but the first starts with a capital,
 * acronyms (ID, DPS) aside. */
static gboolean
is_sentence_case (const char *text)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);

  for (guint i = 1; words[i] != NULL; i++)
    {
      const char *w = words[i];
      gboolean acronym = TRUE;

      if (!g_ascii_isupper (w[0]))
        continue;
      for (const char *c = w; *c != '\0'; c++)
        if (g_ascii_islower (*c))
          acronym = FALSE;
      if (!acronym)
        return FALSE;
    }
  return TRUE;
}

static GtkWidget *
find_action_row (GtkWidget *root,
                 int        target)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (ADW_IS_ACTION_ROW (child) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), "fleet.show-group") == 0)
        {
          GVariant *value = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (child));

          if (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_INT32) &&
              g_variant_get_int32 (value) == target)
            return child;
        }
      if ((found = find_action_row (child, target)) != NULL)
        return found;
    }
  return NULL;
}

static GtkStringList *
find_filter_model (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkStringList *found;

      if (GTK_IS_DROP_DOWN (child) &&
          GTK_IS_STRING_LIST (gtk_drop_down_get_model (GTK_DROP_DOWN (child))) &&
          g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (GTK_DROP_DOWN (child))), 0),
                     "All devices") == 0)
        return GTK_STRING_LIST (gtk_drop_down_get_model (GTK_DROP_DOWN (child)));
      if ((found = find_filter_model (child)) != NULL)
        return found;
    }
  return NULL;
}

/* One state, one name: a device state is called the same on the Fleet page, in the registry's
 * filter and in the device lists; a setting the same on the bench and in Preferences; and
 * Preferences writes its rows in sentence case. */
static void
test_window_names (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  g_autoptr(GPtrArray) bench_titles = g_ptr_array_new ();
  g_autoptr(GPtrArray) preferences_titles = g_ptr_array_new ();
  CbWindow *window = cb_window_new (NULL, app->context);
  CbPreferencesWindow *preferences = cb_preferences_window_new (settings);
  GtkStringList *filter = find_filter_model (cb_window_get_page_widget (window, "registry"));
  guint n_rows = 0;

  g_assert_nonnull (filter);
  /* Every state the Fleet page groups by is a row titled with the device lists' label, and
   * the registry's filter offers it under the same name. */
  for (int i = 0; i < CB_DEVICE_N_STATES; i++)
    {
      const char *label = cb_device_state_to_label (i);
      GtkWidget *row = find_action_row (cb_window_get_page_widget (window, "fleet"), i);
      gboolean in_filter = FALSE;

      if (row == NULL)
        continue;
      n_rows++;
      g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, label);
      for (guint j = 1; j < g_list_model_get_n_items (G_LIST_MODEL (filter)); j++)
        in_filter |= g_strcmp0 (gtk_string_list_get_string (filter, j), label) == 0;
      g_assert_true (in_filter);
    }
  g_assert_cmpuint (n_rows, >=, 4);
  g_assert_null (find_action_row (cb_window_get_page_widget (window, "fleet"), CB_DEVICE_N_STATES));

  collect_row_titles (cb_window_get_page_widget (window, "bench"), bench_titles);
  collect_row_titles (GTK_WIDGET (preferences), preferences_titles);
  g_assert_true (has_title (bench_titles, "Start when a device is plugged in"));
  g_assert_true (has_title (preferences_titles, "Start when a device is plugged in"));
  /* The compiled schema has no summaries: the source says it. */
  {
    g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data",
                                                   "io.github.certbench.Certbench.gschema.xml",
                                                   NULL);
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (g_file_get_contents (path, &xml, NULL, &error));
    g_assert_no_error (error);
    g_assert_nonnull (strstr (xml, "<summary>Start when a device is plugged in</summary>"));
  }

  for (guint i = 0; i < preferences_titles->len; i++)
    {
      const char *title = g_ptr_array_index (preferences_titles, i);

      g_test_message ("preferences row: %s", title);
      g_assert_true (is_sentence_case (title));
    }
  g_assert_true (is_sentence_case ("Registration ID template"));
  g_assert_false (is_sentence_case ("Provision When Plugged In"));

  gtk_window_destroy (GTK_WINDOW (preferences));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* What the view stack holds for a page: NULL while the page is not built. */
static GtkWidget *
page_in_stack (CbWindow   *window,
               const char *name)
{
  GtkWidget *stack = cb_test_app_find_widget (GTK_WIDGET (window), ADW_TYPE_VIEW_STACK);

  g_assert_nonnull (stack);
  return adw_bin_get_child (ADW_BIN (adw_view_stack_get_child_by_name (ADW_VIEW_STACK (stack),
                                                                       name)));
}

static gboolean
all_pages_built (gpointer user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (page_in_stack (user_data, pages[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* Only the page on screen is built with the window (start-up time); another is built when
 * shown or asked for, and all of them once the first frame is painted. */
static void
test_window_lazy_pages (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  CbWindow *window;
  GtkWidget *journal;

  g_settings_reset (settings, "last-page");
  window = cb_window_new (NULL, app->context);
  g_assert_cmpstr (cb_window_get_page (window), ==, "bench");
  g_assert_nonnull (page_in_stack (window, "bench"));
  g_assert_true (page_in_stack (window, "bench") == cb_window_get_page_widget (window, "bench"));
  for (guint i = 1; i < G_N_ELEMENTS (pages); i++)
    g_assert_null (page_in_stack (window, pages[i]));

  /* Shown through the switcher's stack: built. */
  cb_window_set_page (window, "fleet");
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (page_in_stack (window, "fleet")), ==, "CbFleetPage");
  g_assert_null (page_in_stack (window, "journal"));

  /* Asked for: built, and the same page later. */
  journal = cb_window_get_page_widget (window, "journal");
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (journal), ==, "CbJournalPage");
  g_assert_true (page_in_stack (window, "journal") == journal);
  g_assert_true (cb_window_get_page_widget (window, "journal") == journal);
  g_assert_null (page_in_stack (window, "registry"));

  /* The rest after the first frame, without being shown. */
  gtk_window_present (GTK_WINDOW (window));
  cb_test_app_wait (all_pages_built, window, 60000);
  g_assert_cmpstr (cb_window_get_page (window), ==, "fleet");

  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_reset (settings, "last-page");
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-window/pages", test_window_pages);
  g_test_add_func ("/cb/app-window/connection-indicator", test_window_connection_indicator);
  g_test_add_func ("/cb/app-window/error-and-reconnect", test_window_error_and_reconnect);
  g_test_add_func ("/cb/app-window/settings", test_window_settings);
  g_test_add_func ("/cb/app-window/narrow", test_window_narrow);
  g_test_add_func ("/cb/app-window/names", test_window_names);
  g_test_add_func ("/cb/app-window/bench-result-in-view", test_window_bench_result_in_view);
  g_test_add_func ("/cb/app-window/connections/add-and-switch", test_connections_add_and_switch);
  g_test_add_func ("/cb/app-window/sign-in/dialog", test_sign_in_dialog);
  g_test_add_func ("/cb/app-window/sign-in/cancel", test_sign_in_cancel);
  g_test_add_func ("/cb/app-window/preferences", test_preferences);
  g_test_add_func ("/cb/app-window/help-overlay", test_help_overlay);
  g_test_add_func ("/cb/app-window/lazy-pages", test_window_lazy_pages);

  return g_test_run ();
}
