/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-activity-event.h"
#include "cb-adr-client.h"

G_BEGIN_DECLS

/* The Azure activity log through ARM (Microsoft.Insights, CB_ADR_ACTIVITY_API_VERSION): who did
 * what to which resource and when. Calls of the ADR client, on its ARM engine and profile. */

/* Pure: the activity log $filter for a time range and an optional resource. */
char        *cb_adr_build_activity_filter (gint64      from_unix,
                                           gint64      to_unix,
                                           const char *resource_uri);

/* Activity log entries between two times (unix seconds), optionally for one resource id,
 * across all pages. A GPtrArray of CbActivityEvent, in the service's order (newest first). */
void         cb_adr_client_list_activity_async   (CbAdrClient          *self,
                                                  gint64                from_unix,
                                                  gint64                to_unix,
                                                  const char           *resource_uri,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GPtrArray   *cb_adr_client_list_activity_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
