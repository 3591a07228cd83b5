/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the IoT hub's device table (hub_devices): one row per device holds its identity
 * (status, authentication, etag), its twin (tags, desired and reported properties with their
 * $metadata and versions) and its connection state, so they are created, deleted and
 * persisted together. The functions other modules call are in cb-sb-hub.h. */

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

#define CB_SB_HUB_DEVICE_COLUMNS \
  "hub, device_id, generation_id, etag, status, status_reason, status_updated, auth_type, " \
  "primary_key, secondary_key, primary_thumbprint, secondary_thumbprint, iot_edge, " \
  "connection_state, connection_state_updated, last_activity, c2d_count, twin_version, " \
  "twin_etag_seq, tags, desired, desired_meta, desired_version, reported, reported_meta, " \
  "reported_version, created"

typedef struct
{
  char       *hub;
  char       *device_id;
  char       *generation_id;
  char       *etag;
  char       *status;
  char       *status_reason;
  gint64      status_updated;          /* usec; 0: never */
  char       *auth_type;
  char       *primary_key;
  char       *secondary_key;
  char       *primary_thumbprint;
  char       *secondary_thumbprint;
  gboolean    iot_edge;
  char       *connection_state;
  gint64      connection_state_updated;
  gint64      last_activity;
  gint64      c2d_count;
  gint64      twin_version;
  gint64      twin_etag_seq;
  JsonObject *tags;
  JsonObject *desired;
  JsonObject *desired_meta;
  gint64      desired_version;
  JsonObject *reported;
  JsonObject *reported_meta;
  gint64      reported_version;
  gint64      created;
} CbSbHubDevice;

void           cb_sb_hub_device_free      (CbSbHubDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbHubDevice, cb_sb_hub_device_free)

/* Creates the table. */
gboolean       cb_sb_hub_store_init       (CbSandbox   *self,
                                           GError     **error);

/* A row selected as CB_SB_HUB_DEVICE_COLUMNS. */
CbSbHubDevice *cb_sb_hub_device_from_row  (sqlite3_stmt *stmt);
CbSbHubDevice *cb_sb_hub_device_load      (CbSandbox   *self,
                                           const char  *hub,
                                           const char  *device_id);
/* The same, or NULL with G_IO_ERROR_NOT_FOUND naming the device and the hub (either may be
 * NULL). */
CbSbHubDevice *cb_sb_hub_device_load_existing (CbSandbox   *self,
                                               const char  *hub,
                                               const char  *device_id,
                                               GError     **error);
gboolean       cb_sb_hub_device_save      (CbSandbox   *self,
                                           CbSbHubDevice *dev,
                                           GError     **error);
gboolean       cb_sb_hub_device_delete    (CbSandbox   *self,
                                           const char  *hub,
                                           const char  *device_id);
/* A new enabled, disconnected device with an empty twin (not saved). */
CbSbHubDevice *cb_sb_hub_device_new       (CbSandbox   *self,
                                           const char  *hub,
                                           const char  *device_id,
                                           const char  *auth_type);

/* Device etags look like the hub's: base64 of a decimal number. */
char          *cb_sb_hub_new_device_etag  (void);
/* Twin etags are base64 of a big-endian 64-bit sequence number, as the hub writes them. */
char          *cb_sb_hub_twin_etag        (gint64       seq);
/* usec as the hub writes times; 0001-01-01T00:00:00Z for never. */
char          *cb_sb_hub_format_time      (gint64       usec);

/* A hub as the resource provider shows it (hubs), and one of its shared access policies
 * (hub_keys; the keys are secrets: never log them). */
typedef struct
{
  char   *name;
  char   *subscription;
  char   *resource_group;
  char   *namespace_id;
  char   *host_name;
  gint64  created;                     /* unix seconds */
} CbSbHubInfo;

typedef struct
{
  char   *key_name;
  char   *primary_key;
  char   *secondary_key;
  char   *rights;
} CbSbHubPolicy;

/* The hubs of a subscription (and resource group, unless NULL), by name: CbSbHubInfo. */
GPtrArray     *cb_sb_hub_list_hubs        (CbSandbox   *self,
                                           const char  *subscription,
                                           const char  *resource_group);
/* The hub's shared access policies in the order IoT Hub lists them: CbSbHubPolicy. */
GPtrArray     *cb_sb_hub_list_policies    (CbSandbox   *self,
                                           const char  *hub);

/* The hub's canonical name and host, or FALSE when there is no such hub. */
gboolean       cb_sb_hub_lookup           (CbSandbox   *self,
                                           const char  *name,
                                           char       **canonical,
                                           char       **host_name);
/* The canonical name of the hub with this host name (or name), or NULL. */
char          *cb_sb_hub_resolve          (CbSandbox   *self,
                                           const char  *host);

G_END_DECLS
