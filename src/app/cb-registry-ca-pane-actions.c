/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-ca-pane"

/* What the certificate authorities pane's buttons do: create an intermediate CA and its
 * policy, activate an External one from a chain file, revoke and rotate a Microsoft-issued one
 * (after counting the devices that lose their certificates and asking for its name), copy a
 * signing request or a thumbprint, and link and unlink hubs and DPS. Every call is async with
 * the pane's cancellable; its outcome is a toast, its errors too. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-ca-activate-dialog.h"
#include "cb-ca-create-dialog.h"
#include "cb-ca-policy-dialog.h"
#include "cb-ca-root-dialog.h"
#include "cb-confirm-run.h"
#include "cb-endpoint-link-dialog.h"
#include "cb-error-text.h"
#include "cb-registry-ca-pane-private.h"

static CbAdrClient *
ready_adr (CbRegistryCaPane *self)
{
  if (self->disposed || self->context == NULL ||
      cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    return NULL;
  return cb_context_get_adr (self->context);
}

/* One running call: the pane's running entry and what it is about. */
typedef struct
{
  CbRegistryCaPane *self;
  gpointer  entry;
  char     *subject;
  char     *extra;
} Call;

static Call *
call_new (CbRegistryCaPane *self,
          const char       *running,
          const char       *subject,
          const char       *extra)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->entry = _cb_registry_ca_pane_begin (self, running);
  call->subject = g_strdup (subject);
  call->extra = g_strdup (extra);
  return call;
}

static CbRegistryCaPane *
call_pane (Call *call)
{
  return call->self;
}

static void
call_free (Call *call)
{
  _cb_registry_ca_pane_end (call->entry);
  g_object_unref (call->self);
  g_free (call->subject);
  g_free (call->extra);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
present (CbRegistryCaPane *self,
         AdwMessageDialog *dialog)
{
  _cb_registry_ca_pane_set_dialog (self, dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- new intermediate CA ------------------------------------------------------------------ */

static void
ca_created_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  CbRegistryCaPane *self = call_pane (call);
  g_autoptr(CbCertificateAuthority) ca = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  ca = cb_adr_client_create_certificate_authority_finish (CB_ADR_CLIENT (object), result, &error);
  if (ca == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_ca_pane_error_toast (self, call->extra != NULL
                                                  ? _("The root CA was not created")
                                                  : _("The intermediate CA was not created"),
                                          error);
      return;
    }
  if (cb_certificate_authority_get_kind (ca) == CB_CA_KIND_ROOT)
    text = g_strdup_printf (_("Created the root CA “%s”: give it an intermediate CA next"),
                            cb_certificate_authority_get_name (ca));
  else if (cb_certificate_authority_get_issuer (ca) == CB_CA_ISSUER_EXTERNAL)
    text = g_strdup_printf (_("Created “%s”: copy its signing request for your CA to sign"),
                            cb_certificate_authority_get_name (ca));
  else
    text = g_strdup_printf (_("Created “%s”: give it a policy to provision devices through it"),
                            cb_certificate_authority_get_name (ca));
  _cb_registry_ca_pane_toast (self, text);
  cb_registry_ca_pane_load (self);
}

/* A root (issuer NONE) or an intermediate CA, in the namespace's location; "extra" marks a
 * root for the failure's words. */
static void
create_ca (CbRegistryCaPane *self,
           const char       *name,
           CbCaIssuer        issuer,
           const char       *root_id)
{
  g_autofree char *running = NULL;
  CbAdrClient *adr = ready_adr (self);

  if (adr == NULL)
    return;
  running = g_strdup_printf (_("Creating “%s”…"), name);
  cb_adr_client_create_certificate_authority_async (adr, name,
                                                    self->ns != NULL
                                                      ? cb_namespace_get_location (self->ns)
                                                      : NULL,
                                                    issuer, root_id, self->op_cancellable,
                                                    ca_created_cb,
                                                    call_new (self, running, name,
                                                              issuer == CB_CA_ISSUER_NONE
                                                                ? "root" : NULL));
}

static void
on_create_response_cb (CbCaCreateDialog *dialog,
                       const char       *response,
                       CbRegistryCaPane *self)
{
  if (g_strcmp0 (response, "create") == 0)
    create_ca (self, cb_ca_create_dialog_get_name (dialog), cb_ca_create_dialog_get_issuer (dialog),
               cb_ca_create_dialog_get_root_id (dialog));
}

static void
new_ica_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func (g_object_unref);
  CbCaCreateDialog *dialog;
  guint n_icas = 0;

  if (self->cas == NULL)
    return;
  for (guint i = 0; i < self->cas->len; i++)
    {
      CbCertificateAuthority *ca = g_ptr_array_index (self->cas, i);

      if (cb_certificate_authority_get_kind (ca) == CB_CA_KIND_ROOT)
        g_ptr_array_add (roots, g_object_ref (ca));
      else
        n_icas++;
    }
  dialog = cb_ca_create_dialog_new (_cb_registry_ca_pane_get_window (self), roots, n_icas);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_create_response_cb), self, 0);
  present (self, ADW_MESSAGE_DIALOG (dialog));
}

/* ---- new root CA (a namespace without one) ---------------------------------------------- */

static void
on_root_response_cb (CbCaRootDialog   *dialog,
                     const char       *response,
                     CbRegistryCaPane *self)
{
  if (g_strcmp0 (response, "create") == 0)
    create_ca (self, cb_ca_root_dialog_get_name (dialog), CB_CA_ISSUER_NONE, NULL);
}

static void
new_root_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  CbCaRootDialog *dialog;

  if (self->cas == NULL)
    return;
  dialog = cb_ca_root_dialog_new (_cb_registry_ca_pane_get_window (self),
                                  self->ns != NULL ? cb_namespace_get_name (self->ns) : NULL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_root_response_cb), self, 0);
  present (self, ADW_MESSAGE_DIALOG (dialog));
}

/* ---- new policy --------------------------------------------------------------------------- */

static void
policy_created_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  CbRegistryCaPane *self = call_pane (call);
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  policy = cb_adr_client_put_certificate_policy_finish (CB_ADR_CLIENT (object), result, &error);
  if (policy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_ca_pane_error_toast (self, _("The policy was not created"), error);
      return;
    }
  text = g_strdup_printf (ngettext ("Created the policy “%s” under “%s”: certificates valid %u day",
                                    "Created the policy “%s” under “%s”: certificates valid %u days",
                                    cb_policy_get_validity_days (policy)),
                          cb_policy_get_name (policy), call->subject,
                          cb_policy_get_validity_days (policy));
  _cb_registry_ca_pane_toast (self, text);
  cb_registry_ca_pane_load (self);
  _cb_registry_ca_pane_policies_changed (self);
}

static void
on_policy_response_cb (CbCaPolicyDialog *dialog,
                       const char       *response,
                       CbRegistryCaPane *self)
{
  g_autofree char *running = NULL;
  CbAdrClient *adr = ready_adr (self);
  const char *ca = cb_ca_policy_dialog_get_ca_name (dialog);

  if (g_strcmp0 (response, "create") != 0 || adr == NULL)
    return;
  running = g_strdup_printf (_("Creating the policy “%s”…"), cb_ca_policy_dialog_get_name (dialog));
  cb_adr_client_put_certificate_policy_async (adr, ca, cb_ca_policy_dialog_get_name (dialog),
                                              cb_ca_policy_dialog_get_days (dialog),
                                              self->op_cancellable, policy_created_cb,
                                              call_new (self, running, ca, NULL));
}

static void
new_policy_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  const char *ca = g_variant_get_string (parameter, NULL);
  CbCaPolicyDialog *dialog;

  dialog = cb_ca_policy_dialog_new (_cb_registry_ca_pane_get_window (self), ca);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_policy_response_cb), self, 0);
  present (self, ADW_MESSAGE_DIALOG (dialog));
}

/* ---- activate ----------------------------------------------------------------------------- */

static void
activated_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  CbRegistryCaPane *self = call_pane (call);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!cb_adr_client_activate_certificate_authority_finish (CB_ADR_CLIENT (object), result,
                                                            &error))
    {
      g_autofree char *reason = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->disposed)
        return;
      reason = cb_error_text (error);
      _cb_registry_ca_pane_error_toast (self, _("The CA was not activated"), error);
      present (self, cb_ca_activate_dialog_new_failed (_cb_registry_ca_pane_get_window (self),
                                                       call->subject, reason));
      cb_registry_ca_pane_load (self);
      return;
    }
  /* ADR keeps the chain but never gives it back: the station keeps its CA certificates. */
  _cb_registry_ca_certs_keep_chain (self, call->extra);
  text = g_strdup_printf (_("“%s” is active: it can sign device certificates once it has a "
                            "policy"), call->subject);
  _cb_registry_ca_pane_toast (self, text);
  cb_registry_ca_pane_load (self);
}

static void
chain_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  CbRegistryCaPane *self = call_pane (call);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *running = NULL;
  CbAdrClient *adr;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, NULL, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_ca_pane_error_toast (self, _("The chain file could not be read"), error);
      return;
    }
  if ((adr = ready_adr (self)) == NULL)
    return;
  if (!g_utf8_validate (contents, -1, NULL) || strstr (contents, "-----BEGIN CERTIFICATE-----") == NULL)
    {
      present (self, cb_ca_activate_dialog_new_failed (_cb_registry_ca_pane_get_window (self),
                                                       call->subject,
                                                       _("the file holds no PEM certificate")));
      return;
    }
  running = g_strdup_printf (_("Activating “%s”…"), call->subject);
  cb_adr_client_activate_certificate_authority_async (adr, call->subject, contents,
                                                      self->op_cancellable, activated_cb,
                                                      call_new (self, running, call->subject,
                                                                contents));
}

void
cb_registry_ca_pane_activate_from_file (CbRegistryCaPane *self,
                                        const char       *ca_name,
                                        GFile            *file)
{
  g_return_if_fail (CB_IS_REGISTRY_CA_PANE (self));
  g_return_if_fail (ca_name != NULL);
  g_return_if_fail (G_IS_FILE (file));

  g_file_load_contents_async (file, self->op_cancellable, chain_loaded_cb,
                              call_new (self, _("Reading the chain file…"), ca_name, NULL));
}

static void
on_chooser_response_cb (GtkNativeDialog  *chooser,
                        int               response,
                        CbRegistryCaPane *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->chooser_ca != NULL &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL)
    cb_registry_ca_pane_activate_from_file (self, self->chooser_ca, file);
  gtk_native_dialog_destroy (chooser);
  if (self->chooser == GTK_FILE_CHOOSER_NATIVE (chooser))
    g_clear_object (&self->chooser);
}

static void
on_activate_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         CbRegistryCaPane *self)
{
  g_autoptr(GtkFileFilter) filter = NULL;
  g_autofree char *title = NULL;

  if (g_strcmp0 (response, "choose") != 0 || self->disposed)
    return;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_free (self->chooser_ca);
  self->chooser_ca = g_strdup (g_object_get_data (G_OBJECT (dialog), "cb-ca-name"));
  title = g_strdup_printf (_("Chain for “%s”"), self->chooser_ca);
  self->chooser = gtk_file_chooser_native_new (title, _cb_registry_ca_pane_get_window (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Activate"), _("_Cancel"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PEM certificate chains"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_filter_add_pattern (filter, "*.cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
activate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  AdwMessageDialog *dialog;

  dialog = cb_ca_activate_dialog_new (_cb_registry_ca_pane_get_window (self), name);
  g_object_set_data_full (G_OBJECT (dialog), "cb-ca-name", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_activate_response_cb), self, 0);
  present (self, dialog);
}

/* ---- copy --------------------------------------------------------------------------------- */

static void
copy_request_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  CbCertificateAuthority *ca = _cb_registry_ca_pane_find_ca (self,
                                                             g_variant_get_string (parameter, NULL));

  if (ca == NULL || cb_certificate_authority_get_csr (ca) == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), cb_certificate_authority_get_csr (ca));
  _cb_registry_ca_pane_toast (self, _("Signing request copied: sign it with your CA, then "
                                      "activate the chain"));
}

static void
copy_thumbprint_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  CbCertificateAuthority *ca = _cb_registry_ca_pane_find_ca (self,
                                                             g_variant_get_string (parameter, NULL));

  if (ca == NULL || cb_certificate_authority_get_thumbprint (ca) == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                          cb_certificate_authority_get_thumbprint (ca));
  _cb_registry_ca_pane_toast (self, _("Thumbprint copied"));
}

/* ---- confirm, run, tell (cb-confirm-run.h) ------------------------------------------------ */

static void
run_toast (gpointer      owner,
           const char   *text,
           const GError *error)
{
  if (error != NULL)
    _cb_registry_ca_pane_error_toast (CB_REGISTRY_CA_PANE (owner), text, error);
  else
    _cb_registry_ca_pane_toast (CB_REGISTRY_CA_PANE (owner), text);
}

static gpointer
run_begin (gpointer    owner,
           const char *description)
{
  return _cb_registry_ca_pane_begin (CB_REGISTRY_CA_PANE (owner), description);
}

static void
confirm_run (CbRegistryCaPane *self,
             CbConfirmRun     *run)
{
  run->toast = run_toast;
  run->begin = run_begin;
  run->end = _cb_registry_ca_pane_end;
  present (self, ADW_MESSAGE_DIALOG (cb_confirm_run (GTK_WIDGET (self), run)));
}

/* ---- revoke and rotate -------------------------------------------------------------------- */

static gboolean
rotate_start (gpointer             owner,
              const char          *name,
              gboolean             option,
              GAsyncReadyCallback  callback,
              gpointer             data)
{
  CbRegistryCaPane *self = owner;
  CbAdrClient *adr = ready_adr (self);

  if (adr == NULL)
    return FALSE;
  cb_adr_client_revoke_and_rotate_async (adr, name, self->op_cancellable, callback, data);
  return TRUE;
}

static char *
rotate_finish (gpointer       owner,
               const char    *name,
               GObject       *source,
               GAsyncResult  *result,
               gboolean       option,
               char         **failure,
               GError       **error)
{
  CbRegistryCaPane *self = owner;

  if (!cb_adr_client_revoke_and_rotate_finish (CB_ADR_CLIENT (source), result, error))
    return NULL;
  _cb_registry_ca_pane_mark_rotated (self, name);
  cb_registry_ca_pane_load (self);
  _cb_registry_ca_pane_policies_changed (self);
  return g_strdup_printf (_("Revoked and rotated “%s”: a new CA signs from now on"), name);
}

/* The impact: the registry's devices whose certificates came from one of the CA's policies, as
 * each device's authentication profile names it (the registry device itself does not). */
typedef struct
{
  Call      *call;
  char      *prefix;    /* "<the CA's id>/certificatePolicies/", lower case */
  guint      count;
} Count;

static void
count_free (Count *count)
{
  g_clear_pointer (&count->call, call_free);
  g_free (count->prefix);
  g_free (count);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Count, count_free)

static void
ask_rotate (CbRegistryCaPane *self,
            const char       *name,
            guint             count)
{
  g_autofree char *heading = g_strdup_printf (_("Revoke and Rotate “%s”?"), name);
  g_autofree char *running = g_strdup_printf (_("Revoking and rotating “%s”…"), name);
  g_autofree char *body = NULL;

  body = g_strdup_printf (ngettext ("A new CA replaces this one and every certificate it signed "
                                    "stops working at once: %u device loses its certificate and "
                                    "must be provisioned again. The linked hubs get the new CA.",
                                    "A new CA replaces this one and every certificate it signed "
                                    "stops working at once: %u devices lose their certificates "
                                    "and must be provisioned again. The linked hubs get the new "
                                    "CA.", count), count);
  confirm_run (self, &(CbConfirmRun) {
                 .heading = heading,
                 .body = body,
                 .confirm_label = _("_Revoke and Rotate"),
                 .required_name = name,
                 .subject = name,
                 .running = running,
                 .failure = _("The CA was not revoked and rotated"),
                 .start = rotate_start,
                 .finish = rotate_finish,
               });
}

static void
count_failed (Count        *count,
              const GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _cb_registry_ca_pane_error_toast (call_pane (count->call),
                                      _("The devices that lose their certificates could not be "
                                        "counted"), error);
  count_free (count);
}

static void
count_page_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Count *count = user_data;
  CbRegistryCaPane *self = call_pane (count->call);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;

  page = cb_adr_client_list_devices_page_finish (CB_ADR_CLIENT (object), result, &next, &error);
  if (page == NULL)
    {
      count_failed (count, error);
      return;
    }
  /* A listed device names the policy its certificates come from (core reads it from the
   * device's default authentication profile in this model): count those under this CA. */
  for (guint i = 0; i < page->len; i++)
    {
      const char *policy = cb_adr_device_get_policy_id (g_ptr_array_index (page, i));
      g_autofree char *lower = policy != NULL ? g_ascii_strdown (policy, -1) : NULL;

      count->count += lower != NULL && g_str_has_prefix (lower, count->prefix);
    }
  if (next != NULL && ready_adr (self) != NULL)
    {
      cb_adr_client_list_devices_page_async (CB_ADR_CLIENT (object), next, self->op_cancellable,
                                             count_page_cb, count);
      return;
    }
  ask_rotate (self, count->call->subject, count->count);
  count_free (count);
}

static void
revoke_and_rotate_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  CbCertificateAuthority *ca = _cb_registry_ca_pane_find_ca (self, name);
  CbAdrClient *adr = ready_adr (self);
  g_autofree char *prefix = NULL;
  Count *count;

  if (adr == NULL || ca == NULL)
    return;
  count = g_new0 (Count, 1);
  count->call = call_new (self, _("Counting the devices that lose their certificates…"), name,
                          NULL);
  prefix = g_strconcat (cb_certificate_authority_get_id (ca), "/certificatePolicies/", NULL);
  count->prefix = g_ascii_strdown (prefix, -1);
  cb_adr_client_list_devices_page_async (adr, NULL, self->op_cancellable, count_page_cb, count);
}

/* ---- link and unlink ---------------------------------------------------------------------- */

static void
linked_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  CbRegistryCaPane *self = call_pane (call);
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean link = call->extra != NULL;

  ns = cb_adr_client_set_endpoint_finish (CB_ADR_CLIENT (object), result, &error);
  if (ns == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _cb_registry_ca_pane_error_toast (self, link ? _("The link was not made")
                                                     : _("The link was not removed"), error);
      return;
    }
  text = g_strdup_printf (link ? _("Linked “%s”: the list shows when linking has settled")
                               : _("Unlinked “%s”"), call->subject);
  _cb_registry_ca_pane_toast (self, text);
  cb_registry_ca_pane_load (self);
}

static void
on_link_response_cb (CbEndpointLinkDialog *dialog,
                     const char           *response,
                     CbRegistryCaPane     *self)
{
  g_autofree char *id = NULL;
  g_autofree char *link = NULL;
  g_autofree char *running = NULL;
  CbAdrClient *adr = ready_adr (self);

  if (g_strcmp0 (response, "link") != 0 || adr == NULL)
    return;
  id = cb_endpoint_link_dialog_dup_resource_id (dialog);
  link = cb_endpoint_link_dialog_dup_link_name (dialog);
  if (id == NULL || link == NULL)
    return;
  running = g_strdup_printf (_("Linking “%s”…"), link);
  cb_adr_client_set_endpoint_async (adr, cb_endpoint_link_dialog_get_kind (dialog), link, id,
                                    self->op_cancellable, linked_cb,
                                    call_new (self, running, link, id));
}

static void
link_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  CbEndpointKind kind = g_str_equal (action_name, "ca.link-hub") ? CB_ENDPOINT_MESSAGING
                                                                : CB_ENDPOINT_PROVISIONING;
  CbEndpointLinkDialog *dialog;

  if (self->context == NULL)
    return;
  dialog = cb_endpoint_link_dialog_new (_cb_registry_ca_pane_get_window (self), kind,
                                        cb_context_get_profile (self->context));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_link_response_cb), self, 0);
  present (self, ADW_MESSAGE_DIALOG (dialog));
}

static gboolean
unlink_start (gpointer             owner,
              const char          *name,
              CbEndpointKind       kind,
              GAsyncReadyCallback  callback,
              gpointer             data)
{
  CbRegistryCaPane *self = owner;
  CbAdrClient *adr = ready_adr (self);

  if (adr == NULL)
    return FALSE;
  cb_adr_client_set_endpoint_async (adr, kind, name, NULL, self->op_cancellable, callback, data);
  return TRUE;
}

static gboolean
unlink_hub_start (gpointer owner, const char *name, gboolean option,
                  GAsyncReadyCallback callback, gpointer data)
{
  return unlink_start (owner, name, CB_ENDPOINT_MESSAGING, callback, data);
}

static gboolean
unlink_dps_start (gpointer owner, const char *name, gboolean option,
                  GAsyncReadyCallback callback, gpointer data)
{
  return unlink_start (owner, name, CB_ENDPOINT_PROVISIONING, callback, data);
}

static char *
unlink_finish (gpointer       owner,
               const char    *name,
               GObject       *source,
               GAsyncResult  *result,
               gboolean       option,
               char         **failure,
               GError       **error)
{
  g_autoptr(CbNamespace) ns = cb_adr_client_set_endpoint_finish (CB_ADR_CLIENT (source), result,
                                                                 error);

  if (ns == NULL)
    return NULL;
  cb_registry_ca_pane_load (CB_REGISTRY_CA_PANE (owner));
  return g_strdup_printf (_("Unlinked “%s”"), name);
}

static void
unlink_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  gboolean hub = g_str_equal (action_name, "ca.unlink-hub");
  const char *name = g_variant_get_string (parameter, NULL);
  g_autofree char *heading = g_strdup_printf (_("Unlink “%s”?"), name);
  g_autofree char *running = g_strdup_printf (_("Unlinking “%s”…"), name);

  confirm_run (self, &(CbConfirmRun) {
                 .heading = heading,
                 .body = hub ? _("The hub no longer receives this namespace's CAs: devices whose "
                                 "certificates they signed can no longer connect to it.")
                             : _("The service can no longer provision devices through this "
                                 "namespace's policies. Its enrollments stay as they are."),
                 .confirm_label = _("_Unlink"),
                 .subject = name,
                 .running = running,
                 .failure = _("The link was not removed"),
                 .start = hub ? unlink_hub_start : unlink_dps_start,
                 .finish = unlink_finish,
               });
}

/* ---- class -------------------------------------------------------------------------------- */

void
_cb_registry_ca_actions_update (CbRegistryCaPane *self)
{
  gboolean loaded = self->cas != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ca.new-ica", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ca.new-root", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ca.link-hub", self->ns != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ca.link-dps", self->ns != NULL);
  _cb_registry_ca_groups_update (self);
}

void
_cb_registry_ca_actions_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "ca.new-ica", NULL, new_ica_action);
  gtk_widget_class_install_action (widget_class, "ca.new-root", NULL, new_root_action);
  gtk_widget_class_install_action (widget_class, "ca.new-policy", "s", new_policy_action);
  gtk_widget_class_install_action (widget_class, "ca.activate", "s", activate_action);
  gtk_widget_class_install_action (widget_class, "ca.copy-request", "s", copy_request_action);
  gtk_widget_class_install_action (widget_class, "ca.copy-thumbprint", "s",
                                   copy_thumbprint_action);
  gtk_widget_class_install_action (widget_class, "ca.revoke-and-rotate", "s",
                                   revoke_and_rotate_action);
  gtk_widget_class_install_action (widget_class, "ca.link-hub", NULL, link_action);
  gtk_widget_class_install_action (widget_class, "ca.link-dps", NULL, link_action);
  gtk_widget_class_install_action (widget_class, "ca.unlink-hub", "s", unlink_action);
  gtk_widget_class_install_action (widget_class, "ca.unlink-dps", "s", unlink_action);
}
