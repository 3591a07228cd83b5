/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-certificate-actions"

/* The "cert" actions every certificate view shares: copy and save (PEM or DER, one certificate
 * or the chain), copy a fingerprint, open the details window. The chain they work on is held by
 * the action group itself, so any widget (a chain row, the Diagnostics page, the device page)
 * gets them with one call and a menu button. */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "cb-a11y.h"
#include "cb-certificate-details-window.h"
#include "cb-toasts.h"

#include "cb-certificate-actions.h"

typedef struct
{
  GPtrArray *chain;   /* CbCertificate, owned references */
  guint      index;
  GtkWidget *widget;  /* not owned: the group lives on it */
} CertActions;

static void
cert_actions_free (CertActions *self)
{
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_free (self);
}

GBytes *
cb_certificate_export (GPtrArray           *chain,
                       int                  index,
                       CbCertificateFormat  format)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint first = index < 0 ? 0 : (guint) index;
  guint last = index < 0 ? chain->len : (guint) index + 1;

  g_return_val_if_fail (chain != NULL, NULL);
  g_return_val_if_fail (index < (int) chain->len, NULL);

  for (guint i = first; i < last; i++)
    {
      CbCertificate *cert = g_ptr_array_index (chain, i);

      if (format == CB_CERTIFICATE_FORMAT_PEM)
        {
          g_autofree char *pem = cb_certificate_to_pem (cert);

          g_byte_array_append (out, (const guint8 *) pem, strlen (pem));
        }
      else
        {
          g_autoptr(GBytes) der = cb_certificate_get_der (cert);
          gsize size;
          const guint8 *data = g_bytes_get_data (der, &size);

          g_byte_array_append (out, data, size);
        }
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

gboolean
cb_certificate_export_to_file (GPtrArray            *chain,
                               int                   index,
                               CbCertificateFormat   format,
                               GFile                *file,
                               GError              **error)
{
  g_autoptr(GBytes) bytes = cb_certificate_export (chain, index, format);

  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  /* Certificates are public: ordinary permissions. */
  return g_file_replace_contents (file, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, error);
}

/* ---- feedback ------------------------------------------------------------------------------ */

static void
toast (CertActions *self,
       const char  *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (self->widget, ADW_TYPE_TOAST_OVERLAY);

  /* A newer copy makes the last "copied" toast stale. */
  if (overlay != NULL)
    cb_toast_overlay_add_kind (ADW_TOAST_OVERLAY (overlay), CB_CERTIFICATE_TOAST_KIND,
                               adw_toast_new (title));
  else
    cb_widget_toast (self->widget, title);
}

static CbCertificate *
current (CertActions *self)
{
  return g_ptr_array_index (self->chain, self->index);
}

/* ---- copy ---------------------------------------------------------------------------------- */

static void
copy_text (CertActions *self,
           const char  *text,
           const char  *done)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (self->widget), text);
  toast (self, done);
}

static void
copy_pem_cb (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  CertActions *self = user_data;
  g_autofree char *pem = cb_certificate_to_pem (current (self));

  copy_text (self, pem, _("Certificate copied as PEM"));
}

static void
copy_chain_pem_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  CertActions *self = user_data;
  g_autofree char *pem = cb_certificate_list_to_pem (self->chain);

  copy_text (self, pem, _("Chain copied as PEM"));
}

/* DER on the clipboard: the bytes for programs that take a certificate, base64 for text. */
static void
copy_der_cb (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  CertActions *self = user_data;
  g_autoptr(GBytes) der = cb_certificate_get_der (current (self));
  g_autofree char *base64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  GdkContentProvider *providers[2];
  g_autoptr(GdkContentProvider) provider = NULL;
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, base64);
  providers[0] = gdk_content_provider_new_for_bytes ("application/pkix-cert", der);
  providers[1] = gdk_content_provider_new_for_value (&value);
  g_value_unset (&value);
  provider = gdk_content_provider_new_union (providers, G_N_ELEMENTS (providers));
  gdk_clipboard_set_content (gtk_widget_get_clipboard (self->widget), provider);
  toast (self, _("Certificate copied as DER"));
}

static void
copy_sha256_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  CertActions *self = user_data;

  copy_text (self, cb_certificate_get_sha256_fingerprint (current (self)),
             _("SHA-256 fingerprint copied"));
}

static void
copy_sha1_cb (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  CertActions *self = user_data;

  copy_text (self, cb_certificate_get_sha1_fingerprint (current (self)),
             _("SHA-1 fingerprint copied"));
}

/* ---- save ---------------------------------------------------------------------------------- */

typedef struct
{
  GPtrArray           *chain;
  int                  index;
  CbCertificateFormat  format;
  GtkWidget           *widget;   /* weak */
} SaveRequest;

static void
save_request_free (SaveRequest *request)
{
  g_ptr_array_unref (request->chain);
  g_clear_weak_pointer (&request->widget);
  g_free (request);
}

static void
save_request_closure_free (gpointer  data,
                           GClosure *closure)
{
  save_request_free (data);
}

static void
on_save_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     SaveRequest     *request)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL && request->widget != NULL)
    {
      CertActions tmp = { NULL, 0, request->widget };
      g_autofree char *name = g_file_get_parse_name (file);
      g_autofree char *text = NULL;

      if (cb_certificate_export_to_file (request->chain, request->index, request->format, file,
                                         &error))
        /* Translators: %s is a file name */
        text = g_strdup_printf (_("Saved to %s"), name);
      else
        /* Translators: %s is why the file could not be written */
        text = g_strdup_printf (_("Could not save the certificate: %s"), error->message);
      toast (&tmp, text);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
save (CertActions         *self,
      int                  index,
      CbCertificateFormat  format)
{
  CbCertificate *cert = current (self);
  const char *cn = cb_certificate_get_common_name (cert);
  GtkRoot *root = gtk_widget_get_root (self->widget);
  GtkFileChooserNative *chooser;
  SaveRequest *request = g_new0 (SaveRequest, 1);
  g_autofree char *name = NULL;

  request->chain = g_ptr_array_ref (self->chain);
  request->index = index;
  request->format = format;
  g_set_weak_pointer (&request->widget, self->widget);

  name = g_strdup_printf ("%s%s.%s", cn != NULL && *cn != '\0' ? cn : "certificate",
                          index < 0 ? "-chain" : "",
                          format == CB_CERTIFICATE_FORMAT_PEM ? "pem" : "der");
  g_strdelimit (name, "/\\", '_');
  chooser = gtk_file_chooser_native_new (index < 0 ? _("Save the Chain") : _("Save the Certificate"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect_data (chooser, "response", G_CALLBACK (on_save_response_cb), request,
                         save_request_closure_free, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
save_pem_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  CertActions *self = user_data;

  save (self, self->index, CB_CERTIFICATE_FORMAT_PEM);
}

static void
save_der_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  CertActions *self = user_data;

  save (self, self->index, CB_CERTIFICATE_FORMAT_DER);
}

static void
save_chain_pem_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  save (user_data, -1, CB_CERTIFICATE_FORMAT_PEM);
}

static void
save_chain_der_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  save (user_data, -1, CB_CERTIFICATE_FORMAT_DER);
}

/* ---- details ------------------------------------------------------------------------------- */

static void
details_cb (GSimpleAction *action,
            GVariant      *parameter,
            gpointer       user_data)
{
  CertActions *self = user_data;
  GtkRoot *root = gtk_widget_get_root (self->widget);
  GtkWidget *window = cb_certificate_details_window_new (self->chain, self->index);

  cb_certificate_actions_install (window, self->chain, self->index);
  cb_certificate_details_window_add_header_widget (
    CB_CERTIFICATE_DETAILS_WINDOW (window),
    cb_certificate_actions_menu_button_new (self->chain->len > 1, _("Copy or save the certificate")));

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (window));
}

static const GActionEntry entries[] = {
  { "copy-pem", copy_pem_cb, NULL, NULL, NULL, { 0 } },
  { "copy-der", copy_der_cb, NULL, NULL, NULL, { 0 } },
  { "copy-chain-pem", copy_chain_pem_cb, NULL, NULL, NULL, { 0 } },
  { "copy-sha256", copy_sha256_cb, NULL, NULL, NULL, { 0 } },
  { "copy-sha1", copy_sha1_cb, NULL, NULL, NULL, { 0 } },
  { "save-pem", save_pem_cb, NULL, NULL, NULL, { 0 } },
  { "save-der", save_der_cb, NULL, NULL, NULL, { 0 } },
  { "save-chain-pem", save_chain_pem_cb, NULL, NULL, NULL, { 0 } },
  { "save-chain-der", save_chain_der_cb, NULL, NULL, NULL, { 0 } },
  { "details", details_cb, NULL, NULL, NULL, { 0 } },
};

void
cb_certificate_actions_install (GtkWidget *widget,
                                GPtrArray *chain,
                                guint      index)
{
  g_autoptr(GSimpleActionGroup) group = NULL;
  CertActions *self;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (chain == NULL || chain->len == 0)
    {
      gtk_widget_insert_action_group (widget, "cert", NULL);
      return;
    }
  g_return_if_fail (index < chain->len);

  self = g_new0 (CertActions, 1);
  self->chain = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < chain->len; i++)
    g_ptr_array_add (self->chain, g_object_ref (g_ptr_array_index (chain, i)));
  self->index = index;
  self->widget = widget;

  group = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), self);
  g_object_set_data_full (G_OBJECT (group), "cb-cert-actions", self,
                          (GDestroyNotify) cert_actions_free);
  gtk_widget_insert_action_group (widget, "cert", G_ACTION_GROUP (group));
}

GMenuModel *
cb_certificate_actions_menu_new (gboolean with_chain)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) copy = g_menu_new ();
  g_autoptr(GMenu) save = g_menu_new ();
  g_autoptr(GMenu) details = g_menu_new ();

  g_menu_append (details, _("_Details"), "cert.details");
  g_menu_append (copy, _("Copy as _PEM"), "cert.copy-pem");
  g_menu_append (copy, _("Copy as _DER"), "cert.copy-der");
  if (with_chain)
    g_menu_append (copy, _("Copy the _Chain as PEM"), "cert.copy-chain-pem");
  g_menu_append (copy, _("Copy the SHA-_256 Fingerprint"), "cert.copy-sha256");
  g_menu_append (copy, _("Copy the SHA-_1 Fingerprint"), "cert.copy-sha1");
  g_menu_append (save, _("_Save as PEM…"), "cert.save-pem");
  g_menu_append (save, _("Save as D_ER…"), "cert.save-der");
  if (with_chain)
    {
      g_menu_append (save, _("Save the Chain as P_EM…"), "cert.save-chain-pem");
      g_menu_append (save, _("Save the Chain as DE_R…"), "cert.save-chain-der");
    }
  g_menu_append_section (menu, NULL, G_MENU_MODEL (details));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (copy));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (save));
  return G_MENU_MODEL (menu);
}

GtkWidget *
cb_certificate_actions_menu_button_new (gboolean    with_chain,
                                        const char *accessible_name)
{
  g_autoptr(GMenuModel) menu = cb_certificate_actions_menu_new (with_chain);
  GtkWidget *button = gtk_menu_button_new ();

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), menu);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Copy, save or inspect the certificate"));
  gtk_widget_add_css_class (button, "flat");
  cb_a11y_name_popup_button (button, accessible_name);
  return button;
}

void
cb_certificate_actions_set_row (AdwActionRow *row,
                                GPtrArray    *chain,
                                const char   *subtitle,
                                const char   *accessible_name)
{
  GtkWidget *menu;
  gboolean known = chain != NULL && chain->len > 0;

  g_return_if_fail (ADW_IS_ACTION_ROW (row));

  menu = g_object_get_data (G_OBJECT (row), "cb-certificate-menu");
  if (menu != NULL)
    adw_action_row_remove (row, menu);
  g_object_set_data (G_OBJECT (row), "cb-certificate-menu", NULL);

  cb_certificate_actions_install (GTK_WIDGET (row), known ? chain : NULL, 0);
  adw_action_row_set_subtitle (row, subtitle);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), known ? "cert.details" : NULL);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), known);
  gtk_widget_set_focusable (GTK_WIDGET (row), known);
  if (known)
    {
      menu = cb_certificate_actions_menu_button_new (chain->len > 1, accessible_name);
      adw_action_row_add_suffix (row, menu);
      g_object_set_data (G_OBJECT (row), "cb-certificate-menu", menu);
      gtk_widget_remove_css_class (GTK_WIDGET (row), "property");
    }
  else
    gtk_widget_add_css_class (GTK_WIDGET (row), "property");
}
