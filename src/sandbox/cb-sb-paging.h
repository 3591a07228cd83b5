/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: paging of lists (ARM resources, activity events): the page size, the $skipToken
 * offset and the nextLink that carries it. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Items per page: the sandbox's page_size, 100 when unset. */
guint         cb_sb_page_size             (CbSandbox   *self);
/* A $skipToken as an offset; NULL gives 0. FALSE when it is not a number the sandbox gave. */
gboolean      cb_sb_parse_skip_token      (const char  *token,
                                           guint       *offset);
/* path (decoded) with every query parameter but $skipToken kept (sorted, escaped) and
 * $skipToken = offset, so clients can GET the nextLink verbatim. */
char         *cb_sb_next_link_path        (const char  *path,
                                           GHashTable  *query,
                                           guint        offset);

G_END_DECLS
