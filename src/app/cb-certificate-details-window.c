/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-certificate-details-window"

/* The certificate details window: one preferences group per section of the certificate (the
 * header fields, the names, the validity, the key, the fingerprints, each extension with its
 * critical flag), a row per field with its value wrapped and selectable; whoever opens it
 * adds the menu to copy or save it (cb-certificate-actions.c). The fields come from core (cb-x509-details.c). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-x509-details.h"

#include "cb-certificate-details-window.h"

struct _CbCertificateDetailsWindow
{
  AdwWindow      parent_instance;

  CbCertificate *certificate;
  AdwHeaderBar  *header;
};

G_DEFINE_FINAL_TYPE (CbCertificateDetailsWindow, cb_certificate_details_window, ADW_TYPE_WINDOW)

static GtkWidget *
field_row (CbCertField *field)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *value = gtk_label_new (field->value);
  g_autofree char *a11y = g_strdup_printf ("%s: %s", field->name, field->value);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), field->name);
  gtk_widget_set_focusable (row, FALSE);

  /* Long values (names, hex) wrap within the row, also at 360 px. */
  gtk_label_set_wrap (GTK_LABEL (value), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (value), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (value), TRUE);
  gtk_label_set_xalign (GTK_LABEL (value), 1.0);
  gtk_label_set_justify (GTK_LABEL (value), GTK_JUSTIFY_RIGHT);
  gtk_label_set_max_width_chars (GTK_LABEL (value), 48);
  gtk_widget_set_hexpand (value, TRUE);
  gtk_widget_set_margin_top (value, 6);
  gtk_widget_set_margin_bottom (value, 6);
  if (g_str_equal (field->name, _("SHA-256")) || g_str_equal (field->name, _("SHA-1")) ||
      g_str_equal (field->name, _("Value")) || g_str_equal (field->name, _("Key identifier")) ||
      g_str_equal (field->name, _("Serial number")))
    gtk_widget_add_css_class (value, "monospace");
  gtk_accessible_update_property (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
  return row;
}

static void
build (CbCertificateDetailsWindow *self,
       GPtrArray                  *chain,
       guint                       index)
{
  g_autoptr(GPtrArray) details = cb_certificate_dup_details (self->certificate);
  const char *cn = cb_certificate_get_common_name (self->certificate);
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *title = adw_window_title_new (cn != NULL ? cn : cb_certificate_get_subject (self->certificate),
                                           _("Certificate details"));
  GtkWidget *overlay = adw_toast_overlay_new ();
  GtkWidget *page = adw_preferences_page_new ();
  AdwPreferencesGroup *group = NULL;
  const char *section = NULL;

  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), title);
  self->header = ADW_HEADER_BAR (header);
  gtk_box_append (GTK_BOX (toolbar), header);

  for (guint i = 0; i < details->len; i++)
    {
      CbCertField *field = g_ptr_array_index (details, i);

      if (group == NULL || g_strcmp0 (section, field->section) != 0)
        {
          group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
          section = field->section;
          adw_preferences_group_set_title (group, section);
          if (field->oid != NULL)
            {
              g_autofree char *description = field->critical
                /* Translators: an extension's OID, and that it is critical */
                ? g_strdup_printf (_("%s · critical"), field->oid) : g_strdup (field->oid);

              adw_preferences_group_set_description (group, description);
            }
          adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);
        }
      /* The critical flag is in the group's description. */
      if (field->oid != NULL && g_str_equal (field->name, _("Critical")))
        continue;
      adw_preferences_group_add (group, field_row (field));
    }

  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), page);
  gtk_widget_set_vexpand (overlay, TRUE);
  gtk_box_append (GTK_BOX (toolbar), overlay);
  adw_window_set_content (ADW_WINDOW (self), toolbar);
}

static void
cb_certificate_details_window_dispose (GObject *object)
{
  CbCertificateDetailsWindow *self = CB_CERTIFICATE_DETAILS_WINDOW (object);

  g_clear_object (&self->certificate);
  G_OBJECT_CLASS (cb_certificate_details_window_parent_class)->dispose (object);
}

static void
cb_certificate_details_window_class_init (CbCertificateDetailsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_certificate_details_window_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cb_certificate_details_window_init (CbCertificateDetailsWindow *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self), 640, 720);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
}

GtkWidget *
cb_certificate_details_window_new (GPtrArray *chain,
                                   guint      index)
{
  CbCertificateDetailsWindow *self;

  g_return_val_if_fail (chain != NULL && index < chain->len, NULL);

  self = g_object_new (CB_TYPE_CERTIFICATE_DETAILS_WINDOW, NULL);
  self->certificate = g_object_ref (g_ptr_array_index (chain, index));
  gtk_window_set_title (GTK_WINDOW (self), _("Certificate Details"));
  build (self, chain, index);
  return GTK_WIDGET (self);
}

CbCertificate *
cb_certificate_details_window_get_certificate (CbCertificateDetailsWindow *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE_DETAILS_WINDOW (self), NULL);
  return self->certificate;
}

void
cb_certificate_details_window_add_header_widget (CbCertificateDetailsWindow *self,
                                                 GtkWidget                  *widget)
{
  g_return_if_fail (CB_IS_CERTIFICATE_DETAILS_WINDOW (self));
  adw_header_bar_pack_end (self->header, widget);
}
