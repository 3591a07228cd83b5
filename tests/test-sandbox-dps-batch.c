/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 16: the DPS device requests share a group commit (src/sandbox/cb-sb-batch.c) and
 * their answers wait for it. A certbench-sandbox process (--seed demo --lro-delay-ms 0) takes
 * 96 registrations with a CSR over HTTPS, 32 in flight from 8 clients, so that many requests
 * share each commit. Every device must get its own answer (a leaf for its own name: held
 * answers are not mixed up). Then the sandbox is killed with SIGKILL the moment the last
 * answer arrives, started again on the same data, and every operation the devices were told
 * about is polled again: each must still be assigned, with the same leaf. An answer sent
 * before its commit would be lost with the process. */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cb-test-sandbox.h"

#include "cb-dps-client.h"
#include "cb-dps-registration.h"
#include "cb-http.h"
#include "cb-http-parse.h"
#include "cb-http-response.h"
#include "cb-pki.h"
#include "cb-profile.h"
#include "cb-sandbox-discovery.h"
#include "cb-sas.h"
#include "cb-x509.h"

#define N_DEVICES  96
#define IN_FLIGHT  32
#define N_CLIENTS  8

typedef struct
{
  CbDpsClient       *dps[N_CLIENTS];
  const char        *group_key;
  GPtrArray         *ids;
  GPtrArray         *csrs;
  CbDpsRegistration *done[N_DEVICES];
  guint              next;
  guint              n_done;
  GSubprocess       *sandbox;        /* killed when the last answer arrives */
} Batch;

static void start_next (Batch *batch);

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* A sandbox left behind by a failed assertion goes with the test. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* certbench-sandbox on a free port; returns its URL once it listens. */
static GSubprocess *
spawn_sandbox (const char  *data_dir,
               const char  *out_path,
               gboolean     seed,
               char       **url)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *exe = g_getenv ("CERTBENCH_SANDBOX") != NULL
    ? g_strdup (g_getenv ("CERTBENCH_SANDBOX"))
    : g_test_build_filename (G_TEST_BUILT, "..", "src", "sandbox", "certbench-sandbox", NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  GSubprocess *sandbox;

  g_unlink (out_path);
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sandbox = g_subprocess_launcher_spawn (launcher, &error, exe, "--data-dir", data_dir,
                                         "--port", "0", "--lro-delay-ms", "0",
                                         seed ? "--seed" : NULL, "demo", NULL);
  g_assert_no_error (error);

  while (g_get_monotonic_time () < deadline && g_subprocess_get_identifier (sandbox) != NULL)
    {
      g_autofree char *text = NULL;
      const char *p, *end;

      if (g_file_get_contents (out_path, &text, NULL, NULL) &&
          (p = strstr (text, "is listening on ")) != NULL && (end = strchr (p, '\n')) != NULL)
        {
          *url = g_strndup (p + strlen ("is listening on "), end - p - strlen ("is listening on "));
          return sandbox;
        }
      g_usleep (20000);
    }
  g_error ("certbench-sandbox did not start");
}

static CbProfile *
discover (const char  *url,
          const char  *data_dir,
          char       **group_key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;
  CbProfile *profile;

  cb_sandbox_discover_async (url, data_dir, NULL, store_result, &result);
  profile = cb_sandbox_discover_finish (wait_for (&result), &base_url, group_key, &error);
  g_assert_no_error (error);
  return profile;
}

static void
registered_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Batch *batch = user_data;
  g_autoptr(GError) error = NULL;
  CbDpsRegistration *registration;
  guint i;

  registration = cb_dps_client_register_finish (CB_DPS_CLIENT (object), result, &error);
  g_assert_no_error (error);
  for (i = 0; i < batch->ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (batch->ids, i),
                   cb_dps_registration_get_registration_id (registration)) == 0)
      break;
  g_assert_cmpuint (i, <, batch->ids->len);
  g_assert_null (batch->done[i]);
  batch->done[i] = registration;

  /* The moment the last device heard back: no time for a late commit. */
  if (++batch->n_done == batch->ids->len)
    g_subprocess_send_signal (batch->sandbox, SIGKILL);
  start_next (batch);
}

static void
start_next (Batch *batch)
{
  guint i;

  if (batch->next >= batch->ids->len)
    return;
  i = batch->next++;
  cb_dps_client_register_async (batch->dps[i % N_CLIENTS], g_ptr_array_index (batch->ids, i),
                                batch->group_key, CB_DPS_KEY_ENROLLMENT_GROUP,
                                g_ptr_array_index (batch->csrs, i), NULL, NULL, registered_cb,
                                batch);
}

/* The leaf of a registration's chain, checked to be for registration_id. */
static GBytes *
leaf_of (GPtrArray  *chain,
         const char *registration_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) leaf = NULL;

  g_assert_nonnull (chain);
  g_assert_cmpuint (chain->len, >=, 2);
  leaf = cb_certificate_new_from_der (g_ptr_array_index (chain, 0), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, registration_id);
  return g_ptr_array_index (chain, 0);
}

/* GET the operation again, as the device's poll would, after the restart. */
static void
check_operation (CbHttpClient      *http,
                 CbProfile         *profile,
                 const char        *group_key,
                 CbDpsRegistration *registration)
{
  const char *registration_id = cb_dps_registration_get_registration_id (registration);
  const char *scope = cb_profile_get_dps_id_scope (profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autofree char *key = cb_sas_derive_device_key (group_key, registration_id, &error);
  g_autofree char *resource = g_strdup_printf ("%s/registrations/%s", scope, registration_id);
  g_autofree char *token = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *chain_text = NULL;
  g_autofree guchar *leaf_der = NULL;
  gsize leaf_len = 0;
  GBytes *leaf = leaf_of (cb_dps_registration_get_issued_chain (registration), registration_id);
  JsonObject *state;
  JsonArray *chain;

  g_assert_no_error (error);
  token = cb_sas_token_new (resource, key, "registration",
                            g_get_real_time () / G_USEC_PER_SEC + 600, CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  base = cb_http_build_url (cb_profile_get_dps_global_endpoint (profile), scope, "registrations",
                            registration_id, "operations",
                            cb_dps_registration_get_operation_id (registration), NULL);
  url = g_strconcat (base, "?api-version=2021-06-01", NULL);

  cb_http_client_request_async (http, "GET", url, token, NULL, NULL, CB_HTTP_STYLE_DPS, NULL,
                                store_result, &result);
  response = cb_http_client_request_finish (http, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (cb_http_response_get_object (response),
                                                  "status"), ==, "assigned");
  state = json_object_get_object_member (cb_http_response_get_object (response),
                                         "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "registrationId"), ==, registration_id);
  chain = json_object_get_array_member (state, "issuedCertificateChain");
  g_assert_nonnull (chain);
  leaf_der = g_base64_decode (json_array_get_string_element (chain, 0), &leaf_len);
  g_assert_cmpmem (leaf_der, leaf_len, g_bytes_get_data (leaf, NULL), g_bytes_get_size (leaf));
}

static void
test_answers_follow_commit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("certbench-dps-batch-XXXXXX", &error);
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  g_autofree char *out_path = g_build_filename (dir, "sandbox.out", NULL);
  g_autofree char *url = NULL;
  g_autofree char *url2 = NULL;
  g_autofree char *group_key = NULL;
  g_autofree char *group_key2 = NULL;
  g_autoptr(GSubprocess) sandbox = NULL;
  g_autoptr(GSubprocess) again = NULL;
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbProfile) profile2 = NULL;
  g_autoptr(CbHttpClient) http2 = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) csrs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  CbHttpClient *http[N_CLIENTS];
  Batch batch = { 0 };

  g_assert_no_error (error);
  sandbox = spawn_sandbox (data_dir, out_path, TRUE, &url);
  profile = discover (url, data_dir, &group_key);

  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, NULL);
      char *id = g_strdup_printf ("batch-dev-%03u", i);

      g_ptr_array_add (ids, id);
      g_ptr_array_add (csrs, cb_csr_create (key, id, NULL));
    }
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      http[i] = cb_http_client_new (profile, &error);
      g_assert_no_error (error);
      batch.dps[i] = cb_dps_client_new (profile, http[i]);
      cb_dps_client_set_transport (batch.dps[i], CB_DPS_TRANSPORT_HTTPS);
    }
  batch.group_key = group_key;
  batch.ids = ids;
  batch.csrs = csrs;
  batch.sandbox = sandbox;

  for (guint i = 0; i < IN_FLIGHT; i++)
    start_next (&batch);
  while (batch.n_done < N_DEVICES)
    g_main_context_iteration (NULL, TRUE);

  /* Each device got its own answer. */
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_assert_cmpstr (cb_dps_registration_get_status (batch.done[i]), ==, "assigned");
      leaf_of (cb_dps_registration_get_issued_chain (batch.done[i]), g_ptr_array_index (ids, i));
    }

  g_subprocess_wait (sandbox, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (sandbox));
  g_assert_cmpint (g_subprocess_get_term_sig (sandbox), ==, SIGKILL);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_object_unref (batch.dps[i]);
      g_object_unref (http[i]);
    }

  /* Started again on the same data: what every device was told is there. */
  again = spawn_sandbox (data_dir, out_path, FALSE, &url2);
  profile2 = discover (url2, data_dir, &group_key2);
  g_assert_cmpstr (group_key2, ==, group_key);
  http2 = cb_http_client_new (profile2, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_DEVICES; i++)
    check_operation (http2, profile2, group_key2, batch.done[i]);

  for (guint i = 0; i < N_DEVICES; i++)
    g_object_unref (batch.done[i]);
  g_subprocess_send_signal (again, SIGTERM);
  g_subprocess_wait (again, NULL, NULL);
  cb_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sandbox-dps-batch/answers-follow-commit", test_answers_follow_commit);
  return g_test_run ();
}
