/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: what the routes of ADR's 2026-11-01 certificate authorities and certificate
 * policies share (cb-sb-arm-ca.c): their ARM JSON shape, and ARM's answer to a broken rule
 * (cb-sb-adr-ca-rules.h). The JSON functions return NULL when the row does not exist; both
 * fit CbSbArmToJson for lists. */

#include <json-glib/json-glib.h>
#include "cb-sb-request.h"

G_BEGIN_DECLS

JsonNode     *cb_sb_arm_ca_json           (CbSandbox   *self,
                                           const char  *ca_id,
                                           const char  *api_version);
JsonNode     *cb_sb_arm_ca_policy_json    (CbSandbox   *self,
                                           const char  *policy_id,
                                           const char  *api_version);
/* The resource an operation of kind ("ca-*", "capolicy-*") works on. */
JsonNode     *cb_sb_arm_ca_resource_json  (CbSandbox   *self,
                                           const char  *kind,
                                           const char  *target,
                                           const char  *api_version);

/* A CB_SB_ADR_CA_ERROR as ARM's status and error code (409 Conflict, 409
 * PolicyRequiresIssuingCa, 400 InvalidRequestContent / PropertyChangeNotAllowed / BadRequest
 * / InvalidCertificateChain). */
void          cb_sb_arm_reply_ca_rule     (CbSbRequest  *req,
                                           const GError *error);

G_END_DECLS
