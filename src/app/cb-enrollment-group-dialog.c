/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-enrollment-group-dialog"

/* The "new enrollment group" form of a certificate-authority namespace: the group's name
 * checked as it is typed, the intermediate CA and with it its policy picked from a list (so a
 * partial issuing path cannot be sent), how its devices prove who they are (symmetric keys, or
 * certificates of a verified signing CA of the service), and the DPS call that makes the group,
 * run from the dialog, which keeps everything chosen when the service refuses it. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-certificate-authority.h"
#include "cb-dps-enrollment-group-x509.h"
#include "cb-dps-service-client.h"
#include "cb-enrollment-group-dialog.h"
#include "cb-error-text.h"
#include "cb-policy.h"

#define RESOURCE_PATH "/io/github/certbench/Certbench"
#define GROUP_ID_MAX_LENGTH 128

struct _CbEnrollmentGroupDialog
{
  AdwWindow       parent_instance;

  /* Template widgets */
  AdwEntryRow    *id_row;
  GtkWidget      *ca_group;
  AdwActionRow   *namespace_row;
  AdwActionRow   *dps_row;
  GtkWidget      *form_group;
  GtkLabel       *error_label;
  GtkSpinner     *spinner;

  /* Owned */
  CbContext      *context;
  GCancellable   *cancellable;
  char           *namespace_name;
  GPtrArray      *icas;          /* CbCertificateAuthority, in the CA list's order */
  GHashTable     *policies;      /* ICA name (lower case) → CbPolicy */
  GPtrArray      *checks;        /* GtkCheckButton, one per ICA, in the same order */
  GStrv           existing;
  char           *error;
  gboolean        busy;
  GtkWidget      *attestation_group;  /* NULL until signing CAs are offered */
  GPtrArray      *signing_checks;     /* GtkCheckButton: symmetric keys, then one per CA */
  GPtrArray      *signing_names;      /* char *: NULL, then each CA's name */
};

G_DEFINE_FINAL_TYPE (CbEnrollmentGroupDialog, cb_enrollment_group_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_CREATED, N_SIGNALS };
static guint signals[N_SIGNALS];

gboolean
cb_enrollment_group_id_is_valid (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;
  char last;

  if (len == 0 || len > GROUP_ID_MAX_LENGTH)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && strchr ("-._:", id[i]) == NULL)
      return FALSE;
  last = id[len - 1];
  return g_ascii_isalnum (last) || last == '-';
}

static CbCertificateAuthority *
chosen_ca (CbEnrollmentGroupDialog *self)
{
  for (guint i = 0; i < self->checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->checks, i)))
      return g_ptr_array_index (self->icas, i);
  return NULL;
}

/* The signing CA the group's devices prove themselves with, or NULL for symmetric keys. */
static const char *
chosen_signing_ca (CbEnrollmentGroupDialog *self)
{
  for (guint i = 1; self->signing_checks != NULL && i < self->signing_checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->signing_checks, i)))
      return g_ptr_array_index (self->signing_names, i);
  return NULL;
}

static CbPolicy *
policy_of (CbEnrollmentGroupDialog *self,
           CbCertificateAuthority  *ca)
{
  g_autofree char *key = NULL;

  if (ca == NULL)
    return NULL;
  key = g_ascii_strdown (cb_certificate_authority_get_name (ca), -1);
  return g_hash_table_lookup (self->policies, key);
}

/* An ICA has one policy: choosing the CA chooses it. */
static CbPolicy *
chosen_policy (CbEnrollmentGroupDialog *self)
{
  return policy_of (self, chosen_ca (self));
}

static gboolean
is_existing (CbEnrollmentGroupDialog *self,
             const char              *id)
{
  for (guint i = 0; self->existing != NULL && self->existing[i] != NULL; i++)
    if (g_ascii_strcasecmp (self->existing[i], id) == 0)
      return TRUE;
  return FALSE;
}

static void
set_error (CbEnrollmentGroupDialog *self,
           const char              *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  gtk_label_set_label (self->error_label, error != NULL ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
}

static void
mark (GtkWidget *row,
      gboolean   bad)
{
  if (bad)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

/* Checks the form and says what is wrong (an empty name is not an error yet, it only keeps
 * Create off). Returns TRUE when the three names and the group's name are complete. */
static gboolean
validate (CbEnrollmentGroupDialog *self)
{
  const char *id = gtk_editable_get_text (GTK_EDITABLE (self->id_row));
  CbCertificateAuthority *ca = chosen_ca (self);
  CbPolicy *policy = chosen_policy (self);
  g_autofree char *id_error = NULL;
  g_autofree char *ca_error = NULL;

  if (*id != '\0' && !cb_enrollment_group_id_is_valid (id))
    id_error = g_strdup (_("A group name has up to 128 characters: letters, digits and - . _ :, "
                           "ending with a letter, a digit or a hyphen."));
  else if (*id != '\0' && is_existing (self, id))
    id_error = g_strdup_printf (_("The provisioning service has a group “%s” already: choose "
                                  "another name."), id);

  if (self->icas->len == 0)
    ca_error = g_strdup (_("This namespace has no intermediate CA: create one and its policy "
                           "first."));
  else if (ca != NULL && policy_of (self, ca) == NULL)
    ca_error = g_strdup_printf (_("“%s” has no policy yet: give it one first."),
                                cb_certificate_authority_get_name (ca));
  else if (ca != NULL && !cb_certificate_authority_can_issue (ca))
    ca_error = g_strdup_printf (_("“%s” cannot sign certificates yet (it waits for activation "
                                  "or is still being made): its devices would be refused."),
                                cb_certificate_authority_get_name (ca));

  mark (GTK_WIDGET (self->id_row), id_error != NULL);
  if (id_error != NULL && ca_error != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s %s", id_error, ca_error);
      set_error (self, both);
    }
  else
    set_error (self, id_error != NULL ? id_error : ca_error);

  return *id != '\0' && id_error == NULL && ca_error == NULL && ca != NULL && policy != NULL;
}

static void
update (CbEnrollmentGroupDialog *self)
{
  gboolean valid = validate (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "group.create", valid && !self->busy);
}

static void
on_field_changed_cb (CbEnrollmentGroupDialog *self)
{
  g_assert (CB_IS_ENROLLMENT_GROUP_DIALOG (self));
  update (self);
}

static void
set_busy (CbEnrollmentGroupDialog *self,
          gboolean                 busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->form_group, !busy);
  gtk_widget_set_sensitive (self->ca_group, !busy);
  if (self->attestation_group != NULL)
    gtk_widget_set_sensitive (self->attestation_group, !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  update (self);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CbEnrollmentGroupDialog) self = user_data;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  created = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                     &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (created == NULL)
    {
      g_autofree char *reason = cb_error_text (error);
      g_autofree char *text = NULL;

      /* Translators: the service's reason follows */
      text = g_strdup_printf (_("The enrollment group was not created: %s"), reason);
      set_error (self, text);
      return;
    }

  id = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->id_row)));
  g_signal_emit (self, signals[SIGNAL_CREATED], 0, id);
  gtk_window_close (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  CbEnrollmentGroupDialog *self = CB_ENROLLMENT_GROUP_DIALOG (widget);
  CbDpsServiceClient *dps = cb_context_get_dps_service (self->context);
  const char *id = gtk_editable_get_text (GTK_EDITABLE (self->id_row));
  CbCertificateAuthority *ca;
  CbPolicy *policy;
  g_autoptr(JsonObject) body = NULL;

  if (self->busy || !validate (self))
    return;
  if (dps == NULL || cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    {
      set_error (self, _("The connection names no provisioning service, or is not signed in."));
      return;
    }

  ca = chosen_ca (self);
  policy = chosen_policy (self);
  /* DPS makes the keys, or the devices show certificates of a verified signing CA; the three
   * names go together. */
  if (chosen_signing_ca (self) != NULL)
    body = cb_dps_enrollment_new_x509_group (id, NULL, chosen_signing_ca (self), NULL);
  else
    body = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_GROUP, id, NULL, NULL, NULL,
                                                NULL);
  cb_dps_enrollment_set_policy (body, self->namespace_name,
                                cb_certificate_authority_get_name (ca),
                                cb_policy_get_name (policy));
  set_error (self, NULL);
  set_busy (self, TRUE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  cb_dps_service_client_put_async (dps, CB_DPS_ENROLLMENT_GROUP, id, body, NULL,
                                   self->cancellable, created_cb, g_object_ref (self));
}

static gboolean
cb_enrollment_group_dialog_close_request (GtkWindow *window)
{
  CbEnrollmentGroupDialog *self = CB_ENROLLMENT_GROUP_DIALOG (window);

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (cb_enrollment_group_dialog_parent_class)->close_request (window);
}

static void
cb_enrollment_group_dialog_dispose (GObject *object)
{
  CbEnrollmentGroupDialog *self = CB_ENROLLMENT_GROUP_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_ENROLLMENT_GROUP_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->checks, g_ptr_array_unref);
  g_clear_pointer (&self->signing_checks, g_ptr_array_unref);
  g_clear_pointer (&self->signing_names, g_ptr_array_unref);
  g_clear_pointer (&self->icas, g_ptr_array_unref);
  g_clear_pointer (&self->policies, g_hash_table_unref);
  g_clear_pointer (&self->existing, g_strfreev);
  g_clear_pointer (&self->namespace_name, g_free);
  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (cb_enrollment_group_dialog_parent_class)->dispose (object);
}

static void
cb_enrollment_group_dialog_class_init (CbEnrollmentGroupDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cb_enrollment_group_dialog_dispose;
  window_class->close_request = cb_enrollment_group_dialog_close_request;

  signals[SIGNAL_CREATED] =
    g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/cb-enrollment-group-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CbEnrollmentGroupDialog, id_row);
  gtk_widget_class_bind_template_child (widget_class, CbEnrollmentGroupDialog, ca_group);
  gtk_widget_class_bind_template_child (widget_class, CbEnrollmentGroupDialog, namespace_row);
  gtk_widget_class_bind_template_child (widget_class, CbEnrollmentGroupDialog, dps_row);
  gtk_widget_class_bind_template_child (widget_class, CbEnrollmentGroupDialog, form_group);
  gtk_widget_class_bind_template_child (widget_class, CbEnrollmentGroupDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, CbEnrollmentGroupDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);

  gtk_widget_class_install_action (widget_class, "group.create", NULL, create_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cb_enrollment_group_dialog_init (CbEnrollmentGroupDialog *self)
{
  self->icas = g_ptr_array_new_with_free_func (g_object_unref);
  self->policies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->checks = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* One choice: the ICA, and under it the policy it would give the group's devices. */
static void
add_choice (CbEnrollmentGroupDialog *self,
            CbCertificateAuthority  *ca,
            CbPolicy                *policy)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *subtitle = NULL;
  g_autofree char *a11y = NULL;

  if (policy != NULL)
    /* Translators: a policy's name, then its validity in days */
    subtitle = g_strdup_printf (ngettext ("Policy “%s” · device certificates valid %u day",
                                          "Policy “%s” · device certificates valid %u days",
                                          cb_policy_get_validity_days (policy)),
                                cb_policy_get_name (policy), cb_policy_get_validity_days (policy));
  else
    subtitle = g_strdup (_("No policy yet"));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_certificate_authority_get_name (ca));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  /* Translators: an intermediate CA's name, then what its policy gives */
  a11y = g_strdup_printf (_("%s: %s"), cb_certificate_authority_get_name (ca), subtitle);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  if (self->checks->len > 0)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (check), g_ptr_array_index (self->checks, 0));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_signal_connect_object (check, "toggled", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_ptr_array_add (self->checks, check);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->ca_group), row);
}

CbEnrollmentGroupDialog *
cb_enrollment_group_dialog_new (CbContext          *context,
                                const char         *namespace_name,
                                GPtrArray          *cas,
                                GHashTable         *policies,
                                const char * const *existing,
                                const char         *dps_link)
{
  CbEnrollmentGroupDialog *self;
  CbProfile *profile;
  const char *dps_name;
  g_autofree char *dps_text = NULL;
  guint first_ready = GTK_INVALID_LIST_POSITION;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (namespace_name != NULL, NULL);
  g_return_val_if_fail (cas != NULL && policies != NULL, NULL);

  self = g_object_new (CB_TYPE_ENROLLMENT_GROUP_DIALOG, NULL);
  self->context = g_object_ref (context);
  self->namespace_name = g_strdup (namespace_name);
  self->existing = g_strdupv ((char **) existing);

  for (guint i = 0; i < cas->len; i++)
    {
      CbCertificateAuthority *ca = g_ptr_array_index (cas, i);
      g_autofree char *key = NULL;
      CbPolicy *policy;

      if (cb_certificate_authority_get_kind (ca) != CB_CA_KIND_INTERMEDIATE)
        continue;
      key = g_ascii_strdown (cb_certificate_authority_get_name (ca), -1);
      policy = g_hash_table_lookup (policies, key);
      if (policy != NULL)
        g_hash_table_replace (self->policies, g_strdup (key), g_object_ref (policy));
      /* The first CA that can issue through a policy is chosen at first. */
      if (first_ready == GTK_INVALID_LIST_POSITION && policy != NULL &&
          cb_certificate_authority_can_issue (ca))
        first_ready = self->icas->len;
      g_ptr_array_add (self->icas, g_object_ref (ca));
      add_choice (self, ca, policy);
    }
  if (self->icas->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No intermediate CA"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_set_focusable (row, FALSE);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->ca_group), row);
    }
  else
    gtk_check_button_set_active (g_ptr_array_index (self->checks,
                                                    first_ready != GTK_INVALID_LIST_POSITION
                                                      ? first_ready : 0), TRUE);

  adw_action_row_set_subtitle (self->namespace_row, namespace_name);
  profile = cb_context_get_profile (context);
  dps_name = profile != NULL ? cb_profile_get_dps_name (profile) : NULL;
  if (dps_name == NULL || *dps_name == '\0')
    dps_name = profile != NULL ? cb_profile_get_dps_host_name (profile) : NULL;
  if (dps_link != NULL)
    /* Translators: the DPS's name, then the state of its link to the namespace */
    dps_text = g_strdup_printf (_("%s · %s"), dps_name != NULL ? dps_name : "—", dps_link);
  else
    /* Translators: the DPS's name */
    dps_text = g_strdup_printf (_("%s · not linked to this namespace: link it first, or it "
                                  "refuses the group"), dps_name != NULL ? dps_name : "—");
  adw_action_row_set_subtitle (self->dps_row, dps_text);
  if (dps_link == NULL)
    adw_action_row_add_prefix (self->dps_row,
                               gtk_image_new_from_icon_name ("dialog-warning-symbolic"));
  update (self);
  return self;
}

static GtkWidget *
attestation_choice (CbEnrollmentGroupDialog *self,
                    const char              *title,
                    const char              *subtitle,
                    const char              *name,
                    gboolean                 usable)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *a11y = g_strdup_printf (_("%s: %s"), title, subtitle);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  if (self->signing_checks->len > 0)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (check), g_ptr_array_index (self->signing_checks, 0));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  gtk_widget_set_sensitive (row, usable);
  g_ptr_array_add (self->signing_checks, check);
  g_ptr_array_add (self->signing_names, g_strdup (name));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->attestation_group), row);
  return check;
}

void
cb_enrollment_group_dialog_set_signing_cas (CbEnrollmentGroupDialog *self,
                                            GPtrArray               *certificates)
{
  GtkWidget *parent;

  g_return_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self));

  if (self->attestation_group != NULL || certificates == NULL || certificates->len == 0)
    return;

  self->signing_checks = g_ptr_array_new ();
  self->signing_names = g_ptr_array_new_with_free_func (g_free);
  self->attestation_group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->attestation_group),
                                   _("How devices prove who they are"));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (attestation_choice (
    self, _("Symmetric keys"), _("DPS makes the group’s keys; the Bench derives each device’s."),
    NULL, TRUE)), TRUE);
  for (guint i = 0; i < certificates->len; i++)
    {
      CbHubCertificate *cert = g_ptr_array_index (certificates, i);
      gboolean verified = cb_hub_certificate_get_is_verified (cert);
      g_autofree char *title = g_strdup_printf (_("Certificates from “%s”"),
                                                cb_hub_certificate_get_name (cert));

      attestation_choice (self, title,
                          verified ? _("Devices register with factory certificates this CA "
                                       "issued.")
                                   : _("Unverified: verify it under Signing CAs first."),
                          cb_hub_certificate_get_name (cert), verified);
    }

  parent = gtk_widget_get_parent (self->form_group);
  gtk_box_insert_child_after (GTK_BOX (parent), self->attestation_group, self->form_group);
}

gboolean
cb_enrollment_group_dialog_choose_signing_ca (CbEnrollmentGroupDialog *self,
                                              const char              *name)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), FALSE);

  for (guint i = 1; self->signing_checks != NULL && i < self->signing_checks->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->signing_names, i), name) == 0 &&
        gtk_widget_is_sensitive (g_ptr_array_index (self->signing_checks, i)))
      {
        gtk_check_button_set_active (g_ptr_array_index (self->signing_checks, i), TRUE);
        return TRUE;
      }
  return FALSE;
}

GtkEditable *
cb_enrollment_group_dialog_get_id_entry (CbEnrollmentGroupDialog *self)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), NULL);
  return GTK_EDITABLE (self->id_row);
}

gboolean
cb_enrollment_group_dialog_choose_ca (CbEnrollmentGroupDialog *self,
                                      const char              *ca_name)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), FALSE);

  for (guint i = 0; i < self->icas->len; i++)
    if (g_ascii_strcasecmp (cb_certificate_authority_get_name (g_ptr_array_index (self->icas, i)),
                            ca_name) == 0)
      {
        gtk_check_button_set_active (g_ptr_array_index (self->checks, i), TRUE);
        return TRUE;
      }
  return FALSE;
}

const char *
cb_enrollment_group_dialog_get_ca (CbEnrollmentGroupDialog *self)
{
  CbCertificateAuthority *ca;

  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), NULL);
  ca = chosen_ca (self);
  return ca != NULL ? cb_certificate_authority_get_name (ca) : NULL;
}

const char *
cb_enrollment_group_dialog_get_policy (CbEnrollmentGroupDialog *self)
{
  CbPolicy *policy;

  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), NULL);
  policy = chosen_policy (self);
  return policy != NULL ? cb_policy_get_name (policy) : NULL;
}

const char *
cb_enrollment_group_dialog_get_error (CbEnrollmentGroupDialog *self)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), NULL);
  return self->error;
}

gboolean
cb_enrollment_group_dialog_get_busy (CbEnrollmentGroupDialog *self)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), FALSE);
  return self->busy;
}

gboolean
cb_enrollment_group_dialog_can_create (CbEnrollmentGroupDialog *self)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_GROUP_DIALOG (self), FALSE);
  return !self->busy && validate (self);
}
