/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the rows of ARM's long-running operations, table adr_operations
 * (cb-sb-adr-operations.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Creates the table. */
gboolean      cb_sb_adr_operations_init       (CbSandbox   *self,
                                               GError     **error);

typedef enum
{
  CB_SB_FINAL_EMPTY,      /* 204 */
  CB_SB_FINAL_RESOURCE,   /* 200 with the resource */
  CB_SB_FINAL_REVOKE,     /* 200 {"result": ...} */
} CbSbFinalKind;

typedef struct
{
  char          *id;
  char          *subscription;
  char          *location;       /* normalized */
  char          *kind;           /* "ns-create", "policy-revoke-issuer", ... */
  char          *target;         /* the key of the row it works on */
  char          *resource_id;
  char          *args;           /* JSON text */
  char          *prev_state;
  CbSbFinalKind  final_kind;
  char          *status;         /* InProgress, Succeeded, Failed */
  gboolean       fail;           /* fault injection: fails at completion */
  gint64         start_usec;
  gint64         ready_usec;
  gint64         end_usec;
  char          *error_code;
  char          *error_message;
  guint          error_http;
  char          *operation_name;
  char          *caller;
  char          *caller_id;
  char          *correlation_id;
} CbSbOperation;

void          cb_sb_operation_clear           (CbSbOperation *op);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbOperation, cb_sb_operation_clear)

/* Stores op as InProgress. */
gboolean      cb_sb_adr_insert_operation      (CbSandbox           *self,
                                               const CbSbOperation *op);
/* Ids of InProgress operations ready at now_usec, oldest first. */
GPtrArray    *cb_sb_adr_due_operations        (CbSandbox   *self,
                                               gint64       now_usec);
/* Whether an operation on target is still InProgress. */
gboolean      cb_sb_adr_operation_pending     (CbSandbox   *self,
                                               const char  *target);
/* subscription NULL: any; in_progress: only an InProgress one. FALSE when not found. */
gboolean      cb_sb_adr_get_operation         (CbSandbox     *self,
                                               const char    *op_id,
                                               const char    *subscription,
                                               gboolean       in_progress,
                                               CbSbOperation *op);
gboolean      cb_sb_adr_finish_operation      (CbSandbox   *self,
                                               const char  *op_id,
                                               gboolean     ok,
                                               gint64       end_usec,
                                               const char  *error_code,
                                               const char  *error_message,
                                               guint        error_http);

G_END_DECLS
