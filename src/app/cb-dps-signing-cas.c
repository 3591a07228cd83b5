/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-signing-cas"

/* The provisioning service's signing CAs: the list, the upload and the way to verification.
 * See cb-dps-signing-cas.h. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-dps-ca-verify-dialog.h"
#include "cb-dps-certificates-client.h"
#include "cb-dps-signing-cas.h"
#include "cb-error-text.h"
#include "cb-util.h"
#include "cb-x509.h"

struct _CbDpsSigningCas
{
  AdwBin                parent_instance;

  CbContext            *context;
  GCancellable         *cancellable;
  GPtrArray            *certificates;   /* CbHubCertificate, NULL unread */
  char                 *error_text;
  GtkFileChooserNative *chooser;
  gboolean              busy;

  AdwPreferencesGroup  *group;
  GPtrArray            *rows;           /* GtkWidget, the rows added */
};

G_DEFINE_FINAL_TYPE (CbDpsSigningCas, cb_dps_signing_cas, ADW_TYPE_BIN)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void verify_clicked_cb (GtkButton *button, CbDpsSigningCas *self);

static GtkWidget *
plain_row (const char *title,
           const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  /* It says, it does nothing: not a stop for the keyboard (a Verify button in it is). */
  gtk_widget_set_focusable (row, FALSE);
  return row;
}

static GtkWidget *
certificate_row (CbDpsSigningCas  *self,
                 CbHubCertificate *cert)
{
  gboolean verified = cb_hub_certificate_get_is_verified (cert);
  g_autoptr(GDateTime) expiry = cb_hub_certificate_get_expiry (cert) > 0
    ? g_date_time_new_from_unix_local (cb_hub_certificate_get_expiry (cert)) : NULL;
  g_autofree char *date = expiry != NULL ? g_date_time_format (expiry, "%x") : NULL;
  g_autofree char *subtitle = NULL;
  GtkWidget *row;
  GtkWidget *state;

  /* Translators: what a signing CA's state means, then when its certificate expires */
  subtitle = date != NULL ? g_strdup_printf (_("%s · expires %s"),
                                             verified ? _("Verified: devices it issued can register")
                                                      : _("Unverified: prove you hold its key before devices can register"),
                                             date)
                          : g_strdup (verified ? _("Verified: devices it issued can register")
                                               : _("Unverified: prove you hold its key before devices can register"));
  row = plain_row (cb_hub_certificate_get_name (cert), subtitle);

  /* The state; an unverified CA's is said by its Verify button, which saves room at 360 px. */
  if (verified)
    {
      state = gtk_label_new (_("Verified"));
      gtk_widget_add_css_class (state, "success");
      gtk_widget_set_valign (state, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), state);
    }

  if (!verified)
    {
      g_autofree char *name = g_strdup_printf (_("Verify “%s”"), cb_hub_certificate_get_name (cert));
      GtkWidget *button = gtk_button_new_with_label (_("Verify…"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      name, -1);
      g_object_set_data_full (G_OBJECT (button), "cb-ca-name",
                              g_strdup (cb_hub_certificate_get_name (cert)), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (verify_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  return row;
}

static void
rebuild (CbDpsSigningCas *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  if (self->error_text != NULL)
    g_ptr_array_add (self->rows, plain_row (_("Something went wrong with the signing CAs"),
                                            self->error_text));
  for (guint i = 0; self->certificates != NULL && i < self->certificates->len; i++)
    g_ptr_array_add (self->rows, certificate_row (self, g_ptr_array_index (self->certificates, i)));
  if (self->certificates != NULL && self->certificates->len == 0)
    g_ptr_array_add (self->rows, plain_row (_("No signing CA"),
                                            _("Upload the CA certificate that issued your "
                                              "devices’ factory certificates.")));
  if (self->certificates == NULL && self->error_text == NULL)
    g_ptr_array_add (self->rows, plain_row (_("Reading the signing CAs…"), NULL));

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_add (self->group, g_ptr_array_index (self->rows, i));
}

static void
set_error (CbDpsSigningCas *self,
           const char      *what,
           const GError    *error)
{
  g_autofree char *words = error != NULL ? cb_error_text (error) : NULL;

  g_free (self->error_text);
  self->error_text = words != NULL ? g_strdup_printf ("%s %s", what, words) : g_strdup (what);
  self->busy = FALSE;
  rebuild (self);
}

/* ---- Reading ---------------------------------------------------------------------------- */

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbDpsSigningCas) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *list = cb_adr_client_list_dps_certificates_finish (CB_ADR_CLIENT (source), result,
                                                                &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (list == NULL)
    {
      set_error (self, _("The signing CAs could not be read."), error);
      return;
    }
  g_clear_pointer (&self->certificates, g_ptr_array_unref);
  self->certificates = list;
  self->busy = FALSE;
  rebuild (self);
}

void
cb_dps_signing_cas_reload (CbDpsSigningCas *self)
{
  CbAdrClient *adr;

  g_return_if_fail (CB_IS_DPS_SIGNING_CAS (self));

  adr = cb_context_get_adr (self->context);
  if (adr == NULL)
    {
      set_error (self, _("Sign in to see the provisioning service’s signing CAs."), NULL);
      return;
    }
  self->busy = TRUE;
  cb_adr_client_list_dps_certificates_async (adr, self->cancellable, listed_cb,
                                             g_object_ref (self));
}

/* ---- Upload ----------------------------------------------------------------------------- */

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbDpsSigningCas) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubCertificate) cert = cb_adr_client_dps_certificate_finish (CB_ADR_CLIENT (source),
                                                                           result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (cert == NULL)
    {
      set_error (self, _("The service did not take the certificate."), error);
      return;
    }
  g_clear_pointer (&self->error_text, g_free);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  cb_dps_signing_cas_reload (self);
}

/* A name for a new CA: its CN in the characters DPS allows, not one already used. */
static char *
name_for (CbDpsSigningCas *self,
          CbCertificate   *cert)
{
  const char *cn = cb_certificate_get_common_name (cert);
  g_autoptr(GString) base = g_string_new (NULL);
  char *name;

  for (const char *p = cn != NULL ? cn : ""; *p != '\0' && base->len < 100; p++)
    g_string_append_c (base, g_ascii_isalnum (*p) || strchr ("-._", *p) != NULL ? g_ascii_tolower (*p)
                                                                              : '-');
  if (base->len == 0)
    g_string_append (base, "signing-ca");

  name = g_strdup (base->str);
  for (guint n = 2; self->certificates != NULL; n++)
    {
      gboolean taken = FALSE;

      for (guint i = 0; i < self->certificates->len && !taken; i++)
        taken = g_ascii_strcasecmp (cb_hub_certificate_get_name (
                                      g_ptr_array_index (self->certificates, i)), name) == 0;
      if (!taken)
        break;
      g_free (name);
      name = g_strdup_printf ("%s-%u", base->str, n);
    }
  return name;
}

void
cb_dps_signing_cas_upload_file (CbDpsSigningCas *self,
                                GFile           *file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *name = NULL;
  g_autofree char *pem = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  CbCertificate *cert;
  gsize len = 0;

  g_return_if_fail (CB_IS_DPS_SIGNING_CAS (self));

  if (!g_file_load_contents (file, NULL, &data, &len, NULL, &error))
    {
      set_error (self, _("The file could not be read."), error);
      return;
    }
  certs = len <= 256 * 1024 ? cb_certificate_list_new_from_data ((const guint8 *) data, len, NULL)
                            : NULL;
  if (certs == NULL || certs->len == 0)
    {
      set_error (self, _("The file is not a certificate: choose the CA certificate as a PEM or "
                         "DER file."), NULL);
      return;
    }
  cert = g_ptr_array_index (certs, 0);
  if (!cb_certificate_is_ca (cert))
    {
      set_error (self, _("The certificate is not a CA: choose the certificate of the CA that "
                         "signed your devices’ certificates."), NULL);
      return;
    }

  name = name_for (self, cert);
  pem = cb_certificate_to_pem (cert);
  self->busy = TRUE;
  cb_adr_client_upload_dps_certificate_async (cb_context_get_adr (self->context), name, pem,
                                              NULL, self->cancellable, uploaded_cb,
                                              g_object_ref (self));
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     CbDpsSigningCas *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL)
    cb_dps_signing_cas_upload_file (self, file);
  gtk_native_dialog_destroy (chooser);
  if (self->chooser == GTK_FILE_CHOOSER_NATIVE (chooser))
    g_clear_object (&self->chooser);
}

static void
upload_clicked_cb (CbDpsSigningCas *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Upload a signing CA"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Upload"),
                                               _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Certificates"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_filter_add_pattern (filter, "*.cer");
  gtk_file_filter_add_pattern (filter, "*.der");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- Verify ----------------------------------------------------------------------------- */

static void
on_verified_cb (CbDpsCaVerifyDialog *dialog,
                CbHubCertificate    *cert,
                CbDpsSigningCas     *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  cb_dps_signing_cas_reload (self);
}

GtkWindow *
cb_dps_signing_cas_open_verify (CbDpsSigningCas *self,
                                const char      *name)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  CbDpsCaVerifyDialog *dialog;

  g_return_val_if_fail (CB_IS_DPS_SIGNING_CAS (self), NULL);

  for (guint i = 0; self->certificates != NULL && i < self->certificates->len; i++)
    {
      CbHubCertificate *cert = g_ptr_array_index (self->certificates, i);

      if (g_strcmp0 (cb_hub_certificate_get_name (cert), name) != 0)
        continue;
      dialog = cb_dps_ca_verify_dialog_new (self->context, cert);
      if (GTK_IS_WINDOW (root))
        gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (root));
      g_signal_connect_object (dialog, "verified", G_CALLBACK (on_verified_cb), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return GTK_WINDOW (dialog);
    }
  return NULL;
}

static void
verify_clicked_cb (GtkButton       *button,
                   CbDpsSigningCas *self)
{
  cb_dps_signing_cas_open_verify (self, g_object_get_data (G_OBJECT (button), "cb-ca-name"));
}

/* ---- The widget ------------------------------------------------------------------------- */

GPtrArray *
cb_dps_signing_cas_get_certificates (CbDpsSigningCas *self)
{
  g_return_val_if_fail (CB_IS_DPS_SIGNING_CAS (self), NULL);
  return self->certificates;
}

const char *
cb_dps_signing_cas_get_error (CbDpsSigningCas *self)
{
  g_return_val_if_fail (CB_IS_DPS_SIGNING_CAS (self), NULL);
  return self->error_text;
}

gboolean
cb_dps_signing_cas_get_busy (CbDpsSigningCas *self)
{
  g_return_val_if_fail (CB_IS_DPS_SIGNING_CAS (self), FALSE);
  return self->busy;
}

static void
cb_dps_signing_cas_dispose (GObject *object)
{
  CbDpsSigningCas *self = CB_DPS_SIGNING_CAS (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->certificates, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->error_text, g_free);

  G_OBJECT_CLASS (cb_dps_signing_cas_parent_class)->dispose (object);
}

static void
cb_dps_signing_cas_class_init (CbDpsSigningCasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_dps_signing_cas_dispose;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
cb_dps_signing_cas_init (CbDpsSigningCas *self)
{
  GtkWidget *content;
  GtkWidget *button;

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Signing CAs"));
  adw_preferences_group_set_description (self->group,
                                         _("The CAs that issued your devices’ factory "
                                           "certificates. X.509 enrollment groups accept those "
                                           "devices once their CA is verified."));
  content = adw_button_content_new ();
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "document-send-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("_Upload…"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (button), content);
  gtk_widget_add_css_class (button, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Upload a signing CA"), -1);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (upload_clicked_cb), self);
  adw_preferences_group_set_header_suffix (self->group, button);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->group));
}

CbDpsSigningCas *
cb_dps_signing_cas_new (CbContext *context)
{
  CbDpsSigningCas *self;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_DPS_SIGNING_CAS, NULL);
  self->context = g_object_ref (context);
  rebuild (self);
  cb_dps_signing_cas_reload (self);
  return self;
}
