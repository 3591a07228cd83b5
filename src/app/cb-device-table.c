/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-table"

/* The device table the Registry and Fleet pages share (cb-device-table.h): its columns live
 * in ui/cb-device-table.ui, once.
 *
 * The columns after Device have fixed widths (710 px together): in a narrow table (a phone's
 * 360 px) the Device column, the one that says which device a row is, got what was left, and
 * ids read "dem…". So a table too narrow for them all keeps the Device column at
 * DEVICE_MIN_WIDTH at least and drops the others that do not fit, least wanted first; the
 * State column, what the table is for, stays. The table's own width decides (a page may show it
 * beside a sidebar or alone), once it is allocated; libadwaita 1.2 has no breakpoints, and
 * AdwBin's layout manager has no allocation hook: the view's horizontal adjustment tells. */

#include "config.h"

#include "cb-device-list-model.h"
#include "cb-device-table.h"

/* What a column shows: its cells are one label each, set when bound. Also the columns' order. */
typedef enum
{
  CELL_DEVICE,
  CELL_ENABLED,
  CELL_POLICY,
  CELL_VALID_UNTIL,
  CELL_DAYS_LEFT,
  CELL_STATE,
  N_COLUMNS
} CellKind;

/* What the Device column keeps before another column is dropped: room for an id of about 20
 * characters. */
#define DEVICE_MIN_WIDTH 170

/* The columns a narrow table drops, the first one first. */
static const CellKind drop_order[] = { CELL_VALID_UNTIL, CELL_POLICY, CELL_ENABLED,
                                       CELL_DAYS_LEFT };

struct _CbDeviceTable
{
  AdwBin               parent_instance;

  char                *label;
  gboolean             show_policy;
  GtkColumnViewColumn *columns[N_COLUMNS]; /* ours, in the view's order: out of it while dropped */
  int                  width;              /* the view's, last allocated; -1 before */
  guint                columns_idle;

  /* template */
  GtkColumnView       *view;
  GtkColumnViewColumn *device_column;
  GtkColumnViewColumn *enabled_column;
  GtkColumnViewColumn *policy_column;
  GtkColumnViewColumn *valid_until_column;
  GtkColumnViewColumn *days_left_column;
  GtkColumnViewColumn *state_column;
};

G_DEFINE_FINAL_TYPE (CbDeviceTable, cb_device_table, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_SHOW_POLICY,
  PROP_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cb_device_table_dispose (GObject *object)
{
  CbDeviceTable *self = CB_DEVICE_TABLE (object);

  g_clear_handle_id (&self->columns_idle, g_source_remove);
  /* AdwBin keeps its own pointer to the template's top widget: drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_DEVICE_TABLE);

  G_OBJECT_CLASS (cb_device_table_parent_class)->dispose (object);
}

static void
cb_device_table_finalize (GObject *object)
{
  CbDeviceTable *self = CB_DEVICE_TABLE (object);

  for (guint i = 0; i < N_COLUMNS; i++)
    g_clear_object (&self->columns[i]);
  g_free (self->label);

  G_OBJECT_CLASS (cb_device_table_parent_class)->finalize (object);
}

static void
cb_device_table_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CbDeviceTable *self = CB_DEVICE_TABLE (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, cb_device_table_get_model (self));
      break;
    case PROP_SHOW_POLICY:
      g_value_set_boolean (value, cb_device_table_get_show_policy (self));
      break;
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_device_table_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CbDeviceTable *self = CB_DEVICE_TABLE (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      cb_device_table_set_model (self, g_value_get_object (value));
      break;
    case PROP_SHOW_POLICY:
      cb_device_table_set_show_policy (self, g_value_get_boolean (value));
      break;
    case PROP_LABEL:
      cb_device_table_set_label (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* A row activated (double click, Enter) opens its device page: the window's action, so any
 * list of devices in the window opens it the same way. */
static void
on_activate_cb (GtkColumnView *view,
                guint          position,
                CbDeviceTable *self)
{
  GtkSelectionModel *model = gtk_column_view_get_model (view);
  g_autoptr(CbDeviceItem) item = NULL;

  if (model == NULL)
    return;
  item = g_list_model_get_item (G_LIST_MODEL (model), position);
  if (item != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-device", "s",
                                cb_device_item_get_device_id (item));
}

/* A cell is a label made once and reused for whichever row the view binds it to: no builder,
 * no expression watches, nothing kept per row (GtkBuilderListItemFactory ran a GtkBuilder and
 * six watches per row, which GTK 4.8 paid for every row it made while taking in a page). */
static gboolean
on_state_query_tooltip_cb (GtkWidget  *label,
                           int         x,
                           int         y,
                           gboolean    keyboard_mode,
                           GtkTooltip *tooltip,
                           gpointer    user_data)
{
  GtkListItem *list_item = g_object_get_data (G_OBJECT (label), "cb-list-item");
  CbDeviceItem *item = list_item != NULL ? gtk_list_item_get_item (list_item) : NULL;
  g_autofree char *reason = NULL;

  if (item == NULL || (reason = cb_device_item_dup_state_reason (item)) == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, reason);
  return TRUE;
}

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GObject                  *object,
               gpointer                  user_data)
{
  CellKind kind = GPOINTER_TO_INT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), kind == CELL_DAYS_LEFT ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (kind == CELL_VALID_UNTIL || kind == CELL_DAYS_LEFT)
    gtk_widget_add_css_class (label, "numeric");
  if (kind == CELL_STATE)
    {
      /* The reason is asked for when the tooltip shows: setting a tooltip's text makes GTK
       * 4.8 look where the pointer is (a round trip to the X server) for every row bound. */
      g_object_set_data (G_OBJECT (label), "cb-list-item", object);
      gtk_widget_set_has_tooltip (label, TRUE);
      g_signal_connect (label, "query-tooltip", G_CALLBACK (on_state_query_tooltip_cb), NULL);
    }
  gtk_list_item_set_child (GTK_LIST_ITEM (object), label);
}

static void
cell_update (GtkLabel     *label,
             CbDeviceItem *item,
             CellKind      kind)
{
  g_autofree char *text = NULL;

  switch (kind)
    {
    case CELL_DEVICE:
      gtk_label_set_text (label, cb_device_item_get_device_id (item));
      break;
    case CELL_ENABLED:
      gtk_label_set_text (label, cb_device_item_get_enabled_label (item));
      break;
    case CELL_POLICY:
      gtk_label_set_text (label, cb_device_item_get_policy (item) != NULL ?
                                   cb_device_item_get_policy (item) : "—");
      break;
    case CELL_VALID_UNTIL:
      text = cb_device_item_dup_valid_until_text (item);
      gtk_label_set_text (label, text);
      break;
    case CELL_DAYS_LEFT:
      text = cb_device_item_dup_days_left_text (item);
      gtk_label_set_text (label, text);
      break;
    case CELL_STATE:
      /* What the tooltip says, for assistive technologies (a description is no round
       * trip). */
      text = cb_device_item_dup_state_reason (item);
      gtk_label_set_text (label, cb_device_item_get_state_label (item));
      gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      text != NULL ? text : "", -1);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The two cells whose row can change while shown: the switch, and the state it judges. */
static void
on_item_enabled_cb (CbDeviceItem *item,
                    GParamSpec   *pspec,
                    GtkLabel     *label)
{
  cell_update (label, item, CELL_ENABLED);
}

static void
on_item_state_cb (CbDeviceItem *item,
                  GParamSpec   *pspec,
                  GtkLabel     *label)
{
  cell_update (label, item, CELL_STATE);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GObject                  *object,
              gpointer                  user_data)
{
  CellKind kind = GPOINTER_TO_INT (user_data);
  GtkListItem *list_item = GTK_LIST_ITEM (object);
  GtkWidget *label = gtk_list_item_get_child (list_item);
  CbDeviceItem *item = gtk_list_item_get_item (list_item);

  if (item == NULL)
    return;
  cell_update (GTK_LABEL (label), item, kind);
  if (kind == CELL_ENABLED)
    g_signal_connect_object (item, "notify::enabled-label", G_CALLBACK (on_item_enabled_cb),
                             label, 0);
  else if (kind == CELL_STATE)
    {
      g_signal_connect_object (item, "notify::state-label", G_CALLBACK (on_item_state_cb),
                               label, 0);
      g_signal_connect_object (item, "notify::state-reason", G_CALLBACK (on_item_state_cb),
                               label, 0);
    }
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GObject                  *object,
                gpointer                  user_data)
{
  CellKind kind = GPOINTER_TO_INT (user_data);
  GtkListItem *list_item = GTK_LIST_ITEM (object);
  GtkWidget *label = gtk_list_item_get_child (list_item);
  CbDeviceItem *item = gtk_list_item_get_item (list_item);

  if (item != NULL && (kind == CELL_ENABLED || kind == CELL_STATE))
    g_signal_handlers_disconnect_by_data (item, label);
}

static void
column_set_cells (GtkColumnViewColumn *column,
                  CellKind             kind)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), GINT_TO_POINTER (kind));
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), GINT_TO_POINTER (kind));
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), GINT_TO_POINTER (kind));
  gtk_column_view_column_set_factory (column, factory);
}

/* ---- the columns shown ------------------------------------------------------------------- */

/* Whether the column of @kind is in the view at the table's width: GTK 4.8 keeps a hidden
 * column's width in the layout, so a column not shown is out of the view. */
static gboolean
wants_column (CbDeviceTable *self,
              CellKind       kind)
{
  int fixed = 0;

  if (kind == CELL_POLICY && !self->show_policy)
    return FALSE;
  if (kind == CELL_DEVICE || kind == CELL_STATE || self->width < 0)
    return TRUE;

  /* The widths of the columns that stay whatever the width, then of those dropped after
   * @kind: @kind fits when the Device column keeps its least next to them all. */
  fixed = gtk_column_view_column_get_fixed_width (self->columns[CELL_STATE]);
  for (guint i = G_N_ELEMENTS (drop_order); i-- > 0;)
    {
      CellKind other = drop_order[i];

      if (other == CELL_POLICY && !self->show_policy)
        continue;
      fixed += gtk_column_view_column_get_fixed_width (self->columns[other]);
      if (other == kind)
        break;
    }
  return self->width - fixed >= DEVICE_MIN_WIDTH;
}

/* Puts the view's columns in line with wants_column(), in their order. */
static void
update_columns (CbDeviceTable *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->view);
  GtkColumnViewColumn *wanted[N_COLUMNS];
  guint n_wanted = 0;
  gboolean same;

  for (guint i = 0; i < N_COLUMNS; i++)
    if (wants_column (self, i))
      wanted[n_wanted++] = self->columns[i];

  same = g_list_model_get_n_items (columns) == n_wanted;
  for (guint i = 0; same && i < n_wanted; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      same = column == wanted[i];
    }
  if (same)
    return;

  /* GTK 4.8 has no insert_column: every column comes out and the wanted go back in order. */
  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);

      gtk_column_view_remove_column (self->view, column);
    }
  for (guint i = 0; i < n_wanted; i++)
    gtk_column_view_append_column (self->view, wanted[i]);
}

static gboolean
update_columns_cb (gpointer user_data)
{
  CbDeviceTable *self = user_data;

  self->columns_idle = 0;
  update_columns (self);
  return G_SOURCE_REMOVE;
}

/* The width the view shows, its horizontal adjustment's page, set when the view is
 * allocated. The columns change after that allocation (changing them queues another), before
 * the next frame is drawn. */
static void
on_page_size_cb (GtkAdjustment *adjustment,
                 GParamSpec    *pspec,
                 CbDeviceTable *self)
{
  int width = (int) gtk_adjustment_get_page_size (adjustment);

  if (width <= 0 || self->width == width)
    return;
  self->width = width;
  if (self->columns_idle == 0)
    self->columns_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, update_columns_cb, self, NULL);
}

static void
cb_device_table_class_init (CbDeviceTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_device_table_dispose;
  object_class->finalize = cb_device_table_finalize;
  object_class->get_property = cb_device_table_get_property;
  object_class->set_property = cb_device_table_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, GTK_TYPE_SELECTION_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_POLICY] =
    g_param_spec_boolean ("show-policy", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CB_TYPE_DEVICE_ITEM);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-device-table.ui");
  gtk_widget_class_bind_template_child (widget_class, CbDeviceTable, view);
  gtk_widget_class_bind_template_child (widget_class, CbDeviceTable, device_column);
  gtk_widget_class_bind_template_child (widget_class, CbDeviceTable, enabled_column);
  gtk_widget_class_bind_template_child (widget_class, CbDeviceTable, policy_column);
  gtk_widget_class_bind_template_child (widget_class, CbDeviceTable, valid_until_column);
  gtk_widget_class_bind_template_child (widget_class, CbDeviceTable, days_left_column);
  gtk_widget_class_bind_template_child (widget_class, CbDeviceTable, state_column);
}

static void
cb_device_table_init (CbDeviceTable *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  column_set_cells (self->device_column, CELL_DEVICE);
  column_set_cells (self->enabled_column, CELL_ENABLED);
  column_set_cells (self->policy_column, CELL_POLICY);
  column_set_cells (self->valid_until_column, CELL_VALID_UNTIL);
  column_set_cells (self->days_left_column, CELL_DAYS_LEFT);
  column_set_cells (self->state_column, CELL_STATE);
  self->columns[CELL_DEVICE] = g_object_ref (self->device_column);
  self->columns[CELL_ENABLED] = g_object_ref (self->enabled_column);
  self->columns[CELL_POLICY] = g_object_ref (self->policy_column);
  self->columns[CELL_VALID_UNTIL] = g_object_ref (self->valid_until_column);
  self->columns[CELL_DAYS_LEFT] = g_object_ref (self->days_left_column);
  self->columns[CELL_STATE] = g_object_ref (self->state_column);
  self->show_policy = TRUE;
  self->width = -1;
  g_signal_connect_object (self->view, "activate", G_CALLBACK (on_activate_cb), self, 0);
  g_signal_connect_object (gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (self->view)),
                           "notify::page-size", G_CALLBACK (on_page_size_cb), self, 0);
}

GtkWidget *
cb_device_table_new (void)
{
  return g_object_new (CB_TYPE_DEVICE_TABLE, NULL);
}

void
cb_device_table_set_model (CbDeviceTable     *self,
                           GtkSelectionModel *model)
{
  g_return_if_fail (CB_IS_DEVICE_TABLE (self));
  g_return_if_fail (model == NULL || GTK_IS_SELECTION_MODEL (model));

  if (gtk_column_view_get_model (self->view) == model)
    return;
  gtk_column_view_set_model (self->view, model);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GtkSelectionModel *
cb_device_table_get_model (CbDeviceTable *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_TABLE (self), NULL);
  return gtk_column_view_get_model (self->view);
}

void
cb_device_table_set_show_policy (CbDeviceTable *self,
                                 gboolean       show)
{
  g_return_if_fail (CB_IS_DEVICE_TABLE (self));

  show = !!show;
  if (self->show_policy == show)
    return;
  self->show_policy = show;
  update_columns (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_POLICY]);
}

gboolean
cb_device_table_get_show_policy (CbDeviceTable *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_TABLE (self), FALSE);
  return self->show_policy;
}

void
cb_device_table_set_label (CbDeviceTable *self,
                           const char    *label)
{
  g_return_if_fail (CB_IS_DEVICE_TABLE (self));

  if (g_strcmp0 (self->label, label) == 0)
    return;
  g_free (self->label);
  self->label = g_strdup (label);
  if (label != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    label, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->view), GTK_ACCESSIBLE_PROPERTY_LABEL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

const char *
cb_device_table_get_label (CbDeviceTable *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_TABLE (self), NULL);
  return self->label;
}
