/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-port-row"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-port-row.h"

struct _CbPortRow
{
  AdwActionRow      parent_instance;

  /* Template widgets */
  GtkImage         *icon;
  GtkStack         *state_stack;
  GtkSpinner       *spinner;
  GtkButton        *provision_button;

  /* Owned */
  CbSerialPortInfo *info;
  CbPortRowState    state;
};

G_DEFINE_FINAL_TYPE (CbPortRow, cb_port_row, ADW_TYPE_ACTION_ROW)

static void
cb_port_row_dispose (GObject *object)
{
  CbPortRow *self = CB_PORT_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_PORT_ROW);
  g_clear_object (&self->info);

  G_OBJECT_CLASS (cb_port_row_parent_class)->dispose (object);
}

static void
cb_port_row_class_init (CbPortRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_port_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-port-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CbPortRow, icon);
  gtk_widget_class_bind_template_child (widget_class, CbPortRow, state_stack);
  gtk_widget_class_bind_template_child (widget_class, CbPortRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, CbPortRow, provision_button);
}

static void
cb_port_row_init (CbPortRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cb_port_row_new (CbSerialPortInfo *info)
{
  CbPortRow *self;
  g_autofree char *title = NULL;
  g_autofree char *tooltip = NULL;
  g_autoptr(GString) subtitle = g_string_new (NULL);
  const char *vendor, *product, *serial, *path;

  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (info), NULL);

  self = g_object_new (CB_TYPE_PORT_ROW, NULL);
  self->info = g_object_ref (info);

  vendor = cb_serial_port_info_get_vendor_name (info);
  product = cb_serial_port_info_get_product_name (info);
  serial = cb_serial_port_info_get_serial_number (info);
  path = cb_serial_port_info_get_path (info);

  title = product != NULL ? g_strdup (product) : cb_serial_port_info_dup_display_name (info);
  if (vendor != NULL)
    g_string_append (subtitle, vendor);
  else if (cb_serial_port_info_get_vendor_id (info) != 0)
    g_string_append_printf (subtitle, "%04x:%04x", cb_serial_port_info_get_vendor_id (info),
                            cb_serial_port_info_get_product_id (info));
  if (serial != NULL)
    {
      if (subtitle->len > 0)
        g_string_append (subtitle, " · ");
      /* Translators: a device's serial number (no "S/N": it wraps at the slash) */
      g_string_append_printf (subtitle, _("Serial %s"), serial);
    }
  /* The path is the last resort: it wraps badly and says little to an operator. */
  if (subtitle->len == 0)
    g_string_append (subtitle, path);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), path);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle->str);
  gtk_image_set_from_icon_name (self->icon, cb_serial_port_info_get_is_virtual (info)
                                              ? "computer-symbolic"
                                              : "drive-removable-media-symbolic");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->provision_button), "s", path);
  /* Translators: tooltip of the Provision button, %s is the port */
  tooltip = g_strdup_printf (_("Provision the device on %s"), title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->provision_button), tooltip);
  return GTK_WIDGET (self);
}

CbSerialPortInfo *
cb_port_row_get_info (CbPortRow *self)
{
  g_return_val_if_fail (CB_IS_PORT_ROW (self), NULL);
  return self->info;
}

const char *
cb_port_row_get_path (CbPortRow *self)
{
  g_return_val_if_fail (CB_IS_PORT_ROW (self), NULL);
  return cb_serial_port_info_get_path (self->info);
}

CbPortRowState
cb_port_row_get_state (CbPortRow *self)
{
  g_return_val_if_fail (CB_IS_PORT_ROW (self), CB_PORT_ROW_IDLE);
  return self->state;
}

void
cb_port_row_set_state (CbPortRow      *self,
                       CbPortRowState  state)
{
  static const char * const names[] = { "idle", "running", "passed", "failed" };

  g_return_if_fail (CB_IS_PORT_ROW (self));
  g_return_if_fail (state <= CB_PORT_ROW_FAILED);

  self->state = state;
  gtk_stack_set_visible_child_name (self->state_stack, names[state]);
  /* One run per port: the action would refuse a second one anyway. */
  gtk_widget_set_visible (GTK_WIDGET (self->provision_button), state != CB_PORT_ROW_RUNNING);
  if (state == CB_PORT_ROW_RUNNING)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
}
