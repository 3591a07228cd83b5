/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device table the Registry and Fleet pages share (cb-device-table.c): its columns in
 * order, the Policy column out of the view while hidden and back in its place, the columns a
 * narrow table drops, its model and its accessible name. */
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

static void
test_columns (void)
{
  GtkWidget *table = g_object_ref_sink (cb_device_table_new ());
  g_autofree char *all = NULL;
  g_autofree char *without = NULL;
  g_autofree char *again = NULL;

  all = cb_test_app_column_titles (table);
  g_assert_cmpstr (all, ==, "Device|Enabled|Policy|Reported valid until|Days left|State");
  g_assert_true (cb_device_table_get_show_policy (CB_DEVICE_TABLE (table)));

  /* GTK 4.8 would keep a hidden column's width: the column leaves the view. */
  cb_device_table_set_show_policy (CB_DEVICE_TABLE (table), FALSE);
  without = cb_test_app_column_titles (table);
  g_assert_cmpstr (without, ==, "Device|Enabled|Reported valid until|Days left|State");
  g_assert_false (cb_device_table_get_show_policy (CB_DEVICE_TABLE (table)));

  cb_device_table_set_show_policy (CB_DEVICE_TABLE (table), TRUE);
  again = cb_test_app_column_titles (table);
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
  g_autofree char *titles = cb_test_app_column_titles (table);

  g_assert_null (strstr (titles, "Policy"));
  g_assert_cmpstr (cb_device_table_get_label (CB_DEVICE_TABLE (table)), ==, "Devices in this state");

  cb_device_table_set_model (CB_DEVICE_TABLE (table), GTK_SELECTION_MODEL (selection));
  g_assert_true (cb_device_table_get_model (CB_DEVICE_TABLE (table)) ==
                 GTK_SELECTION_MODEL (selection));
  g_assert_true (gtk_column_view_get_model (get_view (table)) == GTK_SELECTION_MODEL (selection));

  g_object_unref (table);
}

/* Every label's text under @widget, "|"-separated in tree order, and the state cell's
 * tooltip (the one label that has one, asked for when shown) as "yes". */
static void
collect_labels (GtkWidget *widget,
                GString   *texts,
                char     **tooltip)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget))
    {
      g_string_append_printf (texts, "|%s", gtk_label_get_text (GTK_LABEL (widget)));
      if (gtk_widget_get_has_tooltip (widget))
        {
          g_free (*tooltip);
          *tooltip = g_strdup ("yes");
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, texts, tooltip);
}

typedef struct
{
  GtkWidget *table;
  const char *wanted;
} Cells;

static gboolean
cells_show (gpointer data)
{
  Cells *cells = data;
  g_autoptr(GString) texts = g_string_new (NULL);
  g_autofree char *tooltip = NULL;

  collect_labels (cells->table, texts, &tooltip);
  return strstr (texts->str, cells->wanted) != NULL;
}

/* A row's cells: one label each, with the item's texts, and the two that can change while
 * shown (Enabled and State, with the state's reason as its tooltip) follow the item. */
static void
test_cells (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GListStore) store = g_list_store_new (CB_TYPE_DEVICE_ITEM);
  g_autoptr(CbDeviceItem) item = NULL;
  g_autoptr(GString) texts = g_string_new (NULL);
  g_autofree char *tooltip = NULL;
  g_autofree char *until = NULL;
  g_autofree char *row = NULL;
  g_autofree char *reason = NULL;
  GtkNoSelection *selection;
  GtkWidget *window;
  GtkWidget *table;
  Cells cells;

  g_assert_true (json_parser_load_from_data (parser,
    "{\"deviceId\": \"cell-device-1\", \"status\": \"enabled\", \"properties\": {\"reported\":"
    " {\"certificate\": {\"validFrom\": \"2026-01-01T00:00:00Z\","
    " \"validUntil\": \"2099-02-03T04:05:00Z\"}}}}", -1, NULL));
  item = cb_device_item_new_from_twin (json_node_get_object (json_parser_get_root (parser)),
                                       NULL, NULL);
  g_list_store_append (store, item);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (store)));
  table = cb_device_table_new ();
  cb_device_table_set_model (CB_DEVICE_TABLE (table), GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 400);
  gtk_window_set_child (GTK_WINDOW (window), table);
  gtk_window_present (GTK_WINDOW (window));

  cells = (Cells) { table, "cell-device-1" };
  cb_test_app_wait (cells_show, &cells, 10000);
  collect_labels (table, texts, &tooltip);
  until = cb_device_item_dup_valid_until_text (item);
  g_assert_cmpstr (until, ==, "2099-02-03 04:05");
  row = g_strdup_printf ("|cell-device-1|Enabled|—|%s|", until);
  g_assert_nonnull (strstr (texts->str, row));
  g_assert_nonnull (strstr (texts->str, cb_device_item_get_state_label (item)));
  g_assert_cmpstr (tooltip, ==, "yes");

  /* The switch turned off while the row is shown: its cells say so, without a rebind. */
  cb_device_item_set_enabled (item, FALSE);
  g_string_truncate (texts, 0);
  g_clear_pointer (&tooltip, g_free);
  collect_labels (table, texts, &tooltip);
  g_assert_cmpstr (cb_device_item_get_state_label (item), ==, "Disabled");
  g_clear_pointer (&row, g_free);
  row = g_strdup_printf ("|cell-device-1|Disabled|—|%s|", until);
  g_assert_nonnull (strstr (texts->str, row));
  reason = cb_device_item_dup_state_reason (item);
  g_assert_nonnull (strstr (reason, "disabled"));
  g_assert_cmpstr (tooltip, ==, "yes");
  g_assert_true (g_str_has_suffix (texts->str, "|Disabled"));

  /* For the eye: the cells, wide and at 360 px. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                     i == 0 ? "device-table-cells.png"
                                                            : "device-table-cells-narrow.png",
                                                     NULL);

      cb_test_app_save_png (window, path, i == 0 ? 1280 : 360, 160);
    }

  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (50);
}

/* A narrow table keeps its Device column readable: the columns that do not fit next to it
 * leave the view, least wanted first, and come back when the table widens. */
static void
test_narrow_drops_columns (void)
{
  struct { int width; gboolean policy; const char *titles; } steps[] = {
    { 1280, TRUE, "Device|Enabled|Policy|Reported valid until|Days left|State" },
    { 700, TRUE, "Device|Enabled|Policy|Days left|State" },
    { 700, FALSE, "Device|Enabled|Days left|State" },
    { 500, TRUE, "Device|Days left|State" },
    { 360, TRUE, "Device|State" },
    { 1280, FALSE, "Device|Enabled|Reported valid until|Days left|State" },
    { 1280, TRUE, "Device|Enabled|Policy|Reported valid until|Days left|State" },
  };
  GtkWidget *window = gtk_window_new ();
  GtkWidget *table = cb_device_table_new ();

  gtk_window_set_child (GTK_WINDOW (window), table);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *name = g_strdup_printf ("device-table-%d%s.png", steps[i].width,
                                               steps[i].policy ? "" : "-no-policy");
      g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);
      g_autofree char *titles = NULL;

      cb_device_table_set_show_policy (CB_DEVICE_TABLE (table), steps[i].policy);
      cb_test_app_save_png (window, path, steps[i].width, 160);
      cb_test_app_spin (200);
      titles = cb_test_app_column_titles (table);
      g_test_message ("%d px: %s", gtk_widget_get_width (table), titles);
      g_assert_cmpint (gtk_widget_get_width (table), ==, steps[i].width);
      g_assert_cmpstr (titles, ==, steps[i].titles);
    }

  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (50);
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-device-table/columns", test_columns);
  g_test_add_func ("/cb/app-device-table/model-and-label", test_model_and_label);
  g_test_add_func ("/cb/app-device-table/narrow-drops-columns", test_narrow_drops_columns);
  g_test_add_func ("/cb/app-device-table/cells", test_cells);

  return g_test_run ();
}
