/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The reference for bench-app-start: the least a libadwaita app with Certbench's chrome
 * does before its first frame: an AdwApplication, an AdwApplicationWindow with a header bar,
 * a view switcher title over a view stack of four pages, and a view switcher bar. */

#include <adwaita.h>

static void
activate_cb (GtkApplication *app,
             gpointer        user_data)
{
  static const char *pages[][3] = {
    { "bench", "Bench", "media-playback-start-symbolic" },
    { "registry", "Registry", "view-list-symbolic" },
    { "fleet", "Fleet", "network-workgroup-symbolic" },
    { "journal", "Journal", "document-open-recent-symbolic" },
  };
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *title = adw_view_switcher_title_new ();
  GtkWidget *stack = adw_view_stack_new ();
  GtkWidget *bar = adw_view_switcher_bar_new ();

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      GtkWidget *page = adw_status_page_new ();

      adw_status_page_set_title (ADW_STATUS_PAGE (page), pages[i][1]);
      adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), pages[i][2]);
      adw_view_stack_add_titled_with_icon (ADW_VIEW_STACK (stack), page, pages[i][0],
                                           pages[i][1], pages[i][2]);
    }
  adw_view_switcher_title_set_stack (ADW_VIEW_SWITCHER_TITLE (title), ADW_VIEW_STACK (stack));
  adw_view_switcher_bar_set_stack (ADW_VIEW_SWITCHER_BAR (bar), ADW_VIEW_STACK (stack));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), title);
  gtk_widget_set_vexpand (stack, TRUE);
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), stack);
  gtk_box_append (GTK_BOX (box), bar);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_title (GTK_WINDOW (window), "Bare window");
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = adw_application_new ("io.github.certbench.BareWindow",
                                                       G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
