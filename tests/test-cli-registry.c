/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli's `registry` command group end to end: the built binary against a real sandbox
 * served from this process. A namespace in the stable model is built through the CLI alone
 * (root, ICA, hub and DPS linked, a 30-day policy), listed with --json and checked; a
 * revocation is refused without --yes when nobody can be asked and done with it; an External
 * ICA is activated from a chain file a test CA made; the same lists work on the demo's
 * namespace in the preview model. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cb-test-arm.h"
#include "cb-test-cli.h"
#include "cb-test-sandbox.h"

#include "cb-sandbox.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"
#include "cb-sb-world.h"

#define SUB      "cb000000-0000-4000-8000-000000000001"
#define RG       "certbench-demo"
#define HUB      "line-hub"
#define DPS      "line-dps"
#define NS       "line-ns"

/* The exit code of a destructive action nobody confirmed (docs/cli.md). */
#define EXIT_NOT_CONFIRMED 10
#define EXIT_USAGE         2

typedef struct
{
  CbTestSandbox *ts;
  char          *home;
  char          *journal;
  char          *cli;
} Env;

static Env *env;

static void
env_free (void)
{
  if (env == NULL)
    return;
  cb_test_sandbox_free (env->ts);
  if (g_getenv ("CB_TEST_KEEP_DATA") == NULL)
    cb_test_remove_tree (env->home);
  g_free (env->home);
  g_free (env->journal);
  g_free (env->cli);
  g_clear_pointer (&env, g_free);
}

static Env *
env_get (void)
{
  g_autoptr(GError) error = NULL;
  CbSandbox *sb;

  if (env != NULL)
    return env;

  env = g_new0 (Env, 1);
  env->cli = cb_test_cli_built_binary ("CERTBENCH_CLI", "cli", "certbench-cli");
  env->home = g_dir_make_tmp ("cb-cli-registry-XXXXXX", &error);
  g_assert_no_error (error);
  env->journal = g_build_filename (env->home, "journal.sqlite", NULL);

  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  sb = env->ts->sandbox;
  cb_sandbox_seed_demo (sb, &error);
  g_assert_no_error (error);

  /* A hub and a DPS that no namespace has linked yet, for the stable namespace. */
  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, NULL, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, "0ne00C11EE0", NULL, HUB, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);

  return env;
}

static int
run_cli (char              **out_stdout,
         char              **out_stderr,
         const char * const *args)
{
  Env *e = env_get ();

  return cb_test_cli_run (e->cli, e->home, e->ts, e->journal, out_stdout, out_stderr, args);
}

/* Runs a command that must succeed. */
static void
run_ok (const char * const *args)
{
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (NULL, &err, args), ==, 0);
}

/* Runs a list with --json and returns its array (the node kept in keep). */
static JsonArray *
run_list (JsonNode          **keep,
          const char * const *args)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_cmpint (run_cli (&out, NULL, args), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  g_clear_pointer (keep, json_node_unref);
  *keep = json_parser_steal_root (parser);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (*keep));
  return json_node_get_array (*keep);
}

static JsonObject *
find_named (JsonArray  *array,
            const char *name)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (o, "name"), name) == 0)
        return o;
    }
  g_assert_not_reached ();
}

/* Waits until every link of the namespace has settled; returns the links. */
static JsonArray *
wait_links (JsonNode **keep)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      JsonArray *links = run_list (keep, (const char *[]) { "--namespace", NS, "--json",
                                                            "registry", "links", NULL });
      gboolean settled = TRUE;

      for (guint i = 0; i < json_array_get_length (links); i++)
        settled &= g_strcmp0 (json_object_get_string_member (
                                json_array_get_object_element (links, i), "linkingState"),
                              "InProgress") != 0;
      if (settled)
        return links;
      g_usleep (200 * 1000);
    }
  g_assert_not_reached ();
}

/* The stable model through the CLI alone: the hierarchy, its lists, revocations refused without
 * --yes and done with it, an External ICA activated from a chain file, and unlinking. */
static void
test_stable_namespace (void)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *chain = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *chain_path = NULL;
  g_autofree char *wrong_path = NULL;
  g_autofree char *before = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  JsonObject *o;
  const char *csr;

  run_ok ((const char *[]) { "registry", "create-namespace", NS, NULL });
  g_assert_cmpint (run_cli (&out, NULL, (const char *[]) { "--namespace", NS, "--json",
                                                           "registry", "model", NULL }), ==, 0);
  g_assert_nonnull (strstr (out, "\"certificate-authorities\""));
  g_assert_nonnull (strstr (out, "\"2026-11-01\""));
  g_clear_pointer (&out, g_free);

  run_ok ((const char *[]) { "--namespace", NS, "registry", "create-root", "line-root", NULL });
  run_ok ((const char *[]) { "--namespace", NS, "registry", "create-ica", "line-ica", NULL });
  run_ok ((const char *[]) { "--namespace", NS, "registry", "link-hub", HUB, NULL });
  run_ok ((const char *[]) { "--namespace", NS, "registry", "link-dps", DPS, NULL });
  run_ok ((const char *[]) { "--namespace", NS, "registry", "create-policy", "thirty-days",
                             "--ca", "line-ica", "--validity-days", "30", NULL });

  /* The lists, parsed. */
  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry", "cas",
                                              NULL });
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  o = find_named (array, "line-root");
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "root");
  g_assert_cmpstr (json_object_get_string_member (o, "issuer"), ==, "none");
  o = find_named (array, "line-ica");
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "intermediate");
  g_assert_cmpstr (json_object_get_string_member (o, "issuer"), ==, "microsoft");
  g_assert_cmpstr (json_object_get_string_member (o, "issuerCa"), ==, "line-root");
  g_assert_cmpstr (json_object_get_string_member (o, "provisioningState"), ==, "Succeeded");
  g_assert_true (json_object_get_boolean_member (o, "canIssue"));
  g_assert_nonnull (json_object_get_string_member (o, "notAfter"));
  before = json_to_string (json_array_get_element (array, 1), FALSE);

  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry",
                                              "policies", NULL });
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  o = find_named (array, "thirty-days");
  g_assert_cmpstr (json_object_get_string_member (o, "certificateAuthority"), ==, "line-ica");
  g_assert_cmpint (json_object_get_int_member (o, "validityDays"), ==, 30);
  g_assert_false (json_object_get_boolean_member (o, "bringYourOwnRoot"));

  array = wait_links (&node);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  o = find_named (array, HUB);
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "hub");
  g_assert_cmpstr (json_object_get_string_member (o, "resourceName"), ==, HUB);
  g_assert_cmpstr (json_object_get_string_member (o, "linkingState"), ==, "Succeeded");
  o = find_named (array, DPS);
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "dps");
  g_assert_cmpstr (json_object_get_string_member (o, "linkingState"), ==, "Succeeded");

  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry",
                                              "devices", "--all", NULL });
  g_assert_cmpuint (json_array_get_length (array), ==, 0);

  /* Nobody to ask (stdin is not a terminal here) and no --yes: refused, nothing changed. */
  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "--namespace", NS, "registry",
                                                           "revoke-issuer", "thirty-days",
                                                           NULL }), ==, EXIT_NOT_CONFIRMED);
  g_assert_nonnull (strstr (err, "--yes"));
  g_assert_nonnull (strstr (err, "0 devices lose their certificates"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "--namespace", NS, "registry",
                                                           "revoke-and-rotate", "line-ica",
                                                           NULL }), ==, EXIT_NOT_CONFIRMED);
  g_clear_pointer (&err, g_free);
  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry", "cas",
                                              NULL });
  {
    g_autofree char *after = json_to_string (json_array_get_element (array, 1), FALSE);

    g_assert_cmpstr (after, ==, before);
  }

  /* With --yes the ICA is replaced. */
  run_ok ((const char *[]) { "--namespace", NS, "registry", "revoke-issuer", "thirty-days",
                             "--yes", NULL });
  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry", "cas",
                                              NULL });
  {
    g_autofree char *after = json_to_string (json_array_get_element (array, 1), FALSE);

    g_assert_cmpstr (after, !=, before);
  }

  /* An External ICA: its CSR from the list, signed by a test CA, activated from a file; a
   * chain for another key is refused and changes nothing. */
  run_ok ((const char *[]) { "--namespace", NS, "registry", "create-external-ica", "byo-ica",
                             NULL });
  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry", "cas",
                                              NULL });
  o = find_named (array, "byo-ica");
  g_assert_cmpstr (json_object_get_string_member (o, "issuer"), ==, "external");
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "PendingActivation");
  g_assert_false (json_object_get_boolean_member (o, "canIssue"));
  csr = json_object_get_string_member (o, "csr");
  g_assert_nonnull (csr);
  chain = cb_test_sign_csr (csr, cb_sb_now (env->ts->sandbox), 730, CB_TEST_SIGN_NORMAL, NULL);
  wrong = cb_test_sign_csr (csr, cb_sb_now (env->ts->sandbox), 730, CB_TEST_SIGN_WRONG_KEY, NULL);
  chain_path = g_build_filename (env->home, "byo-chain.pem", NULL);
  wrong_path = g_build_filename (env->home, "wrong-chain.pem", NULL);
  g_file_set_contents (chain_path, chain, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (wrong_path, wrong, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "--namespace", NS, "registry",
                                                           "activate", "byo-ica", NULL }), ==,
                   EXIT_USAGE);
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "--namespace", NS, "registry",
                                                           "activate", "byo-ica", "--chain",
                                                           wrong_path, NULL }), !=, 0);
  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry", "cas",
                                              NULL });
  g_assert_cmpstr (json_object_get_string_member (find_named (array, "byo-ica"), "status"), ==,
                   "PendingActivation");
  run_ok ((const char *[]) { "--namespace", NS, "registry", "activate", "byo-ica", "--chain",
                             chain_path, NULL });
  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry", "cas",
                                              NULL });
  o = find_named (array, "byo-ica");
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "Active");
  g_assert_true (json_object_get_boolean_member (o, "canIssue"));
  g_assert_nonnull (json_object_get_string_member (o, "thumbprint"));

  /* Unlinking is destructive too. */
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "--namespace", NS, "registry",
                                                           "unlink-hub", HUB, NULL }), ==,
                   EXIT_NOT_CONFIRMED);
  run_ok ((const char *[]) { "--namespace", NS, "registry", "unlink-hub", HUB, "--yes", NULL });
  array = wait_links (&node);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                  "kind"), ==, "dps");

  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "--namespace", NS, "registry",
                                                           "delete-policy", "thirty-days",
                                                           NULL }), ==, EXIT_NOT_CONFIRMED);
  run_ok ((const char *[]) { "--namespace", NS, "registry", "delete-policy", "thirty-days",
                             "--yes", NULL });
  array = run_list (&node, (const char *[]) { "--namespace", NS, "--json", "registry",
                                              "policies", NULL });
  g_assert_cmpuint (json_array_get_length (array), ==, 0);
}

/* The demo's namespace is in the preview model: the same lists, and the stable model's
 * actions refused with a usage error. */
static void
test_preview_namespace (void)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonArray *array;
  JsonObject *o;

  g_assert_cmpint (run_cli (&out, NULL, (const char *[]) { "--json", "registry", "model",
                                                           NULL }), ==, 0);
  g_assert_nonnull (strstr (out, "\"credential\""));

  array = run_list (&node, (const char *[]) { "--json", "registry", "cas", NULL });
  g_assert_cmpuint (json_array_get_length (array), ==, 0);

  array = run_list (&node, (const char *[]) { "--json", "registry", "policies", NULL });
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  o = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "default");
  g_assert_true (json_object_get_null_member (o, "certificateAuthority"));
  g_assert_cmpint (json_object_get_int_member (o, "validityDays"), >, 0);
  g_assert_nonnull (json_object_get_string_member (o, "caSubject"));

  array = run_list (&node, (const char *[]) { "--json", "registry", "devices", "--all", NULL });
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_assert_nonnull (json_object_get_string_member (json_array_get_object_element (array, i),
                                                     "name"));

  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "registry", "create-root", "r",
                                                           NULL }), ==, EXIT_USAGE);
  g_assert_nonnull (strstr (err, "credential model"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "registry", "revoke-issuer",
                                                           "default", NULL }), ==,
                   EXIT_NOT_CONFIRMED);
  g_assert_nonnull (strstr (err, "--yes"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "registry", "frobnicate", NULL }), ==,
                   EXIT_USAGE);
}

int
main (int   argc,
      char *argv[])
{
  int devnull = open ("/dev/null", O_RDONLY);
  int status;

  /* The CLI inherits stdin: never a terminal here, whoever runs the test. */
  g_assert_cmpint (devnull, >=, 0);
  dup2 (devnull, STDIN_FILENO);
  close (devnull);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cb/cli-registry/stable-namespace", test_stable_namespace);
  g_test_add_func ("/cb/cli-registry/preview-namespace", test_preview_namespace);

  status = g_test_run ();
  env_free ();
  return status;
}
