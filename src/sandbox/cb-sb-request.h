/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: what a route file uses: requests, routes, replies in each Azure surface's error
 * style (cb-sb-reply.c), authentication and RBAC (cb-sb-auth.c). */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include "cb-sb-exchange.h"
#include "cb-sb-reply.h"
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* ---- Requests ------------------------------------------------------------------------- */


/* For the router: a request made from libsoup's message, and its end. */
CbSbRequest  *cb_sb_request_new           (CbSandbox         *self,
                                           SoupServerMessage *msg,
                                           const char        *path,
                                           GHashTable        *query);
void          cb_sb_request_free          (CbSbRequest       *req);

/* Pattern: "/arm/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces/{ns}".
 * Literal segments match case-insensitively (as ARM does); {name} captures one segment.
 * A path that matches a pattern with another method gets 405. The first matching route wins,
 * so register specific routes before general ones. style is the error style of the surface. */
void          cb_sb_add_route        (CbSandbox   *self,
                                      const char  *method,
                                      const char  *pattern,
                                      CbSbStyle    style,
                                      CbSbHandler  handler);
/* The same for a route whose requests share one commit and whose answers wait for it
 * (cb-sb-batch.c); its handler calls cb_sb_batch_join and cb_sb_batch_hold. */
void          cb_sb_add_batched_route (CbSandbox   *self,
                                       const char  *method,
                                       const char  *pattern,
                                       CbSbStyle    style,
                                       CbSbHandler  handler);

const char   *cb_sb_param                 (CbSbRequest *req,
                                           const char  *name);
const char   *cb_sb_query                 (CbSbRequest *req,
                                           const char  *name);
const char   *cb_sb_header                (CbSbRequest *req,
                                           const char  *name);
/* Pure: a request body as every handler reads it, limits first (no reply). NULL with a
 * CB_JSON_LIMIT_ERROR or JSON_PARSER_ERROR. */
JsonNode     *cb_sb_parse_json_body       (const char  *data,
                                           gsize        len,
                                           GError     **error);
/* Parses the JSON body after checking it against the size and nesting limits
 * (cb-json-limits.h). On failure replies 400/413 in the request's style and returns NULL.
 * An empty body gives NULL without replying when allow_empty. */
JsonNode     *cb_sb_json_body             (CbSbRequest *req,
                                           gboolean     allow_empty);
/* Checks ?api-version= is one of the NULL-terminated accepted values; replies 400 in the
 * request's style (ARM: MissingApiVersionParameter / InvalidApiVersionParameter) if not. */
gboolean      cb_sb_require_api_version   (CbSbRequest *req,
                                           ...) G_GNUC_NULL_TERMINATED;

/* Whether the fault rule matched by req asks for an outcome of kind ("lro" -> "Failed",
 * "dps" -> "failed", "hubRenewal" -> "bare-array" ...). Consumes one use of the rule. */
gboolean      cb_sb_fault_wants           (CbSbRequest *req,
                                           const char  *kind,
                                           const char  *value);

/* ---- Replies -------------------------------------------------------------------------- */

/* The absolute URL of a sandbox path (for nextLink, Location, Azure-AsyncOperation). */
char         *cb_sb_url                   (CbSbRequest *req,
                                           const char  *path_and_query);

/* ---- Authentication and RBAC ---------------------------------------------------------- */

/* Requires "Authorization: Bearer <token>" issued by the sandbox's Entra for audience.
 * Replies 401 (style of the request; ARM: InvalidAuthenticationToken /
 * AuthenticationFailed) and returns FALSE otherwise. Sets req->principal. */
gboolean      cb_sb_require_bearer        (CbSbRequest *req,
                                           const char  *audience);

/* The same for a data-plane service's own surface (IoT Hub, DPS): the service named @name in
 * @service_table ("hubs" or "dps_instances") takes a token only from the tenant of its
 * subscription; another tenant's token is answered 401 in the service's style. */
gboolean      cb_sb_require_service_bearer (CbSbRequest *req,
                                            const char  *audience,
                                            const char  *service_table,
                                            const char  *name);

typedef enum
{
  CB_SB_PERM_READ,                /* any role on the scope */
  CB_SB_PERM_WRITE,               /* namespaces, devices: Owner, Contributor, ADR Contributor, ADR Credentials Contributor */
  CB_SB_PERM_WRITE_CREDENTIALS,   /* credentials, policies, revocation: Owner, ADR Credentials Contributor */
} CbSbPermission;

/* Checks that req->principal holds a role granting perm on scope (an ARM resource id; a role
 * assigned on any prefix of it counts). Replies 403 AuthorizationFailed naming the action,
 * the scope and the role that would grant it, and returns FALSE otherwise. */
gboolean      cb_sb_require_permission    (CbSbRequest *req,
                                           const char  *scope,
                                           const char  *action,
                                           CbSbPermission perm);

G_END_DECLS
