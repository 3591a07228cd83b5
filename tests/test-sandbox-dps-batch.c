/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 16: the DPS device requests share a group commit (src/sandbox/cb-sb-batch.c) and
 * their answers wait for it. A certbench-sandbox process (--seed demo --lro-delay-ms 0) takes
 * 96 registrations with a CSR over HTTPS, 32 in flight from 8 clients, so that many requests
 * share each commit. Every device must get its own answer (a leaf for its own name: held
 * answers are not mixed up). Then the sandbox is killed with SIGKILL the moment the last
 * answer arrives, started again on the same data, and every operation the devices were told
 * about is polled again: each must still be assigned, with the same leaf. An answer sent
 * before its commit would be lost with the process.
 *
 * The CSR's check and the leaf's signature run in worker threads meanwhile
 * (src/sandbox/cb-sb-workers.c): stop-with-work-out stops the sandbox (SIGTERM) the moment
 * the first answer arrives, with registrations in its workers and their next steps queued; it
 * must exit cleanly (under the sanitizer pass: no use after free, no leak).
 *
 * failed-commit: a group commit that fails (a deferred foreign key put in the registration's
 * first write: the way a full disk would fail it) takes back the registry device and the hub
 * identity a registration's first step wrote; its second step, after the worker signed, must
 * then answer 500214 too, not record a leaf and an "assigned" operation for a device that is
 * not there. */
#include "config.h"

#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "cb-test-sandbox.h"

#include "bench-common.h"
#include "bench-dps-batch.h"
#include "cb-http-parse.h"
#include "cb-http-response.h"
#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-x509.h"

#define N_DEVICES  96
#define IN_FLIGHT  32

typedef struct
{
  GPtrArray         *ids;
  CbDpsRegistration *done[N_DEVICES];
  guint              n_done;
  GSubprocess       *sandbox;        /* killed when the last answer arrives */
} Answers;

static char *
sandbox_exe (void)
{
  return g_getenv ("CERTBENCH_SANDBOX") != NULL
    ? g_strdup (g_getenv ("CERTBENCH_SANDBOX"))
    : g_test_build_filename (G_TEST_BUILT, "..", "src", "sandbox", "certbench-sandbox", NULL);
}

/* What each test starts with: a seeded sandbox in a folder of its own, its DPS clients and
 * n_devices CSRs named after prefix. With fatal_criticals_only, the sandbox's warnings (of a
 * failed commit, say) are not fatal to it. */
typedef struct
{
  char            *dir;
  char            *data_dir;
  char            *out_path;
  char            *exe;
  char            *url;
  GSubprocess     *sandbox;
  BenchDpsClients *clients;
  GPtrArray       *ids;
  GPtrArray       *csrs;
} Rig;

static void
rig_open (Rig        *rig,
          const char *prefix,
          guint       n_devices,
          gboolean    fatal_criticals_only)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *template = g_strdup_printf ("certbench-%s-XXXXXX", prefix);
  g_autofree char *g_debug = g_strdup (g_getenv ("G_DEBUG"));

  rig->dir = g_dir_make_tmp (template, &error);
  g_assert_no_error (error);
  rig->data_dir = g_build_filename (rig->dir, "data", NULL);
  rig->out_path = g_build_filename (rig->dir, "sandbox.out", NULL);
  rig->exe = sandbox_exe ();
  if (fatal_criticals_only)
    g_setenv ("G_DEBUG", "gc-friendly,fatal-criticals", TRUE);
  rig->sandbox = bench_spawn_sandbox_full (rig->exe, rig->data_dir, rig->out_path, TRUE,
                                           &rig->url, NULL);
  if (fatal_criticals_only && g_debug != NULL)
    g_setenv ("G_DEBUG", g_debug, TRUE);
  else if (fatal_criticals_only)
    g_unsetenv ("G_DEBUG");
  rig->clients = bench_dps_clients_new (rig->url, rig->data_dir);
  rig->ids = g_ptr_array_new_with_free_func (g_free);
  rig->csrs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  bench_dps_make_csrs (prefix, n_devices, rig->ids, rig->csrs);
}

/* Stops the sandbox if it still runs and removes the folder. */
static void
rig_close (Rig *rig)
{
  g_clear_pointer (&rig->clients, bench_dps_clients_free);
  if (rig->sandbox != NULL && g_subprocess_get_identifier (rig->sandbox) != NULL)
    {
      g_subprocess_send_signal (rig->sandbox, SIGTERM);
      g_subprocess_wait (rig->sandbox, NULL, NULL);
    }
  g_clear_object (&rig->sandbox);
  g_clear_pointer (&rig->ids, g_ptr_array_unref);
  g_clear_pointer (&rig->csrs, g_ptr_array_unref);
  cb_test_remove_tree (rig->dir);
  g_clear_pointer (&rig->dir, g_free);
  g_clear_pointer (&rig->data_dir, g_free);
  g_clear_pointer (&rig->out_path, g_free);
  g_clear_pointer (&rig->exe, g_free);
  g_clear_pointer (&rig->url, g_free);
}

static void
answered_cb (guint              index,
             CbDpsRegistration *registration,
             const GError      *error,
             gpointer           user_data)
{
  Answers *answers = user_data;

  g_assert_no_error (error);
  /* Its own answer: held answers are not mixed up. */
  g_assert_cmpstr (cb_dps_registration_get_registration_id (registration), ==,
                   g_ptr_array_index (answers->ids, index));
  g_assert_null (answers->done[index]);
  answers->done[index] = registration;

  /* The moment the last device heard back: no time for a late commit. */
  if (++answers->n_done == answers->ids->len)
    g_subprocess_send_signal (answers->sandbox, SIGKILL);
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
                                bench_store_result, &result);
  response = cb_http_client_request_finish (http, bench_wait (&result), &error);
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
  g_autofree char *url2 = NULL;
  g_autofree char *group_key = NULL;
  g_autoptr(GSubprocess) again = NULL;
  g_autoptr(BenchDpsClients) clients2 = NULL;
  Answers answers = { 0 };
  Rig rig = { 0 };

  rig_open (&rig, "batch-dev", N_DEVICES, FALSE);
  answers.ids = rig.ids;
  answers.sandbox = rig.sandbox;

  bench_dps_register_all (rig.clients, rig.ids, rig.csrs, IN_FLIGHT, answered_cb, &answers);

  /* Each device got its own answer. */
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_assert_cmpstr (cb_dps_registration_get_status (answers.done[i]), ==, "assigned");
      leaf_of (cb_dps_registration_get_issued_chain (answers.done[i]),
               g_ptr_array_index (rig.ids, i));
    }

  g_subprocess_wait (rig.sandbox, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (rig.sandbox));
  g_assert_cmpint (g_subprocess_get_term_sig (rig.sandbox), ==, SIGKILL);
  group_key = g_strdup (rig.clients->group_key);
  g_clear_pointer (&rig.clients, bench_dps_clients_free);

  /* Started again on the same data: what every device was told is there. */
  again = bench_spawn_sandbox_full (rig.exe, rig.data_dir, rig.out_path, FALSE, &url2, NULL);
  clients2 = bench_dps_clients_new (url2, rig.data_dir);
  g_assert_cmpstr (clients2->group_key, ==, group_key);
  for (guint i = 0; i < N_DEVICES; i++)
    check_operation (clients2->http[0], clients2->profile, clients2->group_key, answers.done[i]);

  for (guint i = 0; i < N_DEVICES; i++)
    g_object_unref (answers.done[i]);
  g_subprocess_send_signal (again, SIGTERM);
  g_subprocess_wait (again, NULL, NULL);
  rig_close (&rig);
}

typedef struct
{
  GSubprocess *sandbox;
  guint        n_answered;
  guint        n_assigned;
} Stopping;

static void
stop_on_first_cb (guint              index,
                  CbDpsRegistration *registration,
                  const GError      *error,
                  gpointer           user_data)
{
  Stopping *stopping = user_data;

  if (registration != NULL && g_strcmp0 (cb_dps_registration_get_status (registration),
                                         "assigned") == 0)
    stopping->n_assigned++;
  if (stopping->n_answered++ == 0)
    g_subprocess_send_signal (stopping->sandbox, SIGTERM);
  g_clear_object (&registration);
}

static void
test_stop_with_work_out (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  Stopping stopping = { 0 };
  Rig rig = { 0 };

  rig_open (&rig, "stop-dev", IN_FLIGHT, FALSE);
  stopping.sandbox = rig.sandbox;

  bench_dps_register_all (rig.clients, rig.ids, rig.csrs, IN_FLIGHT, stop_on_first_cb, &stopping);
  g_assert_cmpuint (stopping.n_answered, ==, IN_FLIGHT);
  g_assert_cmpuint (stopping.n_assigned, >=, 1);

  /* It stopped as asked, cleanly: exit status 0 (the sanitizer's reports exit 86). */
  g_subprocess_wait (rig.sandbox, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (rig.out_path, &out, NULL, NULL);
  if (!g_subprocess_get_if_exited (rig.sandbox) || g_subprocess_get_exit_status (rig.sandbox) != 0)
    g_error ("The sandbox did not stop cleanly with work out:\n%s", out != NULL ? out : "");
  g_assert_null (strstr (out != NULL ? out : "", "CRITICAL"));
  rig_close (&rig);
}

typedef struct
{
  guint n_failed;
  guint n_assigned;
} Outcomes;

static void
outcome_cb (guint              index,
            CbDpsRegistration *registration,
            const GError      *error,
            gpointer           user_data)
{
  Outcomes *outcomes = user_data;

  if (error != NULL)
    {
      g_test_message ("registration %u: %s", index, error->message);
      /* The sandbox's own words: a body made of two JSON texts (the handler's answer and the
       * failure's) would leave only the code. */
      if (g_str_has_prefix (error->message, "500214: Internal error: the sandbox could not "
                                             "commit"))
        outcomes->n_failed++;
    }
  else if (g_strcmp0 (cb_dps_registration_get_status (registration), "assigned") == 0)
    {
      outcomes->n_assigned++;
    }
  g_clear_object (&registration);
}

static void
test_failed_commit (void)
{
  g_autofree char *db_path = NULL;
  Outcomes outcomes = { 0 };
  sqlite3 *db = NULL;
  char *message = NULL;
  Rig rig = { 0 };

  /* The sandbox warns of each failed commit, as it should: not fatal here. */
  rig_open (&rig, "fail-dev", 4, TRUE);
  db_path = g_build_filename (rig.data_dir, "sandbox.db", NULL);

  /* Every hub identity a registration makes now breaks a deferred foreign key: the group
   * commit holding it fails at its end, as a full disk would make it fail. */
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db,
                    "CREATE TABLE poison_parent (id INTEGER PRIMARY KEY);"
                    "CREATE TABLE poison (x INTEGER REFERENCES poison_parent (id) "
                    "DEFERRABLE INITIALLY DEFERRED);"
                    "CREATE TRIGGER poison_hub_devices AFTER INSERT ON hub_devices "
                    "BEGIN INSERT INTO poison VALUES (-1); END;",
                    NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s", message);
  sqlite3_close (db);

  /* One at a time: each registration's second step is in a group commit of its own. */
  bench_dps_register_all (rig.clients, rig.ids, rig.csrs, 1, outcome_cb, &outcomes);
  g_assert_cmpuint (outcomes.n_assigned, ==, 0);
  g_assert_cmpuint (outcomes.n_failed, ==, rig.ids->len);

  g_clear_pointer (&rig.clients, bench_dps_clients_free);
  g_subprocess_send_signal (rig.sandbox, SIGTERM);
  g_subprocess_wait (rig.sandbox, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (rig.sandbox));
  rig_close (&rig);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sandbox-dps-batch/answers-follow-commit", test_answers_follow_commit);
  g_test_add_func ("/sandbox-dps-batch/stop-with-work-out", test_stop_with_work_out);
  g_test_add_func ("/sandbox-dps-batch/failed-commit", test_failed_commit);
  return g_test_run ();
}
