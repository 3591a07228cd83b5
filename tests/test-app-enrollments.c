/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-pki.h"
#include "cb-registry-enrollments-pane.h"
#include "cb-registry-page.h"
#include "cb-test-app.h"
#include "cb-x509.h"

/* The Registry's Enrollments pane on a real sandbox (the demo seed): a folder of device
 * certificates with a garbage file and a CN twice is imported as the folder chooser would; the
 * progress runs to the end, the enrollments appear in the list with their certificate's
 * subject, and the two bad files are listed with their reasons. Screenshots at 900 and 360 px
 * wide. */

#define N_DEVICES 12

static char *
device_pem (CbKey      *key,
            const char *cn)
{
  static const char * const client_auth[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=%s,O=Test factory", cn);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = dn,
    .not_before = now - 3600,
    .not_after = now + 365 * 86400,
    .is_ca = FALSE,
    .path_len = -1,
    .key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE,
    .ext_key_usage = client_auth,
  };

  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  return cb_certificate_to_pem (cert);
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
}

static gboolean
not_loading (gpointer user_data)
{
  return !cb_registry_enrollments_pane_get_loading (user_data);
}

static gboolean
not_importing (gpointer user_data)
{
  return !cb_registry_enrollments_pane_get_importing (user_data);
}

static void
test_import_folder (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autofree char *dir = g_build_filename (app->dir, "factory-certificates", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (dir);
  g_autofree char *path = NULL;
  g_autofree char *twin = NULL;
  CbRegistryEnrollmentsPane *pane;
  CbEnrollmentImport *import;
  GtkWidget *window;
  GtkWidget *row;

  g_assert_no_error (error);
  g_assert_nonnull (cb_context_get_dps_service (app->context));
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autofree char *cn = g_strdup_printf ("app-import-%02u", i);
      g_autofree char *name = g_strdup_printf ("%s.pem", cn);
      g_autofree char *pem = device_pem (key, cn);

      write_file (dir, name, pem);
    }
  write_file (dir, "garbage.pem", "nothing to see here");
  twin = device_pem (key, "app-import-04");
  write_file (dir, "twin-of-04.pem", twin);

  window = gtk_window_new ();
  pane = CB_REGISTRY_ENROLLMENTS_PANE (cb_registry_enrollments_pane_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (pane));
  cb_registry_enrollments_pane_set_context (pane, app->context);
  cb_registry_enrollments_pane_load (pane);
  cb_test_app_wait (not_loading, pane, 30000);

  /* The three ways in have names a screen reader says. */
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (pane), "_Add from certificate…"));
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (pane), "Import _folder…"));
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (pane), "Import _CSV…"));

  cb_registry_enrollments_pane_import (pane, folder);
  g_assert_true (cb_registry_enrollments_pane_get_importing (pane));
  cb_test_app_wait (not_importing, pane, 60000);
  cb_test_app_wait (not_loading, pane, 30000);

  import = cb_registry_enrollments_pane_get_import (pane);
  g_assert_cmpuint (cb_enrollment_import_get_items (import)->len, ==, N_DEVICES + 2);
  g_assert_cmpuint (cb_enrollment_import_count (import, CB_ENROLLMENT_IMPORT_CREATED), ==,
                    N_DEVICES);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (pane),
                                            "12 enrollments created, 0 enrolled already, "
                                            "2 not enrolled"));

  /* The failures, each with its reason; the enrollments, each with its certificate. */
  row = cb_registry_enrollments_pane_find_row (pane, "garbage.pem");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            "Not a usable certificate"));
  row = cb_registry_enrollments_pane_find_row (pane, "twin-of-04.pem");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Twice"));
  row = cb_registry_enrollments_pane_find_row (pane, "app-import-07");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            "CN=app-import-07"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "X.509"));

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "registry-enrollments-import.png",
                                NULL);
  cb_test_app_save_png (window, path, 900, 900);
  g_free (path);
  path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                "registry-enrollments-import-narrow.png", NULL);
  cb_test_app_save_png (window, path, 360, 900);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The Registry page carries the pane as its "Enrollments" view, with the page's context, and
 * loads it when shown. */
static void
test_registry_page (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = cb_registry_page_new (app->context);
  AdwViewStack *stack;
  GtkWidget *pane;
  g_autoptr(CbContext) context = NULL;

  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  stack = ADW_VIEW_STACK (cb_test_app_find_widget (page, ADW_TYPE_VIEW_STACK));
  pane = adw_view_stack_get_child_by_name (stack, "enrollments");
  g_assert_true (CB_IS_REGISTRY_ENROLLMENTS_PANE (pane));
  g_object_get (pane, "context", &context, NULL);
  g_assert_true (context == app->context);

  adw_view_stack_set_visible_child_name (stack, "enrollments");
  g_assert_true (cb_registry_enrollments_pane_get_loading (CB_REGISTRY_ENROLLMENTS_PANE (pane)));
  cb_test_app_wait (not_loading, pane, 30000);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-enrollments/import-folder", test_import_folder);
  g_test_add_func ("/cb/app-enrollments/registry-page", test_registry_page);

  return g_test_run ();
}
