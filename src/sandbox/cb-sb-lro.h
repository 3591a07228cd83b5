/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: ARM's long-running operations (cb-sb-lro.c): an operation starts InProgress and
 * completes after the sandbox's lro_delay_ms, applying its change then. */

#include "cb-sb-adr-operations.h"

G_BEGIN_DECLS

/* What a write hands to the engine; the strings are copied. */
typedef struct
{
  const char    *subscription;
  const char    *location;         /* as the resource has it; normalized here */
  const char    *kind;             /* "ns-create", "policy-revoke-issuer", ... */
  const char    *target;           /* the key of the row it works on */
  const char    *resource_id;
  const char    *args;             /* JSON text, or NULL */
  const char    *prev_state;       /* the state to go back to if it fails */
  CbSbFinalKind  final_kind;
  const char    *operation_name;   /* "Microsoft.DeviceRegistry/namespaces/write" */
  gboolean       fail;             /* a fault asks it to fail at completion */
  const char    *caller;           /* who started it, for the activity log; may be NULL */
  const char    *caller_id;
  const char    *correlation_id;
} CbSbLroStart;

/* Stores the operation and arms a timer in the thread-default context to complete it.
 * Returns the operation id. */
char         *cb_sb_lro_start                 (CbSandbox          *self,
                                               const CbSbLroStart *start);
/* Completes every long-running operation whose InProgress time is over. Called at the
 * start of every ARM request and before the CA engine reads ADR state, so completions are
 * lazy but never observable as late. */
void          cb_sb_arm_run_due_operations    (CbSandbox   *self);
/* The Retry-After of an InProgress operation, in seconds. */
guint         cb_sb_lro_retry_after           (CbSandbox   *self);

/* "North Europe" -> "northeurope", as ARM writes locations in operation URLs. */
char         *cb_sb_arm_normalize_location    (const char  *location);

G_END_DECLS
