/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lifetime bar explains itself: a legend under it names its ends (issued, expires), the
 * fill (used until now) and the tick (the renewal point). */
#include "config.h"

#include "cb-certificate-row.h"
#include "cb-lifetime-bar.h"
#include "cb-test-app.h"

/* 2026-01-01 00:00 UTC */
#define NOT_BEFORE G_GINT64_CONSTANT (1767225600)
#define DAY        86400

static void
test_lifetime_bar_legend (void)
{
  GtkWidget *bar = cb_lifetime_bar_new ();
  GtkWidget *window = gtk_window_new ();
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                "lifetime-bar.png", NULL);
  GtkWidget *used;
  int min_height = 0;

  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  gtk_widget_set_margin_top (bar, 12);
  gtk_widget_set_margin_bottom (bar, 12);
  gtk_window_set_child (GTK_WINDOW (window), bar);

  /* A 100-day certificate, 25 days in, renewal at 80 %: day 80. */
  cb_lifetime_bar_set_validity (CB_LIFETIME_BAR (bar), NOT_BEFORE, NOT_BEFORE + 100 * DAY);
  cb_lifetime_bar_set_now (CB_LIFETIME_BAR (bar), NOT_BEFORE + 25 * DAY);
  cb_lifetime_bar_set_renewal_fraction (CB_LIFETIME_BAR (bar), 0.8);
  cb_test_app_save_png (window, png, 480, 120);

  g_assert_nonnull (cb_test_app_find_label (bar, "Issued 2026-01-01"));
  g_assert_nonnull (cb_test_app_find_label (bar, "Expires 2026-04-11"));
  g_assert_nonnull (cb_test_app_find_label (bar, "Used until now: 25 %"));
  g_assert_nonnull (cb_test_app_find_label (bar, "Renewal point: 2026-03-22 (80 %)"));

  /* The legend takes room under the bar, and is on screen. */
  gtk_widget_measure (bar, GTK_ORIENTATION_VERTICAL, 456, &min_height, NULL, NULL, NULL);
  g_assert_cmpint (min_height, >, 30);
  g_assert_true (gtk_widget_get_mapped (cb_test_app_find_label (bar, "Issued 2026-01-01")));

  /* Past the renewal point the fill, and the legend's swatch, turn to the warning colour. */
  cb_lifetime_bar_set_now (CB_LIFETIME_BAR (bar), NOT_BEFORE + 90 * DAY);
  g_assert_nonnull (cb_test_app_find_label (bar, "Used until now: 90 %"));
  used = cb_test_app_find_label (bar, "Used until now: 90 %");
  used = gtk_widget_get_prev_sibling (used);
  g_assert_nonnull (used);
  g_assert_cmpstr (gtk_widget_get_css_name (used), ==, "used");
  g_assert_true (gtk_widget_has_css_class (used, "warning"));

  /* No validity, no legend. */
  cb_lifetime_bar_set_validity (CB_LIFETIME_BAR (bar), 0, 0);
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_parent (
                    gtk_widget_get_parent (cb_test_app_find_label (bar, "Issued 2026-01-01")))));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-lifetime-bar/legend", test_lifetime_bar_legend);

  return g_test_run ();
}
