/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-page"

/* The registry page's actions (GNOME Text Editor's editor-window-actions.c pattern): which are
 * enabled, what each runs, and the operations they leave running, shown in the sidebar. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-adr-client-ca.h"
#include "cb-confirm-run.h"
#include "cb-device-actions.h"
#include "cb-policy-retirement.h"
#include "cb-error.h"
#include "cb-util.h"
#include "cb-registry-page-private.h"

/* Operations keep running while the user works elsewhere; the sidebar shows what is running. */
static void
update_busy (CbRegistryPage *self)
{
  g_autofree char *text = NULL;
  guint n = self->operations->len;

  if (n == 1)
    text = g_strdup (g_ptr_array_index (self->operations, 0));
  else if (n > 1)
    text = g_strdup_printf (ngettext ("%u operation running", "%u operations running", n), n);

  gtk_label_set_text (self->busy_label, text != NULL ? text : "");
  gtk_spinner_set_spinning (self->busy_spinner, n > 0);
  gtk_revealer_set_reveal_child (self->busy_revealer, n > 0);
}

static char *
begin_operation (CbRegistryPage *self,
                 const char     *description)
{
  char *op = g_strdup (description);

  g_ptr_array_add (self->operations, op);
  update_busy (self);
  return op;
}

static void
end_operation (CbRegistryPage *self,
               const char     *op)
{
  g_ptr_array_remove (self->operations, (gpointer) op);
  update_busy (self);
}

/* An async operation's state: the page, what it was about, and the running entry. */
typedef struct
{
  CbRegistryPage *self;
  char           *op;
  char           *subject;
  gboolean        flag;
} Op;

static Op *
op_new (CbRegistryPage *self,
        const char     *description,
        const char     *subject,
        gboolean        flag)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  op->op = begin_operation (self, description);
  op->subject = g_strdup (subject);
  op->flag = flag;
  return op;
}

static void
op_free (Op *op)
{
  /* After dispose the template widgets are gone. */
  if (op->self->busy_label != NULL)
    end_operation (op->self, op->op);
  else
    g_ptr_array_remove (op->self->operations, op->op);
  g_object_unref (op->self);
  g_free (op->subject);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

/* A multi-step operation says which step it is at. */
static void
op_set_description (Op         *op,
                    const char *description)
{
  guint index;

  if (!g_ptr_array_find (op->self->operations, op->op, &index))
    return;
  g_free (g_ptr_array_steal_index (op->self->operations, index));
  op->op = g_strdup (description);
  g_ptr_array_insert (op->self->operations, index, op->op);
  if (op->self->busy_label != NULL)
    update_busy (op->self);
}

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  adw_leaflet_navigate (CB_REGISTRY_PAGE (widget)->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}


/* ---- actions: policy -------------------------------------------------------------------- */

void
_cb_registry_page_update_actions (CbRegistryPage *self)
{
  CbDeviceItem *device = _cb_registry_page_get_selected_device (self);
  gboolean ready = _cb_registry_page_is_ready (self);
  gboolean has_policy = ready && self->policy != NULL;
  gboolean byor = has_policy && cb_policy_get_byor_enabled (self->policy);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.refresh", self->context != NULL);
  _cb_registry_page_namespaces_update (self);
  /* A credential holds one policy in this preview: a second one is refused by the service. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.create-policy",
                                 ready && self->credential_state != NULL &&
                                 g_list_model_get_n_items (G_LIST_MODEL (self->policies)) <
                                   CB_ADR_MAX_POLICIES_PER_CREDENTIAL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.save-validity",
                                 has_policy &&
                                 (guint) gtk_spin_button_get_value_as_int (self->validity_spin) !=
                                   cb_policy_get_validity_days (self->policy));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.sync",
                                 ready && self->credential_state != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.revoke-issuer", has_policy && !byor);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.delete-policy", has_policy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.activate-byor",
                                 byor && g_strcmp0 (cb_policy_get_byor_status (self->policy),
                                                    CB_POLICY_BYOR_ACTIVE) != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.copy-csr",
                                 byor && cb_policy_get_byor_csr (self->policy) != NULL &&
                                 g_strcmp0 (cb_policy_get_byor_status (self->policy),
                                            CB_POLICY_BYOR_ACTIVE) != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.delete-credential",
                                 ready && self->credential_state != NULL);
  /* Nothing left to revoke: already revoked, or its issuer's revoke took its certificate. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.revoke-device",
                                 ready && device != NULL &&
                                 cb_device_state_can_revoke (cb_device_item_get_state (device)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.delete-device",
                                 ready && device != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.enable-device",
                                 ready && device != NULL && !cb_device_item_get_enabled (device));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.disable-device",
                                 ready && device != NULL && cb_device_item_get_enabled (device));
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    {
      adw_view_stack_set_visible_child_name (self->view_stack, name);
      _cb_registry_page_show_content (self);
    }
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  cb_registry_page_reload (CB_REGISTRY_PAGE (widget));
}

static void
update_validity_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  policy = cb_adr_client_update_policy_validity_finish (CB_ADR_CLIENT (object), result, &error);
  if (policy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_page_show_error_toast (op->self, _("Leaf validity not changed"), error);
      return;
    }
  text = g_strdup_printf (_("New certificates from “%s” are valid for %u days"),
                          cb_policy_get_name (policy), cb_policy_get_validity_days (policy));
  _cb_registry_page_show_toast_of_kind (op->self, CB_REGISTRY_TOAST_VALIDITY, text);
  _cb_registry_policy_pane_load (op->self);
}

static void
save_validity_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  guint days = CLAMP (gtk_spin_button_get_value_as_int (self->validity_spin), 7, 90);
  g_autofree char *what = NULL;

  if (self->policy == NULL || !_cb_registry_page_is_ready (self))
    return;
  what = g_strdup_printf (_("Changing the leaf validity of “%s”…"), cb_policy_get_name (self->policy));
  cb_adr_client_update_policy_validity_async (cb_context_get_adr (self->context),
                                              cb_policy_get_name (self->policy), days,
                                              _cb_registry_page_get_cancellable (self), update_validity_cb,
                                              op_new (self, what, cb_policy_get_name (self->policy),
                                                      FALSE));
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_adr_client_synchronize_credential_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_page_show_error_toast (op->self, _("Sync to hubs failed"), error);
      return;
    }
  _cb_registry_page_show_toast (op->self, _("The issuing CAs are on the linked hubs"));
  _cb_registry_activity_load (op->self);
}

static void
sync_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);

  if (!_cb_registry_page_is_ready (self))
    return;
  cb_adr_client_synchronize_credential_async (cb_context_get_adr (self->context),
                                              _cb_registry_page_get_cancellable (self), sync_cb,
                                              op_new (self, _("Syncing to hubs…"), NULL, FALSE));
}

/* Create policy: its own dialog checks the form and stays open when the service refuses. */
static void
on_policy_created_cb (CbPolicyDialog *dialog,
                      CbPolicy       *policy,
                      CbRegistryPage *self)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Created policy “%s”"), cb_policy_get_name (policy));
  _cb_registry_page_show_toast (self, text);
  g_set_object (&self->policy, policy);
  _cb_registry_policy_pane_load (self);
  _cb_registry_activity_load (self);
}

static void
create_policy_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbPolicyDialog *dialog;

  if (!_cb_registry_page_is_ready (self))
    return;

  dialog = cb_policy_dialog_new (self->context);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), _cb_registry_page_get_parent_window (self));
  g_signal_connect_object (dialog, "created", G_CALLBACK (on_policy_created_cb), self, 0);
  if (self->policy_dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->policy_dialog), (gpointer *) &self->policy_dialog);
  self->policy_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->policy_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- confirm, run, tell (cb-confirm-run.h) --------------------------------------------- */

static void
run_toast (gpointer      owner,
           const char   *text,
           const GError *error)
{
  if (error != NULL)
    _cb_registry_page_show_error_toast (CB_REGISTRY_PAGE (owner), text, error);
  else
    _cb_registry_page_show_toast (CB_REGISTRY_PAGE (owner), text);
}

static gpointer
run_begin (gpointer    owner,
           const char *description)
{
  return op_new (CB_REGISTRY_PAGE (owner), description, NULL, FALSE);
}

/* Asks with @run (the page's toast and running entry filled in), keeping the dialog for tests. */
static void
confirm_run (CbRegistryPage *self,
             CbConfirmRun   *run)
{
  CbConfirmDialog *dialog;

  run->toast = run_toast;
  run->begin = run_begin;
  run->end = (GDestroyNotify) op_free;
  dialog = cb_confirm_run (GTK_WIDGET (self), run);
  _cb_registry_page_set_dialog (self, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Revoke issuer */
static gboolean
revoke_issuer_start (gpointer             owner,
                     const char          *name,
                     gboolean             option,
                     GAsyncReadyCallback  callback,
                     gpointer             data)
{
  CbRegistryPage *self = owner;

  if (!_cb_registry_page_is_ready (self))
    return FALSE;
  cb_adr_client_revoke_issuer_async (cb_context_get_adr (self->context), name,
                                     _cb_registry_page_get_cancellable (self), callback, data);
  return TRUE;
}

static char *
revoke_issuer_finish (gpointer       owner,
                      const char    *name,
                      GObject       *source,
                      GAsyncResult  *result,
                      gboolean       option,
                      char         **failure,
                      GError       **error)
{
  CbRegistryPage *self = owner;

  if (!cb_adr_client_revoke_issuer_finish (CB_ADR_CLIENT (source), result, error))
    return NULL;
  _cb_registry_policy_pane_load (self);
  _cb_registry_activity_load (self);
  return g_strdup_printf (_("Revoked the issuing CA of “%s”; new registrations get a new one"),
                          name);
}

static void
revoke_issuer_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  g_autofree char *running = NULL;
  const char *name;

  if (self->policy == NULL)
    return;
  name = cb_policy_get_name (self->policy);
  heading = g_strdup_printf (_("Revoke the Issuer of “%s”?"), name);
  /* The impact counts the devices whose certificate still works: those already revoked,
   * expired or issued by an earlier (revoked) CA lose nothing more. */
  if (!self->counted || self->counts_pending > 0)
    body = g_strdup (_("Every certificate this policy's issuing CA signed stops working at once: "
                       "the devices holding one lose it and must be provisioned again (they are "
                       "still being counted). The old CA goes on the root's revocation list; new "
                       "registrations get a new issuing CA."));
  else
    body = g_strdup_printf (ngettext ("Every certificate this policy's issuing CA signed stops "
                                      "working at once: %u device holding a working certificate "
                                      "loses it and must be provisioned again. The old CA goes on "
                                      "the root's revocation list; new registrations get a new "
                                      "issuing CA.",
                                      "Every certificate this policy's issuing CA signed stops "
                                      "working at once: %u devices holding a working certificate "
                                      "lose it and must be provisioned again. The old CA goes on "
                                      "the root's revocation list; new registrations get a new "
                                      "issuing CA.",
                                      self->hub_device_count),
                            self->hub_device_count);
  running = g_strdup_printf (_("Revoking the issuer of “%s”…"), name);
  confirm_run (self, &(CbConfirmRun) {
                 .heading = heading,
                 .body = body,
                 .confirm_label = _("_Revoke Issuer"),
                 .required_name = name,
                 .subject = name,
                 .running = running,
                 .failure = _("Issuer not revoked"),
                 .start = revoke_issuer_start,
                 .finish = revoke_issuer_finish,
               });
}

/* Delete policy: its retirement (cb-policy-retirement.h) revokes the certificates of an own
 * root's devices first when asked, and removes the issuing CA from the linked hubs afterwards
 * when asked; the running entry follows its steps. */
static void
on_retirement_progress_cb (CbPolicyRetirement *retirement,
                           Op                 *op)
{
  g_autofree char *what = NULL;
  const char *policy = cb_policy_retirement_get_policy (retirement);

  switch (cb_policy_retirement_get_step (retirement))
    {
    case CB_POLICY_RETIREMENT_STEP_REVOKE_DEVICE:
      what = g_strdup_printf (_("Revoking %u of %u devices of “%s”…"),
                              cb_policy_retirement_get_done (retirement) + 1,
                              cb_policy_retirement_get_total (retirement), policy);
      break;
    case CB_POLICY_RETIREMENT_STEP_DELETE_POLICY:
      what = g_strdup_printf (_("Deleting policy “%s”…"), policy);
      break;
    case CB_POLICY_RETIREMENT_STEP_FIND_HUB_CA:
      what = g_strdup_printf (_("Finding the CA of “%s” on the hubs…"), policy);
      break;
    case CB_POLICY_RETIREMENT_STEP_REMOVE_HUB_CA:
      what = g_strdup_printf (_("Removing “%s” from the hub…"),
                              cb_policy_retirement_get_subject (retirement));
      break;
    case CB_POLICY_RETIREMENT_STEP_NONE:
    case CB_POLICY_RETIREMENT_STEP_DONE:
    default:
      return;
    }
  op_set_description (op, what);
}

static void
on_policy_deleted_cb (CbPolicyRetirement *retirement,
                      CbRegistryPage     *self)
{
  g_autofree char *text = NULL;
  const char *policy = cb_policy_retirement_get_policy (retirement);

  if (cb_policy_retirement_get_remove_hub_ca (retirement))
    text = g_strdup_printf (_("Deleted policy “%s”"), policy);
  else
    text = g_strdup_printf (_("Deleted policy “%s”; its certificates keep working while the hubs "
                              "hold its CA"), policy);
  _cb_registry_page_show_toast (self, text);
  g_clear_object (&self->policy);
  _cb_registry_policy_pane_load (self);
  _cb_registry_activity_load (self);
}

static gboolean
delete_policy_start (gpointer             owner,
                     const char          *name,
                     gboolean             option,
                     GAsyncReadyCallback  callback,
                     gpointer             data)
{
  CbRegistryPage *self = owner;
  g_autoptr(CbPolicyRetirement) retirement = NULL;
  GStrv devices = self->delete_devices;
  Op *op;

  if (!_cb_registry_page_is_ready (self))
    return FALSE;

  retirement = cb_policy_retirement_new (cb_context_get_adr (self->context), name);
  /* An own root's policy: the option is to revoke its devices' certificates first; any other
   * policy's is to remove its issuing CA from the hubs after. */
  if (devices != NULL)
    cb_policy_retirement_set_devices (retirement, option ? (const char * const *) devices : NULL);
  else
    cb_policy_retirement_set_remove_hub_ca (retirement, option);

  op = op_new (self, "", name, FALSE);
  g_object_set_data_full (G_OBJECT (retirement), "cb-op", op, (GDestroyNotify) op_free);
  g_signal_connect (retirement, "progress", G_CALLBACK (on_retirement_progress_cb), op);
  g_signal_connect_object (retirement, "policy-deleted", G_CALLBACK (on_policy_deleted_cb), self, 0);
  cb_policy_retirement_run_async (retirement, _cb_registry_page_get_cancellable (self), callback,
                                  data);
  return TRUE;
}

static char *
delete_policy_finish (gpointer       owner,
                      const char    *name,
                      GObject       *source,
                      GAsyncResult  *result,
                      gboolean       option,
                      char         **failure,
                      GError       **error)
{
  CbPolicyRetirement *retirement = CB_POLICY_RETIREMENT (source);
  CbRegistryPage *self = owner;

  if (!cb_policy_retirement_run_finish (retirement, result, error))
    {
      switch (cb_policy_retirement_get_step (retirement))
        {
        case CB_POLICY_RETIREMENT_STEP_REVOKE_DEVICE:
          *failure = g_strdup_printf (_("%s was not revoked, so policy “%s” was kept"),
                                      cb_policy_retirement_get_subject (retirement), name);
          break;
        case CB_POLICY_RETIREMENT_STEP_FIND_HUB_CA:
          *failure = g_strdup (_("The hub's CA certificates could not be read"));
          break;
        case CB_POLICY_RETIREMENT_STEP_REMOVE_HUB_CA:
          *failure = g_strdup (_("The issuing CA was not removed from the hub"));
          break;
        case CB_POLICY_RETIREMENT_STEP_DELETE_POLICY:
        case CB_POLICY_RETIREMENT_STEP_NONE:
        case CB_POLICY_RETIREMENT_STEP_DONE:
        default:
          break;
        }
      return NULL;
    }

  /* Deleted: on_policy_deleted_cb said so. What is left to tell is the hub's CA. */
  if (!cb_policy_retirement_get_remove_hub_ca (retirement))
    return NULL;
  if (cb_policy_retirement_get_n_hub_ca_removed (retirement) == 0)
    return g_strdup (_("The linked hub holds no CA certificate of this policy"));
  _cb_registry_activity_load (self);
  return g_strdup_printf (_("Removed the issuing CA of “%s” from the hub; its certificates no "
                            "longer work"), name);
}

/* @byor_devices: the devices of an own root's policy (NULL for any other policy). */
static void
show_delete_dialog (CbRegistryPage *self,
                    const char     *name,
                    const char     *body,
                    GPtrArray      *byor_devices)
{
  g_autofree char *heading = g_strdup_printf (_("Delete Policy “%s”?"), name);
  g_autofree char *groups = _cb_registry_policy_pane_describe_groups_using (self, name);
  g_autofree char *full_body = groups != NULL ? g_strdup_printf ("%s\n\n%s", body, groups)
                                              : g_strdup (body);
  const char *option = NULL;
  GStrv devices = NULL;

  if (byor_devices == NULL)
    option = _("Also _remove its issuing CA from the linked hubs");
  else
    {
      if (byor_devices->len > 0)
        option = _("_Revoke their certificates first");
      devices = g_new0 (char *, byor_devices->len + 1);
      for (guint i = 0; i < byor_devices->len; i++)
        devices[i] = g_strdup (g_ptr_array_index (byor_devices, i));
    }
  /* Read by delete_policy_start, for the dialog shown last. */
  g_strfreev (self->delete_devices);
  self->delete_devices = devices;

  confirm_run (self, &(CbConfirmRun) {
                 .heading = heading,
                 .body = full_body,
                 .confirm_label = _("_Delete Policy"),
                 .required_name = name,
                 .option_label = option,
                 .option_active = byor_devices != NULL,
                 .subject = name,
                 .running = "",
                 .failure = _("Policy not deleted"),
                 .start = delete_policy_start,
                 .finish = delete_policy_finish,
               });
}

static void
byor_devices_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) names = NULL;
  g_autofree char *body = NULL;
  g_autofree char *policy = NULL;
  CbRegistryPage *self = op->self;
  guint shown;

  devices = cb_policy_retirement_list_devices_finish (result, &error);
  if (devices == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_page_show_error_toast (self, _("The policy's devices could not be read"), error);
      return;
    }

  if (devices->len == 0)
    body = g_strdup (_("The policy uses your own root and stops issuing certificates. No device "
                       "holds one of its certificates, so nothing else changes."));
  else
    {
      names = g_string_new (NULL);
      shown = MIN (devices->len, 8);
      for (guint i = 0; i < shown; i++)
        g_string_append_printf (names, "%s%s", i > 0 ? ", " : "",
                                (const char *) g_ptr_array_index (devices, i));
      if (devices->len > shown)
        g_string_append_printf (names, _(" and %u more"), devices->len - shown);
      body = g_strdup_printf (ngettext ("The policy uses your own root: each certificate it issued "
                                        "must be revoked before the policy goes. %u device still "
                                        "holds one: %s.",
                                        "The policy uses your own root: each certificate it issued "
                                        "must be revoked before the policy goes. %u devices still "
                                        "hold one: %s.", devices->len),
                              devices->len, names->str);
    }

  /* The running entry ends before the question shows. */
  g_object_ref (self);
  policy = g_strdup (op->subject);
  g_clear_pointer (&op, op_free);
  show_delete_dialog (self, policy, body, devices);
  g_object_unref (self);
}

static void
delete_policy_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  g_autofree char *body = NULL;
  const char *name;

  if (self->policy == NULL || !_cb_registry_page_is_ready (self))
    return;
  name = cb_policy_get_name (self->policy);

  if (cb_policy_get_byor_enabled (self->policy))
    {
      g_autofree char *what = g_strdup_printf (_("Finding the devices of “%s”…"), name);

      cb_policy_retirement_list_devices_async (cb_context_get_adr (self->context), name,
                                               _cb_registry_page_get_cancellable (self),
                                               byor_devices_cb, op_new (self, what, name, FALSE));
      return;
    }

  /* Devices whose certificate already stopped working (revoked issuer) do not keep working
   * either way: say so rather than count them as working. */
  {
    g_autofree char *working = NULL;

    if (!self->counted || self->counts_pending > 0)
      working = g_strdup (_("The policy stops issuing certificates. The devices holding its "
                            "certificates are still being counted: without removing its issuing "
                            "CA from the linked hubs, those whose certificate works keep working; "
                            "with it, they lose their certificates now."));
    else if (self->hub_device_count > 0)
      working = g_strdup_printf (ngettext ("The policy stops issuing certificates. Without "
                                           "removing its issuing CA from the linked hubs, the %u "
                                           "device that holds a working certificate of it keeps "
                                           "working; with it, that device loses its certificate "
                                           "now.",
                                           "The policy stops issuing certificates. Without "
                                           "removing its issuing CA from the linked hubs, the %u "
                                           "devices that hold working certificates of it keep "
                                           "working; with it, all of them lose their certificates "
                                           "now.",
                                           self->hub_device_count),
                                 self->hub_device_count);
    else
      working = g_strdup (_("The policy stops issuing certificates. No device holds a working "
                            "certificate of it, so removing its issuing CA from the linked hubs "
                            "takes nothing from any device."));

    if (self->issuer_revoked_count > 0)
      body = g_strdup_printf (ngettext ("%s %u device still holds a certificate of its revoked "
                                        "issuer: it does not work, and the device needs "
                                        "re-provisioning under another policy.",
                                        "%s %u devices still hold certificates of its revoked "
                                        "issuer: they do not work, and the devices need "
                                        "re-provisioning under another policy.",
                                        self->issuer_revoked_count),
                              working, self->issuer_revoked_count);
    else
      body = g_steal_pointer (&working);
  }
  show_delete_dialog (self, name, body, NULL);
}


/* Delete credential */
static gboolean
delete_credential_start (gpointer             owner,
                         const char          *name,
                         gboolean             option,
                         GAsyncReadyCallback  callback,
                         gpointer             data)
{
  CbRegistryPage *self = owner;

  if (!_cb_registry_page_is_ready (self))
    return FALSE;
  cb_adr_client_delete_credential_async (cb_context_get_adr (self->context),
                                         _cb_registry_page_get_cancellable (self), callback, data);
  return TRUE;
}

static char *
delete_credential_finish (gpointer       owner,
                          const char    *name,
                          GObject       *source,
                          GAsyncResult  *result,
                          gboolean       option,
                          char         **failure,
                          GError       **error)
{
  if (!cb_adr_client_delete_credential_finish (CB_ADR_CLIENT (source), result, error))
    return NULL;
  _cb_registry_page_load_namespace (CB_REGISTRY_PAGE (owner));
  return g_strdup (_("Deleted the namespace credential"));
}

static void
delete_credential_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  g_autofree char *body = NULL;
  guint n_policies = g_list_model_get_n_items (G_LIST_MODEL (self->policies));

  if (n_policies > 0)
    body = g_strdup_printf (ngettext ("The namespace root CA is deleted and %u devices reporting a "
                                      "certificate lose it. %u policy must be deleted first: the "
                                      "service refuses while any remain.",
                                      "The namespace root CA is deleted and %u devices reporting a "
                                      "certificate lose it. %u policies must be deleted first: the "
                                      "service refuses while any remain.", n_policies),
                            self->hub_device_count, n_policies);
  else
    body = g_strdup_printf (_("The namespace root CA is deleted and %u devices reporting a "
                              "certificate lose it."), self->hub_device_count);
  confirm_run (self, &(CbConfirmRun) {
                 .heading = _("Delete the Credential “default”?"),
                 .body = body,
                 .confirm_label = _("_Delete Credential"),
                 .required_name = "default",
                 .subject = "default",
                 .running = _("Deleting the credential…"),
                 .failure = _("Credential not deleted"),
                 .start = delete_credential_start,
                 .finish = delete_credential_finish,
               });
}

/* Activate BYOR from a chain file */
static void
activate_byor_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!cb_adr_client_activate_byor_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_page_show_error_toast (op->self, _("Own root not activated"), error);
      return;
    }
  text = g_strdup_printf (_("“%s” now issues under your own root"), op->subject);
  _cb_registry_page_show_toast (op->self, text);
  _cb_registry_policy_pane_load (op->self);
}

static void
chain_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *what = NULL;
  gsize length;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_page_show_error_toast (op->self, _("The chain file could not be read"), error);
      return;
    }
  if (!_cb_registry_page_is_ready (op->self))
    return;
  what = g_strdup_printf (_("Activating the own root of “%s”…"), op->subject);
  cb_adr_client_activate_byor_async (cb_context_get_adr (op->self->context), op->subject, contents,
                                     _cb_registry_page_get_cancellable (op->self), activate_byor_cb,
                                     op_new (op->self, what, op->subject, FALSE));
}

static void
on_chooser_response_cb (GtkNativeDialog *chooser,
                        int              response,
                        CbRegistryPage  *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->policy != NULL)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_file_load_contents_async (file, _cb_registry_page_get_cancellable (self), chain_loaded_cb,
                                  op_new (self, _("Reading the chain file…"),
                                          cb_policy_get_name (self->policy), FALSE));
    }
  g_clear_object (&self->chooser);
}

static void
copy_csr_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);

  if (self->policy == NULL || cb_policy_get_byor_csr (self->policy) == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), cb_policy_get_byor_csr (self->policy));
  _cb_registry_page_show_toast (self, _("Signing request copied: sign it with your root, then activate the chain"));
}

static void
activate_byor_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Choose the Signed Chain"),
                                               _cb_registry_page_get_parent_window (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Activate"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("PEM certificate chains"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_filter_add_pattern (filter, "*.cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- actions: devices ------------------------------------------------------------------- */

static gboolean
revoke_device_start (gpointer             owner,
                     const char          *device,
                     gboolean             disable,
                     GAsyncReadyCallback  callback,
                     gpointer             data)
{
  CbRegistryPage *self = owner;

  if (!_cb_registry_page_is_ready (self))
    return FALSE;
  cb_adr_client_revoke_device_async (cb_context_get_adr (self->context), device, disable,
                                     _cb_registry_page_get_cancellable (self), callback, data);
  return TRUE;
}

static char *
revoke_device_finish (gpointer       owner,
                      const char    *device,
                      GObject       *source,
                      GAsyncResult  *result,
                      gboolean       disable,
                      char         **failure,
                      GError       **error)
{
  CbRegistryPage *self = owner;
  g_autoptr(CbDeviceItem) item = NULL;

  if (!cb_adr_client_revoke_device_finish (CB_ADR_CLIENT (source), result, error))
    return NULL;

  item = cb_device_list_model_dup_device (self->devices, device, NULL);
  if (item != NULL && disable)
    cb_device_item_set_enabled (item, FALSE);

  _cb_registry_page_update_actions (self);
  _cb_registry_activity_load (self);
  /* The activity log has the revoke now: the row reads Revoked, in place. */
  _cb_registry_page_refresh_state_info (self);
  return cb_device_actions_revoked_text (device, disable);
}

static void
revoke_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbDeviceItem *device = _cb_registry_page_get_selected_device (self);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  CbConfirmRun run = { .start = revoke_device_start, .finish = revoke_device_finish };

  if (device == NULL)
    return;
  cb_device_actions_ask_revoke (&run, self->context, cb_device_item_get_device_id (device),
                                strings);
  confirm_run (self, &run);
}

static gboolean
delete_device_start (gpointer             owner,
                     const char          *device,
                     gboolean             option,
                     GAsyncReadyCallback  callback,
                     gpointer             data)
{
  CbRegistryPage *self = owner;

  if (!_cb_registry_page_is_ready (self))
    return FALSE;
  cb_adr_client_delete_device_async (cb_context_get_adr (self->context), device,
                                     _cb_registry_page_get_cancellable (self), callback, data);
  return TRUE;
}

static char *
delete_device_finish (gpointer       owner,
                      const char    *device,
                      GObject       *source,
                      GAsyncResult  *result,
                      gboolean       option,
                      char         **failure,
                      GError       **error)
{
  CbRegistryPage *self = owner;

  if (!cb_adr_client_delete_device_finish (CB_ADR_CLIENT (source), result, error))
    return NULL;
  cb_device_list_model_remove_device (self->devices, device);
  _cb_registry_activity_load (self);
  return g_strdup_printf (_("Deleted %s"), device);
}

static void
delete_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbDeviceItem *device = _cb_registry_page_get_selected_device (self);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  CbConfirmRun run = { .start = delete_device_start, .finish = delete_device_finish };

  if (device == NULL)
    return;
  cb_device_actions_ask_delete (&run, cb_device_item_get_device_id (device), strings);
  confirm_run (self, &run);
}

static void
set_enabled_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(CbAdrDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(CbDeviceItem) item = NULL;

  device = cb_adr_client_update_device_enabled_finish (CB_ADR_CLIENT (object), result, &error);
  if (device == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_page_show_error_toast (op->self, op->flag ? _("Device not enabled") : _("Device not disabled"),
                          error);
      return;
    }
  item = cb_device_list_model_dup_device (op->self->devices, op->subject, NULL);
  if (item != NULL)
    cb_device_item_set_enabled (item, cb_adr_device_get_enabled (device));
  text = g_strdup_printf (op->flag ? _("Enabled %s") : _("Disabled %s"), op->subject);
  _cb_registry_page_show_toast_of_kind (op->self, CB_TOAST_KIND_OUTCOME, text);
  /* The row's state followed the switch; the counts for the dialogs follow too. */
  _cb_registry_page_update_actions (op->self);
  _cb_registry_page_count_hub_devices (op->self);
}

static void
set_device_enabled (CbRegistryPage *self,
                    gboolean        enabled)
{
  CbDeviceItem *device = _cb_registry_page_get_selected_device (self);
  const char *id;
  g_autofree char *what = NULL;

  if (device == NULL || !_cb_registry_page_is_ready (self))
    return;
  id = cb_device_item_get_device_id (device);
  what = g_strdup_printf (enabled ? _("Enabling %s…") : _("Disabling %s…"), id);
  cb_adr_client_update_device_enabled_async (cb_context_get_adr (self->context), id, enabled,
                                             _cb_registry_page_get_cancellable (self), set_enabled_cb,
                                             op_new (self, what, id, enabled));
}

static void
enable_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  set_device_enabled (CB_REGISTRY_PAGE (widget), TRUE);
}

static void
disable_device_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  set_device_enabled (CB_REGISTRY_PAGE (widget), FALSE);
}

/* ---- class ------------------------------------------------------------------------------ */

void
_cb_registry_page_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "registry.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "registry.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "registry.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "registry.create-policy", NULL, create_policy_action);
  gtk_widget_class_install_action (widget_class, "registry.save-validity", NULL, save_validity_action);
  gtk_widget_class_install_action (widget_class, "registry.sync", NULL, sync_action);
  gtk_widget_class_install_action (widget_class, "registry.revoke-issuer", NULL, revoke_issuer_action);
  gtk_widget_class_install_action (widget_class, "registry.delete-policy", NULL, delete_policy_action);
  gtk_widget_class_install_action (widget_class, "registry.delete-credential", NULL,
                                   delete_credential_action);
  gtk_widget_class_install_action (widget_class, "registry.activate-byor", NULL, activate_byor_action);
  gtk_widget_class_install_action (widget_class, "registry.copy-csr", NULL, copy_csr_action);
  gtk_widget_class_install_action (widget_class, "registry.revoke-device", NULL, revoke_device_action);
  gtk_widget_class_install_action (widget_class, "registry.delete-device", NULL, delete_device_action);
  gtk_widget_class_install_action (widget_class, "registry.enable-device", NULL, enable_device_action);
  gtk_widget_class_install_action (widget_class, "registry.disable-device", NULL,
                                   disable_device_action);
}
