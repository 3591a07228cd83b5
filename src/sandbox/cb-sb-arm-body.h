/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: reading ARM request bodies (cb-sb-arm-body.c). Each getter returns FALSE after
 * replying 400 when the member has the wrong type; *out is NULL (-1, not present) when it is
 * missing. */

#include <json-glib/json-glib.h>
#include "cb-sb-request.h"

G_BEGIN_DECLS

/* The body as an object, or NULL after replying. */
JsonObject   *cb_sb_arm_body_object       (CbSbRequest  *req,
                                           JsonNode     *node);
gboolean      cb_sb_arm_get_object        (CbSbRequest  *req,
                                           JsonObject   *obj,
                                           const char   *name,
                                           const char   *path,       /* "properties.certificate" */
                                           JsonObject  **out);
gboolean      cb_sb_arm_get_string        (CbSbRequest  *req,
                                           JsonObject   *obj,
                                           const char   *name,
                                           const char   *path,
                                           const char  **out);
gboolean      cb_sb_arm_get_boolean       (CbSbRequest  *req,
                                           JsonObject   *obj,
                                           const char   *name,
                                           const char   *path,
                                           int          *out);       /* -1 when absent */
gboolean      cb_sb_arm_get_int           (CbSbRequest  *req,
                                           JsonObject   *obj,
                                           const char   *name,
                                           const char   *path,
                                           gboolean     *present,
                                           gint64       *out);
/* tags: an object of strings, as JSON text. *out is NULL when absent. */
gboolean      cb_sb_arm_get_tags          (CbSbRequest  *req,
                                           JsonObject   *obj,
                                           char        **out);
/* location: required, a non-empty string (LocationRequired otherwise). */
gboolean      cb_sb_arm_require_location  (CbSbRequest  *req,
                                           JsonObject   *obj,
                                           const char  **out);
/* {"tags": <tags or null>}, the args of a tags-only PATCH. */
char         *cb_sb_arm_tags_args         (const char   *tags);

G_END_DECLS
