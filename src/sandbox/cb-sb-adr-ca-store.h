/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the certificate authorities and certificate policies of ADR's stable 2026-11-01
 * model (cb-sb-adr-ca-store.c), tables adr_cas and adr_ca_policies. Rows only: the rules
 * that change them are cb-sb-adr-ca-rules.c; the keys and certificates are the CA engine's
 * (cb-sb-ca.c), which a row names by its issuer id. */

#include "cb-sb-world.h"
#include "cb-sb-adr-store.h"

G_BEGIN_DECLS

/* Creates the tables. */
gboolean      cb_sb_adr_ca_store_init         (CbSandbox   *self,
                                               GError     **error);

/* "<namespace id>/certificateAuthorities/<ca>" and ".../certificatePolicies/<policy>". */
char         *cb_sb_adr_ca_id                 (const char  *namespace_id,
                                               const char  *ca_name);
char         *cb_sb_adr_ca_policy_id          (const char  *ca_id,
                                               const char  *policy_name);

/* ---- Certificate authorities ---------------------------------------------------------- */

#define CB_SB_CA_TYPE_ROOT         "Root"
#define CB_SB_CA_TYPE_ICA          "ICA"
#define CB_SB_ISSUER_MICROSOFT     "Microsoft"
#define CB_SB_ISSUER_EXTERNAL      "External"
#define CB_SB_CA_PENDING           "PendingActivation"
#define CB_SB_CA_ACTIVE            "Active"
#define CB_SB_CA_PENDING_RENEWAL   "ActiveButPendingRenewal"

/* Active or ActiveButPendingRenewal: the ICA signs leaves. */
gboolean      cb_sb_adr_ca_status_usable      (const char  *status);

typedef struct
{
  char *id;               /* ARM id, as created */
  char *namespace_id;
  char *name;
  char *ca_type;          /* CB_SB_CA_TYPE_* */
  char *key_type;         /* "ECC" */
  char *issuer_type;      /* CB_SB_ISSUER_*, NULL for a root */
  char *parent_id;        /* a Microsoft-issued ICA's root (ARM id) */
  char *issuer_id;        /* the CA engine's ca_issuers.id; NULL for a root and until created */
  char *status;           /* an ICA's CB_SB_CA_PENDING / CB_SB_CA_ACTIVE; NULL until created */
  char *uuid;
  char *location;
  char *tags;             /* JSON text or NULL */
  char *state;            /* provisioningState */
} CbSbCaRow;

void          cb_sb_ca_row_clear              (CbSbCaRow   *row);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbCaRow, cb_sb_ca_row_clear)

/* FALSE when there is no such CA. */
gboolean      cb_sb_adr_ca_row                (CbSandbox   *self,
                                               const char  *ca_id,
                                               CbSbCaRow   *row);
/* The namespace's CA ids, by name; type NULL: every type. */
GPtrArray    *cb_sb_adr_ca_ids                (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *ca_type);
gboolean      cb_sb_adr_insert_ca             (CbSandbox       *self,
                                               const CbSbCaRow *row,
                                               CbSbActor        actor,
                                               GError         **error);
/* The CA engine's issuer behind an ICA and the ICA's status (either may be NULL: kept). */
gboolean      cb_sb_adr_set_ca_issuer         (CbSandbox   *self,
                                               const char  *ca_id,
                                               const char  *issuer_id,
                                               const char  *status,
                                               GError     **error);
/* A PUT on an existing CA: tags (JSON text or NULL) and who. */
gboolean      cb_sb_adr_update_ca             (CbSandbox   *self,
                                               const char  *ca_id,
                                               const char  *tags,
                                               CbSbActor    actor,
                                               GError     **error);
gboolean      cb_sb_adr_delete_ca             (CbSandbox   *self,
                                               const char  *ca_id,
                                               GError     **error);

/* ---- Certificate policies ------------------------------------------------------------- */

typedef struct
{
  char   *id;
  char   *ca_id;
  char   *name;
  gint64  validity_days;
  char   *uuid;
  char   *location;
  char   *tags;
  char   *state;
} CbSbCaPolicyRow;

void          cb_sb_ca_policy_row_clear       (CbSbCaPolicyRow *row);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbCaPolicyRow, cb_sb_ca_policy_row_clear)

gboolean      cb_sb_adr_ca_policy_row         (CbSandbox       *self,
                                               const char      *policy_id,
                                               CbSbCaPolicyRow *row);
/* The CA's policy ids, by name. */
GPtrArray    *cb_sb_adr_ca_policy_ids         (CbSandbox   *self,
                                               const char  *ca_id);
gboolean      cb_sb_adr_insert_ca_policy      (CbSandbox             *self,
                                               const CbSbCaPolicyRow *row,
                                               CbSbActor              actor,
                                               GError               **error);
/* A PUT on an existing policy: validity (kept when 0), tags, who. */
gboolean      cb_sb_adr_update_ca_policy      (CbSandbox   *self,
                                               const char  *policy_id,
                                               gint64       validity_days,
                                               const char  *tags,
                                               CbSbActor    actor,
                                               GError     **error);
gboolean      cb_sb_adr_delete_ca_policy      (CbSandbox   *self,
                                               const char  *policy_id,
                                               GError     **error);

/* ---- For DPS (sbdev's side) ----------------------------------------------------------- */

/* The issuing path a DPS enrollment names at 2026-11-01 (namespace by its ARM id, the ICA's
 * and the policy's names). On success: the CA engine's issuer id (ca_issuers.id) that signs
 * the leaves, the policy's ARM id and its validity in days. G_IO_ERROR_NOT_FOUND naming what
 * is missing (the CA, or the policy); G_IO_ERROR_INVALID_ARGUMENT when ca_name is a root;
 * G_IO_ERROR_NOT_INITIALIZED when the ICA cannot issue (pending activation, revoked). */
gboolean cb_sb_adr_ca_find_policy (CbSandbox   *self,
                                   const char  *namespace_id,
                                   const char  *ca_name,
                                   const char  *policy_name,
                                   char       **issuer_id,
                                   char       **policy_id,
                                   guint       *validity_days,
                                   GError     **error);

G_END_DECLS
