/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "cb-bench-client.h"
#include "cb-error.h"
#include "cb-http.h"
#include "cb-provisioning-run.h"
#include "cb-sandbox-profile.h"
#include "cb-smp-transport.h"

#include "cb-cli-private.h"
#include "cb-sandbox-client.h"

#define SANDBOX_DEFAULT_URL "https://127.0.0.1:7443"
#define SIGN_IN_TIMEOUT_S   30

static const char commands_help[] =
  "Commands:\n"
  "  provision --port PATH [--registration-id ID] [--no-hub-check]\n"
  "                         Provision the device on PATH: key on the device, CSR, DPS, chain\n"
  "                         checks, install, commit, read-back, proof of possession, the\n"
  "                         device's hub connection and twin, journal.\n"
  "  inspect --port PATH    Show the device's chain with expiry, its hub connection and last\n"
  "                         renewal, and whether the hub would accept it (asked of the\n"
  "                         sandbox, or checked against ARM).\n"
  "  ports [--watch]        List USB serial ports (and follow hotplug with --watch).\n"
  "  journal list           List journal records (filters below).\n"
  "  journal export --csv|--csv-steps|--json [--output FILE]\n"
  "                         Export journal records.\n"
  "  devsim [OPTIONS]       Start a simulated device on a pseudo-terminal (runs\n"
  "                         certbench-devsim; its options follow, see devsim --help).\n"
  "\n"
  "The connection profile is the local sandbox unless --profile names one of the app's\n"
  "profiles. A running certbench-sandbox is used when one answers; otherwise a sandbox is\n"
  "started inside this process on the same data folder.\n";

static const char exit_help[] =
  "Exit status:\n"
  "  0    PASS (provision); the hub would accept the chain (inspect); success\n"
  "  1    failed for another reason\n"
  "  2    usage error\n"
  "  3    configuration: profile, secret, sandbox or station set-up\n"
  "  4    device: port missing or busy, device refused, unplugged or silent\n"
  "  5    check: the device's CSR or the issued chain failed a check\n"
  "  6    service: DPS, ARM or the hub refused or could not be reached\n"
  "  7    journal: could not be opened or written\n"
  "  8    inspect: the hub would not accept the device's chain\n"
  "  9    inspect: the device has no certificate\n"
  "  130  interrupted\n"
  "\n"
  "See docs/cli.md for details, JSON shapes and the trust decisions.";

/* ---- Small helpers ---------------------------------------------------------------------- */

void
cb_cli_store_result (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

GAsyncResult *
cb_cli_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

void
cb_cli_note (CbCliContext *ctx,
             const char   *format,
             ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (ctx->options->quiet)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "%s\n", text);
}

void
cb_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);
  fprintf (stdout, "%s\n", text);
  fflush (stdout);
}

CbCliExit
cb_cli_exit_for_error (const GError *error)
{
  if (error == NULL)
    return CB_CLI_EXIT_OK;

  if (error->domain == CB_RUN_ERROR)
    {
      switch ((CbRunError) error->code)
        {
        case CB_RUN_ERROR_CONFIG: return CB_CLI_EXIT_CONFIG;
        case CB_RUN_ERROR_DEVICE:
        case CB_RUN_ERROR_DEVICE_GONE: return CB_CLI_EXIT_DEVICE;
        case CB_RUN_ERROR_CHECK: return CB_CLI_EXIT_CHECK;
        case CB_RUN_ERROR_SERVICE: return CB_CLI_EXIT_SERVICE;
        case CB_RUN_ERROR_JOURNAL: return CB_CLI_EXIT_JOURNAL;
        case CB_RUN_ERROR_CANCELLED: return CB_CLI_EXIT_CANCELLED;
        case CB_RUN_ERROR_FAILED:
        default: return CB_CLI_EXIT_FAILED;
        }
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return CB_CLI_EXIT_CANCELLED;
  if (error->domain == CB_SMP_ERROR || error->domain == G_IO_ERROR)
    return CB_CLI_EXIT_DEVICE;
  if (error->domain == CB_JOURNAL_ERROR)
    return CB_CLI_EXIT_JOURNAL;
  if (error->domain == CB_API_ERROR || error->domain == G_TLS_ERROR ||
      error->domain == G_RESOLVER_ERROR)
    return CB_CLI_EXIT_SERVICE;
  if (error->domain == CB_X509_ERROR)
    return CB_CLI_EXIT_CHECK;

  return CB_CLI_EXIT_FAILED;
}

/* ---- The sandbox ------------------------------------------------------------------------ */

static char *
sandbox_dir (CbCliContext *ctx)
{
  if (ctx->options->sandbox_dir != NULL)
    return g_strdup (ctx->options->sandbox_dir);
  if (g_getenv ("CERTBENCH_SANDBOX_DIR") != NULL)
    return g_strdup (g_getenv ("CERTBENCH_SANDBOX_DIR"));
  /* The app's sandbox lives here too, so the CLI and the app see the same devices. */
  return g_build_filename (g_get_user_data_dir (), "certbench", "sandbox", NULL);
}


/* GET url/sandbox/info pinning ca_file. NULL when nothing answers (quietly: then the CLI
 * starts its own). */
static JsonNode *
fetch_sandbox_info (const char  *url,
                    const char  *ca_file,
                    guint        timeout_s,
                    GError     **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *info_url = g_strconcat (url, "/sandbox/info", NULL);
  g_autofree char *absolute = g_canonicalize_filename (ca_file, NULL);

  db = g_tls_file_database_new (absolute, error);
  if (db == NULL)
    return NULL;

  session = soup_session_new ();
  soup_session_set_tls_database (session, db);
  soup_session_set_timeout (session, timeout_s);

  msg = soup_message_new ("GET", info_url);
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not a URL", url);
      return NULL;
    }

  body = soup_session_send_and_read (session, msg, NULL, error);
  if (body == NULL)
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_FAILED,
                   "%s answered HTTP %u", info_url, soup_message_get_status (msg));
      return NULL;
    }
  /* The one limited reader (size and nesting checked before json-glib). */
  root = cb_http_parse_json (body, &parse_error);
  if (parse_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&parse_error));
      return NULL;
    }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE, "%s is not a sandbox", info_url);
      return NULL;
    }

  return g_steal_pointer (&root);
}

static gboolean
connect_sandbox (CbCliContext  *ctx,
                 GError       **error)
{
  g_autofree char *dir = sandbox_dir (ctx);
  g_autofree char *ca_file = g_build_filename (dir, "sandbox-ca.pem", NULL);
  const char *url = ctx->options->sandbox_url;
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(GError) local_error = NULL;

  if (url == NULL)
    url = g_getenv ("CERTBENCH_SANDBOX_URL");

  if (url != NULL || g_file_test (ca_file, G_FILE_TEST_EXISTS))
    {
      const char *try_url = url != NULL ? url : SANDBOX_DEFAULT_URL;

      info = fetch_sandbox_info (try_url, ca_file, url != NULL ? 15 : 3, &local_error);
      if (info == NULL && url != NULL)
        {
          g_set_error (error, CB_API_ERROR, CB_API_ERROR_FAILED,
                       "The sandbox at %s (CA %s) does not answer: %s", url, ca_file,
                       local_error->message);
          return FALSE;
        }
      if (info != NULL)
        {
          ctx->profile = cb_profile_new_from_sandbox_info (json_node_get_object (info), &ctx->group_key);
          ctx->sandbox_base = g_strdup (try_url);
          cb_cli_note (ctx, "Using the sandbox at %s", try_url);
          return TRUE;
        }
      g_debug ("No sandbox at %s: %s", try_url, local_error->message);
    }

  /* Nothing running: a sandbox of our own, on the same data folder as the app's. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not create the sandbox folder %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  ctx->sandbox = cb_sandbox_new (dir);
  cb_sandbox_set_port (ctx->sandbox, 0);
  cb_sandbox_set_device_code_interval (ctx->sandbox, 1);
  cb_sandbox_set_auto_approve (ctx->sandbox, TRUE);
  if (!cb_sandbox_start_in_thread (ctx->sandbox, error) ||
      !cb_sandbox_seed_demo (ctx->sandbox, error))
    {
      g_prefix_error (error, "The sandbox could not start in %s: ", dir);
      return FALSE;
    }

  ctx->profile = cb_sandbox_create_profile (ctx->sandbox);
  ctx->sandbox_base = g_strdup (cb_sandbox_get_base_url (ctx->sandbox));
  ctx->group_key = cb_sandbox_dup_enrollment_group_key (ctx->sandbox,
                                                        cb_profile_get_dps_name (ctx->profile),
                                                        cb_profile_get_enrollment_group_id (
                                                          ctx->profile));
  cb_cli_note (ctx, "Started a sandbox in this process (%s)", dir);
  return TRUE;
}

/* ---- Azure profiles --------------------------------------------------------------------- */

static gboolean
connect_profile (CbCliContext  *ctx,
                 GError       **error)
{
  g_autofree char *path = cb_profile_list_default_path ();
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) secret_error = NULL;
  const char *wanted = ctx->options->profile;

  profiles = cb_profile_list_load (path, error);
  if (profiles == NULL)
    {
      g_prefix_error (error, "The profiles in %s could not be read: ", path);
      return FALSE;
    }

  for (guint i = 0; i < profiles->len && ctx->profile == NULL; i++)
    {
      CbProfile *profile = g_ptr_array_index (profiles, i);

      if (g_strcmp0 (cb_profile_get_id (profile), wanted) == 0 ||
          g_strcmp0 (cb_profile_get_name (profile), wanted) == 0)
        ctx->profile = g_object_ref (profile);
    }

  if (ctx->profile == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "There is no profile “%s” in %s", wanted, path);
      return FALSE;
    }

  /* The enrollment group key lives in the secret service, where the app put it. */
  ctx->secrets = cb_secrets_new ();
  cb_secrets_lookup_async (ctx->secrets, cb_profile_get_id (ctx->profile),
                           CB_SECRET_ENROLLMENT_GROUP_KEY, ctx->cancellable,
                           cb_cli_store_result, &result);
  ctx->group_key = cb_secrets_lookup_finish (ctx->secrets, cb_cli_wait (&result), &secret_error);
  if (secret_error != NULL)
    g_debug ("The enrollment group key could not be read: %s", secret_error->message);

  return TRUE;
}

gboolean
cb_cli_context_connect (CbCliContext  *ctx,
                        GError       **error)
{
  gboolean sandbox = ctx->options->profile == NULL ||
                     g_strcmp0 (ctx->options->profile, "sandbox") == 0;

  if (ctx->profile != NULL)
    return TRUE;

  ctx->is_sandbox = sandbox;
  if (sandbox ? !connect_sandbox (ctx, error) : !connect_profile (ctx, error))
    return FALSE;

  if (ctx->secrets == NULL)
    ctx->secrets = cb_secrets_new_memory ();

  ctx->http = cb_http_client_new (ctx->profile, error);
  if (ctx->http == NULL)
    return FALSE;
  cb_http_client_set_max_delay (ctx->http, 10);
  ctx->dps = cb_dps_client_new (ctx->profile, ctx->http);
  cb_dps_client_set_timeout (ctx->dps, 120);

  return TRUE;
}

static gboolean
cancel_source_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

/* The sandbox signs in by device code and approves at once; an Azure profile uses the refresh
 * token the app stored. Either way, without ARM the commands still work with what they have. */
void
cb_cli_context_connect_arm (CbCliContext *ctx)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  if (ctx->adr != NULL || ctx->arm_note != NULL)
    return;

  if (ctx->options->no_arm)
    {
      ctx->arm_note = g_strdup ("ARM was turned off with --no-arm");
      return;
    }
  if (cb_profile_get_arm_endpoint (ctx->profile) == NULL ||
      cb_profile_get_subscription_id (ctx->profile) == NULL)
    {
      ctx->arm_note = g_strdup ("the profile has no ARM subscription");
      return;
    }

  ctx->entra = cb_entra_client_new (ctx->profile, ctx->http, ctx->secrets);

  if (ctx->is_sandbox)
    {
      g_autoptr(GAsyncResult) begun = NULL;
      g_autoptr(GAsyncResult) completed = NULL;
      g_autoptr(CbEntraDeviceCode) code = NULL;
      g_autoptr(GCancellable) timeout = g_cancellable_new ();
      guint timeout_id;

      cb_entra_client_begin_sign_in_async (ctx->entra, ctx->cancellable, cb_cli_store_result,
                                           &begun);
      code = cb_entra_client_begin_sign_in_finish (ctx->entra, cb_cli_wait (&begun), &error);
      if (code != NULL)
        {
          timeout_id = g_timeout_add_seconds (SIGN_IN_TIMEOUT_S, cancel_source_cb, timeout);
          cb_entra_client_complete_sign_in_async (ctx->entra, code, timeout, cb_cli_store_result,
                                                  &completed);
          cb_entra_client_complete_sign_in_finish (ctx->entra, cb_cli_wait (&completed), &error);
          g_source_remove (timeout_id);
        }
    }
  else
    {
      g_autoptr(GAsyncResult) result = NULL;

      cb_entra_client_get_access_token_async (ctx->entra, CB_ENTRA_SCOPE_ARM, ctx->cancellable,
                                              cb_cli_store_result, &result);
      token = cb_entra_client_get_access_token_finish (ctx->entra, cb_cli_wait (&result), &error);
      if (token != NULL)
        memset (token, 0, strlen (token));
    }

  if (error != NULL)
    {
      ctx->arm_note = g_strdup_printf ("not signed in to ARM (%s)", error->message);
      return;
    }

  ctx->adr = cb_adr_client_new (ctx->profile, ctx->http);
  cb_adr_client_set_entra_client (ctx->adr, ctx->entra);
  /* The same sign-in reads twins (provision's hub step). */
  if (cb_profile_get_hub_host_name (ctx->profile) != NULL)
    ctx->hub = cb_hub_client_new (ctx->profile, ctx->http, ctx->entra);
}

gboolean
cb_cli_context_open_journal (CbCliContext  *ctx,
                             GError       **error)
{
  g_autofree char *path = NULL;

  if (ctx->journal != NULL)
    return TRUE;

  if (ctx->options->journal_path != NULL)
    path = g_strdup (ctx->options->journal_path);
  else if (g_getenv ("CERTBENCH_JOURNAL") != NULL)
    path = g_strdup (g_getenv ("CERTBENCH_JOURNAL"));
  else
    path = cb_journal_dup_default_path ();

  ctx->journal = cb_journal_open (path, error);
  if (ctx->journal == NULL)
    return FALSE;

  if (cb_journal_get_n_recovered (ctx->journal) > 0)
    cb_cli_note (ctx, "The journal marked %u run(s) as interrupted: their station process ended "
                 "before they did", cb_journal_get_n_recovered (ctx->journal));
  return TRUE;
}

void
cb_cli_context_clear (CbCliContext *ctx)
{
  g_clear_object (&ctx->journal);
  g_clear_object (&ctx->hub);
  g_clear_object (&ctx->adr);
  g_clear_object (&ctx->entra);
  g_clear_object (&ctx->dps);
  g_clear_object (&ctx->http);
  g_clear_object (&ctx->secrets);
  g_clear_object (&ctx->profile);
  if (ctx->sandbox != NULL)
    cb_sandbox_stop (ctx->sandbox);
  g_clear_object (&ctx->sandbox);
  g_clear_pointer (&ctx->sandbox_base, g_free);
  g_clear_pointer (&ctx->arm_note, g_free);
  if (ctx->group_key != NULL)
    {
      memset (ctx->group_key, 0, strlen (ctx->group_key));
      g_clear_pointer (&ctx->group_key, g_free);
    }
  g_clear_object (&ctx->cancellable);
}

/* ---- Options and dispatch --------------------------------------------------------------- */

static void
options_clear (CbCliOptions *options)
{
  g_free (options->command);
  g_free (options->subcommand);
  g_strfreev (options->rest);
  g_free (options->profile);
  g_free (options->sandbox_url);
  g_free (options->sandbox_dir);
  g_free (options->journal_path);
  g_free (options->station);
  g_free (options->operator_name);
  g_free (options->port);
  g_free (options->registration_id);
  g_free (options->template_text);
  g_free (options->key_type);
  g_free (options->trusted_root);
  g_free (options->pem_path);
  g_free (options->output);
  g_free (options->result);
  g_free (options->serial);
  g_free (options->since);
  g_free (options->until);
}

static gboolean
on_signal (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE;
}

int
cb_cli_main (int    argc,
             char **argv)
{
  CbCliOptions options = { .validity_days = 0, .baud = 115200, .limit = 0 };
  CbCliContext ctx = { .options = &options };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  guint sigint_id, sigterm_id;
  int status;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    /* global */
    { "profile", 0, 0, G_OPTION_ARG_STRING, &options.profile,
      "Connection profile (id or name) from the app's profiles; default: the local sandbox",
      "NAME" },
    { "sandbox-url", 0, 0, G_OPTION_ARG_STRING, &options.sandbox_url,
      "A running certbench-sandbox to use (default " SANDBOX_DEFAULT_URL " when it answers)",
      "URL" },
    { "sandbox-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.sandbox_dir,
      "The sandbox's data folder, for its CA (default $XDG_DATA_HOME/certbench/sandbox)", "DIR" },
    { "journal", 0, 0, G_OPTION_ARG_FILENAME, &options.journal_path,
      "The journal (default $XDG_DATA_HOME/certbench/journal.sqlite)", "FILE" },
    { "no-journal", 0, 0, G_OPTION_ARG_NONE, &options.no_journal,
      "Provision without writing the journal", NULL },
    { "station", 0, 0, G_OPTION_ARG_STRING, &options.station,
      "Station name for the journal (default: the host name)", "NAME" },
    { "operator", 0, 0, G_OPTION_ARG_STRING, &options.operator_name,
      "Operator name for the journal (default: the user name)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json,
      "Print the result as JSON on standard output (no progress)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options.quiet,
      "No progress or notes on standard error", NULL },
    { "no-arm", 0, 0, G_OPTION_ARG_NONE, &options.no_arm,
      "Do not sign in to ARM (the policy's validity then comes from --validity-days)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    /* provision / inspect */
    { "port", 'p', 0, G_OPTION_ARG_FILENAME, &options.port,
      "provision, inspect: the device's serial port (or pty)", "PATH" },
    { "baud", 0, 0, G_OPTION_ARG_INT, &options.baud,
      "provision, inspect: baud rate (default 115200)", "N" },
    { "registration-id", 'r', 0, G_OPTION_ARG_STRING, &options.registration_id,
      "provision: this registration id instead of the template", "ID" },
    { "template", 0, 0, G_OPTION_ARG_STRING, &options.template_text,
      "provision: registration id template over {serial}, {model}, {firmware} "
      "(default {serial})", "TEXT" },
    { "key-type", 0, 0, G_OPTION_ARG_STRING, &options.key_type,
      "provision: p256 (default) or p384", "TYPE" },
    { "validity-days", 0, 0, G_OPTION_ARG_INT, &options.validity_days,
      "provision: the policy's validityPeriodInDays when ARM cannot tell", "N" },
    { "pem", 0, 0, G_OPTION_ARG_FILENAME, &options.pem_path,
      "inspect: also write the chain read from the device to FILE as PEM", "FILE" },
    { "trusted-root", 0, 0, G_OPTION_ARG_FILENAME, &options.trusted_root,
      "provision: PEM of the namespace root to pin (default: the root DPS returns)", "FILE" },
    { "device-registers", 0, 0, G_OPTION_ARG_NONE, &options.device_registers,
      "provision: let the device register with DPS itself", NULL },
    { "no-hub-check", 0, 0, G_OPTION_ARG_NONE, &options.no_hub_check,
      "provision: skip the last step (the device connects to the hub and reports its twin), "
      "for benches without network", NULL },
    /* ports */
    { "watch", 'w', 0, G_OPTION_ARG_NONE, &options.watch,
      "ports: keep running and print ports as they come and go", NULL },
    /* journal */
    { "csv", 0, 0, G_OPTION_ARG_NONE, &options.csv, "journal export: one CSV row per run", NULL },
    { "csv-steps", 0, 0, G_OPTION_ARG_NONE, &options.csv_steps,
      "journal export: one CSV row per step", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options.output,
      "journal export: write to FILE instead of standard output", "FILE" },
    { "result", 0, 0, G_OPTION_ARG_STRING, &options.result,
      "journal: only runs with this result (pass, fail, cancelled, interrupted, running)",
      "RESULT" },
    { "serial", 0, 0, G_OPTION_ARG_STRING, &options.serial,
      "journal: only this device serial", "SERIAL" },
    { "since", 0, 0, G_OPTION_ARG_STRING, &options.since,
      "journal: runs started at or after this ISO 8601 time", "TIME" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &options.until,
      "journal: runs started before this ISO 8601 time", "TIME" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &options.limit, "journal: at most N runs", "N" },
    { NULL }
  };

  setlocale (LC_ALL, "");

  /* devsim hands everything after it to certbench-devsim untouched. */
  if (argc > 1 && g_str_equal (argv[1], "devsim"))
    {
      options.command = g_strdup ("devsim");
      options.rest = g_strdupv (argv + 2);
      ctx.cancellable = g_cancellable_new ();
      status = cb_cli_cmd_devsim (&ctx);
      cb_cli_context_clear (&ctx);
      options_clear (&options);
      return status;
    }

  context = g_option_context_new ("COMMAND");
  g_option_context_set_summary (context, "Provision X.509 identities onto devices on serial ports "
                                "for Azure IoT Hub certificate management.");
  {
    g_autofree char *description = g_strconcat (commands_help, "\n", exit_help, NULL);
    g_option_context_set_description (context, description);
  }
  g_option_context_add_main_entries (context, entries, NULL);

  args = g_strdupv (argv);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      fprintf (stderr, "certbench-cli: %s\nTry certbench-cli --help.\n", error->message);
      options_clear (&options);
      return CB_CLI_EXIT_USAGE;
    }

  if (version)
    {
      printf ("certbench-cli %s\n", PACKAGE_VERSION);
      options_clear (&options);
      return CB_CLI_EXIT_OK;
    }

  if (args[1] == NULL)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      fprintf (stderr, "%s", help);
      options_clear (&options);
      return CB_CLI_EXIT_USAGE;
    }

  options.command = g_strdup (args[1]);
  if (args[2] != NULL)
    options.subcommand = g_strdup (args[2]);
  if (args[2] != NULL && args[3] != NULL && !g_str_equal (options.command, "journal"))
    {
      fprintf (stderr, "certbench-cli: unexpected argument “%s”\n", args[2]);
      options_clear (&options);
      return CB_CLI_EXIT_USAGE;
    }

  ctx.cancellable = g_cancellable_new ();
  sigint_id = g_unix_signal_add (SIGINT, on_signal, ctx.cancellable);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, ctx.cancellable);

  if (g_str_equal (options.command, "provision"))
    status = cb_cli_cmd_provision (&ctx);
  else if (g_str_equal (options.command, "inspect"))
    status = cb_cli_cmd_inspect (&ctx);
  else if (g_str_equal (options.command, "ports"))
    status = cb_cli_cmd_ports (&ctx);
  else if (g_str_equal (options.command, "journal"))
    status = cb_cli_cmd_journal (&ctx);
  else
    {
      fprintf (stderr, "certbench-cli: unknown command “%s”\nTry certbench-cli --help.\n",
               options.command);
      status = CB_CLI_EXIT_USAGE;
    }

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  cb_cli_context_clear (&ctx);
  options_clear (&options);
  return status;
}
