/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: etags on the hub's and DPS's REST surfaces (If-Match in, ETag out). */

#include "cb-sb-request.h"

G_BEGIN_DECLS

/* The etag in If-Match without quotes, "*" as is, or NULL when absent. strip_weak drops a
 * leading W/ (the hub does; DPS does not). */
char         *cb_sb_if_match                   (CbSbRequest *req,
                                                gboolean     strip_weak);
/* ETag: "etag" (quoted). */
void          cb_sb_set_etag                   (CbSbRequest *req,
                                                const char  *etag);

G_END_DECLS
