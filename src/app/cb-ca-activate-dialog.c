/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-ca-activate-dialog"

/* The two messages around activating an External intermediate CA: the checks the chain must
 * pass (as the service documents them, docs/sandbox.md), and the reason when it did not. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-ca-activate-dialog.h"

AdwMessageDialog *
cb_ca_activate_dialog_new (GtkWindow  *parent,
                           const char *ca_name)
{
  AdwMessageDialog *dialog;
  g_autofree char *heading = g_strdup_printf (_("Activate “%s”?"), ca_name);
  GtkWidget *checks;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, heading,
                                                       _("Choose a PEM file that holds the "
                                                         "certificate your CA signed from this "
                                                         "CA's signing request, then every CA "
                                                         "above it up to your root.")));
  checks = gtk_label_new (_("The service checks that:\n"
                            "• the first certificate is for this CA's key and subject\n"
                            "• every key is an EC key, signed with ECDSA and SHA-256 or "
                            "stronger\n"
                            "• every certificate is a CA (basic constraints critical, key "
                            "usage to sign certificates, a subject key identifier)\n"
                            "• each one is signed by the next, and stays valid for 365 days "
                            "more"));
  gtk_label_set_wrap (GTK_LABEL (checks), TRUE);
  gtk_label_set_xalign (GTK_LABEL (checks), 0);
  gtk_widget_add_css_class (checks, "caption");
  adw_message_dialog_set_extra_child (dialog, checks);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "choose", _("_Choose Chain File…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "choose", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "choose");
  adw_message_dialog_set_close_response (dialog, "cancel");
  return dialog;
}

AdwMessageDialog *
cb_ca_activate_dialog_new_failed (GtkWindow  *parent,
                                  const char *ca_name,
                                  const char *reason)
{
  AdwMessageDialog *dialog;
  g_autofree char *heading = g_strdup_printf (_("“%s” Was Not Activated"), ca_name);
  g_autofree char *body = g_strdup_printf (_("The service refused the chain: %s\n\nThe CA "
                                             "still waits for activation; fix the chain and "
                                             "activate it again."), reason);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, heading, body));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_set_close_response (dialog, "close");
  return dialog;
}
