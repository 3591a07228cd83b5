/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the types of one HTTP exchange, without code: the error style of a surface, the
 * request as a handler sees it, and a handler. Both the request (cb-sb-request.c) and the
 * replies (cb-sb-reply.c) use them, so they live below both. */

#include <libsoup/soup.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

typedef enum
{
  CB_SB_STYLE_ARM,      /* {"error":{"code","message"}} */
  CB_SB_STYLE_DPS,      /* {"errorCode","trackingId","message","timestampUtc"} + x-ms-error-code */
  CB_SB_STYLE_HUB,      /* {"Message":"ErrorCode:X;...","ExceptionMessage":"Tracking ID:..."} + iothub-errorcode */
  CB_SB_STYLE_OAUTH,    /* {"error","error_description","error_codes"} */
  CB_SB_STYLE_PLAIN,    /* sandbox-own endpoints: {"error":{"code","message"}} */
} CbSbStyle;

typedef struct
{
  CbSandbox         *sandbox;
  SoupServerMessage *msg;
  const char        *method;
  const char        *path;         /* decoded path, e.g. /arm/subscriptions/... */
  GHashTable        *params;       /* {name} captures from the route pattern, decoded */
  GHashTable        *query;        /* query parameters, decoded (never NULL) */
  GBytes            *body;         /* request body (maybe empty) */
  CbSbStyle          style;        /* error style of the surface this path belongs to */
  char              *principal;    /* principal name (UPN) once authenticated, else NULL */
  char              *principal_id; /* its object id */
  char              *tenant_id;    /* the tenant its bearer token was issued in */
  char              *auth_key_name;/* SAS key name (skn) once authenticated by SAS, else NULL */
  char              *correlation_id;
  const CbSbFault   *fault;        /* the fault rule that matched this request, if any */
  gboolean           replied;
  char              *azure_host;   /* the Azure host it was sent to (Host, port kept), else NULL */
  gboolean           held;         /* its answer waits for a group commit (cb-sb-batch.c) */
  gboolean           deferred;     /* its handler handed it to a worker (cb-sb-workers.c) */
  guint64            left_batch;   /* the group commit its earlier step's writes are in */
  gpointer           work;         /* what the worker worked on, for the next step */
  GDestroyNotify     work_free;
} CbSbRequest;

typedef void (*CbSbHandler) (CbSbRequest *req);

G_END_DECLS
