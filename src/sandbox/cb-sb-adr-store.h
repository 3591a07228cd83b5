/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the ADR tables (cb-sb-adr-store.c): namespaces, their credential, policies and
 * devices, plus ADR's reading of the hubs linked to a namespace. Rows only: the rules that
 * change them are cb-sb-adr-ops.c and cb-sb-lro.c; the operations' rows are
 * cb-sb-adr-operations.h. */

#include "cb-sb-adr-ids.h"
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Creates the tables. */
gboolean      cb_sb_adr_store_init            (CbSandbox   *self,
                                               GError     **error);

/* ---- Who changed a row (systemData) --------------------------------------------------- */

/* The six systemData columns of every ADR resource table, in this order. */
#define CB_SB_ADR_SYSDATA_COLUMNS "created_by, created_by_type, created_at, modified_by, " \
                                  "modified_by_type, modified_at"

#define CB_SB_SANDBOX_ACTOR "certbench-sandbox"

typedef struct
{
  const char *name;
  const char *type;       /* "User" or "Application" */
} CbSbActor;

/* The principal (a user) or, when NULL, the sandbox itself (an application). */
CbSbActor     cb_sb_actor                     (const char  *principal);

/* ---- Any ADR table (table, key column: adr_namespaces/id, adr_credentials/namespace_id,
 *      adr_policies/id, adr_devices/id) -------------------------------------------------- */

void          cb_sb_adr_set_state             (CbSandbox   *self,
                                               const char  *table,
                                               const char  *key_column,
                                               const char  *key,
                                               const char  *state);
/* who NULL: the sandbox. */
void          cb_sb_adr_set_modified          (CbSandbox   *self,
                                               const char  *table,
                                               const char  *key_column,
                                               const char  *key,
                                               const char  *who);
/* tags: JSON text or NULL. */
void          cb_sb_adr_set_tags              (CbSandbox   *self,
                                               const char  *table,
                                               const char  *key_column,
                                               const char  *key,
                                               const char  *tags);
/* The table an operation kind ("ns-create", "policy-revoke-issuer", ...) works on
 * (adr_cas and adr_ca_policies for "ca-*" and "capolicy-*": cb-sb-adr-ca-store.h). */
void          cb_sb_adr_table_for_kind        (const char  *kind,
                                               const char **table,
                                               const char **key_column);

/* ---- Namespaces ----------------------------------------------------------------------- */

/* The state of a row, or NULL when it does not exist (for every *_state below). */
char         *cb_sb_adr_namespace_state       (CbSandbox   *self,
                                               const char  *ns_id,
                                               char       **location);
void          cb_sb_adr_insert_namespace      (CbSandbox   *self,
                                               const char  *subscription,
                                               const char  *resource_group,
                                               const char  *name,
                                               const char  *location,
                                               const char  *tags,
                                               const char  *state,
                                               CbSbActor    actor);
/* The namespace and its devices. */
gboolean      cb_sb_adr_delete_namespace      (CbSandbox   *self,
                                               const char  *ns_id,
                                               GError     **error);

/* ---- The credential ------------------------------------------------------------------- */

char         *cb_sb_adr_credential_state      (CbSandbox   *self,
                                               const char  *ns_id,
                                               char       **location);
gboolean      cb_sb_adr_has_credential        (CbSandbox   *self,
                                               const char  *ns_id);
gboolean      cb_sb_adr_insert_credential     (CbSandbox   *self,
                                               const char  *ns_id,
                                               const char  *location,
                                               const char  *tags,
                                               const char  *state,
                                               CbSbActor    actor,
                                               GError     **error);
gboolean      cb_sb_adr_delete_credential     (CbSandbox   *self,
                                               const char  *ns_id,
                                               GError     **error);

/* ---- Policies ------------------------------------------------------------------------- */

typedef struct
{
  char    *state;
  char    *key_type;
  char    *issuer_id;
  char    *location;
  gboolean byor;
} CbSbPolicyRow;

void          cb_sb_policy_row_clear          (CbSbPolicyRow *row);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbPolicyRow, cb_sb_policy_row_clear)

gboolean      cb_sb_adr_policy_row            (CbSandbox     *self,
                                               const char    *policy_id,
                                               CbSbPolicyRow *row);
/* The namespace's policy names, sorted. */
GPtrArray    *cb_sb_adr_policy_names          (CbSandbox   *self,
                                               const char  *ns_id);
void          cb_sb_adr_insert_policy         (CbSandbox   *self,
                                               const char  *ns_id,
                                               const char  *policy_id,
                                               const char  *name,
                                               gint64       days,
                                               gboolean     byor,
                                               const char  *location,
                                               const char  *tags,
                                               const char  *state,
                                               CbSbActor    actor);
/* A PUT on an existing policy: the validity, and tags and location unless NULL. */
void          cb_sb_adr_update_policy         (CbSandbox   *self,
                                               const char  *policy_id,
                                               gint64       days,
                                               const char  *tags,
                                               const char  *location);
gboolean      cb_sb_adr_set_policy_validity   (CbSandbox   *self,
                                               const char  *policy_id,
                                               gint64       days,
                                               GError     **error);
/* The policy's issuing CA id, or NULL. */
char         *cb_sb_adr_policy_issuer         (CbSandbox   *self,
                                               const char  *policy_id);
gboolean      cb_sb_adr_set_policy_issuer     (CbSandbox   *self,
                                               const char  *policy_id,
                                               const char  *issuer_id,
                                               GError     **error);
gboolean      cb_sb_adr_delete_policy         (CbSandbox   *self,
                                               const char  *policy_id,
                                               GError     **error);
/* What issuance needs of a policy. FALSE when it does not exist. */
gboolean      cb_sb_adr_policy_for_issuance   (CbSandbox   *self,
                                               const char  *policy_id,
                                               char       **namespace_id,
                                               char       **state,
                                               gint64      *validity_days,
                                               char       **issuer_id);
/* (policy id, name, issuer id) triples of the namespace's policies whose issuing CA is
 * active, by name. */
GPtrArray    *cb_sb_adr_active_policies       (CbSandbox   *self,
                                               const char  *ns_id);

/* ---- Devices -------------------------------------------------------------------------- */

char         *cb_sb_adr_device_state          (CbSandbox   *self,
                                               const char  *id,
                                               char       **location,
                                               char       **etag);
gboolean      cb_sb_adr_insert_device         (CbSandbox   *self,
                                               const char  *id,
                                               const char  *ns_id,
                                               const char  *name,
                                               const char  *location,
                                               const char  *tags,
                                               const char  *props,
                                               const char  *policy_id,
                                               gint64       version,
                                               const char  *state,
                                               CbSbActor    actor,
                                               GError     **error);
/* Any out argument may be NULL; props is the stored JSON text. FALSE when missing. */
gboolean      cb_sb_adr_device_row            (CbSandbox   *self,
                                               const char  *id,
                                               char       **ns_id,
                                               char       **name,
                                               gboolean    *enabled,
                                               char       **props);
/* A new credential identifier (and etag, version + 1); disable also disables, and then
 * transition_usec (when not 0) is the lastTransitionTime. */
gboolean      cb_sb_adr_set_device_identifier (CbSandbox   *self,
                                               const char  *id,
                                               const char  *identifier,
                                               const char  *etag,
                                               gboolean     disable,
                                               gint64       transition_usec,
                                               GError     **error);
/* New properties (and etag, version + 1); enabled < 0 keeps it; the policy changes only when
 * policy_given; transition_usec (when not 0) is the new lastTransitionTime. */
gboolean      cb_sb_adr_set_device_properties (CbSandbox   *self,
                                               const char  *id,
                                               const char  *props,
                                               const char  *etag,
                                               int          enabled,
                                               gboolean     policy_given,
                                               const char  *policy_id,
                                               gint64       transition_usec,
                                               GError     **error);
/* Points the device at policy_id unless it already is. */
gboolean      cb_sb_adr_set_device_policy     (CbSandbox   *self,
                                               const char  *id,
                                               const char  *policy_id,
                                               GError     **error);
gboolean      cb_sb_adr_delete_device         (CbSandbox   *self,
                                               const char  *id,
                                               GError     **error);
/* By namespace and device name: enabled and the current credential identifier. */
gboolean      cb_sb_adr_device_credential     (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *device_name,
                                               gboolean    *enabled,
                                               char       **identifier);
/* The current credential identifier of the device in the namespace hub is linked to. */
char         *cb_sb_adr_current_identifier    (CbSandbox   *self,
                                               const char  *hub,
                                               const char  *device_name);
/* The id of the ADR device hub's identity device_name stands for: the device of that name in
 * the namespace the hub is linked to (*ns_id, when not NULL). NULL when there is none. */
char         *cb_sb_adr_device_of_hub         (CbSandbox   *self,
                                               const char  *hub,
                                               const char  *device_name,
                                               char       **ns_id);
/* A new etag in the shape ADR uses: "c80325f9-0000-0800-0000-66fcb0290000". */
char         *cb_sb_adr_new_etag              (void);

/* ---- Hubs linked to a namespace (the topology's table, as ADR reads it) ---------------- */

/* Hub names, sorted. */
GPtrArray    *cb_sb_adr_hubs_of_namespace     (CbSandbox   *self,
                                               const char  *ns_id);
typedef void (*CbSbHubEndpointFunc) (const char *name,
                                     const char *subscription,
                                     const char *resource_group,
                                     const char *host_name,
                                     gpointer    user_data);
void          cb_sb_adr_foreach_hub_endpoint  (CbSandbox          *self,
                                               const char         *ns_id,
                                               CbSbHubEndpointFunc func,
                                               gpointer            user_data);
gboolean      cb_sb_adr_hub_exists            (CbSandbox   *self,
                                               const char  *hub);
/* The hub's name as stored, or NULL when it is not in that subscription and group. */
char         *cb_sb_adr_find_hub              (CbSandbox   *self,
                                               const char  *subscription,
                                               const char  *resource_group,
                                               const char  *hub);

G_END_DECLS
