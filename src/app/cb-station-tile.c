/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-station-tile"

/* A port's tile on the Bench's board: its result in type large enough to read from a few
 * metres away, said three ways (colour, icon, word) so it reads without colour too, with the
 * step and the device's id underneath. The tile's accessible name says it all in one line. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-station-tile.h"

struct _CbStationTile
{
  GtkFlowBoxChild   parent_instance;

  GtkLabel         *name_label;
  GtkImage         *icon;
  GtkSpinner       *spinner;
  GtkLabel         *state_label;
  GtkLabel         *step_label;
  GtkLabel         *device_label;

  CbSerialPortInfo *info;
  CbPortRowState    state;
};

G_DEFINE_FINAL_TYPE (CbStationTile, cb_station_tile, GTK_TYPE_FLOW_BOX_CHILD)

static const char * const state_classes[] = { "idle", "running", "passed", "failed" };
static const char * const colour_classes[] = { "dim-label", "accent", "success", "error" };

static void
cb_station_tile_dispose (GObject *object)
{
  CbStationTile *self = CB_STATION_TILE (object);

  gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (self), NULL);
  g_clear_object (&self->info);

  G_OBJECT_CLASS (cb_station_tile_parent_class)->dispose (object);
}

static void
cb_station_tile_class_init (CbStationTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_station_tile_dispose;
  gtk_widget_class_set_css_name (widget_class, "flowboxchild");
}

static GtkLabel *
add_label (GtkBox     *box,
           const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (box, label);
  return GTK_LABEL (label);
}

static void
cb_station_tile_init (CbStationTile *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *result = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  PangoAttrList *attrs = pango_attr_list_new ();

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "station-tile");
  gtk_widget_set_size_request (box, 260, -1);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  self->name_label = add_label (GTK_BOX (box), "title-3");
  gtk_widget_set_margin_top (GTK_WIDGET (self->name_label), 12);
  gtk_widget_set_margin_start (GTK_WIDGET (self->name_label), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->name_label), 12);

  gtk_widget_set_halign (result, GTK_ALIGN_CENTER);
  self->icon = GTK_IMAGE (gtk_image_new ());
  gtk_image_set_pixel_size (self->icon, 48);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE,
                               -1);
  gtk_box_append (GTK_BOX (result), GTK_WIDGET (self->icon));
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->spinner), 48, 48);
  gtk_box_append (GTK_BOX (result), GTK_WIDGET (self->spinner));
  self->state_label = GTK_LABEL (gtk_label_new (NULL));
  pango_attr_list_insert (attrs, pango_attr_scale_new (3.0));
  pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_HEAVY));
  gtk_label_set_attributes (self->state_label, attrs);
  pango_attr_list_unref (attrs);
  gtk_box_append (GTK_BOX (result), GTK_WIDGET (self->state_label));
  gtk_box_append (GTK_BOX (box), result);

  self->step_label = add_label (GTK_BOX (box), "heading");
  gtk_widget_set_margin_start (GTK_WIDGET (self->step_label), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->step_label), 12);
  self->device_label = add_label (GTK_BOX (box), "monospace");
  gtk_widget_set_margin_start (GTK_WIDGET (self->device_label), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->device_label), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->device_label), 12);
  gtk_label_set_selectable (self->device_label, FALSE);

  gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (self), box);
}

static void
update_accessible_label (CbStationTile *self)
{
  GString *text = g_string_new (gtk_label_get_label (self->name_label));

  g_string_append_printf (text, ": %s", gtk_label_get_label (self->state_label));
  if (gtk_widget_get_visible (GTK_WIDGET (self->step_label)))
    g_string_append_printf (text, ", %s", gtk_label_get_label (self->step_label));
  if (gtk_widget_get_visible (GTK_WIDGET (self->device_label)))
    g_string_append_printf (text, ", %s", gtk_label_get_label (self->device_label));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  text->str, -1);
  g_string_free (text, TRUE);
}

GtkWidget *
cb_station_tile_new (CbSerialPortInfo *info)
{
  CbStationTile *self;
  g_autofree char *name = NULL;

  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (info), NULL);

  self = g_object_new (CB_TYPE_STATION_TILE, NULL);
  self->info = g_object_ref (info);
  name = cb_serial_port_info_dup_display_name (info);
  gtk_label_set_label (self->name_label, name != NULL ? name : cb_serial_port_info_get_path (info));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), cb_serial_port_info_get_path (info));
  cb_station_tile_set_result (self, CB_PORT_ROW_IDLE, NULL, NULL);
  return GTK_WIDGET (self);
}

const char *
cb_station_tile_get_path (CbStationTile *self)
{
  g_return_val_if_fail (CB_IS_STATION_TILE (self), NULL);
  return cb_serial_port_info_get_path (self->info);
}

CbPortRowState
cb_station_tile_get_state (CbStationTile *self)
{
  g_return_val_if_fail (CB_IS_STATION_TILE (self), CB_PORT_ROW_IDLE);
  return self->state;
}

void
cb_station_tile_set_result (CbStationTile  *self,
                            CbPortRowState  state,
                            const char     *step,
                            const char     *device)
{
  GtkWidget *box;
  const char *text;
  const char *icon_name;

  g_return_if_fail (CB_IS_STATION_TILE (self));
  g_return_if_fail (state <= CB_PORT_ROW_FAILED);

  switch (state)
    {
    case CB_PORT_ROW_RUNNING:
      /* Translators: a port's state on the Bench's board of tiles */
      text = _("Running");
      icon_name = NULL;
      break;
    case CB_PORT_ROW_PASSED:
      /* Translators: a port's result on the Bench's board of tiles */
      text = _("PASS");
      icon_name = "emblem-ok-symbolic";
      break;
    case CB_PORT_ROW_FAILED:
      /* Translators: a port's result on the Bench's board of tiles */
      text = _("FAIL");
      icon_name = "dialog-error-symbolic";
      break;
    case CB_PORT_ROW_IDLE:
    default:
      /* Translators: a port's state on the Bench's board of tiles */
      text = _("Ready");
      icon_name = "media-playback-stop-symbolic";
      break;
    }

  self->state = state;
  box = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (self));
  for (guint i = 0; i < G_N_ELEMENTS (state_classes); i++)
    gtk_widget_remove_css_class (box, state_classes[i]);
  gtk_widget_add_css_class (box, state_classes[state]);

  /* libadwaita's own colours on the word and the icon (the tile's tint is in style.css). */
  for (guint i = 0; i < G_N_ELEMENTS (colour_classes); i++)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), colour_classes[i]);
      gtk_widget_remove_css_class (GTK_WIDGET (self->icon), colour_classes[i]);
    }
  if (colour_classes[state] != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->state_label), colour_classes[state]);
      gtk_widget_add_css_class (GTK_WIDGET (self->icon), colour_classes[state]);
    }
  gtk_label_set_label (self->state_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->icon), icon_name != NULL);
  if (icon_name != NULL)
    gtk_image_set_from_icon_name (self->icon, icon_name);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), state == CB_PORT_ROW_RUNNING);
  gtk_spinner_set_spinning (self->spinner, state == CB_PORT_ROW_RUNNING);

  gtk_label_set_label (self->step_label, step != NULL ? step : "");
  gtk_widget_set_visible (GTK_WIDGET (self->step_label), step != NULL && *step != '\0');
  gtk_label_set_label (self->device_label, device != NULL ? device : "");
  gtk_widget_set_visible (GTK_WIDGET (self->device_label), device != NULL && *device != '\0');
  update_accessible_label (self);
}

const char *
cb_station_tile_get_state_text (CbStationTile *self)
{
  g_return_val_if_fail (CB_IS_STATION_TILE (self), NULL);
  return gtk_label_get_label (self->state_label);
}

const char *
cb_station_tile_get_step_text (CbStationTile *self)
{
  g_return_val_if_fail (CB_IS_STATION_TILE (self), NULL);
  return gtk_label_get_label (self->step_label);
}

const char *
cb_station_tile_get_device_text (CbStationTile *self)
{
  g_return_val_if_fail (CB_IS_STATION_TILE (self), NULL);
  return gtk_label_get_label (self->device_label);
}
