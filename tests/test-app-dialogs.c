/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dialog defects, each against the real sandbox: the sign-in dialog shows its error, the
 * Azure profile form checks its identifiers and offers a sign-in after "Use", and the
 * connection popover keeps its own colours when signed out. */

#include "config.h"

#include <glib/gstdio.h>

#include "cb-connections-window.h"
#include "cb-sandbox-service.h"
#include "cb-sign-in-dialog.h"
#include "cb-test-app.h"
#include "cb-window.h"

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static gboolean
has_code (gpointer user_data)
{
  return cb_sign_in_dialog_get_code (user_data) != NULL;
}

/* TRUE when @widget is drawn inside @area (both allocated, nothing clipped by a scroller). */
static gboolean
fully_inside (GtkWidget *widget,
              GtkWidget *area)
{
  graphene_rect_t bounds;

  if (!gtk_widget_get_mapped (widget) || !gtk_widget_compute_bounds (widget, area, &bounds))
    return FALSE;
  g_test_message ("%s at %.0f,%.0f %.0fx%.0f in %dx%d", G_OBJECT_TYPE_NAME (widget),
                  bounds.origin.x, bounds.origin.y, bounds.size.width, bounds.size.height,
                  gtk_widget_get_width (area), gtk_widget_get_height (area));
  return bounds.size.height > 0 && bounds.origin.y >= 0 && bounds.origin.x >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (area) &&
         bounds.origin.x + bounds.size.width <= gtk_widget_get_width (area);
}

typedef struct
{
  CbSignInDialog *dialog;
} ErrorWait;

static gboolean
shows_error (gpointer user_data)
{
  return cb_test_app_find_label (GTK_WIDGET (user_data), "Sign-In Failed") != NULL &&
         gtk_widget_get_mapped (cb_test_app_find_label (GTK_WIDGET (user_data), "Sign-In Failed"));
}

/* A declined sign-in: the dialog grows to show the title, the reason and Try Again. */
static void
test_sign_in_error (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_MANUAL_SIGN_IN);
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(CbPortMonitor) monitor = cb_port_monitor_new ();
  g_autofree char *dir = g_dir_make_tmp ("certbench-app-XXXXXX", NULL);
  g_autofree char *profiles = g_build_filename (dir, "profiles.ini", NULL);
  g_autofree char *journal = g_build_filename (dir, "journal.sqlite", NULL);
  g_autofree char *body = NULL;
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                "sign-in-error.png", NULL);
  g_autoptr(CbContext) context = NULL;
  CbSignInDialog *dialog;
  GtkWidget *content;
  guint status;

  g_assert_true (cb_sandbox_seed_demo (ts->sandbox, NULL));
  context = cb_context_new_full (ts->sandbox, secrets, monitor, dir, profiles, journal);
  cb_context_start (context);
  cb_test_app_spin (300);

  dialog = cb_sign_in_dialog_new (context);
  gtk_window_present (GTK_WINDOW (dialog));
  cb_test_app_wait (has_code, dialog, 10000);

  body = g_strdup_printf ("{\"userCode\": \"%s\", \"decline\": true}",
                          cb_sign_in_dialog_get_code (dialog));
  status = cb_test_sandbox_request (ts, "POST", "/sandbox/entra/approve", NULL, NULL, body,
                                    NULL, NULL);
  g_assert_cmpuint (status / 100, ==, 2);
  cb_test_app_wait (shows_error, dialog, 20000);
  cb_test_app_spin (400);   /* the crossfade and the resize */

  content = adw_window_get_content (ADW_WINDOW (dialog));
  g_assert_true (fully_inside (cb_test_app_find_label (GTK_WIDGET (dialog), "Sign-In Failed"),
                               content));
  g_assert_true (fully_inside (cb_test_app_find_label (GTK_WIDGET (dialog),
                                                       "The sign-in was declined."),
                               content));
  g_assert_true (fully_inside (cb_test_app_find_button (GTK_WIDGET (dialog), "_Try Again"),
                               content));
  g_assert_cmpint (gtk_widget_get_height (content), >=, 300);

  cb_test_app_save_png (GTK_WIDGET (dialog), png, 460, gtk_widget_get_height (content));
  gtk_window_destroy (GTK_WINDOW (dialog));

  cb_context_shutdown (context);
  g_clear_object (&context);
  cb_test_app_spin (100);
  g_unlink (profiles);
  g_unlink (journal);
  g_rmdir (dir);
}

static gboolean
has_error_class (CbConnectionsWindow *window,
                 const char          *field)
{
  return gtk_widget_has_css_class (GTK_WIDGET (cb_connections_window_get_field (window, field)),
                                   "error");
}

static gboolean
has_offer (gpointer user_data)
{
  return cb_connections_window_get_sign_in_offer (user_data) != NULL;
}

static gboolean
sign_in_dialog_open (gpointer user_data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (CB_IS_SIGN_IN_DIALOG (window))
        {
          *(GtkWindow **) user_data = GTK_WINDOW (window);
          return TRUE;
        }
    }
  return FALSE;
}

/* Identifiers are checked as typed; a malformed one is marked, explained and not saved. After
 * "Use" on a profile without a sign-in, a toast offers it. */
static void
test_connections_ids_and_sign_in_offer (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  CbConnectionsWindow *connections = cb_connections_window_new (app->context);
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                "connections-bad-guid.png", NULL);
  g_autoptr(CbProfile) azure = NULL;
  GtkWindow *sign_in = NULL;
  struct { const char *field, *value; } fields[] = {
    { "name", "Line 1" },
    { "tenant", "contoso.onmicrosoft.com" },
    { "client-id", "not-a-guid" },
    { "subscription-id", "not-a-guid" },
    { "resource-group", "rg-line1" },
    { "namespace", "ns-line1" },
  };

  gtk_window_present (GTK_WINDOW (connections));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.add", NULL));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    gtk_editable_set_text (cb_connections_window_get_field (connections, fields[i].field),
                           fields[i].value);

  g_assert_true (has_error_class (connections, "client-id"));
  g_assert_true (has_error_class (connections, "subscription-id"));
  g_assert_false (has_error_class (connections, "tenant"));
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (connections),
                                            "The application (client) ID is a GUID such as "
                                            "11111111-2222-3333-4444-555555555555."));
  cb_test_app_save_png (GTK_WIDGET (connections), png, 640, 900);

  /* Not saved, and nothing typed is lost. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.save", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (cb_context_get_profiles (app->context)), ==, 1);
  g_assert_cmpstr (gtk_editable_get_text (cb_connections_window_get_field (connections,
                                                                           "client-id")),
                   ==, "not-a-guid");

  gtk_editable_set_text (cb_connections_window_get_field (connections, "tenant"), "not a tenant");
  g_assert_true (has_error_class (connections, "tenant"));
  gtk_editable_set_text (cb_connections_window_get_field (connections, "tenant"),
                         "72f988bf-86f1-41af-91ab-2d7cd011db47");
  g_assert_false (has_error_class (connections, "tenant"));
  gtk_editable_set_text (cb_connections_window_get_field (connections, "client-id"),
                         "11111111-2222-3333-4444-555555555555");
  gtk_editable_set_text (cb_connections_window_get_field (connections, "subscription-id"),
                         "00000000-0000-0000-0000-00000000000g");
  g_assert_true (has_error_class (connections, "subscription-id"));
  gtk_editable_set_text (cb_connections_window_get_field (connections, "subscription-id"),
                         "00000000-0000-0000-0000-000000000001");
  g_assert_false (has_error_class (connections, "client-id"));
  g_assert_false (has_error_class (connections, "subscription-id"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.save", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (cb_context_get_profiles (app->context)), ==, 2);

  /* Use it: it has no sign-in, so the window offers one, and the offer opens the dialog. */
  azure = g_list_model_get_item (cb_context_get_profiles (app->context), 1);
  g_assert_null (cb_connections_window_get_sign_in_offer (connections));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.use", "s",
                                             cb_profile_get_id (azure)));
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_SIGNED_OUT, 10000);
  cb_test_app_wait (has_offer, connections, 5000);
  g_assert_cmpstr (adw_toast_get_action_name (cb_connections_window_get_sign_in_offer (connections)),
                   ==, "conn.sign-in");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.sign-in", NULL));
  cb_test_app_wait (sign_in_dialog_open, &sign_in, 5000);
  g_assert_true (gtk_window_get_transient_for (sign_in) == GTK_WINDOW (connections));
  gtk_window_destroy (sign_in);

  /* Back on the sandbox nothing is offered. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (connections), "conn.use", "s",
                                             "sandbox"));
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_READY, 30000);
  cb_test_app_spin (100);
  g_assert_null (cb_connections_window_get_sign_in_offer (connections));

  gtk_window_destroy (GTK_WINDOW (connections));
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
get_color (GtkWidget *widget,
           GdkRGBA   *color)
{
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
}

static GtkWidget *
label_of (GtkWidget *button)
{
  GtkWidget *label = cb_test_app_find_widget (button, GTK_TYPE_LABEL);

  g_assert_nonnull (label);
  return label;
}

/* Signed out, the header button turns amber; the popover's text and its blue Sign In button
 * keep their own colours. */
static void
test_popover_colours (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                "connection-popover-signed-out.png", NULL);
  CbWindow *window = cb_window_new (NULL, app->context);
  gboolean signed_out = FALSE;
  GtkWidget *sign_in;
  GtkWidget *state_label;
  GtkWidget *menu_button;
  GtkWidget *popover;
  GdkRGBA warning;
  GdkRGBA normal_text;
  GdkRGBA text;
  GdkRGBA button_text;
  GdkRGBA header_text;

  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  gtk_window_present (GTK_WINDOW (window));
  cb_context_sign_out_async (app->context, NULL, sign_out_cb, &signed_out);
  cb_test_app_wait (is_true, &signed_out, 10000);
  g_assert_cmpint (cb_context_get_state (app->context), ==, CB_CONTEXT_STATE_SIGNED_OUT);
  cb_test_app_spin (100);

  sign_in = cb_test_app_find_button (GTK_WIDGET (window), "_Sign In…");
  g_assert_nonnull (sign_in);
  popover = gtk_widget_get_ancestor (sign_in, GTK_TYPE_POPOVER);
  menu_button = gtk_widget_get_ancestor (popover, GTK_TYPE_MENU_BUTTON);
  g_assert_true (gtk_widget_has_css_class (menu_button, "warning"));
  gtk_menu_button_popup (GTK_MENU_BUTTON (menu_button));
  cb_test_app_spin (300);
  g_assert_true (gtk_widget_get_mapped (sign_in));

  g_assert_true (gtk_style_context_lookup_color (gtk_widget_get_style_context (menu_button),
                                                 "warning_color", &warning));
  state_label = cb_test_app_find_label (popover, "Not signed in");
  g_assert_nonnull (state_label);
  get_color (state_label, &text);
  get_color (label_of (sign_in), &button_text);
  get_color (cb_test_app_find_label (popover, "_Connections…") != NULL
               ? cb_test_app_find_label (popover, "_Connections…")
               : label_of (cb_test_app_find_button (popover, "_Connections…")),
             &normal_text);
  /* The header's own label is the one that carries the warning. */
  get_color (cb_test_app_find_label (menu_button, cb_context_get_status_text (app->context)),
             &header_text);
  g_assert_true (gdk_rgba_equal (&header_text, &warning));
  g_assert_false (gdk_rgba_equal (&text, &warning));
  g_assert_false (gdk_rgba_equal (&button_text, &warning));
  g_assert_false (gdk_rgba_equal (&normal_text, &warning));

  cb_test_app_save_png (gtk_popover_get_child (GTK_POPOVER (popover)), png, 292, 250);
  gtk_popover_popdown (GTK_POPOVER (popover));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  cb_test_app_init (&argc, &argv);
  /* What AdwApplication loads for the app, so the colours are the app's. */
  gtk_css_provider_load_from_resource (css, "/io/github/certbench/Certbench/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_test_add_func ("/cb/app-dialogs/sign-in-error", test_sign_in_error);
  g_test_add_func ("/cb/app-dialogs/connections/ids-and-sign-in-offer",
                   test_connections_ids_and_sign_in_offer);
  g_test_add_func ("/cb/app-dialogs/popover-colours", test_popover_colours);

  return g_test_run ();
}
