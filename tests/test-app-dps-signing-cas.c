/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The provisioning service's signing CAs in the app, against a seeded sandbox, where the Registry
 * shows them: below the enrollment groups of a certificate-authority namespace. A CA certificate
 * file uploaded (a leaf refused in words first), shown Unverified with a Verify button; the
 * verify dialog shows the code the service made, refuses a key file that is not the CA's with
 * the reason and keeps going, then signs the proof with the CA's key file and the CA shows
 * Verified: issue 18's "an X.509 enrollment group's CA is uploaded and verified from the app".
 * The New Enrollment Group dialog then offers the verified CA as the devices' proof.
 * Screenshots at 1280/720 and 360 pixels go to <build>/tests/screenshots. */

#include "config.h"

#include <string.h>

#include "cb-dps-ca-verify-dialog.h"
#include "cb-dps-signing-cas.h"
#include "cb-enrollment-group-dialog.h"
#include "cb-registry-ca-pane.h"
#include "cb-registry-page.h"
#include "cb-hub-certificate.h"
#include "cb-pki.h"
#include "cb-test-app.h"
#include "cb-x509.h"

#define STABLE_NS "demo-stable-ns"

typedef struct
{
  CbTestApp        *app;
  GtkWidget        *window;
  CbRegistryPage   *page;
  CbRegistryCaPane *pane;
  CbDpsSigningCas  *cas;     /* the pane's, found again after each of its reloads */
  char             *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->dir = g_dir_make_tmp ("test-app-signing-cas-XXXXXX", &error);
  g_assert_no_error (error);
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
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
screenshot_of (GtkWidget  *widget,
               const char *name,
               int         width,
               int         height)
{
  g_autofree char *file = g_strdup_printf ("%s.png", name);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", file, NULL);

  cb_test_app_save_png (widget, path, width, height);
}

/* A certificate (a CA when is_ca, self-signed) and its key, as PEM files stem.crt, stem.key. */
static GFile *
write_certificate (Fixture    *f,
                   const char *stem,
                   const char *cn,
                   gboolean    is_ca)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=%s,O=Test factory", cn);
  g_autofree char *pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *crt_path = g_strdup_printf ("%s/%s.crt", f->dir, stem);
  g_autofree char *key_path = g_strdup_printf ("%s/%s.key", f->dir, stem);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = dn, .not_before = now - 60, .not_after = now + 86400 * 365, .is_ca = is_ca,
    .path_len = -1, .key_usage = is_ca ? CB_KEY_USAGE_KEY_CERT_SIGN : CB_KEY_USAGE_DIGITAL_SIGNATURE,
  };

  g_assert_no_error (error);
  spki = cb_key_get_public_key_der (key);
  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  pem = cb_certificate_to_pem (cert);
  key_pem = cb_key_to_pem (key, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (crt_path, pem, -1, &error));
  g_assert_true (g_file_set_contents_full (key_path, key_pem, -1, G_FILE_SET_CONTENTS_NONE, 0600,
                                           &error));
  g_assert_no_error (error);
  return g_file_new_for_path (crt_path);
}

static GFile *
key_file (Fixture    *f,
          const char *stem)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.key", f->dir, stem);

  return g_file_new_for_path (path);
}

static CbHubCertificate *
find_ca (Fixture    *f,
         const char *name)
{
  GPtrArray *certs = cb_dps_signing_cas_get_certificates (f->cas);

  for (guint i = 0; certs != NULL && i < certs->len; i++)
    if (g_strcmp0 (cb_hub_certificate_get_name (g_ptr_array_index (certs, i)), name) == 0)
      return g_ptr_array_index (certs, i);
  return NULL;
}

static gboolean
namespace_selected (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_select_namespace (f->page, STABLE_NS);
}

static gboolean
read_done (gpointer data)
{
  Fixture *f = data;

  if (cb_registry_ca_pane_get_loading (f->pane))
    return FALSE;
  f->cas = CB_DPS_SIGNING_CAS (cb_test_app_find_widget (GTK_WIDGET (f->pane),
                                                        CB_TYPE_DPS_SIGNING_CAS));
  return f->cas != NULL && !cb_dps_signing_cas_get_busy (f->cas) &&
         (cb_dps_signing_cas_get_certificates (f->cas) != NULL ||
          cb_dps_signing_cas_get_error (f->cas) != NULL);
}

static gboolean
uploaded (gpointer data)
{
  Fixture *f = data;

  return read_done (f) && find_ca (f, "factory-root") != NULL;
}

static gboolean
verified (gpointer data)
{
  Fixture *f = data;


  return read_done (f) && find_ca (f, "factory-root") != NULL &&
         cb_hub_certificate_get_is_verified (find_ca (f, "factory-root"));
}

static gboolean
code_shown (gpointer data)
{
  return cb_dps_ca_verify_dialog_get_code (data) != NULL;
}

static gboolean
error_shown (gpointer data)
{
  return !cb_dps_ca_verify_dialog_get_busy (data) && cb_dps_ca_verify_dialog_get_error (data) != NULL;
}

static gboolean
standalone_read (gpointer data)
{
  return !cb_dps_signing_cas_get_busy (data) && cb_dps_signing_cas_get_certificates (data) != NULL;
}

/* The list alone (the pane shows it below the fold), at 720 and 360 pixels. */
static void
picture_list (Fixture    *f,
              const char *name)
{
  g_autofree char *narrow = g_strdup_printf ("narrow-%s", name);
  CbDpsSigningCas *wide = cb_dps_signing_cas_new (f->app->context);
  CbDpsSigningCas *small = cb_dps_signing_cas_new (f->app->context);

  cb_test_app_wait (standalone_read, wide, 30000);
  cb_test_app_wait (standalone_read, small, 30000);
  screenshot_of (GTK_WIDGET (wide), name, 720, 260);
  screenshot_of (GTK_WIDGET (small), narrow, 360, 300);
}

static void
test_upload_and_verify (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GFile) ca = NULL;
  g_autoptr(GFile) leaf = NULL;
  g_autoptr(GFile) ca_key = NULL;
  g_autoptr(GFile) other_key = NULL;
  GtkWindow *dialog;
  GtkWidget *verify;

  cb_test_app_wait (namespace_selected, f, 30000);
  cb_test_app_wait (read_done, f, 30000);
  g_assert_null (cb_dps_signing_cas_get_error (f->cas));
  g_assert_null (find_ca (f, "factory-root"));

  ca = write_certificate (f, "root", "Factory root", TRUE);
  leaf = write_certificate (f, "leaf", "device-1", FALSE);
  ca_key = key_file (f, "root");
  other_key = key_file (f, "leaf");

  /* A device's certificate is not a CA: refused in words, nothing sent. */
  cb_dps_signing_cas_upload_file (f->cas, leaf);
  g_assert_nonnull (strstr (cb_dps_signing_cas_get_error (f->cas), "not a CA"));

  /* The CA: named after its CN, unverified, with a Verify button named for it. */
  cb_dps_signing_cas_upload_file (f->cas, ca);
  cb_test_app_wait (uploaded, f, 30000);
  g_assert_null (cb_dps_signing_cas_get_error (f->cas));
  g_assert_false (cb_hub_certificate_get_is_verified (find_ca (f, "factory-root")));
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->cas), "Verified"));
  verify = cb_test_app_find_button (GTK_WIDGET (f->cas), "Verify…");
  g_assert_nonnull (verify);
  picture_list (f, "dps-signing-cas-unverified");
  screenshot_of (f->window, "dps-signing-cas-unverified-pane", 1280, 800);
  screenshot_of (f->window, "narrow-dps-signing-cas-unverified-pane", 360, 800);

  /* The dialog: the service's code, then a key that is not the CA's is refused. */
  dialog = cb_dps_signing_cas_open_verify (f->cas, "factory-root");
  g_assert_nonnull (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  cb_test_app_wait (code_shown, dialog, 30000);
  g_assert_cmpuint (strlen (cb_dps_ca_verify_dialog_get_code (CB_DPS_CA_VERIFY_DIALOG (dialog))), >, 8);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (dialog),
                                            cb_dps_ca_verify_dialog_get_code (CB_DPS_CA_VERIFY_DIALOG (dialog))));
  screenshot_of (GTK_WIDGET (dialog), "dps-ca-verify", 480, 460);
  screenshot_of (GTK_WIDGET (dialog), "narrow-dps-ca-verify", 360, 560);

  cb_dps_ca_verify_dialog_use_key_file (CB_DPS_CA_VERIFY_DIALOG (dialog), other_key);
  cb_test_app_wait (error_shown, dialog, 30000);
  g_assert_nonnull (strstr (cb_dps_ca_verify_dialog_get_error (CB_DPS_CA_VERIFY_DIALOG (dialog)),
                            "another key than the CA certificate"));
  screenshot_of (GTK_WIDGET (dialog), "dps-ca-verify-wrong-key", 480, 460);

  /* The CA's key: signed here, verified by the service; the dialog closes. */
  cb_dps_ca_verify_dialog_use_key_file (CB_DPS_CA_VERIFY_DIALOG (dialog), ca_key);
  cb_test_app_wait (verified, f, 30000);
  g_assert_null (dialog);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (f->cas), "Verified"));
  g_assert_null (cb_test_app_find_button (GTK_WIDGET (f->cas), "Verify…"));
  picture_list (f, "dps-signing-cas-verified");

  /* A new enrollment group may name it as its devices' proof. */
  {
    CbEnrollmentGroupDialog *group;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-enrollment-group",
                                               NULL));
    group = CB_ENROLLMENT_GROUP_DIALOG (cb_registry_ca_pane_get_form (f->pane));
    g_assert_true (CB_IS_ENROLLMENT_GROUP_DIALOG (group));
    g_assert_true (cb_enrollment_group_dialog_choose_signing_ca (group, "factory-root"));
    g_assert_false (cb_enrollment_group_dialog_choose_signing_ca (group, "nowhere"));
    screenshot_of (GTK_WIDGET (group), "dps-group-x509", 480, 720);
    screenshot_of (GTK_WIDGET (group), "narrow-dps-group-x509", 360, 800);
    gtk_window_destroy (GTK_WINDOW (group));
  }
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app/dps-signing-cas/upload-and-verify", Fixture, NULL, fixture_setup,
              test_upload_and_verify, fixture_teardown);

  return g_test_run ();
}
