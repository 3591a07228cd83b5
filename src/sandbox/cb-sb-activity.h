/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the activity log, table activity_events (cb-sb-activity.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Creates the table. */
gboolean      cb_sb_activity_store_init   (CbSandbox   *self,
                                           GError     **error);

/* Records one management event. caller, caller_id and method may be NULL (no caller to
 * name); a NULL correlation_id gets a new one. */
void          cb_sb_log_activity     (CbSandbox   *self,
                                      const char  *caller,
                                      const char  *caller_id,
                                      const char  *correlation_id,
                                      const char  *method,
                                      const char  *operation_name, /* "Microsoft.DeviceRegistry/namespaces/credentials/policies/revokeIssuer/action" */
                                      const char  *resource_id,
                                      const char  *status,       /* Started, Succeeded, Failed, Accepted */
                                      guint        http_status);

/* One stored event; the strings live as long as the callback runs. */
typedef struct
{
  const char *event_data_id;
  const char *subscription;
  const char *resource_group;
  const char *resource_id;
  const char *provider;
  const char *resource_type;
  const char *operation_name;
  const char *event_name;       /* BeginRequest, EndRequest */
  const char *caller;
  const char *caller_id;
  const char *correlation_id;
  const char *method;
  const char *status;
  guint       http_status;
  gint64      event_usec;
  gint64      submission_usec;
} CbSbActivityEvent;

/* Which events: the subscription's, from..to (usec, inclusive); every other field, when not
 * NULL, must be equal (caller case-insensitively). */
typedef struct
{
  const char *subscription;
  gint64      from_usec;
  gint64      to_usec;
  const char *resource_id;
  const char *resource_group;
  const char *provider;
  const char *correlation_id;
  const char *caller;
  const char *status;
} CbSbActivityQuery;

typedef void (*CbSbActivityFunc) (const CbSbActivityEvent *event,
                                  gpointer                 user_data);

/* Where a page of events resumes: after the event (usec, seq), newest first; a cursor with
 * set FALSE starts at the newest. */
typedef struct
{
  gboolean set;
  gint64   usec;
  gint64   seq;
} CbSbActivityCursor;

/* Calls func for at most limit matching events after *cursor, newest first (an index seek,
 * whatever the page). Returns TRUE when more events follow, with *cursor moved to the last
 * event given. */
gboolean      cb_sb_activity_query        (CbSandbox               *self,
                                           const CbSbActivityQuery *query,
                                           CbSbActivityCursor      *cursor,
                                           guint                    limit,
                                           CbSbActivityFunc         func,
                                           gpointer                 user_data);

G_END_DECLS
