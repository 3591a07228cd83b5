/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the topology (hubs, their keys, DPS instances). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* ---- Topology: hubs and DPS instances (infrastructure-owned tables) -------------------- */

/* Table hubs(name PK, subscription, resource_group, namespace_id, host_name, created)
 * Table hub_keys(hub, key_name, primary_key, secondary_key, rights)
 * Table dps_instances(name PK, id_scope UNIQUE, subscription, resource_group, namespace_id,
 *                     linked_hub, host_name, owner_key, created) */
/* Creates those tables after the store opened. */
gboolean      cb_sb_topology_init         (CbSandbox   *self,
                                           GError     **error);
gboolean      cb_sb_create_hub       (CbSandbox   *self,
                                      const char  *subscription,
                                      const char  *resource_group,
                                      const char  *name,
                                      const char  *namespace_id,
                                      GError     **error);
gboolean      cb_sb_create_dps       (CbSandbox   *self,
                                      const char  *subscription,
                                      const char  *resource_group,
                                      const char  *name,
                                      const char  *id_scope,
                                      const char  *namespace_id,
                                      const char  *linked_hub,
                                      GError     **error);
/* The key of a hub's shared access policy (iothubowner, service, registryRead, ...). */
char         *cb_sb_dup_hub_key      (CbSandbox   *self,
                                      const char  *hub,
                                      const char  *key_name);
/* Known keys for the demo seed, so the docs can show them. */
gboolean      cb_sb_set_hub_key      (CbSandbox   *self,
                                      const char  *hub,
                                      const char  *key_name,
                                      const char  *primary_key);
gboolean      cb_sb_set_dps_owner_key (CbSandbox  *self,
                                       const char *dps,
                                       const char *owner_key);
/* Every hub's (dps FALSE) or DPS instance's (dps TRUE) name, sorted. */
GPtrArray    *cb_sb_topology_list_names     (CbSandbox   *self,
                                             gboolean     dps);
/* Hub names whose namespace_id is ns_id. */
GPtrArray    *cb_sb_list_hubs_for_namespace (CbSandbox *self,
                                             const char *namespace_id);
/* The stored name of the hub (dps FALSE) or DPS instance (dps TRUE) called name in that
 * subscription and group, and the namespace it is linked to (NULL: none); NULL when there
 * is none. */
char         *cb_sb_topology_find           (CbSandbox   *self,
                                             gboolean     dps,
                                             const char  *subscription,
                                             const char  *resource_group,
                                             const char  *name,
                                             char       **namespace_id);
/* Links the hub or DPS instance to namespace_id (NULL: unlinks it). */
gboolean      cb_sb_topology_set_namespace  (CbSandbox   *self,
                                             gboolean     dps,
                                             const char  *name,
                                             const char  *namespace_id,
                                             GError     **error);

G_END_DECLS
