/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-policy-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-policy-dialog.h"

#define RESOURCE_PATH "/io/github/certbench/Certbench"

struct _CbPolicyDialog
{
  AdwWindow     parent_instance;

  /* Template widgets */
  AdwEntryRow  *name_row;
  AdwEntryRow  *days_row;
  GtkCheckButton *byor_check;
  GtkWidget    *form_group;
  GtkLabel     *error_label;
  GtkSpinner   *spinner;

  /* Owned */
  CbContext    *context;
  GCancellable *cancellable;
  char         *error;
  gboolean      busy;
};

G_DEFINE_FINAL_TYPE (CbPolicyDialog, cb_policy_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_CREATED, N_SIGNALS };
static guint signals[N_SIGNALS];

gboolean
cb_policy_name_is_valid (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len < CB_POLICY_NAME_MIN_LENGTH || len > CB_POLICY_NAME_MAX_LENGTH)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && !(name[i] == '-' && i > 0))
      return FALSE;

  return TRUE;
}

/* The days exactly as typed: digits only, no silent rounding or clamping. */
static gboolean
parse_days (const char *text,
            guint      *days)
{
  guint64 value = 0;

  if (text == NULL || *text == '\0' || strlen (text) > 4)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  value = g_ascii_strtoull (text, NULL, 10);
  *days = (guint) value;
  return TRUE;
}

static void
set_error (CbPolicyDialog *self,
           const char     *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  gtk_label_set_label (self->error_label, error != NULL ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
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

/* Checks the form; shows what is wrong with what was typed (an empty name is not an error
 * yet, it only keeps Create off). Returns TRUE when the service would accept it. */
static gboolean
validate (CbPolicyDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char *days_text = gtk_editable_get_text (GTK_EDITABLE (self->days_row));
  g_autofree char *days_error = NULL;
  const char *name_error = NULL;
  guint days = 0;

  if (*name != '\0' && !cb_policy_name_is_valid (name))
    name_error = _("A policy name has 3 to 63 characters: letters, digits and hyphens, "
                   "starting with a letter or a digit.");

  if (!parse_days (days_text, &days) ||
      days < CB_POLICY_MIN_VALIDITY_DAYS || days > CB_POLICY_MAX_VALIDITY_DAYS)
    days_error = g_strdup_printf (_("The leaf validity is a whole number of days from %d to %d."),
                                  CB_POLICY_MIN_VALIDITY_DAYS, CB_POLICY_MAX_VALIDITY_DAYS);

  mark (self->name_row, name_error != NULL);
  mark (self->days_row, days_error != NULL);
  if (name_error != NULL && days_error != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s %s", name_error, days_error);
      set_error (self, both);
    }
  else
    set_error (self, name_error != NULL ? name_error : days_error);

  return *name != '\0' && name_error == NULL && days_error == NULL;
}

static void
update (CbPolicyDialog *self)
{
  gboolean valid = validate (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "policy.create", valid && !self->busy);
}

static void
on_field_changed_cb (CbPolicyDialog *self)
{
  g_assert (CB_IS_POLICY_DIALOG (self));
  update (self);
}

static void
set_busy (CbPolicyDialog *self,
          gboolean        busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->form_group, !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbPolicyDialog) self = user_data;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  policy = cb_adr_client_create_policy_finish (CB_ADR_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (policy == NULL)
    {
      /* The dialog stays, with what was typed and the service's reason. */
      update (self);
      /* Translators: the service's reason follows */
      text = g_strdup_printf (_("The policy was not created: %s"), error->message);
      set_error (self, text);
      return;
    }

  g_signal_emit (self, signals[SIGNAL_CREATED], 0, policy);
  gtk_window_close (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  CbPolicyDialog *self = CB_POLICY_DIALOG (widget);
  CbAdrClient *adr = cb_context_get_adr (self->context);
  guint days = 0;

  if (self->busy || !validate (self))
    return;
  if (adr == NULL || cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    {
      set_error (self, _("The station is not connected; try again when it is."));
      return;
    }

  parse_days (gtk_editable_get_text (GTK_EDITABLE (self->days_row)), &days);
  set_busy (self, TRUE);
  update (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  cb_adr_client_create_policy_async (adr, gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                     days, gtk_check_button_get_active (self->byor_check),
                                     self->cancellable, create_cb, g_object_ref (self));
}

static gboolean
cb_policy_dialog_close_request (GtkWindow *window)
{
  CbPolicyDialog *self = CB_POLICY_DIALOG (window);

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (cb_policy_dialog_parent_class)->close_request (window);
}

static void
cb_policy_dialog_dispose (GObject *object)
{
  CbPolicyDialog *self = CB_POLICY_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_POLICY_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (cb_policy_dialog_parent_class)->dispose (object);
}

static void
cb_policy_dialog_class_init (CbPolicyDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cb_policy_dialog_dispose;
  window_class->close_request = cb_policy_dialog_close_request;

  signals[SIGNAL_CREATED] =
    g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CB_TYPE_POLICY);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/cb-policy-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CbPolicyDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, CbPolicyDialog, days_row);
  gtk_widget_class_bind_template_child (widget_class, CbPolicyDialog, byor_check);
  gtk_widget_class_bind_template_child (widget_class, CbPolicyDialog, form_group);
  gtk_widget_class_bind_template_child (widget_class, CbPolicyDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, CbPolicyDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);

  gtk_widget_class_install_action (widget_class, "policy.create", NULL, create_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cb_policy_dialog_init (CbPolicyDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

CbPolicyDialog *
cb_policy_dialog_new (CbContext *context)
{
  CbPolicyDialog *self;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_POLICY_DIALOG, NULL);
  self->context = g_object_ref (context);
  return self;
}

GtkEditable *
cb_policy_dialog_get_name_entry (CbPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_POLICY_DIALOG (self), NULL);
  return GTK_EDITABLE (self->name_row);
}

GtkEditable *
cb_policy_dialog_get_days_entry (CbPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_POLICY_DIALOG (self), NULL);
  return GTK_EDITABLE (self->days_row);
}

GtkCheckButton *
cb_policy_dialog_get_byor_check (CbPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_POLICY_DIALOG (self), NULL);
  return self->byor_check;
}

const char *
cb_policy_dialog_get_error (CbPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_POLICY_DIALOG (self), NULL);
  return self->error;
}

gboolean
cb_policy_dialog_get_busy (CbPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_POLICY_DIALOG (self), FALSE);
  return self->busy;
}
