/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-ca-verify-dialog"

/* Proof of possession of a DPS signing CA's key, step by step: the code, then the proof from a
 * file. See cb-dps-ca-verify-dialog.h. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-dps-ca-verify-dialog.h"
#include "cb-dps-certificates-client.h"
#include "cb-dps-proof.h"
#include "cb-error-text.h"

struct _CbDpsCaVerifyDialog
{
  AdwWindow             parent_instance;

  CbContext            *context;
  CbHubCertificate     *certificate;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  CbDpsVerificationCode *code;
  char                 *error_text;
  gboolean              busy;
  gboolean              chooser_is_key;

  GtkLabel             *code_label;
  GtkButton            *copy_button;
  GtkButton            *certificate_button;
  GtkButton            *key_button;
  GtkLabel             *error_label;
  GtkSpinner           *spinner;
};

G_DEFINE_FINAL_TYPE (CbDpsCaVerifyDialog, cb_dps_ca_verify_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_VERIFIED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
update (CbDpsCaVerifyDialog *self)
{
  gboolean ready = self->code != NULL && !self->busy;

  gtk_label_set_text (self->code_label, self->code != NULL ? self->code->code : _("Asking the service…"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_button), self->code != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->certificate_button), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_button), ready);
  gtk_label_set_text (self->error_label, self->error_text != NULL ? self->error_text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->error_text != NULL);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);
}

static void
show_error (CbDpsCaVerifyDialog *self,
            const char          *text)
{
  g_free (self->error_text);
  self->error_text = g_strdup (text);
  self->busy = FALSE;
  update (self);
}

static void
show_gerror (CbDpsCaVerifyDialog *self,
             const char          *what,
             const GError        *error)
{
  g_autofree char *words = cb_error_text (error);
  g_autofree char *text = g_strdup_printf ("%s %s", what, words);

  show_error (self, text);
}

/* ---- The code ------------------------------------------------------------------------- */

static void
code_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(CbDpsCaVerifyDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  CbDpsVerificationCode *code;

  code = cb_adr_client_generate_dps_verification_code_finish (CB_ADR_CLIENT (source), result,
                                                              &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (code == NULL)
    {
      show_gerror (self, _("The service gave no verification code."), error);
      return;
    }
  self->code = code;
  self->busy = FALSE;
  update (self);
}

static void
copy_clicked_cb (CbDpsCaVerifyDialog *self)
{
  if (self->code != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->code->code);
}

/* ---- The proof ------------------------------------------------------------------------ */

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbDpsCaVerifyDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubCertificate) now = NULL;

  now = cb_adr_client_dps_certificate_finish (CB_ADR_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (now == NULL)
    {
      show_gerror (self, _("The service did not accept the proof."), error);
      return;
    }
  self->busy = FALSE;
  g_signal_emit (self, signals[SIGNAL_VERIFIED], 0, now);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
send_proof (CbDpsCaVerifyDialog *self,
            const char          *pem)
{
  self->busy = TRUE;
  update (self);
  cb_adr_client_verify_dps_certificate_async (cb_context_get_adr (self->context),
                                              cb_hub_certificate_get_name (self->certificate),
                                              self->code->etag, pem, self->cancellable,
                                              verified_cb, g_object_ref (self));
}

/* The file's text, or NULL after showing why not. */
static char *
read_file (CbDpsCaVerifyDialog *self,
           GFile               *file)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  if (!g_file_load_contents (file, NULL, &data, &len, NULL, &error))
    {
      show_gerror (self, _("The file could not be read."), error);
      return NULL;
    }
  if (len > 64 * 1024 || memchr (data, '\0', len) != NULL)
    {
      g_free (data);
      show_error (self, _("The file is not a PEM file."));
      return NULL;
    }
  return data;
}

void
cb_dps_ca_verify_dialog_use_certificate_file (CbDpsCaVerifyDialog *self,
                                              GFile               *file)
{
  g_autofree char *pem = NULL;

  g_return_if_fail (CB_IS_DPS_CA_VERIFY_DIALOG (self));
  if (self->code == NULL || self->busy || !(pem = read_file (self, file)))
    return;
  g_clear_pointer (&self->error_text, g_free);
  send_proof (self, pem);
}

void
cb_dps_ca_verify_dialog_use_key_file (CbDpsCaVerifyDialog *self,
                                      GFile               *file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *proof = NULL;
  char *key;

  g_return_if_fail (CB_IS_DPS_CA_VERIFY_DIALOG (self));
  if (self->code == NULL || self->busy || !(key = read_file (self, file)))
    return;

  /* The key serves this one signature and is wiped. */
  proof = cb_dps_proof_certificate_new (cb_hub_certificate_get_certificate (self->certificate),
                                        key, self->code->code, &error);
  memset (key, 0, strlen (key));
  g_free (key);
  if (proof == NULL)
    {
      show_error (self, error->message);
      return;
    }
  g_clear_pointer (&self->error_text, g_free);
  send_proof (self, proof);
}

static void
chooser_response_cb (GtkNativeDialog     *chooser,
                     int                  response,
                     CbDpsCaVerifyDialog *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL)
    {
      if (self->chooser_is_key)
        cb_dps_ca_verify_dialog_use_key_file (self, file);
      else
        cb_dps_ca_verify_dialog_use_certificate_file (self, file);
    }
  gtk_native_dialog_destroy (chooser);
  if (self->chooser == GTK_FILE_CHOOSER_NATIVE (chooser))
    g_clear_object (&self->chooser);
}

static void
choose (CbDpsCaVerifyDialog *self,
        gboolean             key)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser_is_key = key;
  self->chooser = gtk_file_chooser_native_new (key ? _("The CA’s private key")
                                                   : _("The verification certificate"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               key ? _("_Sign and verify") : _("_Verify"),
                                               _("_Cancel"));
  gtk_file_filter_set_name (filter, key ? _("PEM private keys") : _("PEM certificates"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, key ? "*.key" : "*.crt");
  gtk_file_filter_add_pattern (filter, key ? "*.pem" : "*.cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
certificate_clicked_cb (CbDpsCaVerifyDialog *self)
{
  choose (self, FALSE);
}

static void
key_clicked_cb (CbDpsCaVerifyDialog *self)
{
  choose (self, TRUE);
}

/* ---- The widget ----------------------------------------------------------------------- */

const char *
cb_dps_ca_verify_dialog_get_code (CbDpsCaVerifyDialog *self)
{
  g_return_val_if_fail (CB_IS_DPS_CA_VERIFY_DIALOG (self), NULL);
  return self->code != NULL ? self->code->code : NULL;
}

const char *
cb_dps_ca_verify_dialog_get_error (CbDpsCaVerifyDialog *self)
{
  g_return_val_if_fail (CB_IS_DPS_CA_VERIFY_DIALOG (self), NULL);
  return self->error_text;
}

gboolean
cb_dps_ca_verify_dialog_get_busy (CbDpsCaVerifyDialog *self)
{
  g_return_val_if_fail (CB_IS_DPS_CA_VERIFY_DIALOG (self), FALSE);
  return self->busy;
}

static GtkWidget *
wrapped_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  return label;
}

static GtkButton *
pill_button (const char *label,
             gboolean    suggested)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);
  GtkWidget *text = gtk_button_get_child (GTK_BUTTON (button));

  /* Long in some languages: it wraps rather than widen a 360 px window. */
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_justify (GTK_LABEL (text), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (button, "pill");
  if (suggested)
    gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  return GTK_BUTTON (button);
}

static void
cb_dps_ca_verify_dialog_dispose (GObject *object)
{
  CbDpsCaVerifyDialog *self = CB_DPS_CA_VERIFY_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->code, cb_dps_verification_code_free);
  g_clear_pointer (&self->error_text, g_free);

  G_OBJECT_CLASS (cb_dps_ca_verify_dialog_parent_class)->dispose (object);
}

static void
cb_dps_ca_verify_dialog_class_init (CbDpsCaVerifyDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_dps_ca_verify_dialog_dispose;

  signals[SIGNAL_VERIFIED] =
    g_signal_new ("verified", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CB_TYPE_HUB_CERTIFICATE);
}

static void
cb_dps_ca_verify_dialog_init (CbDpsCaVerifyDialog *self)
{
  self->cancellable = g_cancellable_new ();
}

CbDpsCaVerifyDialog *
cb_dps_ca_verify_dialog_new (CbContext        *context,
                             CbHubCertificate *certificate)
{
  CbDpsCaVerifyDialog *self;
  g_autofree char *title = NULL;
  GtkWidget *toolbar;
  GtkWidget *header;
  GtkWidget *scrolled;
  GtkWidget *box;
  GtkWidget *code_box;
  GtkWidget *label;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (certificate), NULL);

  self = g_object_new (CB_TYPE_DPS_CA_VERIFY_DIALOG, "modal", TRUE, "default-width", 480,
                       "default-height", 460, NULL);
  self->context = g_object_ref (context);
  self->certificate = g_object_ref (certificate);

  /* Translators: the signing CA's name */
  title = g_strdup_printf (_("Verify “%s”"), cb_hub_certificate_get_name (certificate));
  gtk_window_set_title (GTK_WINDOW (self), title);

  toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  gtk_box_append (GTK_BOX (toolbar), header);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (toolbar), scrolled);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);

  gtk_box_append (GTK_BOX (box), wrapped_label (
    _("Devices of enrollment groups that name this CA can only register once you prove that you "
      "hold its private key. Make a certificate whose common name is the code below, signed by "
      "the CA, and give it here. Or give the CA’s private key file and Certbench signs that "
      "certificate for you: the key is used for that one signature and not kept.")));

  label = gtk_label_new (_("Verification code"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), label);

  code_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->code_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_selectable (self->code_label, TRUE);
  gtk_label_set_wrap (self->code_label, TRUE);
  gtk_label_set_wrap_mode (self->code_label, PANGO_WRAP_CHAR);
  gtk_label_set_xalign (self->code_label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->code_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->code_label), "monospace");
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->code_label),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL, -1);
  gtk_box_append (GTK_BOX (code_box), GTK_WIDGET (self->code_label));
  self->copy_button = GTK_BUTTON (gtk_button_new_from_icon_name ("edit-copy-symbolic"));
  gtk_widget_set_valign (GTK_WIDGET (self->copy_button), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->copy_button), _("Copy the verification code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy the verification code"),
                                  -1);
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (copy_clicked_cb), self);
  gtk_box_append (GTK_BOX (code_box), GTK_WIDGET (self->copy_button));
  gtk_box_append (GTK_BOX (box), code_box);

  self->certificate_button = pill_button (_("Choose the _verification certificate…"), TRUE);
  g_signal_connect_swapped (self->certificate_button, "clicked",
                            G_CALLBACK (certificate_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->certificate_button));
  self->key_button = pill_button (_("Sign with the CA’s _key file…"), FALSE);
  g_signal_connect_swapped (self->key_button, "clicked", G_CALLBACK (key_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->key_button));

  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->spinner));
  self->error_label = GTK_LABEL (wrapped_label (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));

  adw_window_set_content (ADW_WINDOW (self), toolbar);

  self->busy = TRUE;
  update (self);
  cb_adr_client_generate_dps_verification_code_async (cb_context_get_adr (context),
                                                      cb_hub_certificate_get_name (certificate),
                                                      cb_hub_certificate_get_etag (certificate),
                                                      self->cancellable, code_cb,
                                                      g_object_ref (self));
  return self;
}
