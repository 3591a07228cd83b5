/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-sb-azure-hosts.h"

/* The table between Azure host names and the sandbox's path prefixes (cb-sb-azure-hosts.c):
 * what the router makes of a Host header, and what absolute URLs are written back. */

static void
check_prefix (const char *host,
              const char *expected)
{
  g_autofree char *prefix = cb_sb_azure_host_prefix (host);

  g_assert_cmpstr (prefix, ==, expected);
}

static void
test_host_prefix (void)
{
  check_prefix ("login.microsoftonline.com", "/entra");
  check_prefix ("management.azure.com:443", "/arm");
  check_prefix ("Management.Azure.COM.", "/arm");
  check_prefix ("global.azure-devices-provisioning.net:7443", "/dps");
  check_prefix ("demo-dps.azure-devices-provisioning.net", "/dps-service/demo-dps");
  check_prefix ("Demo-Hub.azure-devices.net:8443", "/hubs/demo-hub");
  check_prefix ("demo-hub.service.azure-devices.net", "/hubs/demo-hub");
  check_prefix ("demo-hub.device.azure-devices.net", "/hubs/demo-hub");

  /* Not an Azure host the sandbox plays: the path is served as it is. */
  check_prefix (NULL, NULL);
  check_prefix ("127.0.0.1:7443", NULL);
  check_prefix ("localhost", NULL);
  check_prefix ("[::1]:7443", NULL);
  check_prefix ("azure-devices.net", NULL);
  check_prefix (".azure-devices.net", NULL);
  check_prefix ("a.b.c.azure-devices.net", NULL);
  check_prefix ("demo_hub.azure-devices.net", NULL);
  check_prefix ("-hub.azure-devices.net", NULL);
  check_prefix ("demo-hub.azure-devices.net.example.com", NULL);
  check_prefix ("login.microsoftonline.com.example.com", NULL);
}

static void
check_url (const char *azure_host,
           const char *path,
           const char *expected)
{
  g_autofree char *url = cb_sb_azure_url ("https://127.0.0.1:7443", azure_host, path);

  g_assert_cmpstr (url, ==, expected);
}

static void
test_url (void)
{
  /* Reached by prefix: the base URL. */
  check_url (NULL, "/arm/subscriptions/s?x=1", "https://127.0.0.1:7443/arm/subscriptions/s?x=1");
  /* Reached by host name: the host of the path's prefix, with the client's port. */
  check_url ("management.azure.com", "/arm/subscriptions/s?api-version=1",
             "https://management.azure.com/subscriptions/s?api-version=1");
  check_url ("management.azure.com:443", "/arm/x", "https://management.azure.com/x");
  check_url ("management.azure.com:7443", "/arm/x", "https://management.azure.com:7443/x");
  check_url ("login.microsoftonline.com", "/entra/devicelogin",
             "https://login.microsoftonline.com/devicelogin");
  check_url ("management.azure.com", "/hubs/Demo-Hub/devices/d",
             "https://demo-hub.azure-devices.net/devices/d");
  check_url ("x.azure-devices-provisioning.net", "/dps-service/x?q=1",
             "https://x.azure-devices-provisioning.net/?q=1");
  check_url ("global.azure-devices-provisioning.net", "/dps/0ne/registrations/r",
             "https://global.azure-devices-provisioning.net/0ne/registrations/r");
  /* Paths under no host's prefix stay on the base URL. */
  check_url ("management.azure.com", "/sandbox/crl/x.crl", "https://127.0.0.1:7443/sandbox/crl/x.crl");
  check_url ("management.azure.com", "/armada", "https://127.0.0.1:7443/armada");
}

static void
test_port (void)
{
  g_assert_cmpuint (cb_sb_azure_host_port ("h.net:7443"), ==, 7443);
  g_assert_cmpuint (cb_sb_azure_host_port ("h.net"), ==, 0);
  g_assert_cmpuint (cb_sb_azure_host_port ("[::1]:8443"), ==, 8443);
  g_assert_cmpuint (cb_sb_azure_host_port ("h.net:99999"), ==, 0);
  g_assert_cmpuint (cb_sb_azure_host_port ("h.net:x"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/azure-hosts/prefix", test_host_prefix);
  g_test_add_func ("/sandbox/azure-hosts/url", test_url);
  g_test_add_func ("/sandbox/azure-hosts/port", test_port);

  return g_test_run ();
}
