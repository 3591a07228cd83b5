/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The sandbox's internal contract between its infrastructure (cb-sandbox.c: server, TLS,
 * router, store, auth, Entra, faults, clock) and its route modules (ARM, DPS, IoT Hub, CA). */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "cb-sandbox.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* ---- Constants ------------------------------------------------------------------------ */

#define CB_SB_AUD_ARM  "https://management.azure.com"
#define CB_SB_AUD_HUB  "https://iothubs.azure.net"
#define CB_SB_AUD_DPS  "https://azure-devices-provisioning.net"

#define CB_SB_ARM_API_VERSION       "2026-03-01-preview"
#define CB_SB_ARM_API_VERSION_OLD   "2025-11-01-preview"
#define CB_SB_HUB_ARM_API_VERSION   "2025-08-01-preview"
#define CB_SB_ACTIVITY_API_VERSION  "2015-04-01"
#define CB_SB_DPS_API_VERSION       "2025-07-01-preview"
#define CB_SB_HUB_API_VERSION       "2021-04-12"

#define CB_SB_ROLE_OWNER                  "Owner"
#define CB_SB_ROLE_CONTRIBUTOR            "Contributor"
#define CB_SB_ROLE_READER                 "Reader"
#define CB_SB_ROLE_ADR_CONTRIBUTOR        "Azure Device Registry Contributor"
#define CB_SB_ROLE_ADR_CREDENTIALS        "Azure Device Registry Credentials Contributor"

/* ---- The sandbox object --------------------------------------------------------------- */

typedef struct _CbSbRoute CbSbRoute;
typedef struct _CbSbFault CbSbFault;

struct _CbSandbox
{
  GObject       parent_instance;

  /* Settings */
  char         *data_dir;
  char         *bind_address;
  gboolean      allow_remote;
  guint16       port;
  guint16       mqtt_port;          /* the hub device endpoint (MQTT over TLS); 0: any free port */
  guint         page_size;          /* ARM nextLink and hub query page size */
  guint         lro_delay_ms;       /* how long an LRO reports InProgress */
  guint         max_policies;       /* per credential: 1 in the preview */
  gboolean      auto_approve;       /* Entra device codes approve themselves */
  guint         device_code_interval; /* seconds between token polls (Entra default 5) */

  /* Owned */
  sqlite3      *db;
  GHashTable   *statements;         /* SQL text -> sqlite3_stmt*, cached */
  SoupServer   *server;
  char         *base_url;
  char         *ca_file;
  GPtrArray    *routes;             /* CbSbRoute */
  GPtrArray    *faults;             /* CbSbFault */
  gint64        clock_offset;       /* seconds added to the real clock (POST /sandbox/clock) */
  double        clock_rate;         /* how fast the world clock runs (1: real time) */
  gint64        clock_rate_since;   /* real usec when the rate was last set */
  gint64        clock_accel_usec;   /* world time gained at earlier rates, before rate_since */
  GHashTable   *module_data;        /* module name -> gpointer, for modules' in-memory state */
  int           lock_fd;            /* the data folder's lock (cb-sandbox-folder-lock.c), or -1 */
  struct _CbSbListener *listener;   /* the HTTPS listener (cb-sandbox-listener.c) */
  guint         handshake_timeout_ms; /* a TLS handshake, from accept (0: none) */
  guint         idle_timeout_ms;    /* an HTTPS connection with no request (0: none) */

  /* Thread mode */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  GRecMutex     lock;
  GMutex        mutex;
  GCond         cond;
  gboolean      thread_ready;
  GError       *thread_error;
};

/* The sandbox's world clock: real time plus the offset tests set, running `rate` times as
 * fast as real time once a rate is set (a simulated fleet lives a day a second). Use it for
 * everything a device or a certificate sees, never g_get_real_time() directly, so expiry and
 * renewal can be tested. */
gint64        cb_sandbox_now              (CbSandbox   *self);      /* unix seconds */
gint64        cb_sandbox_now_usec         (CbSandbox   *self);
/* The sign-in clock: real time plus the offset only, never accelerated. Entra's codes and
 * tokens and the expiry of SAS tokens live on it (clients sign with their own clock), so an
 * accelerated world does not sign everyone out every second. */
gint64        cb_sandbox_session_now      (CbSandbox   *self);      /* unix seconds */

/* ---- Store (SQLite, WAL) -------------------------------------------------------------- */

/* Returns a cached, reset statement for sql. Do not finalize it. */
sqlite3_stmt *cb_sb_prepare               (CbSandbox   *self,
                                           const char  *sql);
/* A cached statement, reset when the variable goes out of scope:
 *   g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT …");
 * A statement left mid-result (it returned a row and was not stepped to the end) keeps the
 * connection in a read transaction: the WAL can never be checkpointed and grows, and a write
 * after another connection's write fails with "database is locked". Before pointing the
 * variable at another statement, release the first one (cb_sb_stmt_release). */
typedef sqlite3_stmt CbSbStmt;
void          cb_sb_stmt_release          (CbSbStmt    *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbStmt, cb_sb_stmt_release)
/* Complains (g_critical, naming the SQL) about every statement still mid-result and resets
 * it. Called when a request or an MQTT packet has been handled: nothing may stay open then. */
void          cb_sb_check_statements      (CbSandbox   *self,
                                           const char  *where);
gboolean      cb_sb_exec                  (CbSandbox   *self,
                                           const char  *sql,
                                           GError     **error);
/* Transactions nest (SAVEPOINTs): a cross-module function may begin/commit its own, and the
 * seed can still wrap hundreds of them in one. */
gboolean      cb_sb_begin                 (CbSandbox   *self);
gboolean      cb_sb_commit                (CbSandbox   *self);
void          cb_sb_rollback              (CbSandbox   *self);
/* Request handlers run with this (recursive) lock held. Code that touches the store from
 * another thread (tests calling module functions directly while the server runs in its own
 * thread) takes it around the call. */
void          cb_sandbox_lock             (CbSandbox   *self);
void          cb_sandbox_unlock           (CbSandbox   *self);
/* Sets a GError from the last SQLite failure. */
void          cb_sb_set_sqlite_error      (CbSandbox   *self,
                                           GError     **error);
/* The text of column col, duplicated, or NULL. */
char         *cb_sb_column_dup            (sqlite3_stmt *stmt,
                                           int          col);

/* ---- Connections and the data folder ------------------------------------------------- */

/* Waits, on context, until socket holds a whole TLS record (the ClientHello), then calls
 * func once: complete is FALSE when the client went away first. Free it to stop waiting. */
typedef struct _CbSbClientHello CbSbClientHello;
typedef void (*CbSbClientHelloFunc) (gboolean complete,
                                     gpointer user_data);
CbSbClientHello *cb_sb_client_hello_wait  (GSocket             *socket,
                                           GMainContext        *context,
                                           CbSbClientHelloFunc  func,
                                           gpointer             user_data);
void          cb_sb_client_hello_free     (CbSbClientHello *hello);

/* The HTTPS listener: accepts, handshakes (with a deadline) and hands connections to server;
 * closes idle ones. Free it after soup_server_disconnect(). */
typedef struct _CbSbListener CbSbListener;
CbSbListener *cb_sb_listener_new          (CbSandbox        *sandbox,
                                           SoupServer       *server,
                                           GTlsCertificate  *certificate,
                                           GSocketAddress   *address,
                                           guint16          *out_port,
                                           GError          **error);
void          cb_sb_listener_free         (CbSbListener     *listener);

/* Locks data_dir for this sandbox; returns the lock's fd (close it to unlock) or -1 with
 * CB_SANDBOX_ERROR_IN_USE naming the folder and the other sandbox's pid. */
int           cb_sb_lock_data_dir         (const char  *data_dir,
                                           GError     **error);

/* Small persistent settings (tenant id, default principal, demo description). */
char         *cb_sandbox_dup_meta         (CbSandbox   *self,
                                           const char  *key);
gboolean      cb_sandbox_set_meta         (CbSandbox   *self,
                                           const char  *key,
                                           const char  *value);

/* Module state that is not persisted. */
gpointer      cb_sandbox_get_module_data  (CbSandbox   *self,
                                           const char  *module);
void          cb_sandbox_set_module_data  (CbSandbox   *self,
                                           const char  *module,
                                           gpointer     data,
                                           GDestroyNotify destroy);

/* Private key files under <data>/keys/, 0600 in a 0700 folder. Returns the file's base name
 * to keep in the database. */
char         *cb_sb_store_key             (CbSandbox   *self,
                                           CbKey       *key,
                                           GError     **error);
CbKey        *cb_sb_load_key              (CbSandbox   *self,
                                           const char  *key_ref,
                                           GError     **error);
void          cb_sb_delete_key            (CbSandbox   *self,
                                           const char  *key_ref);

/* ---- Requests ------------------------------------------------------------------------- */

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
  char              *auth_key_name;/* SAS key name (skn) once authenticated by SAS, else NULL */
  char              *correlation_id;
  const CbSbFault   *fault;        /* the fault rule that matched this request, if any */
  gboolean           replied;
} CbSbRequest;

typedef void (*CbSbHandler) (CbSbRequest *req);

/* Pattern: "/arm/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces/{ns}".
 * Literal segments match case-insensitively (as ARM does); {name} captures one segment.
 * A path that matches a pattern with another method gets 405. The first matching route wins,
 * so register specific routes before general ones. style is the error style of the surface. */
void          cb_sandbox_add_route        (CbSandbox   *self,
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
/* Replies 413 (size) or 400 (nesting) in the request's style for a CB_JSON_LIMIT_ERROR. */
void          cb_sb_reply_limit_error     (CbSbRequest  *req,
                                           const GError *limit_error);
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

/* ---- Replies -------------------------------------------------------------------------- */

void          cb_sb_reply_json            (CbSbRequest *req,
                                           guint        status,
                                           JsonNode    *node);        /* transfer full; NULL: no body */
void          cb_sb_reply_empty           (CbSbRequest *req,
                                           guint        status);
void          cb_sb_set_header            (CbSbRequest *req,
                                           const char  *name,
                                           const char  *value);
/* Error in the request's style. code is the ARM code / hub error name / OAuth error;
 * numeric_code is the DPS or hub number (e.g. 404001), ignored for ARM. */
void          cb_sb_reply_error           (CbSbRequest *req,
                                           guint        status,
                                           const char  *code,
                                           int          numeric_code,
                                           const char  *format,
                                           ...) G_GNUC_PRINTF (5, 6);
/* ARM's error with a target. */
void          cb_sb_reply_arm_error       (CbSbRequest *req,
                                           guint        status,
                                           const char  *code,
                                           const char  *target,
                                           const char  *format,
                                           ...) G_GNUC_PRINTF (5, 6);

/* The absolute URL of a sandbox path (for nextLink, Location, Azure-AsyncOperation). */
char         *cb_sb_url                   (CbSbRequest *req,
                                           const char  *path_and_query);

/* ---- Authentication and RBAC ---------------------------------------------------------- */

/* Requires "Authorization: Bearer <token>" issued by the sandbox's Entra for audience.
 * Replies 401 (style of the request; ARM: InvalidAuthenticationToken /
 * AuthenticationFailed) and returns FALSE otherwise. Sets req->principal. */
gboolean      cb_sb_require_bearer        (CbSbRequest *req,
                                           const char  *audience);

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

/* Principals and roles (seed, tests). */
gboolean      cb_sandbox_add_principal    (CbSandbox   *self,
                                           const char  *name,
                                           const char  *display_name,
                                           GError     **error);
gboolean      cb_sandbox_assign_role      (CbSandbox   *self,
                                           const char  *principal_name,
                                           const char  *role,
                                           const char  *scope,
                                           GError     **error);
/* Mints an access token directly (seed, tests, the app's in-process default). */
char         *cb_sandbox_issue_token      (CbSandbox   *self,
                                           const char  *principal_name,
                                           const char  *audience,
                                           GError     **error);

/* Tokens (Entra). Only a hash is stored. kind is "access" or "refresh". */
char         *cb_sandbox_store_token      (CbSandbox   *self,
                                           const char  *kind,
                                           const char  *principal_id,
                                           const char  *audience,
                                           const char  *scope,
                                           const char  *client_id,
                                           gint64       lifetime);
/* Returns the principal id, or NULL when unknown. */
char         *cb_sandbox_lookup_token     (CbSandbox   *self,
                                           const char  *token,
                                           const char  *kind,
                                           char       **out_audience,
                                           char       **out_principal_name,
                                           char       **out_client_id,
                                           gboolean    *out_expired);
void          cb_sandbox_delete_token     (CbSandbox   *self,
                                           const char  *token);

/* ---- Topology: hubs and DPS instances (infrastructure-owned tables) -------------------- */

/* Table hubs(name PK, subscription, resource_group, namespace_id, host_name, created)
 * Table hub_keys(hub, key_name, primary_key, secondary_key, rights)
 * Table dps_instances(name PK, id_scope UNIQUE, subscription, resource_group, namespace_id,
 *                     linked_hub, host_name, owner_key, created) */
gboolean      cb_sandbox_create_hub       (CbSandbox   *self,
                                           const char  *subscription,
                                           const char  *resource_group,
                                           const char  *name,
                                           const char  *namespace_id,
                                           GError     **error);
gboolean      cb_sandbox_create_dps       (CbSandbox   *self,
                                           const char  *subscription,
                                           const char  *resource_group,
                                           const char  *name,
                                           const char  *id_scope,
                                           const char  *namespace_id,
                                           const char  *linked_hub,
                                           GError     **error);
/* The key of a hub's shared access policy (iothubowner, service, registryRead, ...). */
char         *cb_sandbox_dup_hub_key      (CbSandbox   *self,
                                           const char  *hub,
                                           const char  *key_name);
/* Known keys for the demo seed, so the docs can show them. */
gboolean      cb_sandbox_set_hub_key      (CbSandbox   *self,
                                           const char  *hub,
                                           const char  *key_name,
                                           const char  *primary_key);
gboolean      cb_sandbox_set_dps_owner_key (CbSandbox  *self,
                                            const char *dps,
                                            const char *owner_key);
/* Hub names whose namespace_id is ns_id. */
GPtrArray    *cb_sandbox_list_hubs_for_namespace (CbSandbox *self,
                                                  const char *namespace_id);

/* ---- Activity log (cb-sandbox-activity.c) ---------------------------------------------- */

void          cb_sandbox_log_activity     (CbSandbox   *self,
                                           CbSbRequest *req,          /* caller, correlation id */
                                           const char  *operation_name, /* "Microsoft.DeviceRegistry/namespaces/credentials/policies/revokeIssuer/action" */
                                           const char  *resource_id,
                                           const char  *status,       /* Started, Succeeded, Failed, Accepted */
                                           guint        http_status);

/* ---- Faults --------------------------------------------------------------------------- */

/* Whether the fault rule matched by req asks for an outcome of kind ("lro" -> "Failed",
 * "dps" -> "failed", "hub-renewal-bare-array" ...). Consumes one use of the rule. */
gboolean      cb_sb_fault_wants           (CbSbRequest *req,
                                           const char  *kind,
                                           const char  *value);

/* The fault rule that matches method and path, if any (the MQTT endpoint matches its topics
 * as method "PUBLISH", path "/mqtt/<topic name without the ?properties>"). */
const CbSbFault *cb_sb_find_fault         (CbSandbox   *self,
                                           const char  *method,
                                           const char  *path);
/* A status fault's status (0: none), consuming one use, and its retryAfter seconds; for
 * surfaces that answer faults themselves (MQTT). */
guint         cb_sb_fault_take_status     (const CbSbFault *fault,
                                           guint           *retry_after);

/* ---- Cross-module functions ----------------------------------------------------------- */

/* Resource ids. */
char         *cb_sb_namespace_id          (const char  *subscription,
                                           const char  *resource_group,
                                           const char  *ns);
char         *cb_sb_policy_id             (const char  *namespace_id,
                                           const char  *policy);

/* CA engine and ADR state (cb-sandbox-ca.c, cb-sandbox-arm.c) */
gboolean      cb_sandbox_adr_create_namespace  (CbSandbox *self, const char *subscription,
                                                const char *resource_group, const char *name,
                                                const char *location, GError **error);
gboolean      cb_sandbox_adr_create_credential (CbSandbox *self, const char *namespace_id,
                                                GError **error);
gboolean      cb_sandbox_adr_create_policy     (CbSandbox *self, const char *namespace_id,
                                                const char *policy, guint validity_days,
                                                gboolean byor, GError **error);
/* Pushes every active issuing CA of the namespace to its linked hubs' certificates. */
gboolean      cb_sandbox_adr_synchronize       (CbSandbox *self, const char *namespace_id,
                                                GError **error);
/* Creates or updates the ADR namespace device for a DPS registration and points it at the
 * policy. The device keeps its credential identifier unless it has none yet. */
gboolean      cb_sandbox_adr_ensure_device     (CbSandbox *self, const char *namespace_id,
                                                const char *device_name, const char *policy_id,
                                                GError **error);
/* Checks the CSR (CN == device_name, EC P-256/P-384, signature) and issues a leaf under the
 * policy's current issuing CA carrying the device's current credential identifier.
 * Returns [leaf, issuing CA, root] as GBytes DER. Errors: CB_X509_ERROR for CSR problems,
 * G_IO_ERROR_NOT_FOUND for a missing/deleted policy, G_IO_ERROR_PERMISSION_DENIED for a
 * disabled device or a policy that cannot issue (PendingActivation). */
GPtrArray    *cb_sandbox_ca_issue_leaf         (CbSandbox *self, const char *policy_id,
                                                const char *device_name, GBytes *csr_der,
                                                GError **error);

typedef enum
{
  CB_SB_VERDICT_ACCEPTED,
  CB_SB_VERDICT_UNKNOWN_DEVICE,
  CB_SB_VERDICT_DEVICE_DISABLED,
  CB_SB_VERDICT_UNKNOWN_ISSUER,
  CB_SB_VERDICT_REVOKED_ISSUER,
  CB_SB_VERDICT_REVOKED_IDENTIFIER,
  CB_SB_VERDICT_EXPIRED,
  CB_SB_VERDICT_NOT_YET_VALID,
  CB_SB_VERDICT_WRONG_NAME,
  CB_SB_VERDICT_BAD_CHAIN,
} CbSbVerdict;

const char   *cb_sb_verdict_to_string          (CbSbVerdict verdict); /* "accepted", "revoked-identifier", ... */
/* Would the hub accept this chain (CbCertificate, leaf first) for this device now? The one
 * place that decides, used by the check endpoint and (later) the MQTT endpoint. */
CbSbVerdict   cb_sandbox_check_device_chain    (CbSandbox *self, const char *hub,
                                                const char *device_id, GPtrArray *chain,
                                                char **reason);

/* IoT Hub device registry (cb-sandbox-hub.c) */
gboolean      cb_sandbox_hub_ensure_device     (CbSandbox *self, const char *hub,
                                                const char *device_id, GError **error);
/* FALSE when the device does not exist. */
gboolean      cb_sandbox_hub_lookup_device     (CbSandbox *self, const char *hub,
                                                const char *device_id, gboolean *enabled);
gboolean      cb_sandbox_hub_set_device_enabled (CbSandbox *self, const char *hub,
                                                 const char *device_id, gboolean enabled,
                                                 GError **error);
/* Merges a reported-properties patch (as a device would send it). */
gboolean      cb_sandbox_hub_patch_reported    (CbSandbox *self, const char *hub,
                                                const char *device_id, JsonObject *patch,
                                                GError **error);

/* Twin and connection state for the hub device endpoint. patch_reported_versioned is
 * patch_reported that also gives the reported properties' new $version. */
gboolean      cb_sandbox_hub_patch_reported_versioned (CbSandbox *self, const char *hub,
                                                       const char *device_id, JsonObject *patch,
                                                       gint64 *out_version, GError **error);
/* {"desired": {..., "$version": n}, "reported": {..., "$version": m}} as a device GETs it, or
 * NULL when the device does not exist. */
JsonNode     *cb_sandbox_hub_dup_device_twin   (CbSandbox *self, const char *hub,
                                                const char *device_id);
/* connectionState Connected/Disconnected (and connectionStateUpdatedTime) plus lastActivityTime
 * (usec on the sandbox clock; 0 leaves it). No etag change, as on IoT Hub. */
gboolean      cb_sandbox_hub_set_connection    (CbSandbox *self, const char *hub,
                                                const char *device_id, gboolean connected,
                                                gint64 activity_usec);
gboolean      cb_sandbox_hub_set_activity      (CbSandbox *self, const char *hub,
                                                const char *device_id, gint64 activity_usec);
/* Every device Disconnected (at start: no connection survives a restart). */
void          cb_sandbox_hub_reset_connections (CbSandbox *self);
/* FALSE when the device does not exist. */
gboolean      cb_sandbox_hub_get_connection    (CbSandbox *self, const char *hub,
                                                const char *device_id, char **state,
                                                gint64 *activity_usec);

/* The hub device endpoint (cb-sandbox-mqtt.c). Closing a device's live connections makes its
 * next attempt meet the new verdict: call these when a device is revoked, disabled or deleted
 * (hub NULL: in every hub), and recheck every live connection after an issuer is revoked. */
void          cb_sandbox_mqtt_drop_device      (CbSandbox *self, const char *hub,
                                                const char *device_id, const char *reason);
void          cb_sandbox_mqtt_recheck_all      (CbSandbox *self, const char *reason);
/* Sends a desired-properties patch (with "$version") to the device if it subscribed. */
void          cb_sandbox_mqtt_notify_desired   (CbSandbox *self, const char *hub,
                                                const char *device_id, JsonObject *patch,
                                                gint64 version);
/* Delay between a renewal's 202 and its result (default 200 ms). */
void          cb_sandbox_mqtt_set_renewal_delay_ms (CbSandbox *self, guint delay_ms);
/* How long a connection may take for its TLS handshake and CONNECT (default 10 s). */
void          cb_sandbox_mqtt_set_connect_timeout_ms (CbSandbox *self, guint timeout_ms);

/* DPS (cb-sandbox-dps.c) */
gboolean      cb_sandbox_dps_create_enrollment_group (CbSandbox *self, const char *dps,
                                                      const char *group_id,
                                                      const char *primary_key,
                                                      const char *credential_policy_name,
                                                      GError **error);

/* The /sandbox/info document: endpoints, tenant, hubs, DPS instances, principals, demo. Call
 * with the lock held. */
JsonNode     *cb_sandbox_build_info       (CbSandbox   *self);

/* ---- Module registration (called once by cb_sandbox_start) ---------------------------- */

/* Each module creates its tables (CREATE TABLE IF NOT EXISTS ...) and adds its routes. */
gboolean      cb_sandbox_entra_init       (CbSandbox *self, GError **error);
gboolean      cb_sandbox_arm_init         (CbSandbox *self, GError **error);
gboolean      cb_sandbox_ca_init          (CbSandbox *self, GError **error);
gboolean      cb_sandbox_activity_init    (CbSandbox *self, GError **error);
gboolean      cb_sandbox_dps_init         (CbSandbox *self, GError **error);
gboolean      cb_sandbox_hub_init         (CbSandbox *self, GError **error);
gboolean      cb_sandbox_mqtt_init        (CbSandbox *self, GError **error);

G_END_DECLS
