/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-profile.h"

G_BEGIN_DECLS

/* Private to the ARM clients (cb-adr-client.c, cb-hub-certificates-client.c,
 * cb-activity-log-client.c): the generic Azure Resource Manager engine under them. One request
 * with a bearer token (a fixed one or from a token source, fetched again once after a 401), the
 * long-running operation protocol (Azure-AsyncOperation and Location polls with Retry-After and
 * a capped backoff, the final GET), paging by nextLink, ARM error bodies, and the rule that a
 * token goes only to the profile's ARM host. The clients own an engine each and start their
 * operations on it with their own GTask source object and source tag. */

typedef gpointer (*CbArmParseFunc)       (JsonNode            *node,
                                          GError             **error);
/* TRUE when an action's result body says it succeeded, else FALSE with the error it carries. */
typedef gboolean (*CbArmCheckFunc)       (JsonNode            *body,
                                          GError             **error);
typedef void     (*CbArmTokenFunc)       (const char          *scope,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             callback_data,
                                          gpointer             user_data);
typedef char    *(*CbArmTokenFinishFunc) (GAsyncResult        *result,
                                          GError             **error,
                                          gpointer             user_data);

/* How a request ends when it starts a long-running operation. */
typedef enum
{
  CB_ARM_FINAL_NONE,       /* not a long-running operation: the first 2xx is the answer */
  CB_ARM_FINAL_ORIGINAL,   /* PUT: after the operation succeeds, GET the resource */
  CB_ARM_FINAL_LOCATION,   /* PATCH, DELETE, POST: the Location poll's last answer */
} CbArmFinal;

/* How an operation's last answer is read. */
typedef enum
{
  CB_ARM_RESULT_BOOLEAN,   /* any 2xx */
  CB_ARM_RESULT_OBJECT,    /* parse the body with parse */
  CB_ARM_RESULT_STATE,     /* properties.provisioningState, as a string */
  CB_ARM_RESULT_ACTION,    /* {"result": ...} when there is a body (cb_arm_engine_start_action) */
} CbArmResult;

#define CB_ARM_DEFAULT_MAX_POLL_DELAY_MS 60000
#define CB_ARM_DEFAULT_OPERATION_TIMEOUT 900

/* Embedded in a client; the client sets the fields (all owned) and clears it. */
typedef struct
{
  const char           *scope;            /* the token scope, static */
  CbProfile            *profile;          /* its ARM endpoint is the only host tokens go to */
  CbHttpClient         *http;
  char                 *access_token;     /* wins over token_func when set */
  CbArmTokenFunc        token_func;
  CbArmTokenFinishFunc  token_finish;
  gpointer              token_data;
  GDestroyNotify        token_destroy;
  char                 *tenant;           /* Entra tokens for this tenant (NULL: the profile's) */
  guint                 max_poll_delay_ms;
  guint                 operation_timeout; /* seconds */
} CbArmEngine;

void       cb_arm_engine_init             (CbArmEngine          *self,
                                           const char           *scope);
void       cb_arm_engine_clear            (CbArmEngine          *self);
void       cb_arm_engine_set_access_token (CbArmEngine          *self,
                                           const char           *token);
void       cb_arm_engine_set_token_func   (CbArmEngine          *self,
                                           CbArmTokenFunc        func,
                                           CbArmTokenFinishFunc  finish,
                                           gpointer              user_data,
                                           GDestroyNotify        destroy);
/* Tokens from the Entra client's cache (NULL: none). */
void       cb_arm_engine_set_entra_client (CbArmEngine          *self,
                                           CbEntraClient        *entra);

/* Entra tokens are asked for in tenant (its id; NULL: the profile's tenant). */
void       cb_arm_engine_set_tenant       (CbArmEngine          *self,
                                           const char           *tenant);

/* One ARM request as a GTask of source_object, with the long-running operation engine behind it
 * when final is not CB_ARM_FINAL_NONE; want_resource GETs the resource when the last answer is
 * not it. body is borrowed. Returns the last answer. */
void            cb_arm_engine_request_async  (CbArmEngine          *self,
                                              gpointer              source_object,
                                              const char           *method,
                                              const char           *url,
                                              JsonNode             *body,
                                              const char * const   *extra_headers,
                                              CbArmFinal            final,
                                              gboolean              want_resource,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
CbHttpResponse *cb_arm_engine_request_finish (GObject              *source_object,
                                              GAsyncResult         *result,
                                              GError              **error);

/* Starts one operation as a GTask of source_object with source_tag. url is taken over (NULL:
 * url_error, taken over too, says why); body and extra_headers ("name", "value", ..., NULL) are
 * borrowed. Finish with cb_arm_finish_boolean() or cb_arm_finish_pointer(). */
void       cb_arm_engine_start            (CbArmEngine          *self,
                                           gpointer              source_object,
                                           gpointer              source_tag,
                                           const char           *method,
                                           char                 *url,
                                           GError               *url_error,
                                           JsonNode             *body,
                                           const char * const   *extra_headers,
                                           CbArmFinal            final,
                                           CbArmResult           kind,
                                           CbArmParseFunc        parse,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
/* An action (POST) whose answer may carry {"result": ..., "error": ...}: a body with a result
 * goes through check; none (204, a bare Succeeded status) means it succeeded. Finish with
 * cb_arm_finish_boolean(). */
void       cb_arm_engine_start_action     (CbArmEngine          *self,
                                           gpointer              source_object,
                                           gpointer              source_tag,
                                           char                 *url,
                                           GError               *url_error,
                                           JsonNode             *body,
                                           CbArmCheckFunc        check,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
/* Lists url with parse for each element, following nextLink (on the ARM host only, and not for
 * ever), or only one page. Finish with cb_arm_finish_pointer(): a GPtrArray of all elements, or
 * for one_page a CbArmPage. */
void       cb_arm_engine_list             (CbArmEngine          *self,
                                           gpointer              source_object,
                                           gpointer              source_tag,
                                           char                 *url,
                                           GError               *url_error,
                                           CbArmParseFunc        parse,
                                           gboolean              one_page,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean   cb_arm_finish_boolean          (gpointer              source_object,
                                           GAsyncResult         *result,
                                           gpointer              source_tag,
                                           GError              **error);
gpointer   cb_arm_finish_pointer          (gpointer              source_object,
                                           GAsyncResult         *result,
                                           gpointer              source_tag,
                                           GError              **error);

/* One page of a list. */
typedef struct
{
  GPtrArray *items;
  char      *next_link;
} CbArmPage;

void       cb_arm_page_free               (CbArmPage            *page);

/* Whether url is on the profile's ARM host (scheme, host and port), where tokens may go. */
gboolean   cb_arm_engine_url_is_trusted   (CbArmEngine          *self,
                                           const char           *url);
GError    *cb_arm_untrusted_url_error     (const char           *what);

/* base + "/" + each segment percent-encoded + "?api-version=" */
char      *cb_arm_build_url               (const char           *base,
                                           const char * const   *segments,
                                           const char           *api_version);
/* FALSE with "The profile has no <label>" when value is unset. */
gboolean   cb_arm_require_setting         (const char           *value,
                                           const char           *label,
                                           GError              **error);

/* An ARM list response: its elements parsed, and its nextLink. */
GPtrArray *cb_arm_parse_page              (JsonNode             *page,
                                           CbArmParseFunc        parse,
                                           char                **next_link,
                                           GError              **error);
/* An ARM error object ({code, message, target}) as CB_API_ERROR_OPERATION_FAILED; lenient. */
GError    *cb_arm_operation_error_from_object (JsonObject       *error_object,
                                           guint                 http_status,
                                           const char           *fallback);

G_END_DECLS
