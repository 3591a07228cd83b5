/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: linking a namespace to IoT hubs and DPS instances in the stable 2026-11-01 model
 * (cb-sb-adr-linking.c): the endpoints a namespace PUT or PATCH names, their linking state
 * (InProgress, then Succeeded or Failed with a linkingError), the topology's link, and the
 * namespace's usable intermediate CAs pushed to every linked hub, on link and whenever one is
 * published. */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

#define CB_SB_ENDPOINT_TYPE_HUB  "Microsoft.Devices/IotHubs"
#define CB_SB_ENDPOINT_TYPE_DPS  "Microsoft.Devices/provisioningServices"

/* The linkingError code of a link that could not start (Microsoft's example). */
#define CB_SB_LINK_FAILED        "LinkInitiateFailed"

/* Connects to the events that make the linked hubs sync (issuer-published). */
void          cb_sb_adr_linking_init      (CbSandbox   *self);

/* Splits an IoT hub's (dps FALSE) or DPS instance's ARM id. FALSE when it is not one. */
gboolean      cb_sb_adr_linking_parse_id  (const char  *resource_id,
                                           gboolean     dps,
                                           char       **subscription,
                                           char       **resource_group,
                                           char       **name);

/* Stores the endpoints of kind (CB_SB_ENDPOINTS_*) a namespace PUT (replace) or PATCH gives:
 * endpoints is the endpoints{} object; a PATCH merges it, a null member unlinks that
 * endpoint, a PUT unlinks what it does not name. A new endpoint, one that names another
 * resource and one whose linking failed start linking again (InProgress); fault is the
 * linkingError code a fault rule asks for, or NULL. G_IO_ERROR_INVALID_ARGUMENT for a bad
 * body; the message names the member. */
gboolean      cb_sb_adr_linking_apply     (CbSandbox   *self,
                                           const char  *namespace_id,
                                           const char  *kind,
                                           JsonObject  *endpoints,
                                           gboolean     replace,
                                           const char  *fault,
                                           GError     **error);

/* Ends the linking of every endpoint that has been InProgress for the sandbox's LRO delay:
 * Succeeded (the topology links the hub or DPS to the namespace; a hub gets the namespace's
 * usable ICAs) or Failed with a linkingError. */
void          cb_sb_adr_linking_run_due   (CbSandbox   *self);

/* Ends the linking of the namespace's endpoints still InProgress now, whatever the delay,
 * inside the caller's transaction (the demo seed links its own hub and DPS). FALSE (error
 * set) when one could not be linked: nothing is marked Failed then. */
gboolean      cb_sb_adr_linking_finish    (CbSandbox   *self,
                                           const char  *namespace_id,
                                           GError     **error);

/* Pushes every usable ICA of the namespace (Active, or Active but pending renewal) to hub as
 * a CA certificate named after the ICA; hub NULL: to every hub linked to the namespace. */
gboolean      cb_sb_adr_linking_sync      (CbSandbox   *self,
                                           const char  *namespace_id,
                                           const char  *hub,
                                           GError     **error);

G_END_DECLS
