/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: paging of lists (ARM resources, activity events): the page size, the keyset
 * $skipToken (the sort key of the last item a page held, signed so that a client can only
 * hand back what the sandbox gave it) and the nextLink that carries it. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* How long a $skipToken stays good, in seconds of the sign-in clock. */
#define CB_SB_SKIP_TOKEN_LIFETIME (3600)

typedef enum
{
  CB_SB_SKIP_TOKEN_OK,
  CB_SB_SKIP_TOKEN_INVALID,   /* not one the sandbox made, altered, or made for another list */
  CB_SB_SKIP_TOKEN_EXPIRED,
} CbSbSkipTokenStatus;

/* Items per page: the sandbox's page_size, 100 when unset. */
guint         cb_sb_page_size             (CbSandbox   *self);
/* An opaque, URL-safe $skipToken for the list at `path` (the request path, any case) that
 * resumes after the item whose sort key is `keys` (NULL-terminated). */
char         *cb_sb_skip_token_new        (CbSandbox          *self,
                                           const char         *path,
                                           const char * const *keys);
/* Reads a $skipToken back: on OK *keys is a NULL-terminated array of exactly n_keys strings
 * (free with g_strfreev). A token for another path, another key count, altered, from another
 * sandbox process or older than CB_SB_SKIP_TOKEN_LIFETIME is refused. */
CbSbSkipTokenStatus cb_sb_skip_token_parse (CbSandbox   *self,
                                           const char  *path,
                                           const char  *token,
                                           guint        n_keys,
                                           char      ***keys);
/* path (decoded) with every query parameter but $skipToken kept (sorted, escaped) and
 * $skipToken = token, so clients can GET the nextLink verbatim. */
char         *cb_sb_next_link_path        (const char  *path,
                                           GHashTable  *query,
                                           const char  *token);

G_END_DECLS
