/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-certificate-row"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-certificate-actions.h"
#include "cb-lifetime-bar.h"

#include "cb-certificate-row.h"

struct _CbCertificateRow
{
  GtkListBoxRow  parent_instance;

  /* Template widgets */
  GtkLabel      *role_label;
  GtkBox        *actions_box;
  GtkLabel      *subject_label;
  GtkLabel      *issuer_label;
  GtkLabel      *serial_label;
  GtkLabel      *validity_label;
  CbLifetimeBar *lifetime_bar;
  GtkLabel      *key_label;
  GtkLabel      *fingerprint_label;

  /* Owned */
  CbCertificate *certificate;
  int            days_left;
};

G_DEFINE_FINAL_TYPE (CbCertificateRow, cb_certificate_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_CERTIFICATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  if (dt == NULL)
    return g_strdup ("?");
  /* Translators: a certificate date, in UTC (strftime format) */
  return g_date_time_format (dt, _("%Y-%m-%d %H:%M UTC"));
}

static void
update (CbCertificateRow *self)
{
  CbCertificate *cert = self->certificate;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *left = NULL;
  g_autofree char *validity = NULL;
  g_autofree char *key = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 not_before, not_after;

  if (cert == NULL)
    {
      gtk_label_set_label (self->subject_label, "");
      gtk_label_set_label (self->issuer_label, "");
      gtk_label_set_label (self->serial_label, "");
      gtk_label_set_label (self->validity_label, "");
      gtk_label_set_label (self->key_label, "");
      gtk_label_set_label (self->fingerprint_label, "");
      cb_lifetime_bar_set_validity (self->lifetime_bar, 0, 0);
      return;
    }

  not_before = cb_certificate_get_not_before (cert);
  not_after = cb_certificate_get_not_after (cert);
  self->days_left = cb_validity_get_days_left (not_after, now);

  gtk_label_set_label (self->subject_label, cb_certificate_get_subject (cert));
  gtk_label_set_label (self->issuer_label, cb_certificate_get_issuer (cert));
  gtk_label_set_label (self->serial_label, cb_certificate_get_serial (cert));

  from = format_date (not_before);
  to = format_date (not_after);
  if (self->days_left < 0)
    left = g_strdup (_("expired"));
  else
    left = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day left", "%d days left",
                                         self->days_left),
                            self->days_left);
  /* Translators: validity "from – to · N days left" */
  validity = g_strdup_printf (_("%s – %s · %s"), from, to, left);
  gtk_label_set_label (self->validity_label, validity);

  cb_lifetime_bar_set_validity (self->lifetime_bar, not_before, not_after);

  key = g_strdup_printf ("%s · %s", cb_key_type_to_string (cb_certificate_get_key_type (cert)),
                         cb_certificate_get_signature_algorithm (cert));
  gtk_label_set_label (self->key_label, key);
  gtk_label_set_label (self->fingerprint_label, cb_certificate_get_sha256_fingerprint (cert));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  cb_certificate_get_subject (cert), -1);
}

static void
cb_certificate_row_dispose (GObject *object)
{
  CbCertificateRow *self = CB_CERTIFICATE_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_CERTIFICATE_ROW);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (cb_certificate_row_parent_class)->dispose (object);
}

static void
cb_certificate_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CbCertificateRow *self = CB_CERTIFICATE_ROW (object);

  switch (prop_id)
    {
    case PROP_CERTIFICATE:
      g_value_set_object (value, self->certificate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_certificate_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  CbCertificateRow *self = CB_CERTIFICATE_ROW (object);

  switch (prop_id)
    {
    case PROP_CERTIFICATE:
      cb_certificate_row_set_certificate (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_certificate_row_class_init (CbCertificateRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_certificate_row_dispose;
  object_class->get_property = cb_certificate_row_get_property;
  object_class->set_property = cb_certificate_row_set_property;

  properties[PROP_CERTIFICATE] =
    g_param_spec_object ("certificate", NULL, NULL, CB_TYPE_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CB_TYPE_LIFETIME_BAR);
  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/certbench/Certbench/cb-certificate-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, role_label);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, actions_box);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, subject_label);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, issuer_label);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, serial_label);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, validity_label);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, lifetime_bar);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, key_label);
  gtk_widget_class_bind_template_child (widget_class, CbCertificateRow, fingerprint_label);
}

static void
cb_certificate_row_init (CbCertificateRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cb_certificate_row_new (CbCertificate *certificate,
                        const char    *role)
{
  CbCertificateRow *self = g_object_new (CB_TYPE_CERTIFICATE_ROW, "certificate", certificate, NULL);

  gtk_label_set_label (self->role_label, role != NULL ? role : "");
  gtk_widget_set_visible (GTK_WIDGET (self->role_label), role != NULL);
  return GTK_WIDGET (self);
}

CbCertificate *
cb_certificate_row_get_certificate (CbCertificateRow *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE_ROW (self), NULL);
  return self->certificate;
}

void
cb_certificate_row_set_certificate (CbCertificateRow *self,
                                    CbCertificate    *certificate)
{
  g_return_if_fail (CB_IS_CERTIFICATE_ROW (self));
  g_return_if_fail (certificate == NULL || CB_IS_CERTIFICATE (certificate));

  if (!g_set_object (&self->certificate, certificate))
    return;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE]);
}

int
cb_certificate_row_get_days_left (CbCertificateRow *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE_ROW (self), 0);
  return self->days_left;
}

void
cb_certificate_row_set_renewal_fraction (CbCertificateRow *self,
                                         double            fraction)
{
  g_return_if_fail (CB_IS_CERTIFICATE_ROW (self));
  cb_lifetime_bar_set_renewal_fraction (self->lifetime_bar, fraction);
}

void
cb_certificate_row_set_chain (CbCertificateRow *self,
                              GPtrArray        *chain,
                              guint             index)
{
  GtkWidget *child;

  g_return_if_fail (CB_IS_CERTIFICATE_ROW (self));
  g_return_if_fail (chain == NULL || index < chain->len);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->actions_box))) != NULL)
    gtk_box_remove (self->actions_box, child);
  cb_certificate_actions_install (GTK_WIDGET (self), chain, index);
  if (chain != NULL && chain->len > 0)
    {
      CbCertificate *cert = g_ptr_array_index (chain, index);
      const char *cn = cb_certificate_get_common_name (cert);
      /* Translators: the accessible name of a certificate's menu; %s is its common name */
      g_autofree char *name = g_strdup_printf (_("Certificate actions for %s"),
                                               cn != NULL ? cn : cb_certificate_get_subject (cert));

      cb_certificate_row_set_certificate (self, cert);
      gtk_box_append (self->actions_box,
                      cb_certificate_actions_menu_button_new (chain->len > 1, name));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->actions_box), chain != NULL && chain->len > 0);
}
