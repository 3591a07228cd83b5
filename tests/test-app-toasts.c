/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Toasts of a kind (cb-toasts.c) replace each other: clicked in a row, and with the page that
 * shows them reparented while they are up. Run with MALLOC_PERTURB_ (tests/meson.build): on
 * libadwaita 1.2 a toast dismissed within 200 ms of being shown over a hiding one had its show
 * animation write into freed memory, which crashed here. */
#include "config.h"

#include <string.h>

#include "cb-certificate-actions.h"
#include "cb-test-app.h"
#include "cb-toasts.h"

typedef struct
{
  GtkWidget       *window;
  GtkWidget       *other;     /* the window the page moves to */
  GtkWidget       *page;      /* a page: a box holding the overlay, as the app's pages do */
  AdwToastOverlay *overlay;
  GtkWidget       *content;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->window = gtk_window_new ();
  f->other = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 640, 480);
  gtk_window_set_default_size (GTK_WINDOW (f->other), 360, 480);
  f->page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  f->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (f->overlay), TRUE);
  f->content = gtk_label_new ("content");
  adw_toast_overlay_set_child (f->overlay, f->content);
  gtk_box_append (GTK_BOX (f->page), GTK_WIDGET (f->overlay));
  gtk_window_set_child (GTK_WINDOW (f->window), f->page);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_window_present (GTK_WINDOW (f->other));
  cb_test_app_spin (300);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->overlay)));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  gtk_window_destroy (GTK_WINDOW (f->other));
  cb_test_app_spin (100);
}

static void
add (Fixture    *f,
     const char *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 5);
  cb_toast_overlay_add_kind (f->overlay, "test", toast);
}

/* The one toast of the kind, showing @title, is the only one the overlay shows. */
static void
assert_shows (Fixture    *f,
              const char *title,
              const char *gone)
{
  AdwToast *toast = cb_toast_overlay_get_kind (f->overlay, "test");

  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, title);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (f->overlay), title));
  if (gone != NULL)
    g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), gone));
}

/* Three outcomes within 100 ms: the last replaces the others, nothing waits in the queue and
 * the animations end with the overlay intact. */
static void
test_replace_in_a_row (Fixture       *f,
                       gconstpointer  data)
{
  add (f, "Valid for 7 days");
  cb_test_app_spin (30);
  add (f, "Valid for 30 days");
  cb_test_app_spin (30);
  add (f, "Valid for 90 days");
  /* Longer than every show and hide animation (500 ms at most). */
  cb_test_app_spin (800);
  assert_shows (f, "Valid for 90 days", "Valid for 7 days");
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), "Valid for 30 days"));

  /* Dismissed (its close button, its timeout): the kind starts afresh. */
  adw_toast_dismiss (cb_toast_overlay_get_kind (f->overlay, "test"));
  g_assert_null (cb_toast_overlay_get_kind (f->overlay, "test"));
  cb_test_app_spin (500);
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), "Valid for 90 days"));
  add (f, "Valid for 1 day");
  cb_test_app_spin (400);
  assert_shows (f, "Valid for 1 day", NULL);
}

/* The page moves to another window while toasts of its kind are up and coming: taken out (its
 * animations skip to their ends), a newer toast while it has no window, put in the other. */
static void
test_reparent (Fixture       *f,
               gconstpointer  data)
{
  for (guint round = 0; round < 4; round++)
    {
      GtkWidget *from = round % 2 == 0 ? f->window : f->other;
      GtkWidget *to = round % 2 == 0 ? f->other : f->window;

      add (f, "Copied as PEM");
      cb_test_app_spin (30);
      add (f, "Copied as DER");
      cb_test_app_spin (30);
      add (f, "Copied the chain");
      cb_test_app_spin (50);

      g_object_ref (f->page);
      gtk_window_set_child (GTK_WINDOW (from), NULL);
      g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (f->overlay)));
      add (f, "Copied the SHA-256 fingerprint");
      add (f, "Copied the SHA-1 fingerprint");
      gtk_window_set_child (GTK_WINDOW (to), f->page);
      g_object_unref (f->page);
      add (f, "Copied the fingerprints");
      cb_test_app_spin (30);
      add (f, "Copied as PEM again");
      cb_test_app_spin (800);
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->overlay)));
      assert_shows (f, "Copied as PEM again", "Copied the chain");
    }
}

static char *
make_certificate_pem (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null",
                         "-subj", "/CN=toast-test", "-days", "30", NULL };

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

/* The certificate actions' copies in a row, the way a user copies PEM, then a fingerprint:
 * one toast, the last. */
static void
test_certificate_copies (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *pem = make_certificate_pem ();
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  const char *actions[] = { "cert.copy-pem", "cert.copy-sha256", "cert.copy-der",
                            "cert.copy-sha1" };

  g_ptr_array_add (chain, cb_certificate_new_from_pem (pem, -1, &error));
  g_assert_no_error (error);
  cb_certificate_actions_install (f->content, chain, 0);

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_assert_true (gtk_widget_activate_action (f->content, actions[i], NULL));
      cb_test_app_spin (40);
    }
  cb_test_app_spin (800);
  g_assert_nonnull (cb_toast_overlay_get_kind (f->overlay, CB_CERTIFICATE_TOAST_KIND));
  g_test_message ("toast: %s",
                  adw_toast_get_title (cb_toast_overlay_get_kind (f->overlay,
                                                                  CB_CERTIFICATE_TOAST_KIND)));
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), "Certificate copied as PEM"));
  g_assert_nonnull (cb_test_app_find_label (
    GTK_WIDGET (f->overlay),
    adw_toast_get_title (cb_toast_overlay_get_kind (f->overlay, CB_CERTIFICATE_TOAST_KIND))));
}

int
main (int    argc,
      char **argv)
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app/toasts/replace-in-a-row", Fixture, NULL, fixture_setup,
              test_replace_in_a_row, fixture_teardown);
  g_test_add ("/cb/app/toasts/reparent", Fixture, NULL, fixture_setup, test_reparent,
              fixture_teardown);
  g_test_add ("/cb/app/toasts/certificate-copies", Fixture, NULL, fixture_setup,
              test_certificate_copies, fixture_teardown);

  return g_test_run ();
}
