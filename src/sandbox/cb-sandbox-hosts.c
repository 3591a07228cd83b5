/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Assembly: `certbench-sandbox hosts`, the text that points Microsoft's SDKs at a sandbox
 * without a proxy: a hosts-file line for each Azure host it answers as (its topology's hubs
 * and DPS instances read from its database, which may be in use by the running sandbox) and,
 * as comments, the CA to trust for each SDK family and how to start it on the Azure ports. */

#include "config.h"

#include "cb-sandbox-hosts.h"
#include "cb-sb-azure-hosts.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"

static void
add_line (GString    *out,
          const char *address,
          const char *host)
{
  g_string_append_printf (out, "%-15s %s\n", address, host);
}

char *
cb_sandbox_hosts_text (const char  *data_dir,
                       const char  *address,
                       GError     **error)
{
  g_autofree char *db = g_build_filename (data_dir, "sandbox.db", NULL);
  g_autofree char *ca = g_build_filename (data_dir, "sandbox-ca.pem", NULL);
  g_autoptr(CbSandbox) sandbox = NULL;
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) dps = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  if (!g_file_test (db, G_FILE_TEST_IS_REGULAR) || !g_file_test (ca, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "There is no sandbox in %s yet: start it once there "
                   "(certbench-sandbox --data-dir %s --seed demo), then ask again",
                   data_dir, data_dir);
      return NULL;
    }

  sandbox = cb_sandbox_new (data_dir);
  cb_sb_lock (sandbox);
  if (!cb_sb_store_open (sandbox, error) || !cb_sb_topology_init (sandbox, error))
    {
      cb_sb_store_close (sandbox);
      cb_sb_unlock (sandbox);
      return NULL;
    }
  hubs = cb_sb_topology_list_names (sandbox, FALSE);
  dps = cb_sb_topology_list_names (sandbox, TRUE);
  cb_sb_store_close (sandbox);
  cb_sb_unlock (sandbox);

  g_string_append_printf (out,
      "# The Certbench sandbox in %s as Azure, for Microsoft's SDKs (docs/sandbox.md,\n"
      "# \"Pointing Microsoft's SDKs at the sandbox\").\n"
      "#\n"
      "# 1. Add these lines to /etc/hosts (as root; remove them to reach Azure again):\n"
      "#      certbench-sandbox hosts | sudo tee -a /etc/hosts\n",
      data_dir);
  add_line (out, address, CB_SB_AZURE_HOST_ENTRA);
  add_line (out, address, CB_SB_AZURE_HOST_ARM);
  add_line (out, address, CB_SB_AZURE_HOST_DPS);
  for (guint i = 0; i < dps->len; i++)
    {
      g_autofree char *host = cb_sb_azure_dps_host (g_ptr_array_index (dps, i));
      add_line (out, address, host);
    }
  for (guint i = 0; i < hubs->len; i++)
    {
      g_autofree char *host = cb_sb_azure_hub_host (g_ptr_array_index (hubs, i));
      add_line (out, address, host);
    }

  g_string_append_printf (out,
      "#\n"
      "# 2. Start it on the Azure ports, HTTPS 443 and MQTT 8883 (443 needs root,\n"
      "#    sudo setcap cap_net_bind_service=+ep $(command -v certbench-sandbox), or\n"
      "#    sudo sysctl net.ipv4.ip_unprivileged_port_start=443):\n"
      "#      certbench-sandbox --azure-hosts --data-dir %s\n"
      "#\n"
      "# 3. Trust the sandbox's CA, %s (verification stays on):\n"
      "#    Node (azure-iot-device, azure-iothub, azure-iot-provisioning-*, @azure/identity,\n"
      "#    @azure/msal-node, @azure/arm-*):\n"
      "#      export NODE_EXTRA_CA_CERTS=%s\n"
      "#    OpenSSL clients (curl, Python, the C SDK's default store); this replaces the\n"
      "#    system's CAs for that process:\n"
      "#      export SSL_CERT_FILE=%s\n"
      "#    The Azure IoT C SDK, in code, with the file's contents:\n"
      "#      IoTHubDeviceClient_LL_SetOption (handle, OPTION_TRUSTED_CERT, pem);\n"
      "#      Prov_Device_LL_SetOption (handle, OPTION_TRUSTED_CERT, pem);\n",
      data_dir, ca, ca, ca);

  return g_string_free (g_steal_pointer (&out), FALSE);
}
