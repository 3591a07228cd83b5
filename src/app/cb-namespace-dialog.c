/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-namespace-dialog"

/* The "new namespace" form of the Registry: its name, location and model checked as they are
 * typed, then the two calls that make a namespace usable (the namespace, then its
 * Microsoft-issued root CA, or the preview model's credential) run from the dialog, which says
 * which step runs and keeps everything typed when the service refuses one. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-adr-client-ca.h"
#include "cb-dps-service-client.h"
#include "cb-error-text.h"
#include "cb-namespace-dialog.h"
#include "cb-policy-dialog.h"
#include "cb-util.h"

#define RESOURCE_PATH "/io/github/certbench/Certbench"
#define NAMESPACE_NAME_MIN_LENGTH 3
#define NAMESPACE_NAME_MAX_LENGTH 64
#define LOCATION_MAX_LENGTH       40

struct _CbNamespaceDialog
{
  AdwWindow       parent_instance;

  /* Template widgets */
  AdwEntryRow    *name_row;
  AdwEntryRow    *location_row;
  AdwActionRow   *group_row;
  GtkCheckButton *stable_check;
  GtkCheckButton *preview_check;
  GtkWidget      *form_group;
  GtkWidget      *model_group;
  GtkWidget      *root_group;
  AdwEntryRow    *root_row;
  GtkLabel       *progress_label;
  GtkLabel       *error_label;
  GtkSpinner     *spinner;

  /* Owned */
  CbContext      *context;
  GCancellable   *cancellable;
  GStrv           existing;
  char           *made;          /* the namespace made by an earlier Create of this dialog */
  char           *error;
  char           *root_suggested; /* the root name filled in for the name typed */
  gboolean        busy;
  gboolean        filling_root;
};

G_DEFINE_FINAL_TYPE (CbNamespaceDialog, cb_namespace_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_CREATED, N_SIGNALS };
static guint signals[N_SIGNALS];

gboolean
cb_namespace_name_is_valid (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len < NAMESPACE_NAME_MIN_LENGTH || len > NAMESPACE_NAME_MAX_LENGTH)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      gboolean alnum = g_ascii_islower (name[i]) || g_ascii_isdigit (name[i]);

      if (!alnum && !(name[i] == '-' && i > 0 && i < len - 1))
        return FALSE;
    }
  return TRUE;
}

/* Azure's region names: letters and digits ("westeurope", "eastus2"). */
static gboolean
location_is_valid (const char *location)
{
  gsize len = strlen (location);

  if (len == 0 || len > LOCATION_MAX_LENGTH)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (location[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_existing (CbNamespaceDialog *self,
             const char        *name)
{
  /* The one this dialog made is fine: Create then only makes its root. */
  if (self->made != NULL && g_ascii_strcasecmp (self->made, name) == 0)
    return FALSE;
  for (guint i = 0; self->existing != NULL && self->existing[i] != NULL; i++)
    if (g_ascii_strcasecmp (self->existing[i], name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
stable (CbNamespaceDialog *self)
{
  return gtk_check_button_get_active (self->stable_check);
}

static void
set_error (CbNamespaceDialog *self,
           const char        *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  gtk_label_set_label (self->error_label, error != NULL ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
}

static void
set_progress (CbNamespaceDialog *self,
              const char        *text)
{
  gtk_label_set_label (self->progress_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->progress_label), text != NULL);
}

static void
mark (AdwEntryRow *row,
      gboolean     bad)
{
  if (bad)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

/* Checks the form and shows what is wrong with what was typed (an empty field is not an
 * error yet, it only keeps Create off). Returns TRUE when the service would accept it. */
static gboolean
validate (CbNamespaceDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char *location = gtk_editable_get_text (GTK_EDITABLE (self->location_row));
  const char *root = gtk_editable_get_text (GTK_EDITABLE (self->root_row));
  g_autofree char *name_error = NULL;
  const char *location_error = NULL;
  const char *root_error = NULL;
  g_autoptr(GString) errors = g_string_new (NULL);

  if (*name != '\0' && !cb_namespace_name_is_valid (name))
    name_error = g_strdup (_("A namespace name has 3 to 64 characters: lower-case letters, "
                             "digits and hyphens, starting and ending with a letter or a "
                             "digit."));
  else if (*name != '\0' && is_existing (self, name))
    name_error = g_strdup_printf (_("The subscription has a namespace “%s” already: choose "
                                    "another name."), name);
  if (*location != '\0' && !location_is_valid (location))
    location_error = _("A location is an Azure region's name, letters and digits only, such as "
                       "westeurope.");
  if (stable (self) && *root != '\0' && !cb_policy_name_is_valid (root))
    root_error = _("A root CA name has 3 to 63 characters: letters, digits and hyphens, "
                   "starting with a letter or a digit.");

  mark (self->name_row, name_error != NULL);
  mark (self->location_row, location_error != NULL);
  mark (self->root_row, root_error != NULL);
  for (guint i = 0; i < 3; i++)
    {
      const char *e = i == 0 ? name_error : i == 1 ? location_error : root_error;

      if (e == NULL)
        continue;
      if (errors->len > 0)
        g_string_append_c (errors, ' ');
      g_string_append (errors, e);
    }
  set_error (self, errors->len > 0 ? errors->str : NULL);

  return errors->len == 0 && *name != '\0' && *location != '\0' &&
         (!stable (self) || *root != '\0');
}

static void
update (CbNamespaceDialog *self)
{
  gboolean valid = validate (self);

  gtk_widget_set_visible (self->root_group, stable (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "namespace.create", valid && !self->busy);
}

/* The root's name follows the namespace's ("{name}-root") until it is typed over. */
static void
on_root_changed_cb (CbNamespaceDialog *self)
{
  g_assert (CB_IS_NAMESPACE_DIALOG (self));
  if (!self->filling_root)
    g_clear_pointer (&self->root_suggested, g_free);
  update (self);
}

static void
on_field_changed_cb (CbNamespaceDialog *self)
{
  const char *name;
  const char *root;

  g_assert (CB_IS_NAMESPACE_DIALOG (self));

  name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  root = gtk_editable_get_text (GTK_EDITABLE (self->root_row));
  if (*root == '\0' || g_strcmp0 (root, self->root_suggested) == 0)
    {
      g_autofree char *suggestion = *name != '\0' ? g_strdup_printf ("%s-root", name)
                                                  : g_strdup ("");

      if (strlen (suggestion) > CB_POLICY_NAME_MAX_LENGTH)
        suggestion[CB_POLICY_NAME_MAX_LENGTH] = '\0';
      self->filling_root = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->root_row), suggestion);
      self->filling_root = FALSE;
      cb_set_str (&self->root_suggested, suggestion);
    }
  update (self);
}

static void
set_busy (CbNamespaceDialog *self,
          gboolean           busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->form_group, !busy);
  gtk_widget_set_sensitive (self->model_group, !busy);
  gtk_widget_set_sensitive (self->root_group, !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  if (!busy)
    set_progress (self, NULL);
  update (self);
}

/* A refusal: the dialog stays, with what was typed and the service's reason. */
static void
fail (CbNamespaceDialog *self,
      const char        *what,
      const GError      *error)
{
  g_autofree char *reason = cb_error_text (error);
  g_autofree char *text = NULL;

  set_busy (self, FALSE);
  /* Translators: what failed, then the service's reason */
  text = g_strdup_printf (_("%s: %s"), what, reason);
  set_error (self, text);
}

static void
done (CbNamespaceDialog *self,
      CbAdrModel         model)
{
  g_autofree char *name = g_strdup (self->made);
  CbProfile *profile = cb_context_get_profile (self->context);
  CbDpsServiceClient *dps = cb_context_get_dps_service (self->context);

  /* The connection's own namespace: its enrollments are read in its model from now on (the
   * context found none when it signed in, the namespace did not exist). */
  cb_adr_client_set_model (cb_context_get_adr (self->context), model);
  if (dps != NULL && profile != NULL &&
      g_strcmp0 (cb_profile_get_namespace (profile), name) == 0)
    cb_dps_service_client_set_model (dps, model);

  set_busy (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_CREATED], 0, name);
  gtk_window_close (GTK_WINDOW (self));
}

static void
root_created_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CbNamespaceDialog) self = user_data;
  g_autoptr(CbCertificateAuthority) ca = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *what = NULL;

  ca = cb_adr_client_create_certificate_authority_finish (CB_ADR_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (ca == NULL)
    {
      what = g_strdup_printf (_("The namespace “%s” was created, but not its root CA"),
                              self->made);
      fail (self, what, error);
      return;
    }
  done (self, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
}

static void
credential_created_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(CbNamespaceDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *what = NULL;

  if (!cb_adr_client_create_credential_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      what = g_strdup_printf (_("The namespace “%s” was created, but not its credential"),
                              self->made);
      fail (self, what, error);
      return;
    }
  done (self, CB_ADR_MODEL_CREDENTIAL);
}

/* Second step: the root CA (stable model) or the credential (preview model), in the new
 * namespace, which the ADR client addresses from now on. */
static void
create_root (CbNamespaceDialog *self)
{
  CbAdrClient *adr = cb_context_get_adr (self->context);
  const char *location = gtk_editable_get_text (GTK_EDITABLE (self->location_row));
  g_autofree char *progress = NULL;

  cb_adr_client_set_namespace (adr, self->made);
  if (stable (self))
    {
      const char *root = gtk_editable_get_text (GTK_EDITABLE (self->root_row));

      progress = g_strdup_printf (_("Creating the root CA “%s”…"), root);
      set_progress (self, progress);
      cb_adr_client_create_certificate_authority_async (adr, root, location, CB_CA_ISSUER_NONE,
                                                        NULL, self->cancellable, root_created_cb,
                                                        g_object_ref (self));
    }
  else
    {
      set_progress (self, _("Creating the namespace's credential…"));
      cb_adr_client_create_credential_async (adr, location, self->cancellable,
                                             credential_created_cb, g_object_ref (self));
    }
}

static void
namespace_created_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(CbNamespaceDialog) self = user_data;
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(GError) error = NULL;

  ns = cb_adr_client_create_namespace_finish (CB_ADR_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (ns == NULL)
    {
      fail (self, _("The namespace was not created"), error);
      return;
    }
  cb_set_str (&self->made, cb_namespace_get_name (ns));
  create_root (self);
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  CbNamespaceDialog *self = CB_NAMESPACE_DIALOG (widget);
  CbAdrClient *adr = cb_context_get_adr (self->context);
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *progress = NULL;

  if (self->busy || !validate (self))
    return;
  if (adr == NULL || cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    {
      set_error (self, _("The connection is not signed in; try again when it is."));
      return;
    }

  set_error (self, NULL);
  set_busy (self, TRUE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  /* Made by the last Create, only its root failed: make the root. */
  if (self->made != NULL && g_ascii_strcasecmp (self->made, name) == 0)
    {
      create_root (self);
      return;
    }
  progress = g_strdup_printf (_("Creating the namespace “%s”…"), name);
  set_progress (self, progress);
  cb_adr_client_create_namespace_async (adr, name,
                                        gtk_editable_get_text (GTK_EDITABLE (self->location_row)),
                                        self->cancellable, namespace_created_cb,
                                        g_object_ref (self));
}

static gboolean
cb_namespace_dialog_close_request (GtkWindow *window)
{
  CbNamespaceDialog *self = CB_NAMESPACE_DIALOG (window);

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (cb_namespace_dialog_parent_class)->close_request (window);
}

static void
cb_namespace_dialog_dispose (GObject *object)
{
  CbNamespaceDialog *self = CB_NAMESPACE_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_NAMESPACE_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->existing, g_strfreev);
  g_clear_pointer (&self->made, g_free);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->root_suggested, g_free);

  G_OBJECT_CLASS (cb_namespace_dialog_parent_class)->dispose (object);
}

static void
cb_namespace_dialog_class_init (CbNamespaceDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cb_namespace_dialog_dispose;
  window_class->close_request = cb_namespace_dialog_close_request;

  signals[SIGNAL_CREATED] =
    g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/cb-namespace-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, location_row);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, group_row);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, stable_check);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, preview_check);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, form_group);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, model_group);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, root_group);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, root_row);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, CbNamespaceDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_root_changed_cb);

  gtk_widget_class_install_action (widget_class, "namespace.create", NULL, create_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cb_namespace_dialog_init (CbNamespaceDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

CbNamespaceDialog *
cb_namespace_dialog_new (CbContext          *context,
                         const char * const *existing)
{
  CbNamespaceDialog *self;
  CbProfile *profile;
  const char *group;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_NAMESPACE_DIALOG, NULL);
  self->context = g_object_ref (context);
  self->existing = g_strdupv ((char **) existing);
  profile = cb_context_get_profile (context);
  group = profile != NULL ? cb_profile_get_resource_group (profile) : NULL;
  adw_action_row_set_subtitle (self->group_row,
                               group != NULL && *group != '\0' ? group
                                                               : _("None: the connection names "
                                                                   "no resource group"));
  if (profile != NULL && cb_profile_get_location (profile) != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->location_row),
                           cb_profile_get_location (profile));
  update (self);
  return self;
}

GtkEditable *
cb_namespace_dialog_get_name_entry (CbNamespaceDialog *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE_DIALOG (self), NULL);
  return GTK_EDITABLE (self->name_row);
}

GtkEditable *
cb_namespace_dialog_get_location_entry (CbNamespaceDialog *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE_DIALOG (self), NULL);
  return GTK_EDITABLE (self->location_row);
}

GtkEditable *
cb_namespace_dialog_get_root_entry (CbNamespaceDialog *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE_DIALOG (self), NULL);
  return GTK_EDITABLE (self->root_row);
}

void
cb_namespace_dialog_set_model (CbNamespaceDialog *self,
                               CbAdrModel         model)
{
  g_return_if_fail (CB_IS_NAMESPACE_DIALOG (self));
  gtk_check_button_set_active (model == CB_ADR_MODEL_CREDENTIAL ? self->preview_check
                                                                : self->stable_check, TRUE);
}

CbAdrModel
cb_namespace_dialog_get_model (CbNamespaceDialog *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE_DIALOG (self), CB_ADR_MODEL_UNKNOWN);
  return stable (self) ? CB_ADR_MODEL_CERTIFICATE_AUTHORITIES : CB_ADR_MODEL_CREDENTIAL;
}

const char *
cb_namespace_dialog_get_error (CbNamespaceDialog *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE_DIALOG (self), NULL);
  return self->error;
}

gboolean
cb_namespace_dialog_get_busy (CbNamespaceDialog *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE_DIALOG (self), FALSE);
  return self->busy;
}

gboolean
cb_namespace_dialog_can_create (CbNamespaceDialog *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE_DIALOG (self), FALSE);
  return gtk_widget_get_sensitive (GTK_WIDGET (self)) && !self->busy && validate (self);
}
