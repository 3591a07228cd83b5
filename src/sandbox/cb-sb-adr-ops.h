/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: ADR's rules and operations (cb-sb-adr-ops.c): resource names, the policy validity
 * limits, device properties, and what each long-running operation does when it completes
 * (create, update, delete, revoke a device, revokeIssuer, BYOR activation, synchronize). The
 * cross-module ADR API of cb-sb-adr.h is here too. */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

#define CB_SB_DEFAULT_VALIDITY_DAYS 30
#define CB_SB_MIN_VALIDITY_DAYS     7
#define CB_SB_MAX_VALIDITY_DAYS     90

/* namespaces: 3..64, ^[a-z0-9][a-z0-9-]*[a-z0-9]$ */
gboolean      cb_sb_adr_valid_namespace_name  (const char  *name);
/* policies, devices: 3..63, ^[0-9a-zA-Z][a-zA-Z0-9-]*$ */
gboolean      cb_sb_adr_valid_child_name      (const char  *name);

/* The member's node, or NULL when obj is NULL, the member is missing or null. */
JsonNode     *cb_sb_adr_member                (JsonObject  *obj,
                                               const char  *name);

/* A device's string properties, as ARM names them (stored in adr_devices.props). */
extern const char * const cb_sb_device_string_props[];
extern const guint        cb_sb_n_device_string_props;

/* Merges a validated device body's "properties" into the row (replace: a PUT, which starts
 * from nothing and enables the device unless told otherwise). A change of "enabled" reaches
 * the device in every linked hub. */
gboolean      cb_sb_adr_apply_device_properties (CbSandbox   *self,
                                                 const char  *id,
                                                 JsonObject  *properties,
                                                 gboolean     replace,
                                                 GError     **error);

/* Applies a completed operation of kind to target (the LRO engine calls this inside a
 * transaction) and marks the row Succeeded, modified by caller. */
gboolean      cb_sb_adr_apply_operation       (CbSandbox   *self,
                                               const char  *kind,
                                               const char  *target,
                                               JsonObject  *args,
                                               const char  *caller,
                                               GError     **error);

G_END_DECLS
