/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "certbench-sandbox"

#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "cb-sandbox-hosts.h"
#include "cb-sandbox-private.h"
#include "cb-sandbox-seed-fleet.h"

/* certbench-sandbox: the local stand-in for Azure, on its own (tests, demos, training).
 * `certbench-sandbox hosts` prints what points Microsoft's SDKs at it (cb-sandbox-hosts.c). */

enum
{
  EXIT_USAGE = 2,
  EXIT_START = 3,
};

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static char *
default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "certbench", "sandbox", NULL);
}

static void
print_welcome (CbSandbox  *sandbox,
               gboolean    seeded,
               gboolean    azure_hosts)
{
  const char *base = cb_sandbox_get_base_url (sandbox);
  const char *ca = cb_sandbox_get_ca_file (sandbox);

  printf ("Certbench sandbox %s is listening on %s\n\n", PACKAGE_VERSION, base);
  printf ("  Data folder      %s\n", cb_sandbox_get_data_dir (sandbox));
  printf ("  CA to pin        %s\n", ca);
  printf ("  Endpoints        %s/sandbox/info\n", base);
  printf ("  Entra            %s/entra/{tenant}/oauth2/v2.0/devicecode\n", base);
  printf ("  ARM              %s/arm/subscriptions/...\n", base);
  printf ("  DPS (devices)    %s/dps/{idScope}/registrations/...\n", base);
  printf ("  IoT Hub          %s/hubs/{hub}/devices/...\n", base);
  printf ("  Hub devices      mqtts://127.0.0.1:%u (MQTT 3.1.1, client certificates)\n\n",
          cb_sandbox_get_mqtt_port (sandbox));
  if (seeded)
    printf ("The demo seed is in place (namespace demo-ns, policy default, hub demo-hub,\n"
            "DPS ID scope 0ne00CB0DE1, 240 devices).\n\n");
  if (azure_hosts)
    printf ("It also answers as Azure on 443 (HTTPS) and %u (MQTT): login.microsoftonline.com,\n"
            "management.azure.com, global.azure-devices-provisioning.net, {hub}.azure-devices.net\n"
            "and {dps}.azure-devices-provisioning.net. `certbench-sandbox hosts` prints the\n"
            "hosts-file lines and the CA to trust for each SDK.\n\n",
            cb_sandbox_get_mqtt_port (sandbox));
  printf ("Try it:\n  curl --cacert %s %s/sandbox/info\n\n", ca, base);
  printf ("docs/sandbox.md walks through every endpoint. Press Ctrl+C to stop.\n");
  fflush (stdout);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_dir = NULL;
  g_autofree char *seed = NULL;
  g_autofree char *faults = NULL;
  g_autofree char *bind = NULL;
  CbSandboxFleetSpec fleet = { 0 };
  int fleet_devices = 100000;
  int fleet_disabled = -1;
  int fleet_revoked = 20;
  int fleet_stable = -1;
  int port = 7443;
  int mqtt_port = -1;
  int page_size = 100;
  int lro_delay_ms = 1000;
  int max_policies = 1;
  gboolean manual_sign_in = FALSE;
  gboolean allow_remote = FALSE;
  gboolean version = FALSE;
  gboolean azure_hosts = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSandbox) sandbox = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  const GOptionEntry entries[] = {
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      "Where the sandbox keeps its database, CA keys and TLS identity "
      "(default: $XDG_DATA_HOME/certbench/sandbox)", "DIR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "TCP port (default 7443; 0 picks a free one)", "N" },
    { "mqtt-port", 0, 0, G_OPTION_ARG_INT, &mqtt_port,
      "Port of the hub device endpoint, MQTT over TLS (default 8883; 0 picks a free one, "
      "the default when --port is 0)", "N" },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &bind, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "allow-remote", 0, 0, G_OPTION_ARG_NONE, &allow_remote,
      "Allow a non-loopback --bind address (the sandbox is a test double: think twice)", NULL },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed,
      "Create seed data: \"demo\", or \"fleet\" (the demo plus a large fleet; docs/sandbox.md)",
      "NAME" },
    { "devices", 0, 0, G_OPTION_ARG_INT, &fleet_devices,
      "--seed fleet: devices in demo-hub (default 100000)", "N" },
    { "disabled", 0, 0, G_OPTION_ARG_INT, &fleet_disabled,
      "--seed fleet: how many of them are disabled (default 2 %)", "N" },
    { "revoked", 0, 0, G_OPTION_ARG_INT, &fleet_revoked,
      "--seed fleet: how many of them are revoked (default 20)", "N" },
    { "stable-devices", 0, 0, G_OPTION_ARG_INT, &fleet_stable,
      "--seed fleet: devices in demo-stable-hub (default a tenth of --devices)", "N" },
    { "faults", 0, 0, G_OPTION_ARG_FILENAME, &faults, "Fault injection rules (JSON)", "FILE" },
    { "page-size", 0, 0, G_OPTION_ARG_INT, &page_size, "Items per page in lists (default 100)", "N" },
    { "lro-delay-ms", 0, 0, G_OPTION_ARG_INT, &lro_delay_ms,
      "How long long-running operations stay in progress (default 1000)", "MS" },
    { "max-policies", 0, 0, G_OPTION_ARG_INT, &max_policies,
      "Policies allowed per credential (the preview allows 1)", "N" },
    { "manual-sign-in", 0, 0, G_OPTION_ARG_NONE, &manual_sign_in,
      "Device codes wait for approval at /entra/devicelogin instead of approving themselves", NULL },
    { "azure-hosts", 0, 0, G_OPTION_ARG_NONE, &azure_hosts,
      "Also listen on the Azure ports, 443 (HTTPS) and 8883 (MQTT), for Microsoft's SDKs "
      "pointed at the sandbox by a hosts file (see the hosts command); 443 needs root or "
      "CAP_NET_BIND_SERVICE", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("[hosts] - the local Azure stand-in for Certbench");
  g_option_context_set_summary (context,
      "Serves Entra sign-in, Azure Device Registry (ARM), DPS and IoT Hub over TLS on loopback,\n"
      "with a real CA and a SQLite database, following the Azure wire formats.\n\n"
      "certbench-sandbox hosts [--data-dir DIR] [--bind ADDR] prints the hosts-file lines\n"
      "and the CA to trust that point Microsoft's SDKs at the sandbox.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("certbench-sandbox: %s\nTry --help.\n", error->message);
      return EXIT_USAGE;
    }

  if (version)
    {
      printf ("certbench-sandbox %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (data_dir == NULL)
    data_dir = default_data_dir ();

  if (argc > 1 && g_str_equal (argv[1], "hosts") && argc == 2)
    {
      g_autofree char *text = cb_sandbox_hosts_text (data_dir, bind != NULL ? bind : "127.0.0.1",
                                                     &error);

      if (text == NULL)
        {
          g_printerr ("certbench-sandbox: %s\n", error->message);
          return EXIT_USAGE;
        }
      fputs (text, stdout);
      return EXIT_SUCCESS;
    }
  if (argc > 1)
    {
      g_printerr ("certbench-sandbox: unknown command “%s” (known: hosts)\nTry --help.\n", argv[1]);
      return EXIT_USAGE;
    }

  /* Microsoft's SDKs call mqtts://{hub}.azure-devices.net:8883, whatever --port says. */
  if (mqtt_port < 0)
    mqtt_port = port == 0 && !azure_hosts ? 0 : 8883;

  if (port < 0 || port > 65535 || mqtt_port > 65535 || page_size < 1 || page_size > 1000 || lro_delay_ms < 0 ||
      max_policies < 1)
    {
      g_printerr ("certbench-sandbox: an option is out of range (port 0-65535, page size 1-1000)\n");
      return EXIT_USAGE;
    }

  if (seed != NULL && !g_str_equal (seed, "demo") && !g_str_equal (seed, "fleet"))
    {
      g_printerr ("certbench-sandbox: unknown seed “%s” (known: demo, fleet)\n", seed);
      return EXIT_USAGE;
    }

  if (fleet_disabled < 0)
    fleet_disabled = fleet_devices / 50;
  if (fleet_stable < 0)
    fleet_stable = fleet_devices / 10;
  if (fleet_devices < 0 || fleet_devices > 10000000 || fleet_disabled > fleet_devices ||
      fleet_revoked < 0 || fleet_revoked > fleet_devices || fleet_revoked > 500 ||
      fleet_stable > 10000000)
    {
      g_printerr ("certbench-sandbox: --devices 0-10000000, --disabled and --revoked at most "
                  "--devices, --revoked at most 500\n");
      return EXIT_USAGE;
    }
  fleet.devices = (guint) fleet_devices;
  fleet.disabled = (guint) fleet_disabled;
  fleet.revoked = (guint) fleet_revoked;
  fleet.stable_devices = (guint) fleet_stable;

  sandbox = cb_sandbox_new (data_dir);
  cb_sandbox_set_port (sandbox, (guint16) port);
  cb_sandbox_set_mqtt_port (sandbox, (guint16) mqtt_port);
  if (azure_hosts)
    cb_sandbox_set_azure_https_port (sandbox, 443);
  cb_sandbox_set_bind_address (sandbox, bind, allow_remote);
  cb_sandbox_set_page_size (sandbox, (guint) page_size);
  cb_sandbox_set_lro_delay_ms (sandbox, (guint) lro_delay_ms);
  cb_sandbox_set_max_policies (sandbox, (guint) max_policies);
  cb_sandbox_set_auto_approve (sandbox, !manual_sign_in);
  /* Entra answers 5 s; a stand-in whose codes approve themselves needs no wait, and one
   * approved by hand in a browser a second at most (the client honours what is sent). */
  cb_sandbox_set_device_code_interval (sandbox, manual_sign_in ? 1 : 0);

  if (!cb_sandbox_start (sandbox, &error))
    {
      g_printerr ("certbench-sandbox: %s\n", error->message);
      return EXIT_START;
    }

  if (faults != NULL && !cb_sandbox_load_faults (sandbox, faults, &error))
    {
      g_printerr ("certbench-sandbox: %s: %s\n", faults, error->message);
      return EXIT_USAGE;
    }

  if (seed != NULL && g_str_equal (seed, "fleet"))
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!cb_sandbox_seed_fleet (sandbox, &fleet, &error))
        {
          g_printerr ("certbench-sandbox: the fleet seed failed: %s\n", error->message);
          return EXIT_START;
        }
      printf ("Seeded a fleet of %u devices (%u disabled, %u revoked) in demo-hub and %u in "
              "demo-stable-hub in %.1f s.\n", fleet.devices, fleet.disabled, fleet.revoked,
              fleet.stable_devices, (g_get_monotonic_time () - t0) / 1e6);
    }
  else if (seed != NULL && !cb_sandbox_seed_demo (sandbox, &error))
    {
      g_printerr ("certbench-sandbox: the demo seed failed: %s\n", error->message);
      return EXIT_START;
    }

  print_welcome (sandbox, seed != NULL, azure_hosts);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  cb_sandbox_stop (sandbox);
  /* What the stop left queued (requests whose worker finished as it stopped: cb-sb-workers.c)
   * lets go of its memory. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return EXIT_SUCCESS;
}
