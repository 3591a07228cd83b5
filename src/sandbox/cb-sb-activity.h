/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the activity log (cb-sandbox-activity.c). */

#include "cb-sb-request.h"

G_BEGIN_DECLS

/* ---- Activity log (cb-sandbox-activity.c) ---------------------------------------------- */

void          cb_sandbox_log_activity     (CbSandbox   *self,
                                           CbSbRequest *req,          /* caller, correlation id */
                                           const char  *operation_name, /* "Microsoft.DeviceRegistry/namespaces/credentials/policies/revokeIssuer/action" */
                                           const char  *resource_id,
                                           const char  *status,       /* Started, Succeeded, Failed, Accepted */
                                           guint        http_status);

G_END_DECLS
