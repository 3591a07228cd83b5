/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-ca-pane"

/* The Registry's certificate authorities view (the certificate-authority model, docs/DESIGN.md
 * "Two ADR models"): it reads the namespace's CAs, the policy under each intermediate CA and
 * the namespace's linked hubs and DPS, and shows them as a hierarchy (a root's group holds
 * its intermediate CAs, an intermediate CA's its details, its policy and its actions). While a
 * link or a CA is still settling it reads them again, a bounded number of times. The actions
 * are in cb-registry-ca-pane-actions.c. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-dps-service-client.h"
#include "cb-error-text.h"
#include "cb-hub-certificates-client.h"
#include "cb-registry-ca-pane-private.h"
#include "cb-util.h"

G_DEFINE_FINAL_TYPE (CbRegistryCaPane, cb_registry_ca_pane, ADW_TYPE_BIN)

enum
{
  SIGNAL_TOAST,
  SIGNAL_POLICIES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* While something settles (a link InProgress, a CA being created) the pane reads again every
 * POLL_SECONDS, at most MAX_POLLS times in a row. */
#define POLL_SECONDS 2
#define MAX_POLLS    30

/* ---- helpers shared with the actions ------------------------------------------------------ */

void
_cb_registry_ca_pane_toast (CbRegistryCaPane *self,
                            const char       *text)
{
  g_signal_emit (self, signals[SIGNAL_TOAST], 0, text);
}

void
_cb_registry_ca_pane_error_toast (CbRegistryCaPane *self,
                                  const char       *what,
                                  const GError     *error)
{
  g_autofree char *reason = cb_error_text (error);
  g_autofree char *text = g_strdup_printf ("%s: %s", what, reason);

  _cb_registry_ca_pane_toast (self, text);
}

void
_cb_registry_ca_pane_set_form (CbRegistryCaPane *self,
                               GtkWindow        *form)
{
  if (self->form != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->form), (gpointer *) &self->form);
  self->form = form;
  if (form != NULL)
    g_object_add_weak_pointer (G_OBJECT (form), (gpointer *) &self->form);
}

void
_cb_registry_ca_pane_set_dialog (CbRegistryCaPane *self,
                                 AdwMessageDialog *dialog)
{
  if (self->dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
  self->dialog = dialog;
  if (dialog != NULL)
    g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->dialog);
}

GtkWindow *
_cb_registry_ca_pane_get_window (CbRegistryCaPane *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

typedef struct
{
  CbRegistryCaPane *self;
  char             *description;
} Op;

static void
update_busy (CbRegistryCaPane *self)
{
  guint n = self->operations->len;
  g_autofree char *text = NULL;

  if (n == 1)
    text = g_strdup (((Op *) g_ptr_array_index (self->operations, 0))->description);
  else if (n > 1)
    text = g_strdup_printf (ngettext ("%u operation running", "%u operations running", n), n);
  gtk_label_set_text (self->busy_label, text != NULL ? text : "");
  gtk_spinner_set_spinning (self->busy_spinner, n > 0);
  gtk_revealer_set_reveal_child (self->busy_revealer, n > 0);
}

/* Shows @description as running until _cb_registry_ca_pane_end(); keeps the pane alive. */
gpointer
_cb_registry_ca_pane_begin (CbRegistryCaPane *self,
                            const char       *description)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  op->description = g_strdup (description);
  g_ptr_array_add (self->operations, op);
  update_busy (self);
  return op;
}

void
_cb_registry_ca_pane_end (gpointer data)
{
  Op *op = data;

  if (op == NULL)
    return;
  g_ptr_array_remove (op->self->operations, op);
  if (!op->self->disposed)
    update_busy (op->self);
  g_object_unref (op->self);
  g_free (op->description);
  g_free (op);
}

CbCertificateAuthority *
_cb_registry_ca_pane_find_ca (CbRegistryCaPane *self,
                              const char       *name)
{
  for (guint i = 0; self->cas != NULL && i < self->cas->len; i++)
    {
      CbCertificateAuthority *ca = g_ptr_array_index (self->cas, i);

      if (g_ascii_strcasecmp (cb_certificate_authority_get_name (ca), name) == 0)
        return ca;
    }
  return NULL;
}

CbPolicy *
_cb_registry_ca_pane_find_policy (CbRegistryCaPane *self,
                                  const char       *ca_name)
{
  g_autofree char *key = g_ascii_strdown (ca_name, -1);

  return g_hash_table_lookup (self->policies, key);
}

void
_cb_registry_ca_pane_mark_rotated (CbRegistryCaPane *self,
                                   const char       *ca_name)
{
  gint64 *when = g_new (gint64, 1);

  *when = g_get_real_time () / G_USEC_PER_SEC;
  g_hash_table_replace (self->rotated, g_ascii_strdown (ca_name, -1), when);
}

void
_cb_registry_ca_pane_policies_changed (CbRegistryCaPane *self)
{
  g_signal_emit (self, signals[SIGNAL_POLICIES_CHANGED], 0);
}

/* ---- what the rows say -------------------------------------------------------------------- */

static char *
format_date (gint64 t)
{
  g_autoptr(GDateTime) dt = NULL;

  if (t <= 0)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
}

static const char *
issuer_text (CbCertificateAuthority *ca)
{
  switch (cb_certificate_authority_get_issuer (ca))
    {
    case CB_CA_ISSUER_MICROSOFT:
      return _("Microsoft");
    case CB_CA_ISSUER_EXTERNAL:
      return _("External");
    case CB_CA_ISSUER_NONE:
    default:
      return _("Self-signed");
    }
}

static const char *
status_text (CbCertificateAuthority *ca)
{
  const char *status = cb_certificate_authority_get_status (ca);
  const char *state = cb_certificate_authority_get_provisioning_state (ca);

  if (g_strcmp0 (state, "Failed") == 0)
    return _("Failed");
  if (g_strcmp0 (state, "Deleting") == 0)
    return _("Being deleted");
  if (g_strcmp0 (status, CB_CA_STATUS_PENDING_ACTIVATION) == 0)
    return _("Pending activation");
  if (g_strcmp0 (status, CB_CA_STATUS_ACTIVE_PENDING_RENEWAL) == 0)
    return _("Active, renewal pending");
  if (g_strcmp0 (state, "Succeeded") == 0)
    return _("Active");
  if (state == NULL)
    return _("Unknown");
  return _("Being created");
}

static gboolean
settling (CbCertificateAuthority *ca)
{
  const char *state = cb_certificate_authority_get_provisioning_state (ca);

  return state != NULL && g_strcmp0 (state, "Succeeded") != 0 &&
         g_strcmp0 (state, "Failed") != 0 && g_strcmp0 (state, "Canceled") != 0;
}

static char *
rotated_text (CbRegistryCaPane       *self,
              CbCertificateAuthority *ca)
{
  g_autofree char *key = g_ascii_strdown (cb_certificate_authority_get_name (ca), -1);
  gint64 *when = g_hash_table_lookup (self->rotated, key);
  g_autofree char *date = NULL;

  if (when == NULL)
    return NULL;
  date = format_date (*when);
  /* Translators: %s is a date and time */
  return g_strdup_printf (_("rotated %s: the certificates it signed before are revoked"), date);
}

/* ---- rows --------------------------------------------------------------------------------- */

static GtkWidget *
detail_row (const char *title,
            const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value != NULL ? value : "—");
  gtk_widget_add_css_class (row, "property");
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  return row;
}

/* A thumbprint in groups of eight, so that it wraps in a narrow window. */
static char *
group_thumbprint (const char *thumbprint)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; thumbprint[i] != '\0'; i++)
    {
      if (i > 0 && i % 8 == 0)
        g_string_append_c (text, ' ');
      g_string_append_c (text, thumbprint[i]);
    }
  return g_string_free (text, FALSE);
}

static GtkWidget *
button_for (const char *label,
            const char *action,
            const char *target,
            const char *accessible,
            gboolean    destructive)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  if (target != NULL)
    gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", target);
  if (accessible != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    accessible, -1);
  if (destructive)
    gtk_widget_add_css_class (button, "destructive-action");
  return button;
}

static GtkWidget *
action_row (const char *title,
            const char *subtitle,
            GtkWidget  *button)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  return row;
}

static void
add_common_rows (AdwPreferencesGroup    *group,
                 CbCertificateAuthority *ca)
{
  g_autofree char *before = format_date (cb_certificate_authority_get_not_before (ca));
  g_autofree char *after = format_date (cb_certificate_authority_get_not_after (ca));
  g_autofree char *validity = NULL;
  const char *thumbprint = cb_certificate_authority_get_thumbprint (ca);

  if (cb_certificate_authority_get_not_after (ca) > 0)
    /* Translators: not-before and not-after dates of a certificate */
    validity = g_strdup_printf (_("%s to %s"), before, after);
  else
    validity = g_strdup (_("Set when it is activated"));
  /* Its kind, issuer and status are the group's description. */
  adw_preferences_group_add (group, detail_row (_("Validity"), validity));
  adw_preferences_group_add (group,
                            detail_row (_("Subject"), cb_certificate_authority_get_subject (ca)));
  if (thumbprint != NULL)
    {
      g_autofree char *grouped = group_thumbprint (thumbprint);
      g_autofree char *a11y = g_strdup_printf (_("Copy the thumbprint of “%s”"),
                                               cb_certificate_authority_get_name (ca));
      GtkWidget *row = detail_row (_("Thumbprint"), grouped);
      GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

      gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (copy, "flat");
      gtk_widget_set_tooltip_text (copy, a11y);
      gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      a11y, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "ca.copy-thumbprint");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (copy), "s",
                                        cb_certificate_authority_get_name (ca));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), copy);
      adw_preferences_group_add (group, row);
    }
}

/* A CA's own group: its name as the title, its kind, issuer and status as the description,
 * its details as rows; the intermediate CAs a root issued are groups inside the root's. */
static GtkWidget *
group_for (CbRegistryCaPane       *self,
           CbCertificateAuthority *ca)
{
  GtkWidget *group = adw_preferences_group_new ();
  gboolean root = cb_certificate_authority_get_kind (ca) == CB_CA_KIND_ROOT;
  g_autofree char *rotated = rotated_text (self, ca);
  g_autofree char *subtitle = NULL;

  if (root)
    /* Translators: a CA's kind and its status */
    subtitle = g_strdup_printf (_("Root · %s"), status_text (ca));
  else
    /* Translators: a CA's kind, who issued it (Microsoft or External) and its status */
    subtitle = g_strdup_printf (_("Intermediate · %s · %s"), issuer_text (ca), status_text (ca));
  if (rotated != NULL)
    {
      char *longer = g_strdup_printf ("%s · %s", subtitle, rotated);

      g_free (subtitle);
      subtitle = longer;
    }
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group),
                                   cb_certificate_authority_get_name (ca));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), subtitle);
  g_object_set_data (G_OBJECT (group), "cb-ca", ca);
  add_common_rows (ADW_PREFERENCES_GROUP (group), ca);
  _cb_registry_ca_certs_add_row (self, ADW_PREFERENCES_GROUP (group), ca);
  return group;
}

static GtkWidget *
ica_row (CbRegistryCaPane       *self,
         CbCertificateAuthority *ca)
{
  GtkWidget *row = group_for (self, ca);
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (row);
  const char *name = cb_certificate_authority_get_name (ca);
  CbPolicy *policy = _cb_registry_ca_pane_find_policy (self, name);
  gboolean external = cb_certificate_authority_get_issuer (ca) == CB_CA_ISSUER_EXTERNAL;
  g_autofree char *a11y = NULL;

  if (policy != NULL)
    {
      GtkWidget *policy_row = adw_action_row_new ();
      g_autofree char *subtitle = NULL;

      subtitle = g_strdup_printf (ngettext ("Policy · device certificates valid %u day",
                                            "Policy · device certificates valid %u days",
                                            cb_policy_get_validity_days (policy)),
                                  cb_policy_get_validity_days (policy));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (policy_row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (policy_row), cb_policy_get_name (policy));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (policy_row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (policy_row),
                                 gtk_image_new_from_icon_name ("security-medium-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (policy_row), FALSE);
      gtk_widget_set_focusable (policy_row, FALSE);
      adw_preferences_group_add (group, policy_row);
    }
  else
    {
      a11y = g_strdup_printf (_("New policy for “%s”"), name);
      adw_preferences_group_add (group,
                                action_row (_("No policy"),
                                            _("Devices cannot be provisioned through it yet"),
                                            button_for (_("_New Policy…"), "ca.new-policy", name,
                                                        a11y, FALSE)));
      g_clear_pointer (&a11y, g_free);
    }

  if (external && g_strcmp0 (cb_certificate_authority_get_status (ca),
                             CB_CA_STATUS_PENDING_ACTIVATION) == 0)
    {
      GtkWidget *activate;

      a11y = g_strdup_printf (_("Copy the signing request of “%s”"), name);
      adw_preferences_group_add (group,
                                action_row (_("Signing request"),
                                            _("Your CA signs it to make this CA's certificate"),
                                            button_for (_("_Copy"), "ca.copy-request", name, a11y,
                                                        FALSE)));
      g_clear_pointer (&a11y, g_free);
      a11y = g_strdup_printf (_("Activate “%s” with a chain file"), name);
      activate = button_for (_("_Activate…"), "ca.activate", name, a11y, FALSE);
      gtk_widget_add_css_class (activate, "suggested-action");
      adw_preferences_group_add (group,
                                action_row (_("Activation"),
                                            _("Give the signed certificate and the chain above it"),
                                            activate));
    }
  else if (cb_certificate_authority_get_issuer (ca) == CB_CA_ISSUER_MICROSOFT)
    {
      a11y = g_strdup_printf (_("Revoke and rotate “%s”"), name);
      adw_preferences_group_add (group,
                                action_row (_("Revoke and rotate"),
                                            _("A new CA replaces it: every certificate it signed "
                                              "stops working"),
                                            button_for (_("_Revoke…"), "ca.revoke-and-rotate",
                                                        name, a11y, TRUE)));
    }
  return row;
}

static GtkWidget *
new_group (const char *title,
           const char *description)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  return group;
}

/* Below the group's rows, the button that adds to it: a header button would squeeze the
 * group's title in a narrow window. */
static void
add_adding_button (GtkWidget  *group,
                   const char *label,
                   const char *action)
{
  GtkWidget *content = adw_button_content_new ();
  GtkWidget *button = gtk_button_new ();

  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), label);
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (button), content);
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  gtk_widget_set_margin_top (button, 6);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), button);
}

static gboolean
same_id (const char *a,
         const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) == 0;
}

static void
add_authorities (CbRegistryCaPane *self)
{
  GtkWidget *group;
  g_autoptr(GHashTable) placed = g_hash_table_new (NULL, NULL);
  guint n_icas = 0;

  for (guint i = 0; i < self->cas->len; i++)
    n_icas += cb_certificate_authority_get_kind (g_ptr_array_index (self->cas, i)) ==
              CB_CA_KIND_INTERMEDIATE;

  group = new_group (_("Certificate Authorities"),
                     _("A root signs up to three intermediate CAs; each intermediate CA signs "
                       "the device certificates of its policy."));

  /* Each root with the intermediate CAs it issued inside it, indented. */
  for (guint i = 0; i < self->cas->len; i++)
    {
      CbCertificateAuthority *root = g_ptr_array_index (self->cas, i);
      GtkWidget *row;

      if (cb_certificate_authority_get_kind (root) != CB_CA_KIND_ROOT)
        continue;
      row = group_for (self, root);
      for (guint j = 0; j < self->cas->len; j++)
        {
          CbCertificateAuthority *ica = g_ptr_array_index (self->cas, j);
          GtkWidget *child;

          if (cb_certificate_authority_get_kind (ica) != CB_CA_KIND_INTERMEDIATE ||
              !same_id (cb_certificate_authority_get_issuer_ca_id (ica),
                        cb_certificate_authority_get_id (root)))
            continue;
          child = ica_row (self, ica);
          gtk_widget_set_margin_start (child, 24);
          gtk_widget_set_margin_top (child, 18);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (row), child);
          g_hash_table_add (placed, ica);
        }
      gtk_widget_set_margin_top (row, 12);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }

  /* External ones (their issuer is outside the namespace), and any whose root is gone. */
  for (guint i = 0; i < self->cas->len; i++)
    {
      CbCertificateAuthority *ica = g_ptr_array_index (self->cas, i);
      GtkWidget *row;

      if (cb_certificate_authority_get_kind (ica) != CB_CA_KIND_INTERMEDIATE ||
          g_hash_table_contains (placed, ica))
        continue;
      row = ica_row (self, ica);
      gtk_widget_set_margin_top (row, 18);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }

  if (self->cas->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No certificate authority"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("The namespace needs a root first: it signs the "
                                     "intermediate CAs"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
      add_adding_button (group, _("New _root CA…"), "ca.new-root");
    }
  if (n_icas < CB_ADR_MAX_INTERMEDIATE_CAS)
    add_adding_button (group, _("_New intermediate CA…"), "ca.new-ica");
  gtk_box_append (self->content, group);
}

static char *
linking_text (CbNamespaceEndpoint *e)
{
  const char *state = cb_namespace_endpoint_get_linking_state (e);
  const char *resource = cb_namespace_endpoint_get_resource_name (e);

  if (resource == NULL)
    resource = cb_namespace_endpoint_get_address (e);
  if (resource == NULL)
    resource = "—";
  if (g_strcmp0 (state, CB_LINKING_SUCCEEDED) == 0)
    /* Translators: a hub's or DPS's name */
    return g_strdup_printf (_("%s · linked"), resource);
  if (g_strcmp0 (state, CB_LINKING_FAILED) == 0)
    {
      const char *message = cb_namespace_endpoint_get_linking_error_message (e);
      const char *code = cb_namespace_endpoint_get_linking_error_code (e);

      /* Translators: a hub's or DPS's name, then the service's reason */
      return g_strdup_printf (_("%s · linking failed: %s"), resource,
                              message != NULL ? message : code != NULL ? code : _("no reason given"));
    }
  if (g_strcmp0 (state, CB_LINKING_IN_PROGRESS) == 0)
    return g_strdup_printf (_("%s · linking…"), resource);
  return g_strdup_printf ("%s · %s", resource, state != NULL ? state : "—");
}

static void
add_links (CbRegistryCaPane *self,
           CbEndpointKind    kind)
{
  gboolean hub = kind == CB_ENDPOINT_MESSAGING;
  GPtrArray *endpoints = self->ns != NULL ? cb_namespace_get_endpoints (self->ns) : NULL;
  GtkWidget *group;
  guint n = 0;

  group = new_group (hub ? _("Linked IoT Hubs") : _("Linked Provisioning Services"),
                     hub ? _("They receive the intermediate CAs, so they accept the "
                             "certificates those sign.")
                         : _("Their enrollments provision devices through the namespace's "
                             "policies."));

  for (guint i = 0; endpoints != NULL && i < endpoints->len; i++)
    {
      CbNamespaceEndpoint *e = g_ptr_array_index (endpoints, i);
      const char *name = cb_namespace_endpoint_get_name (e);
      g_autofree char *subtitle = NULL;
      g_autofree char *a11y = NULL;
      GtkWidget *row;
      GtkWidget *button;

      if (cb_namespace_endpoint_get_kind (e) != kind)
        continue;
      n++;
      subtitle = linking_text (e);
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_set_focusable (row, FALSE);
      if (g_strcmp0 (cb_namespace_endpoint_get_linking_state (e), CB_LINKING_FAILED) == 0)
        adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                                   gtk_image_new_from_icon_name ("dialog-warning-symbolic"));
      else if (g_strcmp0 (cb_namespace_endpoint_get_linking_state (e), CB_LINKING_IN_PROGRESS) == 0)
        {
          GtkWidget *spinner = gtk_spinner_new ();

          gtk_spinner_start (GTK_SPINNER (spinner));
          adw_action_row_add_prefix (ADW_ACTION_ROW (row), spinner);
        }
      a11y = g_strdup_printf (_("Unlink “%s”"), name);
      button = gtk_button_new_from_icon_name ("edit-delete-symbolic");
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, a11y);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      a11y, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button),
                                      hub ? "ca.unlink-hub" : "ca.unlink-dps");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", name);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }

  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     hub ? _("No linked hub") : _("No linked service"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  add_adding_button (group, hub ? _("_Link a hub…") : _("L_ink a provisioning service…"),
                     hub ? "ca.link-hub" : "ca.link-dps");
  gtk_box_append (self->content, group);
}

static void
clear_content (CbRegistryCaPane *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->content))) != NULL)
    gtk_box_remove (self->content, child);
}

/* ---- loading ------------------------------------------------------------------------------ */

static gboolean poll_cb (gpointer user_data);

static void
schedule_poll (CbRegistryCaPane *self)
{
  gboolean settle = FALSE;
  GPtrArray *endpoints = self->ns != NULL ? cb_namespace_get_endpoints (self->ns) : NULL;

  for (guint i = 0; endpoints != NULL && i < endpoints->len; i++)
    settle |= g_strcmp0 (cb_namespace_endpoint_get_linking_state (g_ptr_array_index (endpoints, i)),
                         CB_LINKING_IN_PROGRESS) == 0;
  for (guint i = 0; self->cas != NULL && i < self->cas->len; i++)
    settle |= settling (g_ptr_array_index (self->cas, i));

  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (!settle)
    {
      self->polls = 0;
      return;
    }
  if (self->polls >= MAX_POLLS)
    return;
  self->polls++;
  self->poll_id = g_timeout_add_seconds (POLL_SECONDS, poll_cb, self);
}

static void
show (CbRegistryCaPane *self)
{
  self->loading = FALSE;
  if (self->error != NULL)
    {
      g_autofree char *reason = cb_error_text (self->error);

      adw_status_page_set_title (self->status, _("The Certificate Authorities Could Not Be Read"));
      adw_status_page_set_description (self->status, reason);
      gtk_stack_set_visible_child_name (self->stack, "status");
      return;
    }

  clear_content (self);
  add_authorities (self);
  add_links (self, CB_ENDPOINT_MESSAGING);
  add_links (self, CB_ENDPOINT_PROVISIONING);
  _cb_registry_ca_groups_add (self, self->content);
  gtk_stack_set_visible_child_name (self->stack, "content");
  _cb_registry_ca_actions_update (self);
  schedule_poll (self);
}

typedef struct
{
  CbRegistryCaPane *self;
  guint             generation;
  char             *ca_name;
} Load;

static Load *
load_new (CbRegistryCaPane *self,
          const char       *ca_name)
{
  Load *load = g_new0 (Load, 1);

  load->self = g_object_ref (self);
  load->generation = self->generation;
  load->ca_name = g_strdup (ca_name);
  return load;
}

static void
load_free (Load *load)
{
  g_object_unref (load->self);
  g_free (load->ca_name);
  g_free (load);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Load, load_free)

/* Takes the first error; shows what was read when the last part arrives. */
static gboolean
load_part_done (Load   *load,
                GError *error)
{
  CbRegistryCaPane *self = load->self;

  if (self->disposed || load->generation != self->generation ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (error != NULL && self->error == NULL)
    self->error = g_error_copy (error);
  if (--self->pending == 0)
    show (self);
  return TRUE;
}

static void
policies_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Load) load = user_data;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;

  policies = cb_adr_client_list_certificate_policies_finish (CB_ADR_CLIENT (object), result,
                                                             &error);
  if (policies != NULL && policies->len > 0 && load->generation == load->self->generation)
    g_hash_table_replace (load->self->policies, g_ascii_strdown (load->ca_name, -1),
                          g_object_ref (g_ptr_array_index (policies, 0)));
  load_part_done (load, error);
}

static void
cas_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(Load) load = user_data;
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GError) error = NULL;
  CbRegistryCaPane *self = load->self;

  cas = cb_adr_client_list_certificate_authorities_finish (CB_ADR_CLIENT (object), result, &error);
  if (cas != NULL && !self->disposed && load->generation == self->generation)
    {
      g_clear_pointer (&self->cas, g_ptr_array_unref);
      self->cas = g_ptr_array_ref (cas);
      for (guint i = 0; i < cas->len; i++)
        {
          CbCertificateAuthority *ca = g_ptr_array_index (cas, i);

          if (cb_certificate_authority_get_kind (ca) != CB_CA_KIND_INTERMEDIATE)
            continue;
          self->pending++;
          cb_adr_client_list_certificate_policies_async (CB_ADR_CLIENT (object), ca,
                                                         self->cancellable, policies_cb,
                                                         load_new (self,
                                                                   cb_certificate_authority_get_name (ca)));
        }
    }
  load_part_done (load, error);
}

/* The provisioning service's enrollment groups: the pane shows without them when they cannot
 * be read (the reason is in their group). */
static void
groups_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Load) load = user_data;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GError) error = NULL;
  CbRegistryCaPane *self = load->self;

  groups = cb_dps_service_client_query_finish (CB_DPS_SERVICE_CLIENT (object), result, &error);
  if (!self->disposed && load->generation == self->generation &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_pointer (&self->groups, g_ptr_array_unref);
      g_clear_pointer (&self->groups_error, g_free);
      if (groups != NULL)
        self->groups = g_ptr_array_ref (groups);
      else
        self->groups_error = cb_error_text (error);
    }
  load_part_done (load, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? error : NULL);
}

/* A linked hub's CA certificates: where ADR puts each intermediate CA's certificate. The pane
 * shows without them when they cannot be read (the CA's certificate row says it is not known). */
static void
hub_certificates_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(Load) load = user_data;
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;
  CbRegistryCaPane *self = load->self;

  certificates = cb_adr_client_list_hub_certificates_of_finish (CB_ADR_CLIENT (object), result,
                                                                &error);
  if (certificates == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("The CA certificates of the hub %s could not be read: %s", load->ca_name,
             error->message);
  if (certificates != NULL && !self->disposed && load->generation == self->generation)
    _cb_registry_ca_certs_keep_hub_certificates (self, load->ca_name, certificates);
  load_part_done (load, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? error : NULL);
}

static void
read_hub_certificates (CbRegistryCaPane *self,
                       CbAdrClient      *adr)
{
  GPtrArray *endpoints = cb_namespace_get_endpoints (self->ns);

  g_ptr_array_set_size (self->hub_certs, 0);
  g_ptr_array_set_size (self->hub_cert_hubs, 0);
  for (guint i = 0; endpoints != NULL && i < endpoints->len; i++)
    {
      CbNamespaceEndpoint *e = g_ptr_array_index (endpoints, i);
      const char *name = cb_namespace_endpoint_get_resource_name (e);

      if (cb_namespace_endpoint_get_kind (e) != CB_ENDPOINT_MESSAGING ||
          cb_namespace_endpoint_get_resource_id (e) == NULL ||
          g_strcmp0 (cb_namespace_endpoint_get_linking_state (e), CB_LINKING_SUCCEEDED) != 0)
        continue;
      self->pending++;
      cb_adr_client_list_hub_certificates_of_async (adr, cb_namespace_endpoint_get_resource_id (e),
                                                    self->cancellable, hub_certificates_cb,
                                                    load_new (self,
                                                              name != NULL
                                                                ? name
                                                                : cb_namespace_endpoint_get_name (e)));
    }
}

static void
namespace_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Load) load = user_data;
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(GError) error = NULL;

  ns = cb_adr_client_get_namespace_finish (CB_ADR_CLIENT (object), result, &error);
  if (ns != NULL && !load->self->disposed && load->generation == load->self->generation)
    {
      g_set_object (&load->self->ns, ns);
      read_hub_certificates (load->self, CB_ADR_CLIENT (object));
    }
  load_part_done (load, error);
}

void
cb_registry_ca_pane_load (CbRegistryCaPane *self)
{
  CbAdrClient *adr;

  g_return_if_fail (CB_IS_REGISTRY_CA_PANE (self));

  if (self->context == NULL || cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY ||
      (adr = cb_context_get_adr (self->context)) == NULL)
    return;

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_error (&self->error);
  g_hash_table_remove_all (self->policies);
  self->generation++;
  self->loading = TRUE;
  self->pending = 2;
  if (self->cas == NULL)
    gtk_stack_set_visible_child_name (self->stack, "loading");

  cb_adr_client_list_certificate_authorities_async (adr, self->cancellable, cas_cb,
                                                    load_new (self, NULL));
  cb_adr_client_get_namespace_async (adr, NULL, self->cancellable, namespace_cb,
                                     load_new (self, NULL));
  if (cb_context_get_dps_service (self->context) != NULL)
    {
      self->pending++;
      cb_dps_service_client_query_async (cb_context_get_dps_service (self->context),
                                         CB_DPS_ENROLLMENT_GROUP, self->cancellable, groups_cb,
                                         load_new (self, NULL));
    }
}

static gboolean
poll_cb (gpointer user_data)
{
  CbRegistryCaPane *self = user_data;
  guint polls = self->polls;

  self->poll_id = 0;
  cb_registry_ca_pane_load (self);
  self->polls = polls;
  return G_SOURCE_REMOVE;
}

void
cb_registry_ca_pane_clear (CbRegistryCaPane *self)
{
  g_return_if_fail (CB_IS_REGISTRY_CA_PANE (self));

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->op_cancellable);
  g_clear_object (&self->op_cancellable);
  self->op_cancellable = g_cancellable_new ();
  self->generation++;
  self->loading = FALSE;
  self->polls = 0;
  g_clear_pointer (&self->cas, g_ptr_array_unref);
  g_clear_object (&self->ns);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_clear_pointer (&self->groups_error, g_free);
  g_ptr_array_set_size (self->hub_certs, 0);
  g_ptr_array_set_size (self->hub_cert_hubs, 0);
  g_hash_table_remove_all (self->policies);
  clear_content (self);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  _cb_registry_ca_actions_update (self);
}

/* ---- public ------------------------------------------------------------------------------- */

void
cb_registry_ca_pane_set_context (CbRegistryCaPane *self,
                                 CbContext        *context)
{
  g_return_if_fail (CB_IS_REGISTRY_CA_PANE (self));

  if (g_set_object (&self->context, context))
    cb_registry_ca_pane_clear (self);
}

gboolean
cb_registry_ca_pane_get_loading (CbRegistryCaPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_CA_PANE (self), FALSE);
  return self->loading;
}

guint
cb_registry_ca_pane_get_n_operations (CbRegistryCaPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_CA_PANE (self), 0);
  return self->operations->len;
}

static GtkWidget *
find_row (GtkWidget  *widget,
          const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;
  if (ADW_IS_PREFERENCES_GROUP (widget) &&
      g_strcmp0 (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (widget)), title) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
cb_registry_ca_pane_find_row (CbRegistryCaPane *self,
                              const char       *title)
{
  g_return_val_if_fail (CB_IS_REGISTRY_CA_PANE (self), NULL);
  return find_row (GTK_WIDGET (self->content), title);
}

AdwMessageDialog *
cb_registry_ca_pane_get_dialog (CbRegistryCaPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_CA_PANE (self), NULL);
  return self->dialog;
}

GtkWindow *
cb_registry_ca_pane_get_form (CbRegistryCaPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_CA_PANE (self), NULL);
  return self->form;
}

GtkFileChooser *
cb_registry_ca_pane_get_chooser (CbRegistryCaPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_CA_PANE (self), NULL);
  return self->chooser != NULL ? GTK_FILE_CHOOSER (self->chooser) : NULL;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
cb_registry_ca_pane_dispose (GObject *object)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (object);

  self->disposed = TRUE;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->op_cancellable);
  _cb_registry_ca_pane_set_dialog (self, NULL);
  _cb_registry_ca_pane_set_form (self, NULL);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->context);
  adw_bin_set_child (ADW_BIN (self), NULL);

  G_OBJECT_CLASS (cb_registry_ca_pane_parent_class)->dispose (object);
}

static void
cb_registry_ca_pane_finalize (GObject *object)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->op_cancellable);
  g_clear_pointer (&self->cas, g_ptr_array_unref);
  g_clear_pointer (&self->policies, g_hash_table_unref);
  g_clear_pointer (&self->rotated, g_hash_table_unref);
  g_clear_object (&self->ns);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_clear_pointer (&self->groups_error, g_free);
  g_clear_pointer (&self->hub_certs, g_ptr_array_unref);
  g_clear_pointer (&self->hub_cert_hubs, g_ptr_array_unref);
  g_clear_pointer (&self->operations, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_free (self->chooser_ca);

  G_OBJECT_CLASS (cb_registry_ca_pane_parent_class)->finalize (object);
}

static void
cb_registry_ca_pane_class_init (CbRegistryCaPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_registry_ca_pane_dispose;
  object_class->finalize = cb_registry_ca_pane_finalize;

  signals[SIGNAL_TOAST] =
    g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_POLICIES_CHANGED] =
    g_signal_new ("policies-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);

  _cb_registry_ca_actions_class_init (GTK_WIDGET_CLASS (klass));
  _cb_registry_ca_groups_class_init (GTK_WIDGET_CLASS (klass));
}

static void
cb_registry_ca_pane_init (CbRegistryCaPane *self)
{
  GtkWidget *scrolled;
  GtkWidget *clamp;
  GtkWidget *box;
  GtkWidget *busy;
  GtkWidget *spinner;

  self->cancellable = g_cancellable_new ();
  self->op_cancellable = g_cancellable_new ();
  self->policies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->rotated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->operations = g_ptr_array_new ();
  self->hub_certs = g_ptr_array_new_with_free_func (g_object_unref);
  self->hub_cert_hubs = g_ptr_array_new_with_free_func (g_free);

  self->stack = GTK_STACK (gtk_stack_new ());

  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reading the certificate authorities"), -1);
  gtk_stack_add_named (self->stack, spinner, "loading");

  self->status = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->status, "dialog-warning-symbolic");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->status), "status");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  self->busy_revealer = GTK_REVEALER (gtk_revealer_new ());
  busy = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->busy_spinner = GTK_SPINNER (gtk_spinner_new ());
  self->busy_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->busy_label, TRUE);
  gtk_label_set_xalign (self->busy_label, 0);
  gtk_box_append (GTK_BOX (busy), GTK_WIDGET (self->busy_spinner));
  gtk_box_append (GTK_BOX (busy), GTK_WIDGET (self->busy_label));
  gtk_revealer_set_child (self->busy_revealer, busy);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->busy_revealer));

  self->content = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->content));

  clamp = adw_clamp_new ();
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 800);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_stack_add_named (self->stack, scrolled, "content");

  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
  gtk_stack_set_visible_child_name (self->stack, "loading");
  _cb_registry_ca_actions_update (self);
}

GtkWidget *
cb_registry_ca_pane_new (void)
{
  return g_object_new (CB_TYPE_REGISTRY_CA_PANE, NULL);
}
