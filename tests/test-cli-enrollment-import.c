/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `certbench-cli registry import-enrollments` end to end: the built binary against a real
 * sandbox (the demo seed) imports a folder of device certificates with a garbage file and a
 * CN twice among them: each item is reported (a line each, or --json), the bad ones do not stop
 * the rest, and the exit status says some failed; a CSV run of the same devices finds them
 * enrolled and exits 0; an input that is not there is a usage error. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "cb-pki.h"
#include "cb-test-cli.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

#include "cb-sandbox.h"

#define N_DEVICES 8

typedef struct
{
  CbTestSandbox *ts;
  char          *home;
  char          *journal;
  char          *cli;
  char          *dir;
} Env;

static void
env_init (Env *e)
{
  g_autoptr(GError) error = NULL;

  e->cli = cb_test_cli_built_binary ("CERTBENCH_CLI", "cli", "certbench-cli");
  e->home = g_dir_make_tmp ("cb-cli-import-XXXXXX", &error);
  g_assert_no_error (error);
  e->journal = g_build_filename (e->home, "journal.sqlite", NULL);
  e->dir = g_build_filename (e->home, "certificates", NULL);
  g_assert_cmpint (g_mkdir (e->dir, 0700), ==, 0);
  e->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  cb_sandbox_seed_demo (e->ts->sandbox, &error);
  g_assert_no_error (error);
}

static void
env_clear (Env *e)
{
  cb_test_sandbox_free (e->ts);
  cb_test_remove_tree (e->home);
  g_free (e->home);
  g_free (e->journal);
  g_free (e->cli);
  g_free (e->dir);
}

/* A self-signed device certificate for "CN=<cn>", as PEM. */
static char *
device_pem (CbKey      *key,
            const char *cn)
{
  static const char * const client_auth[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=%s", cn);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = dn,
    .not_before = now - 3600,
    .not_after = now + 86400,
    .is_ca = FALSE,
    .path_len = -1,
    .key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE,
    .ext_key_usage = client_auth,
  };

  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  return cb_certificate_to_pem (cert);
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
}

static JsonObject *
find_source (JsonArray  *array,
             const char *source)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (o, "source"), source) == 0)
        return o;
    }
  g_error ("No result for %s", source);
  return NULL;
}

static void
test_import (void)
{
  Env e = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GString) csv = g_string_new ("serial,certificate\n");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *csv_path = NULL;
  g_autofree char *missing = NULL;
  JsonArray *results;
  guint created = 0;
  int status;

  env_init (&e);
  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autofree char *cn = g_strdup_printf ("cli-import-%02u", i);
      g_autofree char *name = g_strdup_printf ("%s.pem", cn);
      g_autofree char *pem = device_pem (key, cn);
      g_autoptr(GString) escaped = g_string_new (pem);

      write_file (e.dir, name, pem);
      g_string_replace (escaped, "\n", "\\n", 0);
      g_string_append_printf (csv, "%s,%s\n", cn, escaped->str);
    }
  write_file (e.dir, "garbage.crt", "this is no certificate");
  {
    g_autofree char *twin = device_pem (key, "CLI-IMPORT-03");

    write_file (e.dir, "twin.pem", twin);
  }

  /* Text: a line per item on stdout, exit status 1 because two failed. */
  status = cb_test_cli_run (e.cli, e.home, e.ts, e.journal, &out, &err,
                            (const char *[]) { "registry", "import-enrollments", e.dir, NULL });
  g_test_message ("stdout:\n%s\nstderr:\n%s", out, err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "created"));
  g_assert_nonnull (strstr (out, "cli-import-07"));
  g_assert_nonnull (strstr (out, "invalid-certificate"));
  g_assert_nonnull (strstr (out, "garbage.crt"));
  g_assert_nonnull (strstr (out, "duplicate"));
  g_assert_nonnull (strstr (err, "8 enrollments created"));

  /* The CSV of the same devices with --json: all enrolled already, exit 0. */
  csv_path = g_build_filename (e.home, "devices.csv", NULL);
  write_file (e.home, "devices.csv", csv->str);
  status = cb_test_cli_run (e.cli, e.home, e.ts, e.journal, &out2, &err2,
                            (const char *[]) { "--json", "registry", "import-enrollments",
                                               csv_path, NULL });
  g_test_message ("stdout:\n%s\nstderr:\n%s", out2, err2);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out2, -1, &error));
  g_assert_no_error (error);
  results = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (results), ==, N_DEVICES);
  for (guint i = 0; i < N_DEVICES; i++)
    {
      JsonObject *o = json_array_get_object_element (results, i);

      g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "exists");
      if (g_strcmp0 (json_object_get_string_member (o, "status"), "created") == 0)
        created++;
    }
  g_assert_cmpuint (created, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (find_source (results, "devices.csv, line 2"),
                                                  "registrationId"), ==, "cli-import-00");
  g_assert_cmpuint (strlen (json_object_get_string_member (find_source (results,
                                                                        "devices.csv, line 2"),
                                                           "sha256Thumbprint")), ==, 64);

  /* Nothing to read: a usage error, not a crash or an empty success. */
  missing = g_build_filename (e.home, "no-such-folder", NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = cb_test_cli_run (e.cli, e.home, e.ts, e.journal, &out, &err,
                            (const char *[]) { "registry", "import-enrollments", missing, NULL });
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "neither a folder"));

  env_clear (&e);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/cli-enrollment-import/folder-and-csv", test_import);

  return g_test_run ();
}
