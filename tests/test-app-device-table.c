/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device table the Registry and Fleet pages share (cb-device-table.c): its columns in
 * order, the Policy column out of the view while hidden and back in its place, its model and
 * its accessible name. */
#include "config.h"

#include <string.h>

#include "cb-device-list-model.h"
#include "cb-device-table.h"
#include "cb-test-app.h"

static GtkColumnView *
get_view (GtkWidget *table)
{
  return GTK_COLUMN_VIEW (cb_test_app_find_widget (table, GTK_TYPE_COLUMN_VIEW));
}

static char *
column_titles (GtkWidget *table)
{
  GListModel *columns = gtk_column_view_get_columns (get_view (table));
  g_autoptr(GString) titles = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      g_string_append_printf (titles, "%s%s", i > 0 ? "|" : "",
                              gtk_column_view_column_get_title (column));
    }
  return g_string_free (g_steal_pointer (&titles), FALSE);
}

static void
test_columns (void)
{
  GtkWidget *table = g_object_ref_sink (cb_device_table_new ());
  g_autofree char *all = NULL;
  g_autofree char *without = NULL;
  g_autofree char *again = NULL;

  all = column_titles (table);
  g_assert_cmpstr (all, ==, "Device|Enabled|Policy|Reported valid until|Days left|State");
  g_assert_true (cb_device_table_get_show_policy (CB_DEVICE_TABLE (table)));

  /* GTK 4.8 would keep a hidden column's width: the column leaves the view. */
  cb_device_table_set_show_policy (CB_DEVICE_TABLE (table), FALSE);
  without = column_titles (table);
  g_assert_cmpstr (without, ==, "Device|Enabled|Reported valid until|Days left|State");
  g_assert_false (cb_device_table_get_show_policy (CB_DEVICE_TABLE (table)));

  cb_device_table_set_show_policy (CB_DEVICE_TABLE (table), TRUE);
  again = column_titles (table);
  g_assert_cmpstr (again, ==, all);

  g_object_unref (table);
}

static void
test_model_and_label (void)
{
  g_autoptr(CbDeviceListModel) devices = cb_device_list_model_new ();
  g_autoptr(GtkNoSelection) selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (devices)));
  GtkWidget *table = g_object_ref_sink (g_object_new (CB_TYPE_DEVICE_TABLE,
                                                      "show-policy", FALSE,
                                                      "label", "Devices in this state",
                                                      NULL));
  g_autofree char *titles = column_titles (table);

  g_assert_null (strstr (titles, "Policy"));
  g_assert_cmpstr (cb_device_table_get_label (CB_DEVICE_TABLE (table)), ==, "Devices in this state");

  cb_device_table_set_model (CB_DEVICE_TABLE (table), GTK_SELECTION_MODEL (selection));
  g_assert_true (cb_device_table_get_model (CB_DEVICE_TABLE (table)) ==
                 GTK_SELECTION_MODEL (selection));
  g_assert_true (gtk_column_view_get_model (get_view (table)) == GTK_SELECTION_MODEL (selection));

  g_object_unref (table);
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-device-table/columns", test_columns);
  g_test_add_func ("/cb/app-device-table/model-and-label", test_model_and_label);

  return g_test_run ();
}
