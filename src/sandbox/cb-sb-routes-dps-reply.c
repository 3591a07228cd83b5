/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* Surfaces: the refusal both DPS APIs (service and device) give a caller, below both route
 * files so neither calls the other for it. */

#include "config.h"

#include "cb-sb-routes-dps-reply.h"
#include "cb-sb-reply.h"

gboolean
cb_sb_dps_reply_unauthorized (CbSbRequest *req,
                              const char  *reason)
{
  cb_sb_reply_error (req, 401, "Unauthorized", 401002, "Unauthorized: %s", reason);
  return FALSE;
}
