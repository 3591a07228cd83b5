/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: what every ARM route of Microsoft.DeviceRegistry shares (cb-sb-arm-request.c):
 * the prelude (bearer token, api-version, RBAC, due operations), the activity log of writes,
 * ARM's errors, the replies that start a long-running operation, paged lists, and the
 * parents a child resource needs. A route is a CbSbArmHandler: what it is about and what it
 * does; cb_sb_arm_handle runs everything around it. */

#include "cb-sb-adr-operations.h"
#include "cb-sb-request.h"

G_BEGIN_DECLS

#define CB_SB_TYPE_NAMESPACE  "Microsoft.DeviceRegistry/namespaces"
#define CB_SB_TYPE_CREDENTIAL "Microsoft.DeviceRegistry/namespaces/credentials"
#define CB_SB_TYPE_POLICY     "Microsoft.DeviceRegistry/namespaces/credentials/policies"
#define CB_SB_TYPE_DEVICE     "Microsoft.DeviceRegistry/namespaces/devices"
#define CB_SB_TYPE_CA         "Microsoft.DeviceRegistry/namespaces/certificateAuthorities"
#define CB_SB_TYPE_CA_POLICY  "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/certificatePolicies"

/* Route patterns */
#define CB_SB_ARM_SUB  "/arm/subscriptions/{sub}"
#define CB_SB_ARM_NS   CB_SB_ARM_SUB "/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces/{ns}"
#define CB_SB_ARM_CRED CB_SB_ARM_NS "/credentials/default"
#define CB_SB_ARM_POL  CB_SB_ARM_CRED "/policies/{policy}"
#define CB_SB_ARM_DEV  CB_SB_ARM_NS "/devices/{device}"
#define CB_SB_ARM_CA   CB_SB_ARM_NS "/certificateAuthorities/{ca}"
#define CB_SB_ARM_CP   CB_SB_ARM_CA "/certificatePolicies/{cp}"

/* What a route is about: the RBAC scope, and the resource a write is logged for. */
typedef enum
{
  CB_SB_ARM_SCOPE_SUBSCRIPTION,   /* /subscriptions/{sub} */
  CB_SB_ARM_SCOPE_GROUP,          /* /subscriptions/{sub}/resourceGroups/{rg} */
  CB_SB_ARM_SCOPE_NAMESPACE,
  CB_SB_ARM_SCOPE_CREDENTIAL,
  CB_SB_ARM_SCOPE_POLICY,
  CB_SB_ARM_SCOPE_DEVICE,
  CB_SB_ARM_SCOPE_CA,             /* namespaces/{ns}/certificateAuthorities/{ca} (2026-11-01) */
  CB_SB_ARM_SCOPE_CA_POLICY,      /* .../certificateAuthorities/{ca}/certificatePolicies/{cp} */
} CbSbArmScope;

/* The ids a route's parameters name (NULL above the route's scope). */
typedef struct
{
  char *scope;        /* the id of the scope */
  char *ns_id;
  char *cred_id;
  char *policy_id;
  char *device_id;
  char *ca_id;
  char *ca_policy_id;
} CbSbArmIds;

typedef void (*CbSbArmFunc) (CbSbRequest      *req,
                             const CbSbArmIds *ids);

/* The api-versions a route answers (CbSbArmHandler.versions). FALSE and TRUE still mean
 * the first two. */
typedef enum
{
  CB_SB_ARM_VERSIONS_PREVIEW = 0,     /* 2026-03-01-preview and 2025-11-01-preview */
  CB_SB_ARM_VERSIONS_NEWEST_PREVIEW,  /* 2026-03-01-preview (the actions it added) */
  CB_SB_ARM_VERSIONS_ANY,             /* the previews and the stable 2026-11-01 model */
  CB_SB_ARM_VERSIONS_STABLE,          /* 2026-11-01 and 2026-11-02-preview */
  CB_SB_ARM_VERSIONS_STABLE_PREVIEW,  /* 2026-11-02-preview (what it adds to 2026-11-01) */
} CbSbArmVersions;

typedef struct
{
  CbSbArmScope    scope;
  const char     *action;        /* "Microsoft.DeviceRegistry/namespaces/write" */
  CbSbPermission  perm;
  CbSbArmVersions versions;
  gboolean        write;         /* logged in the activity log once answered */
  CbSbArmFunc     func;
} CbSbArmHandler;

/* Authenticates, checks the api-version and the caller's role on the scope, completes due
 * operations, runs handler->func and logs a write. */
void          cb_sb_arm_handle            (CbSbRequest          *req,
                                           const CbSbArmHandler *handler);

/* Defines `static void name (CbSbRequest *req)` for the route table. */
#define CB_SB_ARM_ROUTE(name, scope, action, perm, versions, write, func) \
  static void \
  name (CbSbRequest *req) \
  { \
    static const CbSbArmHandler handler = { scope, action, perm, versions, write, func }; \
    cb_sb_arm_handle (req, &handler); \
  }

/* Logs a management write in the activity log with its outcome, once answered (not when the
 * request failed authentication: there is no caller to name). */
void          cb_sb_arm_log_write         (CbSbRequest *req,
                                           const char  *operation,
                                           const char  *resource_id);

/* ?api-version=, or the newest when absent. */
const char   *cb_sb_arm_api_version       (CbSbRequest *req);
/* The 2025-11-01-preview shape (policies are tracked resources, no BYOR). */
gboolean      cb_sb_arm_is_old_api        (CbSbRequest *req);
/* The stable model's shape: 2026-11-01 or 2026-11-02-preview. */
gboolean      cb_sb_arm_is_stable_api     (CbSbRequest *req);

/* ---- Errors ----------------------------------------------------------------------------- */

void          cb_sb_arm_reply_not_found   (CbSbRequest *req,
                                           const char  *resource,  /* "Microsoft.DeviceRegistry/namespaces/ns1" */
                                           const char  *resource_group);
void          cb_sb_arm_reply_parent_not_found (CbSbRequest *req,
                                                const char  *parent); /* "ns1" or "ns1/default" */
void          cb_sb_arm_reply_invalid_content (CbSbRequest *req,
                                               const char  *target,
                                               const char  *message);
/* Replies 409 and returns TRUE when state is Deleting. */
gboolean      cb_sb_arm_reply_if_deleting (CbSbRequest *req,
                                           const char  *state);
/* Replies 409 InvalidResourceLocation and returns FALSE when given differs from current. */
gboolean      cb_sb_arm_check_location_unchanged (CbSbRequest *req,
                                                  const char  *name,
                                                  const char  *current,
                                                  const char  *given);

/* ---- Parents ---------------------------------------------------------------------------- */

/* Replies ParentResourceNotFound and returns NULL when the namespace is missing; else its
 * state. */
char         *cb_sb_arm_require_namespace (CbSbRequest *req,
                                           const char  *ns_id,
                                           char       **location);
/* Namespace and credential must exist; replies otherwise. */
gboolean      cb_sb_arm_require_credential (CbSbRequest *req,
                                            const char  *ns_id,
                                            char       **location);

/* ---- Long-running operations -------------------------------------------------------------- */

/* Starts an operation on behalf of req (its caller, correlation id and fault rule) and sets
 * Azure-AsyncOperation and/or Location, and Retry-After. */
void          cb_sb_arm_start_operation   (CbSbRequest   *req,
                                           const char    *location,
                                           const char    *kind,
                                           const char    *target,
                                           const char    *resource_id,
                                           const char    *args,
                                           const char    *prev_state,
                                           CbSbFinalKind  final_kind,
                                           const char    *operation_name,
                                           gboolean       async_header,
                                           gboolean       location_header);
/* A created resource: the operation, then 201 with the resource as it is now. */
void          cb_sb_arm_reply_created     (CbSbRequest   *req,
                                           const char    *location,
                                           const char    *kind,
                                           const char    *target,
                                           const char    *resource_id,
                                           const char    *args,
                                           const char    *operation_name,
                                           JsonNode      *resource);
/* PATCH bodies are applied when the operation completes: the row goes Accepted, 202. */
void          cb_sb_arm_start_patch       (CbSbRequest *req,
                                           const char  *kind,
                                           const char  *target,
                                           const char  *resource_id,
                                           const char  *location,
                                           const char  *prev_state,
                                           const char  *args,
                                           const char  *operation_name);
/* The row goes Deleting, 202. */
void          cb_sb_arm_start_delete      (CbSbRequest *req,
                                           const char  *kind,
                                           const char  *target,
                                           const char  *resource_id,
                                           const char  *location,
                                           const char  *prev_state,
                                           const char  *operation_name);
/* A POST action, 202. */
void          cb_sb_arm_start_action      (CbSbRequest   *req,
                                           const char    *kind,
                                           const char    *target,
                                           const char    *resource_id,
                                           const char    *location,
                                           const char    *args,
                                           CbSbFinalKind  final_kind,
                                           gboolean       async_header,
                                           const char    *operation_name);
/* An operation's URL (statuses: Azure-AsyncOperation; results: Location). */
char         *cb_sb_arm_operation_url     (CbSbRequest *req,
                                           const char  *subscription,
                                           const char  *location,
                                           const char  *collection, /* operationStatuses, operationResults */
                                           const char  *op_id);

/* ---- Lists ------------------------------------------------------------------------------ */

typedef JsonNode *(*CbSbArmToJson) (CbSandbox  *self,
                                    const char *key,
                                    const char *api_version);

/* sql selects the item's key, then the columns of its sort key (one or two, unique in the
 * list), with ?1/?2 bound to a/b; it pages by keyset: its WHERE resumes after :k1 (and :k2)
 * in its ORDER BY, and it ends in LIMIT :limit. The first page binds '' to every :kN. E.g.
 *   SELECT id, name FROM t WHERE parent = ?1 AND name > :k1 ORDER BY name LIMIT :limit */
void          cb_sb_arm_reply_list        (CbSbRequest   *req,
                                           const char    *sql,
                                           const char    *a,
                                           const char    *b,
                                           CbSbArmToJson  to_json);
/* The same for the children of a namespace (?1 its id): 404 when the namespace is missing. */
void          cb_sb_arm_reply_namespace_list (CbSbRequest   *req,
                                              const char    *ns_id,
                                              const char    *sql,
                                              CbSbArmToJson  to_json);

typedef void (*CbSbArmNotFound) (CbSbRequest *req);

/* 200 with node (taken), or not_found (req) when it is NULL. */
void          cb_sb_arm_reply_found       (CbSbRequest     *req,
                                           JsonNode        *node,
                                           CbSbArmNotFound  not_found);

/* ---- Route tables ----------------------------------------------------------------------- */

typedef struct
{
  const char  *method;
  const char  *pattern;
  CbSbHandler  handler;
} CbSbArmRouteEntry;

/* Adds each route of the table in the ARM error style. */
void          cb_sb_arm_add_routes        (CbSandbox               *self,
                                           const CbSbArmRouteEntry *routes,
                                           guint                    n_routes);

G_END_DECLS
