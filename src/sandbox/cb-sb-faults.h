/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: fault rules set by tests (PUT /sandbox/faults, --faults FILE). */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* ---- Faults --------------------------------------------------------------------------- */

/* The sandbox's list of rules (self->faults), empty. */
GPtrArray    *cb_sb_faults_new            (void);
/* Replaces every rule with those of root (an array of rules, or {"faults": [...]}). On a bad
 * rule sets CB_SANDBOX_ERROR_CONFIG and keeps the old rules. */
gboolean      cb_sb_faults_set_from_json  (CbSandbox   *self,
                                           JsonNode    *root,
                                           GError     **error);
void          cb_sb_faults_clear          (CbSandbox   *self);
/* The rules as GET /sandbox/faults shows them: an array. */
void          cb_sb_faults_build_json     (CbSandbox   *self,
                                           JsonBuilder *builder);

/* The fault rule that matches method and path, if any (the MQTT endpoint matches its topics
 * as method "PUBLISH", path "/mqtt/<topic name without the ?properties>"). */
const CbSbFault *cb_sb_find_fault         (CbSandbox   *self,
                                           const char  *method,
                                           const char  *path);
/* A status fault's status (0: none), consuming one use, and its retryAfter seconds; for
 * surfaces that answer faults themselves (MQTT). */
guint         cb_sb_fault_take_status     (const CbSbFault *fault,
                                           guint           *retry_after);
/* A rule's settings, for the router (which consumes a use itself). */
guint         cb_sb_fault_get_status      (const CbSbFault *fault);
guint         cb_sb_fault_get_retry_after (const CbSbFault *fault);
guint         cb_sb_fault_get_latency_ms  (const CbSbFault *fault);
/* Consumes one use of a limited rule. */
void          cb_sb_fault_consume         (const CbSbFault *fault);
/* Whether the rule (or NULL) asks for an outcome of kind ("lro" -> "Failed", "dps" ->
 * "failed", "hubRenewal" -> "bare-array" ...). Consumes one use of the rule when it does.
 * Surfaces holding a request: cb_sb_fault_wants() (cb-sb-request.h). */
gboolean      cb_sb_fault_rule_wants      (const CbSbFault *fault,
                                           const char      *kind,
                                           const char      *value);
/* The value the rule (or NULL) gives kind, whatever it is ("linking" -> the linkingError
 * code), consuming one use; NULL when it gives none. */
const char   *cb_sb_fault_rule_value      (const CbSbFault *fault,
                                           const char      *kind);

G_END_DECLS
