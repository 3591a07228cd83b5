/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Discovery after sign-in, against the real sandbox: from the Azure profile form, "Choose…"
 * walks the lists the sandbox's ARM serves (tenant, subscription, resource group with search,
 * namespace, hub, DPS instance), fills the form, and the saved profile reaches the chosen
 * namespace. The admin belongs to two tenants: choosing the second lists its subscription
 * only, and the saved connection names that tenant and reaches its namespace with a token
 * issued there. An operator whose role is on one namespace, in one tenant, goes straight to
 * the subscriptions, finds no resource group to list and goes on with the typed fields, which
 * say at once what is wrong with a bad name. */

#include "config.h"

#include <string.h>

#include "cb-adr-client.h"
#include "cb-connections-window.h"
#include "cb-entra-client.h"
#include "cb-error.h"
#include "cb-sb-store.h"
#include "cb-test-app.h"

#define DEMO_SUB "cb000000-0000-4000-8000-000000000001"
#define LAB_SUB  "cb000000-0000-4000-8000-000000000002"
#define FIELD_SUB    "cb000000-0000-4000-8000-000000000003"
#define FIELD_TENANT "cb000000-0000-4000-8000-000000000f1d"

typedef struct
{
  CbConnectionsWindow *window;
  const char          *state;
} StepWait;

static CbDiscoveryStep *
current_step (CbConnectionsWindow *window)
{
  CbConnectionDiscovery *discovery = cb_connections_window_get_discovery (window);

  return discovery != NULL ? cb_connection_discovery_get_step (discovery) : NULL;
}

static gboolean
step_in_state (gpointer user_data)
{
  StepWait *wait = user_data;
  CbDiscoveryStep *step = current_step (wait->window);

  return step != NULL && g_strcmp0 (cb_discovery_step_get_state (step), wait->state) == 0;
}

/* Waits for the current step to show state, and checks it is of kind. */
static CbDiscoveryStep *
wait_step (CbConnectionsWindow *window,
           CbArmResourceKind    kind,
           const char          *state)
{
  StepWait wait = { window, state };
  CbDiscoveryStep *step;

  g_test_message ("waiting for step %d to be %s", kind, state);
  cb_test_app_wait (step_in_state, &wait, 20000);
  step = current_step (window);
  g_test_message ("step %d is %s", cb_discovery_step_get_kind (step),
                  cb_discovery_step_get_state (step));
  g_assert_cmpint (cb_discovery_step_get_kind (step), ==, kind);
  return step;
}

static void
choose (CbDiscoveryStep *step,
        const char      *name)
{
  GtkWidget *row = cb_discovery_step_find_row (step, name);

  g_assert_nonnull (row);
  g_assert_true (gtk_widget_get_child_visible (row));
  g_assert_true (gtk_widget_activate (row));
}

static const char *
field (CbConnectionsWindow *window,
       const char          *name)
{
  return gtk_editable_get_text (cb_connections_window_get_field (window, name));
}

static gboolean
has_error_class (CbConnectionsWindow *window,
                 const char          *name)
{
  return gtk_widget_has_css_class (GTK_WIDGET (cb_connections_window_get_field (window, name)),
                                   "error");
}

static gboolean
closed (gpointer user_data)
{
  return cb_connections_window_get_discovery (user_data) == NULL;
}

static char *
screenshot (const char *name)
{
  return g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);
}

/* ARM reads the namespace the saved profile names: the choice is a working connection. */
static void
namespace_found_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNamespace) ns = cb_adr_client_get_namespace_finish (CB_ADR_CLIENT (object),
                                                                   result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ns);
  *(gboolean *) user_data = TRUE;
}

/* The home tenant's token for the second tenant's namespace: ARM's 401. */
static void
namespace_refused_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNamespace) ns = cb_adr_client_get_namespace_finish (CB_ADR_CLIENT (object),
                                                                   result, &error);

  g_assert_null (ns);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "wrong issuer"));
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
test_choose_from_lists (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  CbConnectionsWindow *window = cb_connections_window_new (app->context);
  g_autofree char *tenant = cb_sb_dup_meta (app->ts->sandbox, "tenant_id");
  g_autofree char *png_subs = screenshot ("discovery-subscriptions-360.png");
  g_autofree char *png_narrow = screenshot ("discovery-groups-360.png");
  g_autoptr(CbProfile) saved = NULL;
  g_autoptr(CbProfile) reach = NULL;
  g_autoptr(CbAdrClient) adr = NULL;
  CbDiscoveryStep *step;
  gboolean found = FALSE;

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.add", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.discover", NULL));
  g_assert_nonnull (cb_connections_window_get_discovery (window));

  /* Two tenants: the home one has the two subscriptions. */
  step = wait_step (window, CB_ARM_RESOURCE_TENANT, "list");
  choose (step, tenant);
  step = wait_step (window, CB_ARM_RESOURCE_SUBSCRIPTION, "list");
  g_assert_null (cb_discovery_step_find_row (step, FIELD_SUB));
  g_assert_nonnull (cb_discovery_step_find_row (step, DEMO_SUB));
  g_assert_nonnull (cb_discovery_step_find_row (step, LAB_SUB));
  cb_test_app_save_png (GTK_WIDGET (cb_connections_window_get_discovery (window)), png_subs,
                        360, 560);

  /* The search filters as one types. */
  gtk_editable_set_text (cb_discovery_step_get_search (step), "lab");
  cb_test_app_spin (600);   /* search-changed comes after the entry's delay */
  g_assert_false (gtk_widget_get_child_visible (cb_discovery_step_find_row (step, DEMO_SUB)));
  g_assert_true (gtk_widget_get_child_visible (cb_discovery_step_find_row (step, LAB_SUB)));
  gtk_editable_set_text (cb_discovery_step_get_search (step), "DEMO");
  cb_test_app_spin (600);
  choose (step, DEMO_SUB);

  step = wait_step (window, CB_ARM_RESOURCE_GROUP, "list");
  g_assert_nonnull (cb_discovery_step_find_row (step, "certbench-staging"));
  cb_test_app_save_png (GTK_WIDGET (cb_connections_window_get_discovery (window)), png_narrow,
                        360, 560);
  choose (step, "certbench-demo");

  step = wait_step (window, CB_ARM_RESOURCE_NAMESPACE, "list");
  choose (step, "demo-ns");
  step = wait_step (window, CB_ARM_RESOURCE_HUB, "list");
  choose (step, "demo-hub");
  step = wait_step (window, CB_ARM_RESOURCE_DPS, "list");
  choose (step, "demo-dps");
  cb_test_app_wait (closed, window, 5000);

  g_assert_cmpstr (field (window, "tenant"), ==, tenant);
  g_assert_cmpstr (field (window, "subscription-id"), ==, DEMO_SUB);
  g_assert_cmpstr (field (window, "resource-group"), ==, "certbench-demo");
  g_assert_cmpstr (field (window, "namespace"), ==, "demo-ns");
  g_assert_cmpstr (field (window, "hub-host-name"), ==, "demo-hub.azure-devices.net");
  g_assert_cmpstr (field (window, "dps-id-scope"), ==, "0ne00CB0DE1");
  g_assert_cmpstr (field (window, "name"), ==, "Certbench demo");

  /* Only the app registration is the user's to give; then it saves. */
  gtk_editable_set_text (cb_connections_window_get_field (window, "client-id"),
                         "11111111-2222-3333-4444-555555555555");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.save", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (cb_context_get_profiles (app->context)), ==, 2);
  saved = g_list_model_get_item (cb_context_get_profiles (app->context), 1);
  g_assert_cmpstr (cb_profile_get_subscription_id (saved), ==, DEMO_SUB);
  g_assert_cmpstr (cb_profile_get_namespace (saved), ==, "demo-ns");
  g_assert_cmpstr (cb_profile_get_hub_name (saved), ==, "demo-hub");

  /* What was chosen reaches the namespace through ARM with the same sign-in. */
  reach = cb_profile_copy (cb_context_get_profile (app->context));
  cb_profile_set_subscription_id (reach, cb_profile_get_subscription_id (saved));
  cb_profile_set_resource_group (reach, cb_profile_get_resource_group (saved));
  cb_profile_set_namespace (reach, cb_profile_get_namespace (saved));
  adr = cb_adr_client_new (reach, cb_context_get_http (app->context));
  cb_adr_client_set_entra_client (adr, cb_context_get_entra (app->context));
  cb_adr_client_get_namespace_async (adr, "demo-ns", NULL, namespace_found_cb, &found);
  cb_test_app_wait (is_true, &found, 20000);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The second tenant: its subscription, group and namespace, read with a token issued there;
 * the saved connection names the tenant, and its namespace opens with that tenant's token
 * (the home tenant's is refused). */
static void
test_second_tenant (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  CbConnectionsWindow *window = cb_connections_window_new (app->context);
  g_autofree char *home = cb_sb_dup_meta (app->ts->sandbox, "tenant_id");
  g_autofree char *png = screenshot ("discovery-tenants-360.png");
  g_autoptr(CbProfile) saved = NULL;
  g_autoptr(CbProfile) reach = NULL;
  g_autoptr(CbEntraClient) entra = NULL;
  g_autoptr(CbAdrClient) adr = NULL;
  g_autoptr(CbAdrClient) home_adr = NULL;
  gboolean refused = FALSE;
  CbDiscoveryStep *step;
  GtkWidget *home_row;
  GtkWidget *field_row;
  GtkWidget *skip;
  gboolean found = FALSE;

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.add", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.discover", NULL));

  step = wait_step (window, CB_ARM_RESOURCE_TENANT, "list");
  home_row = cb_discovery_step_find_row (step, home);
  field_row = cb_discovery_step_find_row (step, FIELD_TENANT);
  g_assert_nonnull (home_row);
  g_assert_nonnull (field_row);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (step), "Certbench Field Lab"));
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (step), "fieldlab.certbench.local"));
  cb_test_app_save_png (GTK_WIDGET (cb_connections_window_get_discovery (window)), png,
                        360, 560);

  /* Search by name or domain, as in the other steps. */
  gtk_editable_set_text (cb_discovery_step_get_search (step), "fieldlab");
  cb_test_app_spin (600);
  g_assert_false (gtk_widget_get_child_visible (home_row));
  g_assert_true (gtk_widget_get_child_visible (field_row));
  choose (step, FIELD_TENANT);

  step = wait_step (window, CB_ARM_RESOURCE_SUBSCRIPTION, "list");
  g_assert_null (cb_discovery_step_find_row (step, DEMO_SUB));
  g_assert_null (cb_discovery_step_find_row (step, LAB_SUB));
  choose (step, FIELD_SUB);
  step = wait_step (window, CB_ARM_RESOURCE_GROUP, "list");
  choose (step, "field-lab");
  step = wait_step (window, CB_ARM_RESOURCE_NAMESPACE, "list");
  choose (step, "field-ns");
  /* No hub or DPS instance there: both steps are skipped. */
  step = wait_step (window, CB_ARM_RESOURCE_HUB, "empty");
  skip = cb_test_app_find_button (GTK_WIDGET (step), "_Skip");
  g_assert_nonnull (skip);
  g_signal_emit_by_name (skip, "clicked");
  step = wait_step (window, CB_ARM_RESOURCE_DPS, "empty");
  skip = cb_test_app_find_button (GTK_WIDGET (step), "_Skip");
  g_assert_nonnull (skip);
  g_signal_emit_by_name (skip, "clicked");
  cb_test_app_wait (closed, window, 5000);

  g_assert_cmpstr (field (window, "tenant"), ==, FIELD_TENANT);
  g_assert_cmpstr (field (window, "subscription-id"), ==, FIELD_SUB);
  g_assert_cmpstr (field (window, "resource-group"), ==, "field-lab");
  g_assert_cmpstr (field (window, "namespace"), ==, "field-ns");

  gtk_editable_set_text (cb_connections_window_get_field (window, "client-id"),
                         "11111111-2222-3333-4444-555555555555");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.save", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (cb_context_get_profiles (app->context)), ==, 2);
  saved = g_list_model_get_item (cb_context_get_profiles (app->context), 1);
  g_assert_cmpstr (cb_profile_get_tenant (saved), ==, FIELD_TENANT);
  g_assert_cmpstr (cb_profile_get_subscription_id (saved), ==, FIELD_SUB);
  g_assert_cmpstr (cb_profile_get_namespace (saved), ==, "field-ns");

  /* The saved connection's namespace, read through ARM by a sign-in whose authority is the
   * saved tenant: the same account's refresh token, from the secret store, gets the token.
   * The home tenant's sign-in is refused there. */
  reach = cb_profile_copy (cb_context_get_profile (app->context));
  cb_profile_set_subscription_id (reach, cb_profile_get_subscription_id (saved));
  cb_profile_set_resource_group (reach, cb_profile_get_resource_group (saved));
  cb_profile_set_namespace (reach, cb_profile_get_namespace (saved));
  home_adr = cb_adr_client_new (reach, cb_context_get_http (app->context));
  cb_adr_client_set_entra_client (home_adr, cb_context_get_entra (app->context));
  cb_adr_client_get_namespace_async (home_adr, "field-ns", NULL, namespace_refused_cb, &refused);
  cb_test_app_wait (is_true, &refused, 20000);
  cb_profile_set_tenant (reach, cb_profile_get_tenant (saved));
  entra = cb_entra_client_new (reach, cb_context_get_http (app->context),
                               cb_context_get_secrets (app->context));
  adr = cb_adr_client_new (reach, cb_context_get_http (app->context));
  cb_adr_client_set_entra_client (adr, entra);
  cb_adr_client_get_namespace_async (adr, "field-ns", NULL, namespace_found_cb, &found);
  cb_test_app_wait (is_true, &found, 20000);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The operator may see the subscription but no resource group: the empty state says what to
 * do, "Enter Manually" goes back to the form with the subscription filled, and a bad name is
 * marked as typed. */
static void
test_restricted_account (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  g_autofree char *png = screenshot ("discovery-restricted-360.png");
  g_autofree char *png_form = screenshot ("discovery-manual-360.png");
  CbConnectionsWindow *window;
  CbDiscoveryStep *step;
  GtkWidget *manual;

  cb_sb_lock (app->ts->sandbox);
  g_assert_true (cb_sb_set_meta (app->ts->sandbox, "default_principal",
                                 "operator@sandbox.certbench.local"));
  cb_sb_unlock (app->ts->sandbox);
  cb_context_start (app->context);
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_READY, 30000);

  window = cb_connections_window_new (app->context);
  /* At a phone's width from the start: a mapped window does not shrink for the picture. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 1000);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.add", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.discover", NULL));

  step = wait_step (window, CB_ARM_RESOURCE_SUBSCRIPTION, "list");
  g_assert_null (cb_discovery_step_find_row (step, LAB_SUB));
  choose (step, DEMO_SUB);
  step = wait_step (window, CB_ARM_RESOURCE_GROUP, "empty");
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (step), "No Resource Groups"));
  cb_test_app_save_png (GTK_WIDGET (cb_connections_window_get_discovery (window)), png,
                        360, 560);

  manual = cb_test_app_find_button (GTK_WIDGET (step), "_Enter Manually");
  g_assert_nonnull (manual);
  g_signal_emit_by_name (manual, "clicked");
  cb_test_app_wait (closed, window, 5000);

  g_assert_cmpstr (field (window, "subscription-id"), ==, DEMO_SUB);
  g_assert_cmpstr (field (window, "resource-group"), ==, "");
  gtk_editable_set_text (cb_connections_window_get_field (window, "resource-group"),
                         "certbench-demo.");
  g_assert_true (has_error_class (window, "resource-group"));
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window),
                                            "A resource group name has up to 90 letters, "
                                            "digits, underscores, hyphens, periods or "
                                            "parentheses, and does not end with a period."));
  cb_test_app_save_png (GTK_WIDGET (window), png_form, 360, 1000);
  gtk_editable_set_text (cb_connections_window_get_field (window, "resource-group"),
                         "certbench-demo");
  g_assert_false (has_error_class (window, "resource-group"));
  gtk_editable_set_text (cb_connections_window_get_field (window, "namespace"), "Demo_NS");
  g_assert_true (has_error_class (window, "namespace"));
  gtk_editable_set_text (cb_connections_window_get_field (window, "namespace"), "demo-ns");
  g_assert_false (has_error_class (window, "namespace"));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-discovery/choose-from-lists", test_choose_from_lists);
  g_test_add_func ("/cb/app-discovery/second-tenant", test_second_tenant);
  g_test_add_func ("/cb/app-discovery/restricted-account", test_restricted_account);

  return g_test_run ();
}
