/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Registry on a namespace of the certificate-authority model (the demo seed's
 * demo-stable-ns) against a seeded sandbox: the hierarchy and links it shows, creating an
 * intermediate CA and its policy through the dialogs, revoke-and-rotate with its counted
 * impact and typed name, activating an External CA with a chain a test CA signed (and a
 * refused one), and unlinking and linking a hub. Screenshots of the view at 1280 and 360
 * pixels go to <build>/tests/screenshots (run with LANGUAGE=de for the German ones). */

#include "config.h"

#include <locale.h>
#include <glib/gstdio.h>

#include "cb-adr-client-ca.h"
#include "cb-ca-activate-dialog.h"
#include "cb-ca-certificate-store.h"
#include "cb-certificate-actions.h"
#include "cb-ca-create-dialog.h"
#include "cb-ca-policy-dialog.h"
#include "cb-confirm-dialog.h"
#include "cb-endpoint-link-dialog.h"
#include "cb-hub-certificates-client.h"
#include "cb-i18n.h"
#include "cb-registry-page.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-adr.h"
#include "cb-sb-store.h"
#include "cb-sb-world.h"
#include "cb-test-app.h"
#include "cb-test-arm.h"
#include "cb-test-factory.h"

#define STABLE_NS "demo-stable-ns"

typedef struct
{
  CbTestApp        *app;
  GtkWidget        *window;
  CbRegistryPage   *page;
  CbRegistryCaPane *pane;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->page = CB_REGISTRY_PAGE (cb_registry_page_new (f->app->context));
  f->pane = cb_registry_page_get_ca_pane (f->page);
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->page));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  cb_test_app_spin (50);
  cb_test_app_free (f->app);
}

static gboolean
namespace_selected (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_select_namespace (f->page, STABLE_NS);
}

typedef struct
{
  Fixture    *f;
  const char *title;
  const char *subtitle;   /* a part of it; NULL: the row is there */
  gboolean    gone;
} RowWait;

static const char *
row_subtitle (GtkWidget *row)
{
  if (ADW_IS_PREFERENCES_GROUP (row))
    return adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (row));
  if (ADW_IS_ACTION_ROW (row))
    return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  return NULL;
}

static gboolean
row_is (gpointer data)
{
  RowWait *w = data;
  GtkWidget *row;

  if (cb_registry_ca_pane_get_loading (w->f->pane))
    return FALSE;
  row = cb_registry_ca_pane_find_row (w->f->pane, w->title);
  if (w->gone)
    return row == NULL;
  return row != NULL && (w->subtitle == NULL ||
                         (row_subtitle (row) != NULL && strstr (row_subtitle (row), w->subtitle)));
}

static void
wait_row (Fixture    *f,
          const char *title,
          const char *subtitle)
{
  RowWait w = { f, title, subtitle, FALSE };

  cb_test_app_wait (row_is, &w, 30000);
}

static void
wait_row_gone (Fixture    *f,
               const char *title)
{
  RowWait w = { f, title, NULL, TRUE };

  cb_test_app_wait (row_is, &w, 30000);
}

static void
wait_hierarchy (Fixture *f)
{
  cb_test_app_wait (namespace_selected, f, 30000);
  wait_row (f, "demo-root", NULL);
  g_assert_cmpint (cb_registry_page_get_model (f->page), ==, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
}

static gboolean
idle (gpointer data)
{
  Fixture *f = data;

  return cb_registry_ca_pane_get_n_operations (f->pane) == 0 &&
         !cb_registry_ca_pane_get_loading (f->pane);
}

static gboolean
has_dialog (gpointer data)
{
  Fixture *f = data;

  return cb_registry_ca_pane_get_dialog (f->pane) != NULL;
}

static AdwMessageDialog *
take_dialog (Fixture *f)
{
  cb_test_app_wait (has_dialog, f, 30000);
  return cb_registry_ca_pane_get_dialog (f->pane);
}

static void
answer (AdwMessageDialog *dialog,
        const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* @widget (the window, or a dialog) at @width, into <build>/tests/screenshots; "-de" added
 * when the run is in German. */
static void
screenshot_of (GtkWidget  *widget,
               const char *name,
               int         width,
               int         height)
{
  g_autofree char *file = g_strdup_printf ("%s%s.png", name,
                                           g_strcmp0 (g_getenv ("LANGUAGE"), "de") == 0 ? "-de"
                                                                                        : "");
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", file, NULL);

  cb_test_app_save_png (widget, path, width, height);
}

static void
screenshot (Fixture    *f,
            const char *name,
            int         width)
{
  screenshot_of (f->window, name, width, 800);
}

/* ---- the hierarchy ------------------------------------------------------------------------ */

static gboolean
credential_model (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_get_model (f->page) == CB_ADR_MODEL_CREDENTIAL;
}

static void
test_hierarchy (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *ica;
  GtkWidget *hub;
  GtkWidget *dps;

  wait_hierarchy (f);

  /* Root → ICA → policy: the ICA's group inside the root's, the policy inside the ICA's. */
  ica = cb_registry_ca_pane_find_row (f->pane, "demo-ica");
  g_assert_nonnull (ica);
  g_assert_true (gtk_widget_is_ancestor (ica, cb_registry_ca_pane_find_row (f->pane, "demo-root")));
  g_assert_true (gtk_widget_is_ancestor (cb_registry_ca_pane_find_row (f->pane, "thirty-days"),
                                         ica));
  g_assert_nonnull (strstr (row_subtitle (ica), "Microsoft"));
  g_assert_nonnull (strstr (row_subtitle (ica), "Active"));
  g_assert_nonnull (strstr (row_subtitle (cb_registry_ca_pane_find_row (f->pane, "thirty-days")),
                            "30 days"));
  g_assert_nonnull (strstr (row_subtitle (cb_registry_ca_pane_find_row (f->pane, "demo-root")),
                            "Root"));

  /* The links, settled. */
  hub = cb_registry_ca_pane_find_row (f->pane, "demo-stable-hub");
  dps = cb_registry_ca_pane_find_row (f->pane, "demo-stable-dps");
  g_assert_nonnull (hub);
  g_assert_nonnull (dps);
  g_assert_nonnull (strstr (row_subtitle (hub), "linked"));
  g_assert_nonnull (strstr (row_subtitle (dps), "linked"));

  screenshot (f, "registry-ca", 1280);
  /* Narrow, the content replaces the lists: the hierarchy, then the links below it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "authorities"));
  screenshot (f, "narrow-registry-ca", 360);
  {
    GtkWidget *links = cb_registry_ca_pane_find_row (f->pane, "demo-stable-dps");
    GtkWidget *scrolled = gtk_widget_get_ancestor (links, GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    screenshot (f, "narrow-registry-ca-links", 360);
  }
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);

  /* The preview namespace shows its credential and no hierarchy. */
  g_assert_true (cb_registry_page_select_namespace (f->page, "demo-ns"));
  cb_test_app_wait (credential_model, f, 30000);
  g_assert_null (cb_registry_ca_pane_find_row (f->pane, "demo-root"));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (f->pane)));
}

/* ---- create an ICA and its policy ----------------------------------------------------------- */

static void
test_create (Fixture       *f,
             gconstpointer  data)
{
  AdwMessageDialog *dialog;
  CbCaPolicyDialog *policy;

  wait_hierarchy (f);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-ica", NULL));
  dialog = take_dialog (f);
  g_assert_true (CB_IS_CA_CREATE_DIALOG (dialog));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "create"));
  gtk_editable_set_text (cb_ca_create_dialog_get_name_entry (CB_CA_CREATE_DIALOG (dialog)), "-x");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "create"));
  gtk_editable_set_text (cb_ca_create_dialog_get_name_entry (CB_CA_CREATE_DIALOG (dialog)),
                         "line2-ica");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "create"));
  g_assert_cmpint (cb_ca_create_dialog_get_issuer (CB_CA_CREATE_DIALOG (dialog)), ==,
                   CB_CA_ISSUER_MICROSOFT);
  g_assert_true (g_str_has_suffix (cb_ca_create_dialog_get_root_id (CB_CA_CREATE_DIALOG (dialog)),
                                   "/demo-root"));
  screenshot_of (GTK_WIDGET (dialog), "registry-ca-new-ica", 480, 420);
  screenshot_of (GTK_WIDGET (dialog), "narrow-registry-ca-new-ica", 360, 520);
  answer (dialog, "create");
  wait_row (f, "line2-ica", "Microsoft");
  cb_test_app_wait (idle, f, 30000);
  g_assert_nonnull (cb_registry_ca_pane_find_row (f->pane, "No policy"));
  g_assert_true (gtk_widget_is_ancestor (cb_registry_ca_pane_find_row (f->pane, "line2-ica"),
                                         cb_registry_ca_pane_find_row (f->pane, "demo-root")));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-policy", "s",
                                             "line2-ica"));
  dialog = take_dialog (f);
  g_assert_true (CB_IS_CA_POLICY_DIALOG (dialog));
  policy = CB_CA_POLICY_DIALOG (dialog);
  screenshot_of (GTK_WIDGET (dialog), "registry-ca-new-policy", 480, 420);
  g_assert_cmpuint (cb_ca_policy_dialog_get_days (policy), ==, 30);
  gtk_editable_set_text (cb_ca_policy_dialog_get_name_entry (policy), "line2-30d");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "create"));
  answer (dialog, "create");
  wait_row (f, "line2-30d", "30 days");
  g_assert_true (gtk_widget_is_ancestor (cb_registry_ca_pane_find_row (f->pane, "line2-30d"),
                                         cb_registry_ca_pane_find_row (f->pane, "line2-ica")));
  g_assert_null (cb_registry_ca_pane_find_row (f->pane, "No policy"));
  g_assert_nonnull (strstr (cb_registry_page_get_last_toast (f->page), "line2-30d"));
}

/* ---- revoke and rotate ---------------------------------------------------------------------- */

static void
add_devices (Fixture *f)
{
  CbProfile *profile = cb_context_get_profile (f->app->context);
  g_autofree char *ns_id = cb_sb_namespace_id (cb_profile_get_subscription_id (profile),
                                               cb_profile_get_resource_group (profile), STABLE_NS);
  g_autofree char *policy_id = g_strconcat (ns_id, "/certificateAuthorities/demo-ica"
                                            "/certificatePolicies/thirty-days", NULL);
  g_autoptr(GError) error = NULL;

  cb_sb_lock (f->app->ts->sandbox);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("ca-sensor-%u", i);

      cb_sb_adr_ensure_device (f->app->ts->sandbox, ns_id, name, policy_id, &error);
      g_assert_no_error (error);
    }
  /* One without a certificate of that policy: it loses nothing. */
  cb_sb_adr_ensure_device (f->app->ts->sandbox, ns_id, "ca-sensor-x", NULL, &error);
  cb_sb_unlock (f->app->ts->sandbox);
  g_assert_no_error (error);
}

static void
test_rotate (Fixture       *f,
             gconstpointer  data)
{
  AdwMessageDialog *dialog;
  GtkEditable *entry;
  const char *body;

  add_devices (f);
  wait_hierarchy (f);
  g_assert_null (strstr (row_subtitle (cb_registry_ca_pane_find_row (f->pane, "demo-ica")),
                         "rotated"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.revoke-and-rotate", "s",
                                             "demo-ica"));
  dialog = take_dialog (f);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  body = adw_message_dialog_get_body (dialog);
  g_test_message ("revoke and rotate: %s", body);
  g_assert_nonnull (strstr (body, "3 devices lose their certificates"));

  /* A wrong name is refused; cancelling changes nothing. */
  entry = cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog));
  g_assert_nonnull (entry);
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (entry, "demo-root");
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (entry, "Demo-ica");
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  screenshot_of (GTK_WIDGET (dialog), "registry-ca-rotate", 480, 400);
  answer (dialog, "cancel");
  cb_test_app_spin (200);
  g_assert_cmpuint (cb_registry_ca_pane_get_n_operations (f->pane), ==, 0);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.revoke-and-rotate", "s",
                                             "demo-ica"));
  dialog = take_dialog (f);
  entry = cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog));
  gtk_editable_set_text (entry, "demo-ica");
  g_assert_true (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  answer (dialog, "confirm");
  wait_row (f, "demo-ica", "rotated");
  cb_test_app_wait (idle, f, 30000);
  g_assert_true (g_str_has_prefix (cb_registry_page_get_last_toast (f->page),
                                   "Revoked and rotated “demo-ica”"));
  /* Still Microsoft-issued and active, with its policy. */
  g_assert_nonnull (strstr (row_subtitle (cb_registry_ca_pane_find_row (f->pane, "demo-ica")),
                            "Active"));
  g_assert_nonnull (cb_registry_ca_pane_find_row (f->pane, "thirty-days"));
}

/* ---- activate an External ICA ----------------------------------------------------------- */

static gboolean
has_csr (gpointer data)
{
  Fixture *f = data;

  return !cb_registry_ca_pane_get_loading (f->pane) &&
         cb_registry_ca_pane_find_row (f->pane, "Signing request") != NULL;
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static char *
read_csr (Fixture *f)
{
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GError) error = NULL;
  CbAdrClient *adr = cb_context_get_adr (f->app->context);
  GAsyncResult *result = NULL;

  cb_adr_client_list_certificate_authorities_async (adr, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  cas = cb_adr_client_list_certificate_authorities_finish (adr, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  for (guint i = 0; i < cas->len; i++)
    if (g_strcmp0 (cb_certificate_authority_get_name (g_ptr_array_index (cas, i)), "ext-ica") == 0)
      return g_strdup (cb_certificate_authority_get_csr (g_ptr_array_index (cas, i)));
  g_assert_not_reached ();
}

static gboolean
has_chooser (gpointer data)
{
  Fixture *f = data;

  return cb_registry_ca_pane_get_chooser (f->pane) != NULL;
}

/* Through the explanation, the chooser (given the file) and the call. */
static void
activate_with (Fixture    *f,
               const char *chain,
               const char *name)
{
  g_autofree char *path = g_build_filename (f->app->dir, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;
  GtkFileChooser *chooser;

  g_assert_true (g_file_set_contents (path, chain, -1, &error));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.activate", "s",
                                             "ext-ica"));
  dialog = take_dialog (f);
  /* The checks are said before the file is chosen. */
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "signing request"));
  screenshot_of (GTK_WIDGET (dialog), "registry-ca-activate", 480, 480);
  answer (dialog, "choose");
  cb_test_app_wait (has_chooser, f, 30000);
  chooser = cb_registry_ca_pane_get_chooser (f->pane);
  g_assert_true (GTK_IS_FILE_CHOOSER_NATIVE (chooser));
  /* The chooser's own dialog is GTK's: give the pane the file it would answer with. */
  gtk_native_dialog_hide (GTK_NATIVE_DIALOG (chooser));
  cb_registry_ca_pane_activate_from_file (f->pane, "ext-ica", file);
}

/* "ext-ica", External, through the dialog: pending activation with its CSR. */
static void
create_external_ica (Fixture *f)
{
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-ica", NULL));
  dialog = take_dialog (f);
  gtk_editable_set_text (cb_ca_create_dialog_get_name_entry (CB_CA_CREATE_DIALOG (dialog)),
                         "ext-ica");
  cb_ca_create_dialog_set_issuer (CB_CA_CREATE_DIALOG (dialog), CB_CA_ISSUER_EXTERNAL);
  g_assert_null (cb_ca_create_dialog_get_root_id (CB_CA_CREATE_DIALOG (dialog)));
  answer (dialog, "create");
  wait_row (f, "ext-ica", "Pending activation");
  cb_test_app_wait (has_csr, f, 30000);
  cb_test_app_wait (idle, f, 30000);
}

static void
test_activate (Fixture       *f,
               gconstpointer  data)
{
  AdwMessageDialog *dialog;
  g_autofree char *csr = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *good = NULL;
  gint64 now = cb_sb_now (f->app->ts->sandbox);

  wait_hierarchy (f);
  create_external_ica (f);
  screenshot (f, "registry-ca-external", 1280);
  csr = read_csr (f);
  g_assert_nonnull (csr);

  /* A chain valid for too short a time: refused, the service's reason shown whole. */
  bad = cb_test_sign_csr (csr, now, 100, CB_TEST_SIGN_NORMAL, NULL);
  activate_with (f, bad, "short.pem");
  dialog = take_dialog (f);
  cb_test_app_wait (idle, f, 30000);
  dialog = cb_registry_ca_pane_get_dialog (f->pane);
  g_test_message ("refused: %s", adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "Was Not Activated"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "365"));
  screenshot_of (GTK_WIDGET (dialog), "registry-ca-activate-refused", 480, 380);
  answer (dialog, "close");
  wait_row (f, "ext-ica", "Pending activation");

  good = cb_test_sign_csr (csr, now, 730, CB_TEST_SIGN_NORMAL, NULL);
  activate_with (f, good, "chain.pem");
  wait_row (f, "ext-ica", "Active");
  cb_test_app_wait (idle, f, 30000);
  g_assert_true (g_str_has_prefix (cb_registry_page_get_last_toast (f->page), "“ext-ica” is active"));
  /* Now with its thumbprint and validity, and nothing left to activate. */
  g_assert_nonnull (cb_registry_ca_pane_find_row (f->pane, "Thumbprint"));
  g_assert_null (cb_registry_ca_pane_find_row (f->pane, "Activation"));
}

/* ---- unlink and link a hub ------------------------------------------------------------------ */

static void
test_links (Fixture       *f,
            gconstpointer  data)
{
  AdwMessageDialog *dialog;
  CbEndpointLinkDialog *link;

  wait_hierarchy (f);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.unlink-hub", "s",
                                             "demo-stable-hub"));
  dialog = take_dialog (f);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  answer (dialog, "confirm");
  wait_row_gone (f, "demo-stable-hub");
  g_assert_nonnull (cb_registry_ca_pane_find_row (f->pane, "No linked hub"));
  g_assert_nonnull (cb_registry_ca_pane_find_row (f->pane, "demo-stable-dps"));

  /* A hub the subscription does not have: the link fails and says why. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.link-hub", NULL));
  dialog = take_dialog (f);
  link = CB_ENDPOINT_LINK_DIALOG (dialog);
  screenshot_of (GTK_WIDGET (dialog), "registry-ca-link", 480, 420);
  gtk_editable_set_text (cb_endpoint_link_dialog_get_resource_entry (link), "no such hub");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "link"));
  gtk_editable_set_text (cb_endpoint_link_dialog_get_resource_entry (link), "missing-hub");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "link"));
  answer (dialog, "link");
  wait_row (f, "missing-hub", "linking failed");
  screenshot (f, "registry-ca-link-failed", 1280);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.unlink-hub", "s",
                                             "missing-hub"));
  answer (take_dialog (f), "confirm");
  wait_row_gone (f, "missing-hub");

  /* The hub again, by name: in progress, then linked. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.link-hub", NULL));
  dialog = take_dialog (f);
  link = CB_ENDPOINT_LINK_DIALOG (dialog);
  gtk_editable_set_text (cb_endpoint_link_dialog_get_resource_entry (link), "demo-stable-hub");
  answer (dialog, "link");
  wait_row (f, "demo-stable-hub", "linked");
  cb_test_app_wait (idle, f, 30000);
  g_assert_null (cb_registry_ca_pane_find_row (f->pane, "No linked hub"));
}

/* ---- every view and dialog, pictured --------------------------------------------------- */

/* Opens each dialog of the view, pictures it and cancels it: nothing here depends on the
 * language, so that LANGUAGE=de pictures the German ones (the screenshots end in -de). */
static void
picture_dialog (Fixture    *f,
                const char *action,
                const char *target,
                const char *name,
                int         height)
{
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), action,
                                             target != NULL ? "s" : NULL, target));
  dialog = take_dialog (f);
  screenshot_of (GTK_WIDGET (dialog), name, 480, height);
  answer (dialog, "cancel");
  cb_test_app_wait (idle, f, 30000);
}

static void
test_pictures (Fixture       *f,
               gconstpointer  data)
{
  AdwMessageDialog *refused;

  wait_hierarchy (f);
  cb_test_app_wait (idle, f, 30000);
  screenshot (f, "registry-ca-view", 1280);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "authorities"));
  screenshot (f, "narrow-registry-ca-view", 360);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);

  picture_dialog (f, "ca.new-ica", NULL, "dialog-ca-new-ica", 420);
  picture_dialog (f, "ca.new-policy", "demo-ica", "dialog-ca-new-policy", 420);
  picture_dialog (f, "ca.revoke-and-rotate", "demo-ica", "dialog-ca-rotate", 400);
  picture_dialog (f, "ca.activate", "demo-ica", "dialog-ca-activate", 480);
  picture_dialog (f, "ca.link-hub", NULL, "dialog-ca-link-hub", 420);
  picture_dialog (f, "ca.link-dps", NULL, "dialog-ca-link-dps", 420);
  picture_dialog (f, "ca.unlink-dps", "demo-stable-dps", "dialog-ca-unlink", 360);

  refused = cb_ca_activate_dialog_new_failed (GTK_WINDOW (f->window), "ext-ica",
                                              "InvalidCertificateChain: Certificate 0 "
                                              "(CN=ext-ica) has 99 days of validity left; at "
                                              "least 365 are required.");
  screenshot_of (GTK_WIDGET (refused), "dialog-ca-activate-refused", 480, 380);
  gtk_window_destroy (GTK_WINDOW (refused));

  /* Nothing was changed by looking. */
  g_assert_nonnull (cb_registry_ca_pane_find_row (f->pane, "demo-stable-dps"));
  g_assert_null (strstr (row_subtitle (cb_registry_ca_pane_find_row (f->pane, "demo-ica")),
                         "rotated"));
}

/* ---- certificates to take away -------------------------------------------------------------- */

static char *
clipboard_text (GtkWidget *widget)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  char *text;

  gdk_clipboard_read_text_async (clipboard, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  text = gdk_clipboard_read_text_finish (clipboard, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  return text;
}

/* ARM's way of writing a thumbprint: upper-case hex, no colons. */
static char *
arm_thumbprint (const char *fingerprint)
{
  GString *out = g_string_new (NULL);

  for (const char *p = fingerprint; *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (out, g_ascii_toupper (*p));
  return g_string_free (out, FALSE);
}

static GtkWidget *
find_certificate_row (GtkWidget  *widget,
                      GtkWidget  *group)
{
  if (ADW_IS_ACTION_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), "Certificate") == 0 &&
      gtk_widget_get_ancestor (gtk_widget_get_parent (widget), ADW_TYPE_PREFERENCES_GROUP) == group)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_certificate_row (child, group);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The "Certificate" row of the CA @ca_name: its own, not one of the CAs' inside its group. */
static GtkWidget *
certificate_row (Fixture    *f,
                 const char *ca_name)
{
  GtkWidget *group = cb_registry_ca_pane_find_row (f->pane, ca_name);
  GtkWidget *row;

  g_assert_nonnull (group);
  row = find_certificate_row (group, group);
  g_assert_nonnull (row);
  return row;
}

/* Copies the CA's certificate as PEM through @menu's action and saves it as PEM and DER into
 * the test's folder (what the save actions write once the chooser has a name); the real openssl
 * reads both back with @thumbprint (ARM's form), and the fingerprints copied are openssl's.
 * Returns the certificate. */
static CbCertificate *
take_away (Fixture    *f,
           GtkWidget  *menu,
           const char *name,
           const char *thumbprint)
{
  g_autofree char *pem = NULL;
  g_autofree char *pem_name = g_strdup_printf ("%s.pem", name);
  g_autofree char *der_name = g_strdup_printf ("%s.der", name);
  g_autofree char *pem_path = g_build_filename (f->app->dir, pem_name, NULL);
  g_autofree char *der_path = g_build_filename (f->app->dir, der_name, NULL);
  g_autoptr(GFile) pem_file = g_file_new_for_path (pem_path);
  g_autoptr(GFile) der_file = g_file_new_for_path (der_path);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  const char *digests[] = { "-sha1", "-sha256" };
  const char *actions[] = { "cert.copy-sha1", "cert.copy-sha256" };

  g_assert_true (gtk_widget_activate_action (menu, "cert.copy-pem", NULL));
  pem = clipboard_text (menu);
  chain = cb_certificate_list_new_from_data ((const guint8 *) pem, strlen (pem), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 1);

  g_assert_true (cb_certificate_export_to_file (chain, 0, CB_CERTIFICATE_FORMAT_PEM, pem_file,
                                                &error));
  g_assert_no_error (error);
  g_assert_true (cb_certificate_export_to_file (chain, 0, CB_CERTIFICATE_FORMAT_DER, der_file,
                                                &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (digests); i++)
    {
      g_autofree char *from_pem = cb_test_openssl_fingerprint (pem_path, digests[i], FALSE);
      g_autofree char *from_der = cb_test_openssl_fingerprint (der_path, digests[i], TRUE);
      g_autofree char *copied = NULL;

      g_assert_cmpstr (from_pem, ==, from_der);
      g_assert_true (gtk_widget_activate_action (menu, actions[i], NULL));
      copied = clipboard_text (menu);
      g_assert_cmpstr (copied, ==, from_pem);
      if (i == 0 && thumbprint != NULL)
        {
          g_autofree char *arm = arm_thumbprint (from_pem);

          g_assert_cmpstr (arm, ==, thumbprint);
        }
    }
  return g_object_ref (g_ptr_array_index (chain, 0));
}

/* The hub's own word on its CA certificate of @subject: its thumbprint. */
static char *
hub_thumbprint (Fixture    *f,
                const char *hub_id,
                const char *subject)
{
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;
  CbAdrClient *adr = cb_context_get_adr (f->app->context);
  GAsyncResult *result = NULL;

  cb_adr_client_list_hub_certificates_of_async (adr, hub_id, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  certificates = cb_adr_client_list_hub_certificates_of_finish (adr, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  for (guint i = 0; i < certificates->len; i++)
    if (g_strcmp0 (cb_hub_certificate_get_subject (g_ptr_array_index (certificates, i)), subject) == 0)
      return g_ascii_strup (cb_hub_certificate_get_thumbprint (g_ptr_array_index (certificates, i)), -1);
  return NULL;
}

static CbCertificateAuthority *
ca_of (Fixture    *f,
       const char *name)
{
  CbCertificateAuthority *ca = g_object_get_data (G_OBJECT (cb_registry_ca_pane_find_row (f->pane,
                                                                                          name)),
                                                  "cb-ca");

  g_assert_nonnull (ca);
  return ca;
}

/* The window at @width, scrolled so that the CA @ca_name's group is at the top. */
static void
screenshot_at_ca (Fixture    *f,
                  const char *ca_name,
                  const char *name,
                  int         width)
{
  GtkWidget *group = cb_registry_ca_pane_find_row (f->pane, ca_name);
  GtkWidget *scrolled = gtk_widget_get_ancestor (group, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  graphene_point_t point;

  /* Laid out at this width first, then scrolled. */
  screenshot (f, name, width);
  g_assert_true (gtk_widget_compute_point (group, gtk_widget_get_first_child (scrolled),
                                           &GRAPHENE_POINT_INIT (0, 0), &point));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + point.y - 12);
  screenshot (f, name, width);
}

/* A Microsoft-issued ICA: its certificate from the linked hub's CA certificates, with ADR's
 * subject and dates and the hub's thumbprint; the root, never seen in a chain, says why it is
 * not there and has no button that does nothing. */
static void
test_certificate_from_hub (Fixture       *f,
                           gconstpointer  data)
{
  CbProfile *profile = cb_adr_client_get_profile (cb_context_get_adr (f->app->context));
  g_autofree char *hub_id = cb_sb_hub_resource_id (cb_profile_get_subscription_id (profile),
                                                   cb_profile_get_resource_group (profile),
                                                   "demo-stable-hub");
  g_autofree char *thumbprint = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  CbCertificateAuthority *ica;
  GtkWidget *row;
  GtkWidget *menu;
  GtkWidget *root_row;

  wait_hierarchy (f);
  cb_test_app_wait (idle, f, 30000);

  ica = ca_of (f, "demo-ica");
  g_assert_null (cb_certificate_authority_get_thumbprint (ica));
  row = certificate_row (f, "demo-ica");
  g_test_message ("demo-ica: %s", row_subtitle (row));
  g_assert_nonnull (strstr (row_subtitle (row), "hub “demo-stable-hub”"));
  menu = cb_test_app_find_widget (row, GTK_TYPE_MENU_BUTTON);
  g_assert_nonnull (menu);
  screenshot (f, "registry-ca-certificate", 1280);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "authorities"));
  screenshot (f, "narrow-registry-ca-certificate", 360);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);

  thumbprint = hub_thumbprint (f, hub_id, cb_certificate_authority_get_subject (ica));
  g_assert_nonnull (thumbprint);
  cert = take_away (f, menu, "demo-ica", thumbprint);
  g_assert_cmpstr (cb_certificate_get_subject (cert), ==, cb_certificate_authority_get_subject (ica));
  g_assert_cmpint (cb_certificate_get_not_before (cert), ==, cb_certificate_authority_get_not_before (ica));
  g_assert_cmpint (cb_certificate_get_not_after (cert), ==, cb_certificate_authority_get_not_after (ica));

  /* The row opens the details. */
  g_assert_true (gtk_widget_activate_action (row, "cert.details", NULL));
  cb_test_app_spin (100);

  root_row = certificate_row (f, "demo-root");
  g_assert_nonnull (strstr (row_subtitle (root_row), "Not known here yet"));
  g_assert_null (cb_test_app_find_widget (root_row, GTK_TYPE_MENU_BUTTON));
  g_assert_null (cb_test_app_find_widget (root_row, GTK_TYPE_BUTTON));

  /* What the pane has kept survives the station's restart: it is in the store's file. */
  g_assert_true (g_file_test (cb_ca_certificate_store_get_path (
                                cb_ca_certificate_store_get_for_context (f->app->context)),
                              G_FILE_TEST_EXISTS));

}

/* An External ICA: pending, it has no certificate yet and says so, and its thumbprint copies;
 * activated, its certificate is the one of the chain it was activated with, and openssl reads
 * the saved PEM and DER with the thumbprint ADR now reports; its chain reaches the customer's
 * root. */
static void
test_certificate_external (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *csr = NULL;
  g_autofree char *good = NULL;
  g_autofree char *copied = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  gint64 now = cb_sb_now (f->app->ts->sandbox);
  CbCertificateAuthority *ca;
  GtkWidget *row;
  GtkWidget *menu;

  wait_hierarchy (f);
  create_external_ica (f);

  /* Pending: why there is no certificate, no button that does nothing, the thumbprint copies. */
  ca = ca_of (f, "ext-ica");
  row = certificate_row (f, "ext-ica");
  g_assert_nonnull (strstr (row_subtitle (row), "None yet"));
  g_assert_null (cb_test_app_find_widget (row, GTK_TYPE_BUTTON));
  g_assert_nonnull (cb_certificate_authority_get_thumbprint (ca));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.copy-thumbprint", "s",
                                             "ext-ica"));
  copied = clipboard_text (GTK_WIDGET (f->pane));
  g_assert_cmpstr (copied, ==, cb_certificate_authority_get_thumbprint (ca));
  screenshot_at_ca (f, "ext-ica", "registry-ca-certificate-pending", 1280);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "authorities"));
  screenshot_at_ca (f, "ext-ica", "narrow-registry-ca-certificate-pending", 360);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);

  csr = read_csr (f);
  good = cb_test_sign_csr (csr, now, 730, CB_TEST_SIGN_NORMAL, NULL);
  activate_with (f, good, "chain.pem");
  wait_row (f, "ext-ica", "Active");
  cb_test_app_wait (idle, f, 30000);

  ca = ca_of (f, "ext-ica");
  g_assert_nonnull (cb_certificate_authority_get_thumbprint (ca));
  row = certificate_row (f, "ext-ica");
  g_test_message ("ext-ica: %s", row_subtitle (row));
  /* ADR synchronized it to the linked hub; the customer's root above it is the station's,
   * kept from the activation chain. */
  g_assert_nonnull (strstr (row_subtitle (row), "hub “demo-stable-hub”"));
  g_assert_nonnull (strstr (row_subtitle (row), "chain of 2 up to the root"));
  menu = cb_test_app_find_widget (row, GTK_TYPE_MENU_BUTTON);
  g_assert_nonnull (menu);
  cert = take_away (f, menu, "ext-ica", cb_certificate_authority_get_thumbprint (ca));
  g_assert_cmpstr (cb_certificate_get_subject (cert), ==, cb_certificate_authority_get_subject (ca));

  /* The whole chain up to the customer's root, as it was given. */
  {
    g_autofree char *chain_pem = NULL;
    g_autoptr(GPtrArray) chain = NULL;
    g_autoptr(GPtrArray) given = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (gtk_widget_activate_action (menu, "cert.copy-chain-pem", NULL));
    chain_pem = clipboard_text (menu);
    chain = cb_certificate_list_new_from_data ((const guint8 *) chain_pem, strlen (chain_pem),
                                               &error);
    g_assert_no_error (error);
    given = cb_certificate_list_new_from_data ((const guint8 *) good, strlen (good), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (chain->len, ==, 2);
    for (guint i = 0; i < chain->len; i++)
      g_assert_true (cb_certificate_equal (g_ptr_array_index (chain, i),
                                           g_ptr_array_index (given, i)));

    /* Kept in the station's file, for the next start. */
    {
      g_autoptr(CbCaCertificateStore) reread = cb_ca_certificate_store_new (
        cb_ca_certificate_store_get_path (cb_ca_certificate_store_get_for_context (f->app->context)));
      GPtrArray *kept = cb_ca_certificate_store_get_certificates (reread);
      gboolean root_kept = FALSE;

      for (guint i = 0; i < kept->len; i++)
        root_kept |= cb_certificate_equal (g_ptr_array_index (kept, i), g_ptr_array_index (given, 1));
      g_assert_true (root_kept);
    }
  }
  screenshot_at_ca (f, "ext-ica", "registry-ca-certificate-external", 1280);
}

int
main (int   argc,
      char *argv[])
{
  gboolean german = g_strcmp0 (g_getenv ("LANGUAGE"), "de") == 0;

  cb_test_app_init (&argc, &argv);

  /* LANGUAGE=de: only the pictures, in German (the other tests read English text). */
  if (german)
    {
      g_autofree char *app_path = g_test_build_filename (G_TEST_BUILT, "..", "src", "app",
                                                         "certbench", NULL);

      if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL)
        g_printerr ("de_DE.UTF-8 is not generated: the pictures stay in English\n");
      cb_i18n_init (app_path);
      g_test_add ("/cb/app-registry-ca/pictures", Fixture, NULL, fixture_setup, test_pictures,
                  fixture_teardown);
      return g_test_run ();
    }
  g_test_add ("/cb/app-registry-ca/pictures", Fixture, NULL, fixture_setup, test_pictures,
              fixture_teardown);

  g_test_add ("/cb/app-registry-ca/hierarchy", Fixture, NULL, fixture_setup, test_hierarchy,
              fixture_teardown);
  g_test_add ("/cb/app-registry-ca/create", Fixture, NULL, fixture_setup, test_create,
              fixture_teardown);
  g_test_add ("/cb/app-registry-ca/rotate", Fixture, NULL, fixture_setup, test_rotate,
              fixture_teardown);
  g_test_add ("/cb/app-registry-ca/activate", Fixture, NULL, fixture_setup, test_activate,
              fixture_teardown);
  g_test_add ("/cb/app-registry-ca/links", Fixture, NULL, fixture_setup, test_links,
              fixture_teardown);
  g_test_add ("/cb/app-registry-ca/certificate-from-hub", Fixture, NULL, fixture_setup,
              test_certificate_from_hub, fixture_teardown);
  g_test_add ("/cb/app-registry-ca/certificate-external", Fixture, NULL, fixture_setup,
              test_certificate_external, fixture_teardown);

  return g_test_run ();
}
