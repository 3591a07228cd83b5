/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: fault rules set by tests (POST /sandbox/faults). */

#include "cb-sb-request.h"

G_BEGIN_DECLS

/* ---- Faults --------------------------------------------------------------------------- */

/* Whether the fault rule matched by req asks for an outcome of kind ("lro" -> "Failed",
 * "dps" -> "failed", "hub-renewal-bare-array" ...). Consumes one use of the rule. */
gboolean      cb_sb_fault_wants           (CbSbRequest *req,
                                           const char  *kind,
                                           const char  *value);

/* The fault rule that matches method and path, if any (the MQTT endpoint matches its topics
 * as method "PUBLISH", path "/mqtt/<topic name without the ?properties>"). */
const CbSbFault *cb_sb_find_fault         (CbSandbox   *self,
                                           const char  *method,
                                           const char  *path);
/* A status fault's status (0: none), consuming one use, and its retryAfter seconds; for
 * surfaces that answer faults themselves (MQTT). */
guint         cb_sb_fault_take_status     (const CbSbFault *fault,
                                           guint           *retry_after);

G_END_DECLS
