/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ADR resources in their ARM JSON shape (cb-sb-arm-json.c). Each returns NULL
 * when the row does not exist. */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

JsonNode     *cb_sb_arm_namespace_json    (CbSandbox   *self,
                                           const char  *ns_id,
                                           const char  *api_version);
JsonNode     *cb_sb_arm_credential_json   (CbSandbox   *self,
                                           const char  *ns_id,
                                           const char  *api_version);
JsonNode     *cb_sb_arm_policy_json       (CbSandbox   *self,
                                           const char  *policy_id,
                                           const char  *api_version);
JsonNode     *cb_sb_arm_device_json       (CbSandbox   *self,
                                           const char  *id,
                                           const char  *api_version);
/* The resource an operation of kind works on. */
JsonNode     *cb_sb_arm_resource_json     (CbSandbox   *self,
                                           const char  *kind,
                                           const char  *target,
                                           const char  *api_version);

/* name: the time (usec) as ARM writes it (cb_time_format_precise). */
void          cb_sb_arm_add_time          (JsonBuilder *builder,
                                           const char  *name,
                                           gint64       usec);

G_END_DECLS
