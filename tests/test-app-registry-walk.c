/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 13's "done when" from the app alone, on a seeded sandbox: the Registry's New Namespace
 * dialog makes a namespace of the stable model with its root; the pane's dialogs add an ICA,
 * link the line's hub and DPS, give the ICA a 30-day policy, and the New Enrollment Group
 * dialog makes a group naming namespace, ICA and policy (refused readably while DPS is not
 * linked, impossible to send without a policy); the Bench chooses that group and provisions
 * the Virtual device (PASS); revoke-and-rotate (the ICA's name typed) leaves the device
 * refused on Diagnostics and counted by the Fleet page; an External ICA is activated with a
 * chain a test CA signed. The app reaches the line's hub and DPS through a connection (an
 * Azure profile the sandbox stands in for), as an admin would point it there; everything
 * after that is the app's pages, actions and dialogs. A second test pictures both new
 * dialogs at 480 and 360 pixels into <build>/tests/screenshots (LANGUAGE=de for German). */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "cb-adr-client-ca.h"
#include "cb-bench-page.h"
#include "cb-ca-create-dialog.h"
#include "cb-ca-policy-dialog.h"
#include "cb-ca-root-dialog.h"
#include "cb-confirm-dialog.h"
#include "cb-diagnostics-page.h"
#include "cb-dps-service-client.h"
#include "cb-endpoint-link-dialog.h"
#include "cb-enrollment-group-dialog.h"
#include "cb-fleet-page.h"
#include "cb-i18n.h"
#include "cb-namespace-dialog.h"
#include "cb-registry-page.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"
#include "cb-sb-world.h"
#include "cb-station-chooser.h"
#include "cb-test-app.h"
#include "cb-test-arm.h"
#include "cbd-virtual-device.h"

#define SUB      "cb000000-0000-4000-8000-000000000001"
#define RG       "certbench-demo"
#define HUB      "walk-hub"
#define DPS      "walk-dps"
#define SCOPE    "0ne00C0FFEE"
#define NS       "walk-ns"
#define ROOT     "walk-root"
#define ICA      "walk-ica"
#define POLICY   "thirty-days"
#define GROUP    "walk-line"
#define BYO      "byo-ica"

typedef struct
{
  CbTestApp         *app;
  GtkWidget         *window;
  GtkStack          *stack;
  CbRegistryPage    *registry;
  CbRegistryCaPane  *pane;
  CbBenchPage       *bench;
  CbFleetPage       *fleet;
  CbDiagnosticsPage *diagnostics;
} Fixture;

/* ---- helpers --------------------------------------------------------------------------- */

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static void
screenshot_of (GtkWidget  *widget,
               const char *name,
               int         width,
               int         height)
{
  g_autofree char *file = g_strdup_printf ("%s%s.png", name,
                                           g_strcmp0 (g_getenv ("LANGUAGE"), "de") == 0 ? "-de"
                                                                                        : "");
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", file, NULL);

  cb_test_app_save_png (widget, path, width, height);
}

static void
show_page (Fixture   *f,
           GtkWidget *page)
{
  gtk_stack_set_visible_child (f->stack, page);
  cb_test_app_spin (100);
}

typedef struct
{
  Fixture    *f;
  const char *title;
  const char *subtitle;
} RowWait;

static const char *
row_subtitle (GtkWidget *row)
{
  if (ADW_IS_PREFERENCES_GROUP (row))
    return adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (row));
  if (ADW_IS_ACTION_ROW (row))
    return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  return NULL;
}

static gboolean
row_is (gpointer data)
{
  RowWait *w = data;
  GtkWidget *row;

  if (cb_registry_ca_pane_get_loading (w->f->pane))
    return FALSE;
  row = cb_registry_ca_pane_find_row (w->f->pane, w->title);
  return row != NULL && (w->subtitle == NULL ||
                         (row_subtitle (row) != NULL && strstr (row_subtitle (row), w->subtitle)));
}

static void
wait_row (Fixture    *f,
          const char *title,
          const char *subtitle)
{
  RowWait w = { f, title, subtitle };

  cb_test_app_wait (row_is, &w, 60000);
}

/* Scrolls the Authorities view to its end (the links and the enrollment groups). */
static void
scroll_to_end (Fixture *f)
{
  /* A linked DPS's row: its name is the same in every language. */
  GtkWidget *row = cb_registry_ca_pane_find_row (f->pane, DPS);
  GtkWidget *scrolled;
  GtkAdjustment *adjustment;

  if (row == NULL)
    row = cb_registry_ca_pane_find_row (f->pane, "demo-stable-dps");
  g_assert_nonnull (row);
  scrolled = gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  cb_test_app_spin (100);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
}

static gboolean
pane_idle (gpointer data)
{
  Fixture *f = data;

  return cb_registry_ca_pane_get_n_operations (f->pane) == 0 &&
         !cb_registry_ca_pane_get_loading (f->pane);
}

static gboolean
has_dialog (gpointer data)
{
  Fixture *f = data;

  return cb_registry_ca_pane_get_dialog (f->pane) != NULL;
}

static AdwMessageDialog *
take_dialog (Fixture *f)
{
  cb_test_app_wait (has_dialog, f, 30000);
  return cb_registry_ca_pane_get_dialog (f->pane);
}

static void
answer (AdwMessageDialog *dialog,
        const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
namespace_dialog_gone (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_get_namespace_dialog (f->registry) == NULL;
}

static gboolean
form_gone (gpointer data)
{
  Fixture *f = data;

  return cb_registry_ca_pane_get_form (f->pane) == NULL;
}

static gboolean
group_dialog_settled (gpointer data)
{
  return !cb_enrollment_group_dialog_get_busy (data);
}

static gboolean
namespace_listed (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_select_namespace (f->registry, "demo-ns");
}

static gboolean
stable_model (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_get_model (f->registry) == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES;
}

static CbEnrollmentGroupDialog *
open_group_dialog (Fixture *f)
{
  GtkWindow *form;

  cb_test_app_wait (pane_idle, f, 30000);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-enrollment-group",
                                             NULL));
  form = cb_registry_ca_pane_get_form (f->pane);
  g_assert_true (CB_IS_ENROLLMENT_GROUP_DIALOG (form));
  return CB_ENROLLMENT_GROUP_DIALOG (form);
}

/* ---- the fixture: the sandbox profile, or the line's connection ------------------------ */

static void
build_window (Fixture *f)
{
  f->registry = CB_REGISTRY_PAGE (cb_registry_page_new (f->app->context));
  f->pane = cb_registry_page_get_ca_pane (f->registry);
  f->bench = CB_BENCH_PAGE (cb_bench_page_new (f->app->context));
  f->fleet = CB_FLEET_PAGE (cb_fleet_page_new (f->app->context));
  f->diagnostics = CB_DIAGNOSTICS_PAGE (cb_diagnostics_page_new (f->app->context));
  f->stack = GTK_STACK (gtk_stack_new ());
  /* Sized by the page shown, as the window's view stack is: the narrow pictures are the
   * Registry's. */
  gtk_stack_set_hhomogeneous (f->stack, FALSE);
  gtk_stack_set_vhomogeneous (f->stack, FALSE);
  gtk_stack_add_named (f->stack, GTK_WIDGET (f->registry), "registry");
  gtk_stack_add_named (f->stack, GTK_WIDGET (f->bench), "bench");
  gtk_stack_add_named (f->stack, GTK_WIDGET (f->fleet), "fleet");
  gtk_stack_add_named (f->stack, GTK_WIDGET (f->diagnostics), "diagnostics");
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->stack));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  cb_test_app_wait_for_state (f->app->context, CB_CONTEXT_STATE_READY, 60000);
  build_window (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (cb_bench_page_get_virtual_device (f->bench) != NULL)
    g_object_run_dispose (G_OBJECT (cb_bench_page_get_virtual_device (f->bench)));
  gtk_window_destroy (GTK_WINDOW (f->window));
  cb_test_app_spin (100);
  cb_test_app_free (f->app);
}

static JsonObject *
find_named (JsonArray  *array,
            const char *name)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (o, "name", NULL), name) == 0)
        return o;
    }
  return NULL;
}

typedef struct
{
  CbEntraDeviceCode *code;
  gboolean           signed_in;
  GError            *error;
  gboolean           done;
} SignIn;

static void
begin_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  SignIn *s = user_data;

  s->code = cb_context_begin_sign_in_finish (CB_CONTEXT (object), result, &s->error);
  s->done = TRUE;
}

static void
complete_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  SignIn *s = user_data;

  s->signed_in = cb_context_complete_sign_in_finish (CB_CONTEXT (object), result, &s->error);
  s->done = TRUE;
}

/* The Azure resources the admin has for the new line (a hub, and a DPS allocating to it, both
 * linked to nothing yet) and the connection that names them and the namespace to come,
 * signed in with a device code the sandbox approves. */
static void
line_setup (Fixture       *f,
            gconstpointer  data)
{
  CbSandbox *sb;
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *hub;
  JsonObject *dps;
  SignIn s = { 0 };

  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  cb_test_app_wait_for_state (f->app->context, CB_CONTEXT_STATE_READY, 60000);
  sb = f->app->ts->sandbox;
  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, NULL, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, SCOPE, NULL, HUB, &error);
  cb_sb_unlock (sb);
  g_assert_no_error (error);

  g_assert_cmpuint (cb_test_sandbox_request_json (f->app->ts, "GET", "/sandbox/info", NULL, NULL,
                                                  &info, NULL), ==, 200);
  hub = find_named (json_object_get_array_member (json_node_get_object (info), "hubs"), HUB);
  dps = find_named (json_object_get_array_member (
                      json_object_get_object_member (json_node_get_object (info), "dps"),
                      "instances"), DPS);
  g_assert_nonnull (hub);
  g_assert_nonnull (dps);

  cb_profile_to_key_file (cb_context_get_profile (f->app->context), key_file, "p");
  g_key_file_set_string (key_file, "p", "id", "walk");
  g_key_file_set_string (key_file, "p", "kind", "azure");
  g_key_file_set_string (key_file, "p", "name", "Walk line");
  g_key_file_set_string (key_file, "p", "namespace", NS);
  g_key_file_set_string (key_file, "p", "hub-name", HUB);
  g_key_file_set_string (key_file, "p", "hub-host-name",
                         json_object_get_string_member (hub, "hostName"));
  g_key_file_set_string (key_file, "p", "hub-endpoint",
                         json_object_get_string_member (hub, "endpoint"));
  g_key_file_set_string (key_file, "p", "dps-name", DPS);
  g_key_file_set_string (key_file, "p", "dps-id-scope", SCOPE);
  g_key_file_set_string (key_file, "p", "dps-host-name",
                         json_object_get_string_member (dps, "hostName"));
  g_key_file_set_string (key_file, "p", "dps-service-endpoint",
                         json_object_get_string_member (dps, "serviceEndpoint"));
  g_key_file_remove_key (key_file, "p", "enrollment-group-id", NULL);
  g_key_file_remove_key (key_file, "p", "credential-policy", NULL);
  profile = cb_profile_new_from_key_file (key_file, "p", &error);
  g_assert_no_error (error);
  g_assert_true (cb_context_save_profile (f->app->context, profile, &error));
  g_assert_no_error (error);
  g_assert_true (cb_context_switch_profile (f->app->context, "walk", &error));
  g_assert_no_error (error);
  cb_test_app_wait_for_state (f->app->context, CB_CONTEXT_STATE_SIGNED_OUT, 30000);

  cb_context_begin_sign_in_async (f->app->context, NULL, begin_cb, &s);
  cb_test_app_wait (is_true, &s.done, 30000);
  g_assert_no_error (s.error);
  s.done = FALSE;
  cb_context_complete_sign_in_async (f->app->context, s.code, NULL, complete_cb, &s);
  cb_test_app_wait (is_true, &s.done, 30000);
  g_assert_no_error (s.error);
  g_assert_true (s.signed_in);
  g_clear_object (&s.code);
  cb_test_app_wait_for_state (f->app->context, CB_CONTEXT_STATE_READY, 30000);

  build_window (f);
}

/* ---- the walk ---------------------------------------------------------------------------- */

static void
create_namespace (Fixture *f)
{
  CbNamespaceDialog *dialog;

  cb_test_app_wait (namespace_listed, f, 60000);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->registry), "registry.new-namespace",
                                             NULL));
  dialog = CB_NAMESPACE_DIALOG (cb_registry_page_get_namespace_dialog (f->registry));
  g_assert_nonnull (dialog);
  g_assert_false (cb_namespace_dialog_can_create (dialog));
  g_assert_cmpint (cb_namespace_dialog_get_model (dialog), ==,
                   CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
  g_assert_cmpstr (gtk_editable_get_text (cb_namespace_dialog_get_location_entry (dialog)), !=,
                   "");

  /* Checked while typing: a name the subscription has, one ARM refuses, then a good one. */
  gtk_editable_set_text (cb_namespace_dialog_get_name_entry (dialog), "demo-ns");
  g_assert_false (cb_namespace_dialog_can_create (dialog));
  g_assert_nonnull (strstr (cb_namespace_dialog_get_error (dialog), "already"));
  gtk_editable_set_text (cb_namespace_dialog_get_name_entry (dialog), "Walk_NS");
  g_assert_false (cb_namespace_dialog_can_create (dialog));
  g_assert_nonnull (strstr (cb_namespace_dialog_get_error (dialog), "lower-case"));
  gtk_editable_set_text (cb_namespace_dialog_get_name_entry (dialog), NS);
  g_assert_null (cb_namespace_dialog_get_error (dialog));
  /* The root's name follows the namespace's until typed over. */
  g_assert_cmpstr (gtk_editable_get_text (cb_namespace_dialog_get_root_entry (dialog)), ==,
                   NS "-root");
  gtk_editable_set_text (cb_namespace_dialog_get_root_entry (dialog), "-");
  g_assert_false (cb_namespace_dialog_can_create (dialog));
  gtk_editable_set_text (cb_namespace_dialog_get_root_entry (dialog), ROOT);
  g_assert_true (cb_namespace_dialog_can_create (dialog));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "namespace.create", NULL));
  g_assert_true (cb_namespace_dialog_get_busy (dialog));
  cb_test_app_wait (namespace_dialog_gone, f, 60000);

  /* The list has it, selected, in the stable model, with its Microsoft-issued root. */
  cb_test_app_wait (stable_model, f, 60000);
  wait_row (f, ROOT, "Root");
  g_assert_cmpstr (cb_adr_client_get_namespace (cb_context_get_adr (f->app->context)), ==, NS);
  /* The connection's namespace: its enrollments are now read in its model. */
  g_assert_cmpint (cb_dps_service_client_get_model (cb_context_get_dps_service (f->app->context)),
                   ==, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
}

static void
create_ica (Fixture    *f,
            const char *name,
            CbCaIssuer  issuer)
{
  AdwMessageDialog *dialog;

  cb_test_app_wait (pane_idle, f, 30000);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-ica", NULL));
  dialog = take_dialog (f);
  gtk_editable_set_text (cb_ca_create_dialog_get_name_entry (CB_CA_CREATE_DIALOG (dialog)), name);
  cb_ca_create_dialog_set_issuer (CB_CA_CREATE_DIALOG (dialog), issuer);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "create"));
  answer (dialog, "create");
  wait_row (f, name, issuer == CB_CA_ISSUER_EXTERNAL ? "Pending activation" : "Microsoft");
}

static void
link_endpoint (Fixture    *f,
               const char *action,
               const char *resource)
{
  AdwMessageDialog *dialog;

  cb_test_app_wait (pane_idle, f, 30000);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), action, NULL));
  dialog = take_dialog (f);
  gtk_editable_set_text (cb_endpoint_link_dialog_get_resource_entry (CB_ENDPOINT_LINK_DIALOG (dialog)),
                         resource);
  answer (dialog, "link");
  wait_row (f, resource, "linked");
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static JsonObject *
read_group (Fixture *f)
{
  CbDpsServiceClient *dps = cb_context_get_dps_service (f->app->context);
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *group;

  cb_dps_service_client_get_async (dps, CB_DPS_ENROLLMENT_GROUP, GROUP, NULL, store_result,
                                   &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  group = cb_dps_service_client_enrollment_finish (dps, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  return group;
}

static void
create_group (Fixture *f)
{
  CbEnrollmentGroupDialog *dialog;
  g_autoptr(JsonObject) group = NULL;

  dialog = open_group_dialog (f);
  g_assert_cmpstr (cb_enrollment_group_dialog_get_ca (dialog), ==, ICA);
  g_assert_cmpstr (cb_enrollment_group_dialog_get_policy (dialog), ==, POLICY);
  gtk_editable_set_text (cb_enrollment_group_dialog_get_id_entry (dialog), "walk line");
  g_assert_false (cb_enrollment_group_dialog_can_create (dialog));
  gtk_editable_set_text (cb_enrollment_group_dialog_get_id_entry (dialog), GROUP);
  g_assert_true (cb_enrollment_group_dialog_can_create (dialog));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "group.create", NULL));
  cb_test_app_wait (form_gone, f, 60000);
  wait_row (f, GROUP, ICA " · policy " POLICY);

  /* DPS has it with the three names together. */
  group = read_group (f);
  g_assert_cmpstr (cb_dps_enrollment_get_namespace (group), ==, NS);
  g_assert_cmpstr (cb_dps_enrollment_get_certificate_authority (group), ==, ICA);
  g_assert_cmpstr (cb_dps_enrollment_get_policy (group), ==, POLICY);
}

static gboolean
bench_idle (gpointer data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (data)) == 0;
}

static gboolean
chooser_loaded (gpointer data)
{
  return g_strcmp0 (cb_station_chooser_get_state (data), "loading") != 0;
}

static gboolean
chooser_closed (gpointer data)
{
  return cb_bench_page_get_station_chooser (CB_BENCH_PAGE (data)) == NULL;
}

static gboolean
has_virtual_device (gpointer data)
{
  return cb_bench_page_get_virtual_device (CB_BENCH_PAGE (data)) != NULL;
}

static void
choose_group (Fixture *f)
{
  CbStationChooser *chooser;
  g_auto(GStrv) names = NULL;

  show_page (f, GTK_WIDGET (f->bench));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bench), "bench.choose-enrollment",
                                             NULL));
  chooser = cb_bench_page_get_station_chooser (f->bench);
  g_assert_nonnull (chooser);
  cb_test_app_wait (chooser_loaded, chooser, 30000);
  names = cb_station_chooser_dup_names (chooser);
  g_assert_true (g_strv_contains ((const char * const *) names, GROUP));
  g_assert_true (cb_station_chooser_select (chooser, GROUP));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chooser), "chooser.use", NULL));
  cb_test_app_wait (chooser_closed, f->bench, 30000);
  g_assert_cmpstr (cb_profile_get_enrollment_group_id (cb_context_get_profile (f->app->context)),
                   ==, GROUP);
}

static gboolean
provision (Fixture *f)
{
  CbVirtualDevice *device;
  const char *path;
  CbRunResult *result;

  cb_test_app_wait (has_virtual_device, f->bench, 30000);
  device = cb_bench_page_get_virtual_device (f->bench);
  path = cb_virtual_device_get_path (device);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bench), "bench.provision", "s", path));
  cb_test_app_wait (bench_idle, f->bench, 120000);
  result = cb_provisioning_run_get_result (cb_bench_page_get_run (f->bench, path));
  g_assert_nonnull (result);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run failed: %s", cb_run_result_get_error (result) != NULL
                                        ? cb_run_result_get_error (result)->message : "?");
  return cb_run_result_get_passed (result);
}

static void
revoke_and_rotate (Fixture *f)
{
  AdwMessageDialog *dialog;
  GtkEditable *entry;

  show_page (f, GTK_WIDGET (f->registry));
  cb_test_app_wait (pane_idle, f, 30000);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.revoke-and-rotate", "s",
                                             ICA));
  dialog = take_dialog (f);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  g_test_message ("revoke and rotate: %s", adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1 device loses"));
  entry = cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog));
  gtk_editable_set_text (entry, "walk-root");
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (entry, ICA);
  g_assert_true (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  answer (dialog, "confirm");
  wait_row (f, ICA, "rotated");
}

static gboolean
diagnosed (gpointer data)
{
  Fixture *f = data;

  return !cb_diagnostics_page_get_running (f->diagnostics) &&
         cb_diagnostics_page_get_state (f->diagnostics, NULL, NULL);
}

static void
see_refused (Fixture *f)
{
  CbDeviceState state;
  const char *reason = NULL;

  show_page (f, GTK_WIDGET (f->diagnostics));
  cb_diagnostics_page_run (f->diagnostics,
                           cb_virtual_device_get_path (cb_bench_page_get_virtual_device (f->bench)));
  cb_test_app_wait (diagnosed, f, 120000);
  g_assert_true (cb_diagnostics_page_get_state (f->diagnostics, &state, &reason));
  g_test_message ("diagnosis: state %d, %s", state, reason != NULL ? reason : "");
  g_assert_cmpint (state, ==, CB_DEVICE_STATE_ISSUER_REVOKED);
}

static gboolean
fleet_counted (gpointer data)
{
  Fixture *f = data;

  return !cb_fleet_page_get_loading (f->fleet) &&
         cb_fleet_page_get_count (f->fleet, CB_DEVICE_STATE_ISSUER_REVOKED) >= 1;
}

static char *
read_csr (Fixture    *f,
          const char *name)
{
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GError) error = NULL;
  CbAdrClient *adr = cb_context_get_adr (f->app->context);
  GAsyncResult *result = NULL;

  cb_adr_client_list_certificate_authorities_async (adr, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  cas = cb_adr_client_list_certificate_authorities_finish (adr, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  for (guint i = 0; i < cas->len; i++)
    if (g_strcmp0 (cb_certificate_authority_get_name (g_ptr_array_index (cas, i)), name) == 0)
      return g_strdup (cb_certificate_authority_get_csr (g_ptr_array_index (cas, i)));
  g_assert_not_reached ();
}

static gboolean
has_chooser (gpointer data)
{
  Fixture *f = data;

  return cb_registry_ca_pane_get_chooser (f->pane) != NULL;
}

static void
activate_external (Fixture *f)
{
  g_autofree char *csr = NULL;
  g_autofree char *chain = NULL;
  g_autofree char *path = g_build_filename (f->app->dir, "byo-chain.pem", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;

  create_ica (f, BYO, CB_CA_ISSUER_EXTERNAL);
  cb_test_app_wait (pane_idle, f, 30000);
  csr = read_csr (f, BYO);
  g_assert_nonnull (csr);
  chain = cb_test_sign_csr (csr, cb_sb_now (f->app->ts->sandbox), 730, CB_TEST_SIGN_NORMAL, NULL);
  g_assert_true (g_file_set_contents (path, chain, -1, &error));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.activate", "s", BYO));
  dialog = take_dialog (f);
  answer (dialog, "choose");
  cb_test_app_wait (has_chooser, f, 30000);
  /* The chooser's own dialog is GTK's: give the pane the file it would answer with. */
  gtk_native_dialog_hide (GTK_NATIVE_DIALOG (cb_registry_ca_pane_get_chooser (f->pane)));
  cb_registry_ca_pane_activate_from_file (f->pane, BYO, file);
  wait_row (f, BYO, "Active");
}

static void
test_walk (Fixture       *f,
           gconstpointer  data)
{
  CbEnrollmentGroupDialog *group;

  /* The namespace and its root, then an ICA. */
  create_namespace (f);
  create_ica (f, ICA, CB_CA_ISSUER_MICROSOFT);

  /* No policy yet: the group cannot name a partial path, whatever its name. */
  group = open_group_dialog (f);
  gtk_editable_set_text (cb_enrollment_group_dialog_get_id_entry (group), GROUP);
  g_assert_cmpstr (cb_enrollment_group_dialog_get_ca (group), ==, ICA);
  g_assert_null (cb_enrollment_group_dialog_get_policy (group));
  g_assert_false (cb_enrollment_group_dialog_can_create (group));
  g_assert_nonnull (strstr (cb_enrollment_group_dialog_get_error (group), "no policy"));
  gtk_window_close (GTK_WINDOW (group));
  cb_test_app_wait (form_gone, f, 30000);

  /* The policy, through the ICA's dialog. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-policy", "s", ICA));
  {
    AdwMessageDialog *dialog = take_dialog (f);

    gtk_editable_set_text (cb_ca_policy_dialog_get_name_entry (CB_CA_POLICY_DIALOG (dialog)),
                           POLICY);
    g_assert_cmpuint (cb_ca_policy_dialog_get_days (CB_CA_POLICY_DIALOG (dialog)), ==, 30);
    answer (dialog, "create");
  }
  wait_row (f, POLICY, "30 days");

  /* DPS not linked yet: the service refuses the group, the dialog says why and keeps it. */
  group = open_group_dialog (f);
  gtk_editable_set_text (cb_enrollment_group_dialog_get_id_entry (group), GROUP);
  g_assert_true (cb_enrollment_group_dialog_can_create (group));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "group.create", NULL));
  cb_test_app_wait (group_dialog_settled, group, 60000);
  g_test_message ("refused: %s", cb_enrollment_group_dialog_get_error (group));
  g_assert_nonnull (strstr (cb_enrollment_group_dialog_get_error (group), "not created"));
  g_assert_nonnull (strstr (cb_enrollment_group_dialog_get_error (group), "Namespace"));
  g_assert_cmpstr (gtk_editable_get_text (cb_enrollment_group_dialog_get_id_entry (group)), ==,
                   GROUP);
  screenshot_of (GTK_WIDGET (group), "dialog-enrollment-group-refused", 480, 640);
  gtk_window_close (GTK_WINDOW (group));
  cb_test_app_wait (form_gone, f, 30000);

  /* The line's hub and DPS, linked; then the group. */
  link_endpoint (f, "ca.link-hub", HUB);
  link_endpoint (f, "ca.link-dps", DPS);
  create_group (f);
  scroll_to_end (f);
  screenshot_of (f->window, "registry-walk-groups", 1280, 800);

  /* The Bench provisions the Virtual device through it. */
  choose_group (f);
  g_assert_true (provision (f));

  /* Revoke and rotate: the device is refused and counted. */
  revoke_and_rotate (f);
  see_refused (f);
  show_page (f, GTK_WIDGET (f->fleet));
  cb_fleet_page_reload (f->fleet);
  cb_test_app_wait (fleet_counted, f, 120000);

  /* An External ICA, activated with a chain a test CA made. */
  show_page (f, GTK_WIDGET (f->registry));
  activate_external (f);
}

/* ---- a namespace made elsewhere, without a root; and one of the preview model ------------- */

static gboolean
bare_selected (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_select_namespace (f->registry, "bare-ns");
}

static gboolean
credential_model (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_get_model (f->registry) == CB_ADR_MODEL_CREDENTIAL;
}

static void
test_new_root (Fixture       *f,
               gconstpointer  data)
{
  CbAdrClient *adr = cb_context_get_adr (f->app->context);
  g_autoptr(CbNamespace) made = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  AdwMessageDialog *dialog;
  GtkEditable *entry;

  /* Made by another tool: a namespace with neither root nor credential. */
  cb_adr_client_create_namespace_async (adr, "bare-ns", NULL, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  made = cb_adr_client_create_namespace_finish (adr, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);

  cb_test_app_wait (namespace_listed, f, 60000);
  cb_registry_page_reload (f->registry);
  cb_test_app_wait (bare_selected, f, 60000);
  cb_test_app_wait (stable_model, f, 60000);
  wait_row (f, "No certificate authority", "root");
  screenshot_of (f->window, "registry-ca-no-root", 1280, 800);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->pane), "ca.new-root", NULL));
  dialog = take_dialog (f);
  g_assert_true (CB_IS_CA_ROOT_DIALOG (dialog));
  entry = cb_ca_root_dialog_get_name_entry (CB_CA_ROOT_DIALOG (dialog));
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "bare-ns-root");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "create"));
  gtk_editable_set_text (entry, "-root");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "create"));
  gtk_editable_set_text (entry, "bare-root");
  screenshot_of (GTK_WIDGET (dialog), "dialog-ca-new-root", 480, 400);
  screenshot_of (GTK_WIDGET (dialog), "narrow-dialog-ca-new-root", 360, 480);
  answer (dialog, "create");
  wait_row (f, "bare-root", "Root");
  cb_test_app_wait (pane_idle, f, 30000);
  g_assert_true (g_str_has_prefix (cb_registry_page_get_last_toast (f->registry),
                                   "Created the root CA “bare-root”"));
  g_assert_null (cb_registry_ca_pane_find_row (f->pane, "No certificate authority"));

  /* A namespace of the preview model: the dialog makes its credential instead of a root. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->registry), "registry.new-namespace",
                                             NULL));
  {
    CbNamespaceDialog *ns = CB_NAMESPACE_DIALOG (cb_registry_page_get_namespace_dialog (f->registry));

    gtk_editable_set_text (cb_namespace_dialog_get_name_entry (ns), "bare-ns");
    g_assert_false (cb_namespace_dialog_can_create (ns));
    gtk_editable_set_text (cb_namespace_dialog_get_name_entry (ns), "preview-ns");
    cb_namespace_dialog_set_model (ns, CB_ADR_MODEL_CREDENTIAL);
    /* No root to name: the empty root name does not keep Create off. */
    gtk_editable_set_text (cb_namespace_dialog_get_root_entry (ns), "");
    g_assert_true (cb_namespace_dialog_can_create (ns));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ns), "namespace.create", NULL));
  }
  cb_test_app_wait (namespace_dialog_gone, f, 60000);
  cb_test_app_wait (credential_model, f, 60000);
  g_assert_cmpstr (cb_adr_client_get_namespace (adr), ==, "preview-ns");
}

/* ---- pictures ---------------------------------------------------------------------------- */

static gboolean
demo_stable_selected (gpointer data)
{
  Fixture *f = data;

  return cb_registry_page_select_namespace (f->registry, "demo-stable-ns");
}

static void
test_pictures (Fixture       *f,
               gconstpointer  data)
{
  CbNamespaceDialog *ns;
  CbEnrollmentGroupDialog *group;

  cb_test_app_wait (demo_stable_selected, f, 60000);
  wait_row (f, "demo-root", NULL);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->registry), "registry.new-namespace",
                                             NULL));
  ns = CB_NAMESPACE_DIALOG (cb_registry_page_get_namespace_dialog (f->registry));
  gtk_editable_set_text (cb_namespace_dialog_get_name_entry (ns), "line-2");
  screenshot_of (GTK_WIDGET (ns), "dialog-new-namespace", 480, 720);
  screenshot_of (GTK_WIDGET (ns), "narrow-dialog-new-namespace", 360, 720);
  gtk_editable_set_text (cb_namespace_dialog_get_name_entry (ns), "demo-ns");
  screenshot_of (GTK_WIDGET (ns), "narrow-dialog-new-namespace-taken", 360, 720);
  cb_namespace_dialog_set_model (ns, CB_ADR_MODEL_CREDENTIAL);
  g_assert_cmpint (cb_namespace_dialog_get_model (ns), ==, CB_ADR_MODEL_CREDENTIAL);
  screenshot_of (GTK_WIDGET (ns), "dialog-new-namespace-preview", 480, 720);
  gtk_window_close (GTK_WINDOW (ns));
  cb_test_app_wait (namespace_dialog_gone, f, 30000);

  group = open_group_dialog (f);
  gtk_editable_set_text (cb_enrollment_group_dialog_get_id_entry (group), "line-2");
  g_assert_cmpstr (cb_enrollment_group_dialog_get_policy (group), ==, "thirty-days");
  /* The connection's DPS (demo-dps) is not the one this namespace links: said before Create. */
  if (g_strcmp0 (g_getenv ("LANGUAGE"), "de") != 0)
    g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (group),
                                              "demo-dps · not linked to this namespace: link it "
                                              "first, or it refuses the group"));
  screenshot_of (GTK_WIDGET (group), "dialog-new-enrollment-group", 480, 640);
  screenshot_of (GTK_WIDGET (group), "narrow-dialog-new-enrollment-group", 360, 720);
  gtk_window_close (GTK_WINDOW (group));
  cb_test_app_wait (form_gone, f, 30000);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->registry), "registry.show-view", "s",
                                             "authorities"));
  screenshot_of (f->window, "narrow-registry-ca-top", 360, 800);
  scroll_to_end (f);
  screenshot_of (f->window, "narrow-registry-ca-groups", 360, 800);
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  /* LANGUAGE=de: only the pictures, in German (the walk reads English text). */
  if (g_strcmp0 (g_getenv ("LANGUAGE"), "de") == 0)
    {
      g_autofree char *app_path = g_test_build_filename (G_TEST_BUILT, "..", "src", "app",
                                                         "certbench", NULL);

      if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL)
        g_printerr ("de_DE.UTF-8 is not generated: the pictures stay in English\n");
      cb_i18n_init (app_path);
      g_test_add ("/cb/app-registry-walk/pictures", Fixture, NULL, fixture_setup, test_pictures,
                  fixture_teardown);
      return g_test_run ();
    }

  g_test_add ("/cb/app-registry-walk/pictures", Fixture, NULL, fixture_setup, test_pictures,
              fixture_teardown);
  g_test_add ("/cb/app-registry-walk/new-root", Fixture, NULL, fixture_setup, test_new_root,
              fixture_teardown);
  g_test_add ("/cb/app-registry-walk/walk", Fixture, NULL, line_setup, test_walk,
              fixture_teardown);
  return g_test_run ();
}
