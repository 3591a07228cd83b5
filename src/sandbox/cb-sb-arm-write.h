/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: what the ARM routes' writes (PUT, PATCH, actions) share (cb-sb-arm-write.c): the
 * body as an object, a child resource's name, a certificate validity in days. Each returns
 * FALSE (NULL) after replying 400. */

#include <json-glib/json-glib.h>
#include "cb-sb-request.h"

G_BEGIN_DECLS

/* The request's JSON body, which must be an object; *body holds it (free it). */
JsonObject   *cb_sb_arm_write_body          (CbSbRequest  *req,
                                             JsonNode    **body);
/* name of a child resource of a namespace (3 to 63 characters: letters, digits and hyphens,
 * starting with a letter or digit); what names the kind ("certificate policy"), for the
 * InvalidResourceName message. */
gboolean      cb_sb_arm_require_child_name  (CbSbRequest  *req,
                                             const char   *name,
                                             const char   *what);
/* validityPeriodInDays at target, when given, within the sandbox's allowed days. */
gboolean      cb_sb_arm_check_validity_days (CbSbRequest  *req,
                                             const char   *target,
                                             gboolean      given,
                                             gint64        days);

G_END_DECLS
