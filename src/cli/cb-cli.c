/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli's entry: the options, the help, and the dispatch to one command
 * (cb-cli-cmd-*.c) with the context (cb-cli-shared.c) it runs in.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>

#include <glib-unix.h>

#include "cb-sandbox-discovery.h"

#include "cb-cli-private.h"

static const char commands_help[] =
  "Commands:\n"
  "  provision --port PATH [--port PATH…] [--registration-id ID] [--no-hub-check]\n"
  "            [--enrollment-group ID]\n"
  "                         Provision the device on PATH: key on the device, CSR, DPS, chain\n"
  "                         checks, install, commit, read-back, proof of possession, the\n"
  "                         device's hub connection and twin, journal. Several ports run in\n"
  "                         turn in one process; the exit code is the worst.\n"
  "  station [--port PATH…] [--pty-dir DIR]\n"
  "                         Keep running and provision each device as it is plugged in: USB\n"
  "                         serial ports, the --port paths, and entries appearing in DIR\n"
  "                         (simulated devices' pty links). Ctrl+C stops.\n"
  "  inspect --port PATH    Show the device's chain with expiry, its hub connection and last\n"
  "                         renewal, and whether the hub would accept it (asked of the\n"
  "                         sandbox, or checked against ARM).\n"
  "  ports [--watch]        List USB serial ports (and follow hotplug with --watch).\n"
  "  journal list           List journal records (filters below).\n"
  "  journal export --csv|--csv-steps|--json [--output FILE]\n"
  "                         Export journal records.\n"
  "  registry SUBCOMMAND [ARG] [--namespace NS] [--json] [--yes]\n"
  "                         List and act on the namespace's certificate management, in\n"
  "                         either ADR model: model, cas, policies, links, devices [--all];\n"
  "                         create-namespace NS, create-root NAME, create-ica NAME [--root R],\n"
  "                         create-external-ica NAME, activate ICA --chain FILE,\n"
  "                         revoke-and-rotate ICA, revoke-issuer POLICY,\n"
  "                         create-policy NAME [--ca ICA] --validity-days N, delete-policy P,\n"
  "                         link-hub HUB, link-dps DPS [--link NAME], unlink-hub LINK,\n"
  "                         unlink-dps LINK, revoke-device DEVICE,\n"
  "                         create-enrollment-group GROUP --policy P [--ca ICA],\n"
  "                         import-enrollments FOLDER|FILE.csv [--policy P [--ca ICA]]\n"
  "                         (device certificates into individual X.509 enrollments).\n"
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
  "  10   registry: not confirmed (no --yes without a terminal, or the name typed differed)\n"
  "  130  interrupted\n"
  "\n"
  "See docs/cli.md for details, JSON shapes and the trust decisions.";

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
  g_free (options->driver);
  g_free (options->sec_tag);
  g_strfreev (options->ports);
  g_free (options->pty_dir);
  g_free (options->registration_id);
  g_free (options->dps_transport);
  g_free (options->template_text);
  g_free (options->key_type);
  g_free (options->trusted_root);
  g_free (options->pem_path);
  g_free (options->output);
  g_free (options->result);
  g_free (options->serial);
  g_free (options->since);
  g_free (options->until);
  g_free (options->namespace_name);
  g_free (options->root);
  g_free (options->ca);
  g_free (options->chain);
  g_free (options->link_name);
  g_free (options->policy);
  g_free (options->enrollment_group);
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
      "A running certbench-sandbox to use (default " CB_SANDBOX_DEFAULT_URL " when it answers)",
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
    { "port", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &options.ports,
      "provision, inspect, station: the device's serial port (or pty); provision and station "
      "take several", "PATH" },
    { "baud", 0, 0, G_OPTION_ARG_INT, &options.baud,
      "provision, inspect: baud rate (default 115200)", "N" },
    { "driver", 0, 0, G_OPTION_ARG_STRING, &options.driver,
      "provision, inspect, station: the device's driver: auto (probe the port: SMP, then AT; "
      "the default), smp or nrf91", "NAME" },
    { "sec-tag", 0, 0, G_OPTION_ARG_STRING, &options.sec_tag,
      "provision, inspect, station: the security tag an nRF91 modem keeps the device's key "
      "and certificates in, 0 to 2147483647 (default 11)", "N" },
    { "registration-id", 'r', 0, G_OPTION_ARG_STRING, &options.registration_id,
      "provision: this registration id instead of the template", "ID" },
    { "template", 0, 0, G_OPTION_ARG_STRING, &options.template_text,
      "provision: registration id template over {serial}, {model}, {firmware} "
      "(default {serial})", "TEXT" },
    { "key-type", 0, 0, G_OPTION_ARG_STRING, &options.key_type,
      "provision: p256 (default) or p384", "TYPE" },
    { "validity-days", 0, 0, G_OPTION_ARG_INT, &options.validity_days,
      "provision: the policy's validityPeriodInDays when ARM cannot tell; "
      "registry create-policy: the new policy's", "N" },
    { "pem", 0, 0, G_OPTION_ARG_FILENAME, &options.pem_path,
      "inspect: also write the chain read from the device to FILE as PEM", "FILE" },
    { "trusted-root", 0, 0, G_OPTION_ARG_FILENAME, &options.trusted_root,
      "provision: PEM of the namespace root to pin (default: the root DPS returns)", "FILE" },
    { "dps-transport", 0, 0, G_OPTION_ARG_STRING, &options.dps_transport,
      "provision: how the station registers with DPS: mqtt (the default on Azure) or https "
      "(the default on the sandbox)", "mqtt|https" },
    { "enrollment-group", 0, 0, G_OPTION_ARG_STRING, &options.enrollment_group,
      "provision: through this enrollment group of the profile's DPS (its key and policy are "
      "read from DPS; needs ARM)", "ID" },
    { "device-registers", 0, 0, G_OPTION_ARG_NONE, &options.device_registers,
      "provision: let the device register with DPS itself", NULL },
    { "no-hub-check", 0, 0, G_OPTION_ARG_NONE, &options.no_hub_check,
      "provision: skip the last step (the device connects to the hub and reports its twin), "
      "for benches without network", NULL },
    /* station */
    { "pty-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.pty_dir,
      "station: entries appearing in DIR (simulated devices' --link) are ports plugged in", "DIR" },
    { "max-runs", 0, 0, G_OPTION_ARG_INT, &options.max_runs,
      "station: stop after N runs (default: until Ctrl+C)", "N" },
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
    /* registry */
    { "namespace", 0, 0, G_OPTION_ARG_STRING, &options.namespace_name,
      "registry: this ADR namespace instead of the profile's", "NS" },
    { "root", 0, 0, G_OPTION_ARG_STRING, &options.root,
      "registry create-ica: the root CA that issues it (default: the only root)", "NAME" },
    { "ca", 0, 0, G_OPTION_ARG_STRING, &options.ca,
      "registry create-policy: the intermediate CA the policy lives under", "NAME" },
    { "policy", 0, 0, G_OPTION_ARG_STRING, &options.policy,
      "registry create-enrollment-group, import-enrollments: the certificate policy its devices "
      "use", "NAME" },
    { "chain", 0, 0, G_OPTION_ARG_FILENAME, &options.chain,
      "registry activate: PEM of the signed ICA and the chain above it", "FILE" },
    { "link", 0, 0, G_OPTION_ARG_STRING, &options.link_name,
      "registry link-hub, link-dps: the link's name (default: the hub's or DPS's)", "NAME" },
    { "all", 0, 0, G_OPTION_ARG_NONE, &options.all, "registry devices: every page", NULL },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &options.yes,
      "registry: do destructive actions without asking (needed without a terminal)", NULL },
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

  if (options.ports != NULL && options.ports[0] != NULL)
    options.port = g_strdup (options.ports[0]);

  options.command = g_strdup (args[1]);
  if (args[2] != NULL)
    options.subcommand = g_strdup (args[2]);
  if (args[2] != NULL && g_str_equal (options.command, "registry"))
    options.rest = g_strdupv (args + 3);
  else if (args[2] != NULL && args[3] != NULL && !g_str_equal (options.command, "journal"))
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
  else if (g_str_equal (options.command, "station"))
    status = cb_cli_cmd_station (&ctx);
  else if (g_str_equal (options.command, "journal"))
    status = cb_cli_cmd_journal (&ctx);
  else if (g_str_equal (options.command, "registry"))
    status = cb_cli_cmd_registry (&ctx);
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
