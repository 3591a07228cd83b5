/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-page"

/* The registry page's policy pane: the credential's policies in the sidebar, the selected
 * policy's view (its issuing CA, own root, leaf validity) and DPS's enrollment groups that
 * still use each policy. A part of CbRegistryPage (cb-registry-page-private.h). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-ca-certificate-store.h"
#include "cb-certificate-actions.h"
#include "cb-dps-service-client.h"
#include "cb-hub-certificates-client.h"
#include "cb-error.h"
#include "cb-util.h"
#include "cb-registry-ca-pane-private.h"
#include "cb-registry-page-private.h"

/* ---- the issuing CA's certificate ---------------------------------------------------------- */

/* The profile hub's CA certificates as last read (CbCertificate), kept on the page. */
#define HUB_CERTIFICATES_KEY "cb-policy-hub-certificates"

/* The issuing CA's certificate to take away (docs/DESIGN.md "Where a CA's certificate comes
 * from"): the service gives its subject and dates, the hub's CA certificates and the station's
 * store its bytes. */
static void
update_certificate_row (CbRegistryPage *self,
                        CbPolicy       *policy)
{
  AdwActionRow *row = g_object_get_data (G_OBJECT (self), "cb-policy-certificate-row");
  GPtrArray *hub_certs = g_object_get_data (G_OBJECT (self), HUB_CERTIFICATES_KEY);
  g_autoptr(GPtrArray) pool = g_ptr_array_new ();
  g_autoptr(GPtrArray) chain = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *a11y = NULL;
  const char *hub = NULL;
  gboolean pending = cb_policy_get_byor_enabled (policy) &&
                     g_strcmp0 (cb_policy_get_byor_status (policy),
                                CB_POLICY_BYOR_PENDING_ACTIVATION) == 0;

  if (row == NULL)
    {
      row = ADW_ACTION_ROW (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Certificate"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (
                                   GTK_WIDGET (self->ca_subject_row), ADW_TYPE_PREFERENCES_GROUP)),
                                 GTK_WIDGET (row));
      g_object_set_data (G_OBJECT (self), "cb-policy-certificate-row", row);
    }

  if (hub_certs != NULL)
    g_ptr_array_extend (pool, hub_certs, NULL, NULL);
  if (self->context != NULL)
    g_ptr_array_extend (pool,
                        cb_ca_certificate_store_get_certificates (
                          cb_ca_certificate_store_get_for_context (self->context)),
                        NULL, NULL);
  if (!pending)
    chain = cb_ca_certificate_find_chain (pool, cb_policy_get_ca_subject (policy),
                                          cb_policy_get_ca_not_before (policy),
                                          cb_policy_get_ca_not_after (policy),
                                          cb_policy_get_byor_enabled (policy)
                                            ? cb_policy_get_byor_thumbprint (policy) : NULL);
  for (guint i = 0; chain != NULL && hub_certs != NULL && i < hub_certs->len && hub == NULL; i++)
    if (cb_certificate_equal (g_ptr_array_index (hub_certs, i), g_ptr_array_index (chain, 0)))
      hub = cb_profile_get_hub_name (cb_context_get_profile (self->context));

  if (chain != NULL)
    subtitle = _cb_registry_ca_certs_describe (chain, hub);
  else if (pending)
    subtitle = g_strdup (_("None yet: sign the CSR with your root, then activate the chain"));
  else
    subtitle = g_strdup (_("Not known here yet: Azure gives the issuing CA's subject and dates, "
                           "not its certificate. Provision one device through this policy and "
                           "Certbench keeps it."));
  a11y = g_strdup_printf (_("Copy, save or inspect the issuing CA of “%s”"),
                          cb_policy_get_name (policy));
  cb_certificate_actions_set_row (row, chain, subtitle, a11y);
}

static void
list_hub_certificates_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;

  entries = cb_adr_client_list_hub_certificates_finish (CB_ADR_CLIENT (object), result, &error);
  if (entries == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The hub's CA certificates could not be read: %s", error->message);
      return;
    }
  if (self->disposed)
    return;
  certs = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < entries->len; i++)
    {
      CbCertificate *cert =
        cb_certificate_new_from_text (cb_hub_certificate_get_certificate (g_ptr_array_index (entries, i)));

      if (cert != NULL)
        g_ptr_array_add (certs, cert);
    }
  if (self->context != NULL &&
      !cb_ca_certificate_store_add_chain (cb_ca_certificate_store_get_for_context (self->context),
                                          certs, &error))
    g_warning ("The hub's CA certificates could not be kept: %s", error->message);
  g_object_set_data_full (G_OBJECT (self), HUB_CERTIFICATES_KEY, g_ptr_array_ref (certs),
                          (GDestroyNotify) g_ptr_array_unref);
  if (self->policy != NULL)
    update_certificate_row (self, self->policy);
}

/* ---- policy view ------------------------------------------------------------------------ */

static void
show_policy (CbRegistryPage *self,
             CbPolicy       *policy)
{
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  g_autofree char *validity = NULL;
  const char *byor;

  g_set_object (&self->policy, policy);

  if (policy == NULL)
    {
      gtk_stack_set_visible_child_name (self->policy_stack, "empty");
      _cb_registry_page_update_actions (self);
      return;
    }

  from = _cb_registry_page_format_date (cb_policy_get_ca_not_before (policy));
  until = _cb_registry_page_format_date (cb_policy_get_ca_not_after (policy));
  validity = g_strdup_printf (_("%s to %s"), from, until);

  {
    g_autofree char *title = g_strdup_printf (_("Issuing CA of “%s”"), cb_policy_get_name (policy));

    adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (
                                       GTK_WIDGET (self->ca_subject_row), ADW_TYPE_PREFERENCES_GROUP)),
                                     title);
  }
  adw_action_row_set_subtitle (self->ca_subject_row,
                               cb_policy_get_ca_subject (policy) != NULL
                                 ? cb_policy_get_ca_subject (policy) : _("Not issued yet"));
  adw_action_row_set_subtitle (self->ca_validity_row, validity);
  adw_action_row_set_subtitle (self->key_type_row,
                               cb_policy_get_key_type (policy) != NULL
                                 ? cb_policy_get_key_type (policy) : "ECC");
  if (!cb_policy_get_byor_enabled (policy))
    byor = _("Not used: the namespace root signs the issuing CA");
  else if (g_strcmp0 (cb_policy_get_byor_status (policy), CB_POLICY_BYOR_PENDING_ACTIVATION) == 0)
    byor = _("Pending activation: sign the CSR with your root, then activate the chain");
  else if (g_strcmp0 (cb_policy_get_byor_status (policy), CB_POLICY_BYOR_ACTIVE_PENDING_RENEWAL) == 0)
    byor = _("Active, renewal pending");
  else
    byor = _("Active");
  adw_action_row_set_subtitle (self->byor_row, byor);
  gtk_widget_set_visible (self->byor_csr_button, cb_policy_get_byor_enabled (policy));
  gtk_widget_set_visible (self->byor_activate_button, cb_policy_get_byor_enabled (policy));

  update_certificate_row (self, policy);
  gtk_spin_button_set_value (self->validity_spin, cb_policy_get_validity_days (policy));
  gtk_stack_set_visible_child_name (self->policy_stack, "policy");
  _cb_registry_page_update_actions (self);
}

static GtkWidget *
create_policy_row (CbPolicy *policy)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  subtitle = g_strdup_printf (ngettext ("%u-day certificates", "%u-day certificates",
                                        cb_policy_get_validity_days (policy)),
                              cb_policy_get_validity_days (policy));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_policy_get_name (policy));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (cb_policy_get_byor_enabled (policy))
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_label_new (_("Own root")));
  /* Clicked in a folded leaflet, it shows the policy's views (on_list_row_activated_cb). */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  return row;
}

static void
set_policies (CbRegistryPage *self,
              GPtrArray      *policies,
              const char     *select_name)
{
  /* A copy: the caller's name is usually the shown policy's, and emptying the list unselects
   * its row, which lets go of that policy (and of its name) before the loop below reads it. */
  g_autofree char *wanted = g_strdup (select_name);
  guint select = 0;

  g_list_store_remove_all (self->policies);
  _cb_registry_page_clear_list_box (self->policy_list);

  for (guint i = 0; policies != NULL && i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);

      g_list_store_append (self->policies, policy);
      gtk_list_box_append (self->policy_list, create_policy_row (policy));
      if (g_strcmp0 (cb_policy_get_name (policy), wanted) == 0)
        select = i;
    }

  if (policies != NULL && policies->len > 0)
    gtk_list_box_select_row (self->policy_list,
                             gtk_list_box_get_row_at_index (self->policy_list, select));
  else
    show_policy (self, NULL);
}


static void
on_policy_list_row_selected_cb (CbRegistryPage *self,
                                GtkListBoxRow  *row,
                                GtkListBox     *list)
{
  g_autoptr(CbPolicy) policy = NULL;
  gboolean changed;

  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;

  if (row != NULL)
    policy = g_list_model_get_item (G_LIST_MODEL (self->policies),
                                    gtk_list_box_row_get_index (row));
  changed = policy == NULL || self->policy == NULL ||
            g_strcmp0 (cb_policy_get_name (policy), cb_policy_get_name (self->policy)) != 0;
  show_policy (self, policy);
  /* Another policy: another issuing CA to judge the rows by. */
  if (changed)
    _cb_registry_page_load_state_info (self);
}

static void
list_policies_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;
  guint generation;

  policies = cb_adr_client_list_policies_finish (CB_ADR_CLIENT (object), result, &error);
  if (policies == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* No credential yet: no policies, not an error. */
      if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
        _cb_registry_page_show_error_toast (self, _("Policies could not be read"), error);
    }

  generation = self->state_generation;
  set_policies (self, policies,
                self->policy != NULL ? cb_policy_get_name (self->policy) : NULL);
  /* Selecting a different policy reloads the signals and devices; the same one (a refresh, an
   * issuer revoke) does not, but its issuing CA may be a new one. */
  if (self->state_generation == generation)
    _cb_registry_page_load_state_info (self);
}

/* DPS's enrollment groups, to say which still use a policy about to be deleted. */
static void
query_groups_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GError) error = NULL;

  groups = cb_dps_service_client_query_finish (CB_DPS_SERVICE_CLIENT (object), result, &error);
  if (groups == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The enrollment groups could not be read: %s", error->message);
      return;
    }
  g_clear_pointer (&self->enrollment_groups, g_ptr_array_unref);
  self->enrollment_groups = g_steal_pointer (&groups);
}

void
_cb_registry_policy_pane_load (CbRegistryPage *self)
{
  if (!_cb_registry_page_is_ready (self))
    return;
  cb_adr_client_list_policies_async (cb_context_get_adr (self->context), _cb_registry_page_get_cancellable (self),
                                     list_policies_cb, g_object_ref (self));
  cb_adr_client_list_hub_certificates_async (cb_context_get_adr (self->context),
                                             _cb_registry_page_get_cancellable (self),
                                             list_hub_certificates_cb, g_object_ref (self));
  if (cb_context_get_dps_service (self->context) != NULL)
    cb_dps_service_client_query_async (cb_context_get_dps_service (self->context),
                                       CB_DPS_ENROLLMENT_GROUP, _cb_registry_page_get_cancellable (self),
                                       query_groups_cb, g_object_ref (self));
}

/* "Enrollment groups still using it: a, b. …", or NULL when none (or not known). */
char *
_cb_registry_policy_pane_describe_groups_using (CbRegistryPage *self,
                       const char     *policy)
{
  g_autoptr(GString) names = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; self->enrollment_groups != NULL && i < self->enrollment_groups->len; i++)
    {
      JsonObject *group = g_ptr_array_index (self->enrollment_groups, i);
      const char *id = json_object_get_string_member_with_default (group, "enrollmentGroupId",
                                                                   NULL);

      if (id == NULL ||
          g_strcmp0 (cb_dps_enrollment_get_policy (group), policy) != 0)
        continue;
      /* Translators: the separator between enrollment group names */
      g_string_append_printf (names, "%s“%s”", n > 0 ? _(", ") : "", id);
      n++;
    }
  if (n == 0)
    return NULL;

  return g_strdup_printf (ngettext ("Enrollment group %s still uses it: its devices cannot be "
                                    "provisioned until it uses another policy.",
                                    "Enrollment groups %s still use it: their devices cannot be "
                                    "provisioned until they use another policy.", n),
                          names->str);
}

static void
on_validity_spin_value_changed_cb (CbRegistryPage *self,
                                   GtkSpinButton  *spin)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;
  _cb_registry_page_update_actions (self);
}

void
_cb_registry_policy_pane_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback (widget_class, on_policy_list_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_validity_spin_value_changed_cb);
}
