/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sign-in-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-error.h"
#include "cb-sign-in-dialog.h"

#define RESOURCE_PATH "/io/github/certbench/Certbench"

struct _CbSignInDialog
{
  AdwWindow          parent_instance;

  /* Template widgets */
  GtkStack          *stack;
  GtkLabel          *profile_label;
  GtkLabel          *code_label;
  GtkLinkButton     *link_button;
  GtkLabel          *error_label;

  /* Owned */
  CbContext         *context;
  CbEntraDeviceCode *code;
  GCancellable      *cancellable;
};

G_DEFINE_FINAL_TYPE (CbSignInDialog, cb_sign_in_dialog, ADW_TYPE_WINDOW)

static void begin (CbSignInDialog *self);

static void
show_error (CbSignInDialog *self,
            const GError   *error)
{
  const char *text = error->message;

  if (g_error_matches (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_DECLINED))
    text = _("The sign-in was declined.");
  else if (g_error_matches (error, CB_API_ERROR, CB_API_ERROR_EXPIRED))
    text = _("The code expired before it was used.");

  gtk_label_set_label (self->error_label, text);
  gtk_stack_set_visible_child_name (self->stack, "error");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.retry", TRUE);
}

static void
complete_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbSignInDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_context_complete_sign_in_finish (CB_CONTEXT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      return;
    }

  gtk_window_close (GTK_WINDOW (self));
}

static void
begin_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CbSignInDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *uri;

  g_clear_object (&self->code);
  self->code = cb_context_begin_sign_in_finish (CB_CONTEXT (object), result, &error);
  if (self->code == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      return;
    }

  uri = cb_entra_device_code_get_verification_uri (self->code);
  gtk_label_set_label (self->code_label, cb_entra_device_code_get_user_code (self->code));
  gtk_button_set_label (GTK_BUTTON (self->link_button), uri);
  gtk_link_button_set_uri (self->link_button, uri);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->link_button), _("Open the Sign-In Page"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.copy", TRUE);
  gtk_stack_set_visible_child_name (self->stack, "code");

  cb_context_complete_sign_in_async (self->context, self->code, self->cancellable,
                                     complete_cb, g_object_ref (self));
}

static void
begin (CbSignInDialog *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.copy", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.retry", FALSE);
  gtk_stack_set_visible_child_name (self->stack, "requesting");

  cb_context_begin_sign_in_async (self->context, self->cancellable, begin_cb,
                                  g_object_ref (self));
}

static void
cb_sign_in_dialog_copy_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *param)
{
  CbSignInDialog *self = CB_SIGN_IN_DIALOG (widget);

  if (self->code == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                          cb_entra_device_code_get_user_code (self->code));
}

static void
cb_sign_in_dialog_retry_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *param)
{
  begin (CB_SIGN_IN_DIALOG (widget));
}

static gboolean
cb_sign_in_dialog_close_request (GtkWindow *window)
{
  CbSignInDialog *self = CB_SIGN_IN_DIALOG (window);

  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (cb_sign_in_dialog_parent_class)->close_request (window);
}

static void
cb_sign_in_dialog_dispose (GObject *object)
{
  CbSignInDialog *self = CB_SIGN_IN_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_SIGN_IN_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->code);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cb_sign_in_dialog_parent_class)->dispose (object);
}

static void
cb_sign_in_dialog_class_init (CbSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cb_sign_in_dialog_dispose;
  window_class->close_request = cb_sign_in_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/cb-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CbSignInDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CbSignInDialog, profile_label);
  gtk_widget_class_bind_template_child (widget_class, CbSignInDialog, code_label);
  gtk_widget_class_bind_template_child (widget_class, CbSignInDialog, link_button);
  gtk_widget_class_bind_template_child (widget_class, CbSignInDialog, error_label);

  gtk_widget_class_install_action (widget_class, "sign-in.copy", NULL,
                                   cb_sign_in_dialog_copy_action);
  gtk_widget_class_install_action (widget_class, "sign-in.retry", NULL,
                                   cb_sign_in_dialog_retry_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cb_sign_in_dialog_init (CbSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CbSignInDialog *
cb_sign_in_dialog_new (CbContext *context)
{
  CbSignInDialog *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_SIGN_IN_DIALOG, NULL);
  self->context = g_object_ref (context);

  /* Translators: a connection profile's name */
  title = g_strdup_printf (_("Sign In to %s"),
                           cb_profile_get_name (cb_context_get_profile (context)));
  gtk_label_set_label (self->profile_label, title);

  begin (self);
  return self;
}

const char *
cb_sign_in_dialog_get_code (CbSignInDialog *self)
{
  g_return_val_if_fail (CB_IS_SIGN_IN_DIALOG (self), NULL);

  return self->code != NULL ? cb_entra_device_code_get_user_code (self->code) : NULL;
}
