/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-preferences-window.h"
#include "cb-registration-template.h"
#include "cb-toasts.h"

#define RESOURCE_PATH "/io/github/certbench/Certbench"

struct _CbPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwEntryRow          *template_row;
  GtkSwitch            *auto_start_switch;
  GtkSwitch            *sound_switch;
  GtkSwitch            *hub_check_switch;
  GtkSpinButton        *sec_tag_spin;
  GtkAdjustment        *renewal_adjustment;

  /* Owned */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (CbPreferencesWindow, cb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
fraction_to_percent (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_double (variant) * 100.0);
  return TRUE;
}

static GVariant *
percent_to_fraction (const GValue       *value,
                     const GVariantType *expected_type,
                     gpointer            user_data)
{
  return g_variant_new_double (g_value_get_double (value) / 100.0);
}

static void
on_template_row_apply_cb (CbPreferencesWindow *self,
                          AdwEntryRow         *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));
  g_autoptr(GError) error = NULL;

  g_assert (CB_IS_PREFERENCES_WINDOW (self));

  /* Reject a template DPS would refuse, before a whole shift of devices fails with it. */
  if (!cb_registration_template_check (text, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      cb_preferences_window_add_kind (ADW_PREFERENCES_WINDOW (self), CB_TOAST_KIND_OUTCOME,
                                      adw_toast_new (error->message));
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  g_settings_set_string (self->settings, "registration-id-template", text);
}

static void
on_template_changed_cb (CbPreferencesWindow *self,
                        const char          *key,
                        GSettings           *settings)
{
  g_autofree char *template = g_settings_get_string (settings, key);

  /* The bench page edits the same key. */
  if (g_strcmp0 (template, gtk_editable_get_text (GTK_EDITABLE (self->template_row))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->template_row), template);
  gtk_widget_remove_css_class (GTK_WIDGET (self->template_row), "error");
}

static void
cb_preferences_window_dispose (GObject *object)
{
  CbPreferencesWindow *self = CB_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cb_preferences_window_parent_class)->dispose (object);
}

static void
cb_preferences_window_class_init (CbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/cb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CbPreferencesWindow, template_row);
  gtk_widget_class_bind_template_child (widget_class, CbPreferencesWindow, auto_start_switch);
  gtk_widget_class_bind_template_child (widget_class, CbPreferencesWindow, sound_switch);
  gtk_widget_class_bind_template_child (widget_class, CbPreferencesWindow, hub_check_switch);
  gtk_widget_class_bind_template_child (widget_class, CbPreferencesWindow, sec_tag_spin);
  gtk_widget_class_bind_template_child (widget_class, CbPreferencesWindow, renewal_adjustment);
  gtk_widget_class_bind_template_callback (widget_class, on_template_row_apply_cb);
}

static void
cb_preferences_window_init (CbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CbPreferencesWindow *
cb_preferences_window_new (GSettings *settings)
{
  CbPreferencesWindow *self;
  g_autoptr(GSimpleActionGroup) prefs_actions = NULL;
  g_autoptr(GAction) virtual_device = NULL;
  g_autofree char *template = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (CB_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);

  template = g_settings_get_string (settings, "registration-id-template");
  gtk_editable_set_text (GTK_EDITABLE (self->template_row), template);
  g_signal_connect_object (settings, "changed::registration-id-template",
                           G_CALLBACK (on_template_changed_cb), self, G_CONNECT_SWAPPED);
  g_settings_bind (settings, "auto-start", self->auto_start_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "hub-check", self->hub_check_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "station-sound", self->sound_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "modem-sec-tag", self->sec_tag_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  /* Two radio rows: each check button names its kind as the action's target. */
  prefs_actions = g_simple_action_group_new ();
  virtual_device = g_settings_create_action (settings, "virtual-device");
  g_action_map_add_action (G_ACTION_MAP (prefs_actions), virtual_device);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "prefs", G_ACTION_GROUP (prefs_actions));
  g_settings_bind_with_mapping (settings, "renewal-fraction", self->renewal_adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT, fraction_to_percent,
                                percent_to_fraction, NULL, NULL);
  return self;
}
