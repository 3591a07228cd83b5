/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Codecs: Azure host names and the sandbox's path prefixes that serve them
 * (cb-sb-azure-hosts.c). */

#include <glib.h>

G_BEGIN_DECLS

/* The path prefix that serves an Azure host: "/entra" (login.microsoftonline.com), "/arm"
 * (management.azure.com), "/dps" (global.azure-devices-provisioning.net),
 * "/dps-service/{dps}" ({dps}.azure-devices-provisioning.net), "/hubs/{hub}"
 * ({hub}.azure-devices.net, and {hub}.service… / {hub}.device.azure-devices.net). host may
 * carry a port, a trailing dot and any case. NULL for any other host (an address, localhost). */
char         *cb_sb_azure_host_prefix       (const char  *host);

/* The reverse: the Azure host whose prefix starts path ("/arm/subscriptions/…" →
 * "management.azure.com"), and in out_rest what follows the prefix ("/subscriptions/…",
 * query included; "/" when nothing follows). NULL when path is under no host's prefix. */
char         *cb_sb_azure_host_for_path     (const char  *path,
                                             const char **out_rest);

/* The absolute URL of a sandbox path as the client should see it: on the Azure host when the
 * request came by one (azure_host: its Host header, port kept) and the path is under a host's
 * prefix ("/arm/x" → "https://management.azure.com/x"), else base_url + path_and_query. */
char         *cb_sb_azure_url               (const char  *base_url,
                                             const char  *azure_host,
                                             const char  *path_and_query);

/* The port of a Host header value ("x.net:7443" → 7443), 0 when it names none. */
guint16       cb_sb_azure_host_port         (const char  *host);

/* The DNS names the sandbox's server certificate carries: localhost, Entra's and ARM's hosts,
 * DPS's global host and wildcards for every hub and DPS instance. NULL-terminated, static. */
const char * const *cb_sb_azure_host_certificate_names (void);

/* The Azure host of a hub ({hub}.azure-devices.net) or a DPS instance
 * ({dps}.azure-devices-provisioning.net), lower-cased. */
char         *cb_sb_azure_hub_host          (const char  *hub);
char         *cb_sb_azure_dps_host          (const char  *dps);

#define CB_SB_AZURE_HOST_ENTRA   "login.microsoftonline.com"
#define CB_SB_AZURE_HOST_ARM     "management.azure.com"
#define CB_SB_AZURE_HOST_DPS     "global.azure-devices-provisioning.net"

G_END_DECLS
