/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: replies (cb-sb-reply.c): a JSON or empty reply, response headers, and errors in
 * each Azure surface's own style. */

#include <json-glib/json-glib.h>
#include "cb-sb-exchange.h"

G_BEGIN_DECLS

/* Replies 413 (size) or 400 (nesting) in the request's style for a CB_JSON_LIMIT_ERROR. */
void          cb_sb_reply_limit_error     (CbSbRequest  *req,
                                           const GError *limit_error);
void          cb_sb_reply_json            (CbSbRequest *req,
                                           guint        status,
                                           JsonNode    *node);        /* transfer full; NULL: no body */
/* The same for a body already written as JSON text (transfer full). */
void          cb_sb_reply_json_text       (CbSbRequest *req,
                                           guint        status,
                                           char        *text);
void          cb_sb_reply_empty           (CbSbRequest *req,
                                           guint        status);
void          cb_sb_set_header            (CbSbRequest *req,
                                           const char  *name,
                                           const char  *value);
/* Error in the request's style. code is the ARM code / hub error name / OAuth error;
 * numeric_code is the DPS or hub number (e.g. 404001), ignored for ARM. */
void          cb_sb_reply_error           (CbSbRequest *req,
                                           guint        status,
                                           const char  *code,
                                           int          numeric_code,
                                           const char  *format,
                                           ...) G_GNUC_PRINTF (5, 6);
/* ARM's error with a target. */
void          cb_sb_reply_arm_error       (CbSbRequest *req,
                                           guint        status,
                                           const char  *code,
                                           const char  *target,
                                           const char  *format,
                                           ...) G_GNUC_PRINTF (5, 6);

G_END_DECLS
