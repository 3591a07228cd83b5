/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-connection-discovery"

/* The chooser an Azure connection is made with after the device-code sign-in: one
 * CbDiscoveryStep a page of an AdwLeaflet, each list read with CbArmDiscovery when its step
 * opens (the parents chosen before name it), cancelled when the user goes back or closes the
 * window. The tenant step is shown only when the account has several tenants; the lists after
 * it are read with a token for the tenant chosen (CbArmDiscovery gets it with the sign-in's
 * refresh token at that tenant's authority). A step whose
 * list is empty or forbidden leads to the typed fields ("Enter Manually"); the hub and DPS
 * steps may be skipped. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-arm-discovery.h"
#include "cb-connection-discovery.h"

#define N_KINDS (CB_ARM_RESOURCE_DPS + 1)

struct _CbConnectionDiscovery
{
  AdwWindow        parent_instance;

  AdwLeaflet      *leaflet;
  CbDiscoveryStep *steps[N_KINDS];
  CbArmResource   *choices[N_KINDS];
  CbArmDiscovery  *discovery;
  GCancellable    *cancellable;
  gboolean         finished;
};

G_DEFINE_FINAL_TYPE (CbConnectionDiscovery, cb_connection_discovery, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void load (CbConnectionDiscovery *self,
                  CbArmResourceKind      kind);

static void
cb_connection_discovery_dispose (GObject *object)
{
  CbConnectionDiscovery *self = CB_CONNECTION_DISCOVERY (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->discovery);
  for (guint i = 0; i < N_KINDS; i++)
    g_clear_object (&self->choices[i]);

  G_OBJECT_CLASS (cb_connection_discovery_parent_class)->dispose (object);
}

static void
cb_connection_discovery_class_init (CbConnectionDiscoveryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cb_connection_discovery_dispose;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
cb_connection_discovery_init (CbConnectionDiscovery *self)
{
}

static void
finish (CbConnectionDiscovery *self,
        gboolean               complete)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, complete);
  gtk_window_close (GTK_WINDOW (self));
}

typedef struct
{
  CbConnectionDiscovery *self;
  CbArmResourceKind      kind;
} LoadData;

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  LoadData *data = user_data;
  g_autoptr(CbConnectionDiscovery) self = data->self;
  CbArmResourceKind kind = data->kind;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  g_free (data);
  items = cb_arm_discovery_list_finish (CB_ARM_DISCOVERY (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->finished)
    return;

  if (error != NULL)
    {
      cb_discovery_step_set_error (self->steps[kind], error);
      return;
    }

  /* One tenant: nothing to choose, on to its subscriptions. */
  if (kind == CB_ARM_RESOURCE_TENANT && items->len <= 1)
    {
      CbArmResource *only = items->len == 1 ? g_ptr_array_index (items, 0) : NULL;

      g_set_object (&self->choices[kind], only);
      cb_arm_discovery_set_tenant (self->discovery, NULL);
      load (self, CB_ARM_RESOURCE_SUBSCRIPTION);
      return;
    }

  cb_discovery_step_set_items (self->steps[kind], items);
}

static const char *
parent_name (CbConnectionDiscovery *self,
             CbArmResourceKind      kind)
{
  return self->choices[kind] != NULL ? cb_arm_resource_get_name (self->choices[kind]) : NULL;
}

/* Shows the step of kind and reads its list. */
static void
load (CbConnectionDiscovery *self,
      CbArmResourceKind      kind)
{
  CbDiscoveryStep *step = self->steps[kind];
  LoadData *data = g_new0 (LoadData, 1);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  gtk_editable_set_text (cb_discovery_step_get_search (step), "");
  cb_discovery_step_set_loading (step);
  gtk_widget_set_visible (GTK_WIDGET (step), TRUE);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (step));

  data->self = g_object_ref (self);
  data->kind = kind;
  cb_arm_discovery_list_async (self->discovery, kind,
                               parent_name (self, CB_ARM_RESOURCE_SUBSCRIPTION),
                               parent_name (self, CB_ARM_RESOURCE_GROUP),
                               self->cancellable, list_cb, data);
}

static void
on_chosen_cb (CbDiscoveryStep       *step,
              CbArmResource         *resource,
              CbConnectionDiscovery *self)
{
  CbArmResourceKind kind = cb_discovery_step_get_kind (step);

  g_set_object (&self->choices[kind], resource);
  for (guint k = kind + 1; k < N_KINDS; k++)
    g_clear_object (&self->choices[k]);
  if (kind == CB_ARM_RESOURCE_TENANT)
    cb_arm_discovery_set_tenant (self->discovery, cb_arm_resource_get_name (resource));

  if (kind == CB_ARM_RESOURCE_DPS)
    finish (self, TRUE);
  else
    load (self, kind + 1);
}

static void
on_skip_cb (CbDiscoveryStep       *step,
            CbConnectionDiscovery *self)
{
  CbArmResourceKind kind = cb_discovery_step_get_kind (step);

  g_clear_object (&self->choices[kind]);
  if (kind == CB_ARM_RESOURCE_DPS)
    finish (self, TRUE);
  else
    load (self, kind + 1);
}

static void
on_manual_cb (CbDiscoveryStep       *step,
              CbConnectionDiscovery *self)
{
  finish (self, FALSE);
}

static void
on_retry_cb (CbDiscoveryStep       *step,
             CbConnectionDiscovery *self)
{
  load (self, cb_discovery_step_get_kind (step));
}

/* Back: the step before that was shown (the tenant step only when it had a choice), or out
 * of the chooser from the first one. */
static void
on_back_cb (CbDiscoveryStep       *step,
            CbConnectionDiscovery *self)
{
  CbArmResourceKind kind = cb_discovery_step_get_kind (step);
  int previous = (int) kind - 1;

  if (previous == CB_ARM_RESOURCE_TENANT &&
      !g_str_equal (cb_discovery_step_get_state (self->steps[CB_ARM_RESOURCE_TENANT]), "list"))
    previous = -1;
  if (previous < 0)
    {
      finish (self, FALSE);
      return;
    }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->steps[previous]));
}

static void
add_step (CbConnectionDiscovery *self,
          CbArmResourceKind      kind,
          const char            *title,
          const char            *search_label,
          const char            *empty_title,
          const char            *empty_text,
          gboolean               optional)
{
  CbDiscoveryStep *step = cb_discovery_step_new (kind, title, search_label, empty_title,
                                                 empty_text, optional);

  g_signal_connect_object (step, "chosen", G_CALLBACK (on_chosen_cb), self, 0);
  g_signal_connect_object (step, "skip", G_CALLBACK (on_skip_cb), self, 0);
  g_signal_connect_object (step, "manual", G_CALLBACK (on_manual_cb), self, 0);
  g_signal_connect_object (step, "retry", G_CALLBACK (on_retry_cb), self, 0);
  g_signal_connect_object (step, "back", G_CALLBACK (on_back_cb), self, 0);
  self->steps[kind] = step;
  adw_leaflet_append (self->leaflet, GTK_WIDGET (step));
}

static gboolean
on_close_request_cb (CbConnectionDiscovery *self)
{
  if (!self->finished)
    {
      self->finished = TRUE;
      if (self->cancellable != NULL)
        g_cancellable_cancel (self->cancellable);
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0, FALSE);
    }
  return FALSE;
}

CbConnectionDiscovery *
cb_connection_discovery_new (CbContext *context)
{
  CbConnectionDiscovery *self;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_CONNECTION_DISCOVERY,
                       "title", _("Choose from Your Account"),
                       "default-width", 360,
                       "default-height", 560,
                       "modal", TRUE,
                       NULL);
  self->discovery = cb_arm_discovery_new (cb_context_get_profile (context),
                                          cb_context_get_http (context));
  cb_arm_discovery_set_entra_client (self->discovery, cb_context_get_entra (context));

  self->leaflet = ADW_LEAFLET (adw_leaflet_new ());
  adw_leaflet_set_can_unfold (self->leaflet, FALSE);
  adw_leaflet_set_can_navigate_back (self->leaflet, FALSE);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->leaflet));
  gtk_widget_set_size_request (GTK_WIDGET (self), 360, 400);

  add_step (self, CB_ARM_RESOURCE_TENANT, _("Tenant"), _("Search tenants"),
            _("No Tenants"),
            _("Your account belongs to no directory that can be listed. Enter the tenant by "
              "hand."), FALSE);
  add_step (self, CB_ARM_RESOURCE_SUBSCRIPTION, _("Subscription"), _("Search subscriptions"),
            _("No Subscriptions"),
            _("Your account has no role on any subscription. Ask for one, or enter the "
              "subscription ID by hand."), FALSE);
  add_step (self, CB_ARM_RESOURCE_GROUP, _("Resource Group"), _("Search resource groups"),
            _("No Resource Groups"),
            _("None in this subscription that your account may read. Enter the one your "
              "administrator gave you."), FALSE);
  add_step (self, CB_ARM_RESOURCE_NAMESPACE, _("Namespace"), _("Search namespaces"),
            _("No Namespaces"),
            _("This resource group has no Device Registry namespace. Create one on the "
              "Registry page, or enter its name by hand."), FALSE);
  add_step (self, CB_ARM_RESOURCE_HUB, _("IoT Hub"), _("Search IoT hubs"),
            _("No IoT Hubs"),
            _("This resource group has no IoT hub. Skip this step, or enter the host name by "
              "hand."), TRUE);
  add_step (self, CB_ARM_RESOURCE_DPS, _("Provisioning Service"),
            _("Search provisioning services"), _("No Provisioning Services"),
            _("This resource group has no Device Provisioning Service. Skip this step, or enter "
              "the ID scope by hand."), TRUE);

  g_signal_connect (self, "close-request", G_CALLBACK (on_close_request_cb), NULL);
  load (self, CB_ARM_RESOURCE_TENANT);
  return self;
}

CbArmResource *
cb_connection_discovery_get_choice (CbConnectionDiscovery *self,
                                    CbArmResourceKind      kind)
{
  g_return_val_if_fail (CB_IS_CONNECTION_DISCOVERY (self), NULL);
  g_return_val_if_fail ((guint) kind < N_KINDS, NULL);

  return self->choices[kind];
}

CbDiscoveryStep *
cb_connection_discovery_get_step (CbConnectionDiscovery *self)
{
  g_return_val_if_fail (CB_IS_CONNECTION_DISCOVERY (self), NULL);

  return CB_DISCOVERY_STEP (adw_leaflet_get_visible_child (self->leaflet));
}
