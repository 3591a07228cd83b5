/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "certbench-devsim"

#include "config.h"

#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "cbd-fleet-main.h"
#include "cbd-host.h"
#include "cbd-onboarding.h"

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *link_path = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *model = NULL;
  g_autofree char *key_types = NULL;
  g_auto(GStrv) key_type_list = NULL;
  CbdOptions opts = { 0 };
  double stall_s = 0;
  gint64 stall_after = 0, unplug_after = 0;
  int group = 64, frame_size = 127, buf_size = 1024, slot_size = 8192, baud = 0, chatter_ms = 0;
  int slow_keygen_ms = 0, fault_seed = 0;
  double flip_rate = 0, drop_rate = 0;
  gboolean wrong_cn = FALSE, csr_other_key = FALSE, refuse_commit = FALSE;
  gboolean unplug_at_commit = FALSE;
  double renew_fraction = 0.8;
  g_autofree char *clock_url = NULL;
  g_autofree char *ca_file = NULL;
  gboolean no_network = FALSE;
  g_autofree char *personality = NULL;
  int at_cfun = 0;
  gboolean at_urc = FALSE;
  g_autofree char *onboarding_cert = NULL;
  g_autofree char *onboarding_key = NULL;
  g_autofree char *factory_ca = NULL;
  g_autofree char *factory_ca_key = NULL;
  g_autofree char *onboarding_id = NULL;
  gboolean make_factory_ca = FALSE;
  gboolean print_onboarding = FALSE;
  g_autofree char *dps_scope = NULL;
  g_autofree char *dps_endpoint = NULL;
  g_autofree char *hub_endpoint = NULL;
  g_autoptr(CbdClock) clock = NULL;
  CbdHost *host;
  int status;
  GOptionEntry entries[] = {
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Directory for the device's identity, keys and certificate slots", "DIR" },
    { "link", 'l', 0, G_OPTION_ARG_FILENAME, &link_path,
      "Also make a symlink to the pty at PATH", "PATH" },
    { "serial", 0, 0, G_OPTION_ARG_STRING, &serial,
      "Serial number for a new state directory", "SERIAL" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, "Model name", "MODEL" },
    { "key-types", 0, 0, G_OPTION_ARG_STRING, &key_types,
      "Supported key types, comma-separated (default p256,p384)", "LIST" },
    { "group", 0, 0, G_OPTION_ARG_INT, &group, "Bench group id (default 64)", "ID" },
    { "frame-size", 0, 0, G_OPTION_ARG_INT, &frame_size,
      "Console frame size the device sends (default 127)", "BYTES" },
    { "buf-size", 0, 0, G_OPTION_ARG_INT, &buf_size, "SMP buffer size (default 1024)", "BYTES" },
    { "slot-size", 0, 0, G_OPTION_ARG_INT, &slot_size, "Certificate slot size (default 8192)", "BYTES" },
    { "baud", 0, 0, G_OPTION_ARG_INT, &baud, "Pace output like a UART at this rate", "BAUD" },
    { "chatter", 0, 0, G_OPTION_ARG_INT, &chatter_ms,
      "Print a device log line every MS and between frames", "MS" },
    { "flip-rate", 0, 0, G_OPTION_ARG_DOUBLE, &flip_rate,
      "Fault: flip one bit in this fraction of bytes (both directions)", "RATE" },
    { "drop-rate", 0, 0, G_OPTION_ARG_DOUBLE, &drop_rate,
      "Fault: drop this fraction of bytes (both directions)", "RATE" },
    { "fault-seed", 0, 0, G_OPTION_ARG_INT, &fault_seed, "Seed for the byte faults", "N" },
    { "stall", 0, 0, G_OPTION_ARG_DOUBLE, &stall_s,
      "Fault: stop reading and writing for this many seconds, once", "SECONDS" },
    { "stall-after", 0, 0, G_OPTION_ARG_INT64, &stall_after,
      "Start the stall once this many bytes were sent (default 0)", "BYTES" },
    { "unplug-after", 0, 0, G_OPTION_ARG_INT64, &unplug_after,
      "Fault: close the pty and exit after sending this many bytes", "BYTES" },
    { "slow-keygen", 0, 0, G_OPTION_ARG_INT, &slow_keygen_ms,
      "Fault: key generation takes this long", "MS" },
    { "wrong-cn", 0, 0, G_OPTION_ARG_NONE, &wrong_cn,
      "Fault: the CSR's CN is not the one asked for", NULL },
    { "csr-other-key", 0, 0, G_OPTION_ARG_NONE, &csr_other_key,
      "Fault: the CSR is made with another key than the device key", NULL },
    { "refuse-commit", 0, 0, G_OPTION_ARG_NONE, &refuse_commit,
      "Fault: cert_commit always answers commit_refused", NULL },
    { "unplug-at-commit", 0, 0, G_OPTION_ARG_NONE, &unplug_at_commit,
      "Fault: cert_commit activates the chain, then the device unplugs before it answers", NULL },
    { "renew-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &renew_fraction,
      "Renew through the hub at this fraction of the certificate lifetime (default 0.8)",
      "F" },
    { "clock-url", 0, 0, G_OPTION_ARG_STRING, &clock_url,
      "Follow this clock (the sandbox's /sandbox/clock URL) instead of real time", "URL" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      "PEM CA file to trust for --clock-url, --dps-endpoint and --hub-endpoint (default: "
      "system trust)", "FILE" },
    { "no-network", 0, 0, G_OPTION_ARG_NONE, &no_network,
      "The device has no network: dps_* and hub_config answer not_supported", NULL },
    { "personality", 0, 0, G_OPTION_ARG_STRING, &personality,
      "What the device speaks: smp (the bench group, default) or nrf91 (a Nordic nRF91 "
      "modem's AT commands)", "NAME" },
    { "cfun", 0, 0, G_OPTION_ARG_INT, &at_cfun,
      "nrf91: the functional mode at power-on (default 0; 1 is online)", "N" },
    { "urc", 0, 0, G_OPTION_ARG_NONE, &at_urc,
      "nrf91: +CEREG notifications are subscribed at power-on", NULL },
    { "onboarding-cert", 0, 0, G_OPTION_ARG_FILENAME, &onboarding_cert,
      "The device's factory onboarding certificate (PEM): it registers with DPS over MQTT by "
      "X.509 attestation, no symmetric key", "FILE" },
    { "onboarding-key", 0, 0, G_OPTION_ARG_FILENAME, &onboarding_key,
      "The onboarding certificate's private key (PEM)", "FILE" },
    { "factory-ca", 0, 0, G_OPTION_ARG_FILENAME, &factory_ca,
      "A test factory CA (PEM) that signs an onboarding certificate for the device at its "
      "first start (its own key, CN = --onboarding-id), kept in the state directory", "FILE" },
    { "factory-ca-key", 0, 0, G_OPTION_ARG_FILENAME, &factory_ca_key,
      "The factory CA's private key (PEM)", "FILE" },
    { "onboarding-id", 0, 0, G_OPTION_ARG_STRING, &onboarding_id,
      "The registration id the factory CA signs (default: --serial)", "ID" },
    { "make-factory-ca", 0, 0, G_OPTION_ARG_NONE, &make_factory_ca,
      "Write a new test factory CA to --factory-ca and --factory-ca-key, then exit", NULL },
    { "print-onboarding-cert", 0, 0, G_OPTION_ARG_NONE, &print_onboarding,
      "Print the device's onboarding certificate (PEM; minted by --factory-ca at the first "
      "start) for its enrollment, then exit", NULL },
    { "dps-scope", 0, 0, G_OPTION_ARG_STRING, &dps_scope,
      "With an onboarding certificate: register by itself with this DPS ID scope at start "
      "when the device has no certificate yet, then connect to the hub and renew there",
      "ID" },
    { "dps-endpoint", 0, 0, G_OPTION_ARG_STRING, &dps_endpoint,
      "DPS over MQTT for --dps-scope (default: the global endpoint)", "mqtts://HOST:PORT" },
    { "hub-endpoint", 0, 0, G_OPTION_ARG_STRING, &hub_endpoint,
      "Reach the assigned hub here instead of by its name", "HOST:PORT" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* A fleet has options of its own (cbd-fleet.c). */
  if (cbd_fleet_wanted (argc, argv))
    return cbd_fleet_main (argc, argv);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "A simulated Certbench device on a pseudo-terminal. Prints "
                                "\"PTY <path>\" on the first line of stdout, then serves the "
                                "bench protocol until SIGTERM, SIGINT or an unplug fault.");
  g_option_context_set_description (context,
                                    "certbench-devsim --fleet N --help lists the options of a "
                                    "simulated fleet: N devices in one process.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if ((factory_ca == NULL) != (factory_ca_key == NULL) ||
      (onboarding_cert == NULL) != (onboarding_key == NULL) ||
      (factory_ca != NULL && onboarding_cert != NULL))
    {
      g_printerr ("Give --onboarding-cert with --onboarding-key, or --factory-ca with "
                  "--factory-ca-key, not both\n");
      return 2;
    }
  if (make_factory_ca)
    {
      if (factory_ca == NULL)
        {
          g_printerr ("--make-factory-ca writes to --factory-ca and --factory-ca-key\n");
          return 2;
        }
      if (!cbd_onboarding_write_factory_ca (factory_ca, factory_ca_key, NULL, &error))
        {
          g_printerr ("certbench-devsim: %s\n", error->message);
          return 1;
        }
      return 0;
    }
  if (state_dir == NULL)
    {
      g_printerr ("--state-dir is required\n");
      return 2;
    }
  if ((dps_scope != NULL || print_onboarding) && onboarding_cert == NULL && factory_ca == NULL)
    {
      g_printerr ("--dps-scope and --print-onboarding-cert need an onboarding certificate "
                  "(--onboarding-cert or --factory-ca)\n");
      return 2;
    }
  opts.state_dir = state_dir;
  opts.serial = serial;
  opts.onboarding_cert = onboarding_cert;
  opts.onboarding_key = onboarding_key;
  opts.factory_ca = factory_ca;
  opts.factory_ca_key = factory_ca_key;
  opts.onboarding_id = onboarding_id;
  if (print_onboarding)
    return cbd_onboarding_print (&opts);
  if (group < 64 || group > 65535 || frame_size < 7 || buf_size < 640 || flip_rate < 0 ||
      flip_rate > 1 || drop_rate < 0 || drop_rate > 1 || stall_s < 0 || unplug_after < 0 ||
      !(renew_fraction > 0 && renew_fraction <= 1))
    {
      g_printerr ("An option is out of range (group >= 64, frame size >= 7, buffer >= 640, "
                  "rates within 0..1, renew fraction within (0, 1])\n");
      return 2;
    }
  if (personality != NULL && g_strcmp0 (personality, "smp") != 0 &&
      g_strcmp0 (personality, "nrf91") != 0)
    {
      g_printerr ("--personality is smp or nrf91\n");
      return 2;
    }
  if (key_types != NULL)
    key_type_list = g_strsplit (key_types, ",", -1);

  opts.state_dir = state_dir;
  opts.link_path = link_path;
  opts.serial = serial;
  opts.model = model;
  opts.key_types = key_type_list;
  opts.group = group;
  opts.frame_size = frame_size;
  opts.buf_size = buf_size;
  opts.slot_size = slot_size;
  opts.baud = baud;
  opts.chatter_ms = chatter_ms;
  opts.flip_rate = flip_rate;
  opts.drop_rate = drop_rate;
  opts.fault_seed = (guint32) fault_seed;
  opts.stall_ms = (int) (stall_s * 1000);
  opts.stall_after = stall_after;
  opts.unplug_after = unplug_after;
  opts.slow_keygen_ms = slow_keygen_ms;
  opts.wrong_cn = wrong_cn;
  opts.csr_other_key = csr_other_key;
  opts.refuse_commit = refuse_commit;
  opts.unplug_at_commit = unplug_at_commit;
  opts.renew_fraction = renew_fraction;
  opts.no_network = no_network;
  opts.personality = g_strcmp0 (personality, "nrf91") == 0 ? CBD_PERSONALITY_NRF91
                                                            : CBD_PERSONALITY_SMP;
  opts.at_cfun = at_cfun;
  opts.at_urc = at_urc;
  opts.onboarding_cert = onboarding_cert;
  opts.onboarding_key = onboarding_key;
  opts.factory_ca = factory_ca;
  opts.factory_ca_key = factory_ca_key;
  opts.onboarding_id = onboarding_id;
  opts.dps_scope = dps_scope;
  opts.dps_endpoint = dps_endpoint;
  opts.hub_endpoint = hub_endpoint;
  opts.ca_file = ca_file;
  if (clock_url != NULL)
    {
      clock = cbd_clock_new (clock_url, ca_file, &error);
      if (clock == NULL)
        {
          g_printerr ("certbench-devsim: %s\n", error->message);
          return 1;
        }
      /* Best effort: until the first answer the device clock shows real time. */
      if (!cbd_clock_wait_synced (clock, 5000, &error))
        {
          g_printerr ("certbench-devsim: the clock at %s: %s\n", clock_url, error->message);
          g_clear_error (&error);
        }
    }
  opts.clock = clock;

  host = cbd_host_new (&opts, &error);
  if (host == NULL)
    {
      g_printerr ("certbench-devsim: %s\n", error->message);
      return 1;
    }

  printf ("PTY %s\n", cbd_host_get_pty_path (host));
  fflush (stdout);

  status = cbd_host_run (host);
  cbd_host_free (host);
  return status;
}
