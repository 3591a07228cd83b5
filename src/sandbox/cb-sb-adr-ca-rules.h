/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: the rules of ADR's 2026-11-01 certificate authorities and policies
 * (cb-sb-adr-ca-rules.c): what may be created, deleted, activated and rotated (checked when
 * the request comes in), and what each long-running operation does when it completes, on
 * the CA engine (cb-sb-ca.c). */

#include <json-glib/json-glib.h>
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-world.h"

G_BEGIN_DECLS

#define CB_SB_ADR_CA_ERROR (cb_sb_adr_ca_error_quark ())
GQuark        cb_sb_adr_ca_error_quark        (void);

/* Why a request breaks a rule; the route turns it into ARM's status and code. */
typedef enum
{
  CB_SB_ADR_CA_ERROR_CONFLICT,            /* 409 Conflict */
  CB_SB_ADR_CA_ERROR_POLICY_NEEDS_ICA,    /* 409 PolicyRequiresIssuingCa */
  CB_SB_ADR_CA_ERROR_INVALID,             /* 400 InvalidRequestContent */
  CB_SB_ADR_CA_ERROR_CHANGE_NOT_ALLOWED,  /* 400 PropertyChangeNotAllowed */
  CB_SB_ADR_CA_ERROR_WRONG_TYPE,          /* 400 BadRequest: the action is not for this CA */
  CB_SB_ADR_CA_ERROR_BAD_CHAIN,           /* 400 InvalidCertificateChain */
} CbSbAdrCaError;

/* At most this many intermediate CAs per namespace (Learn), one policy each. */
#define CB_SB_ADR_MAX_ICAS             3
#define CB_SB_ADR_MAX_POLICIES_PER_CA  1

/* The kinds of operation this module completes: "ca-create", "ca-update", "ca-delete",
 * "ca-activate", "ca-rotate", "capolicy-create", "capolicy-update", "capolicy-delete". */
gboolean      cb_sb_adr_ca_is_kind            (const char  *kind);

/* A new CA (PUT of a name that does not exist yet). parent_id: an ICA's
 * issuer.certificateAuthorityResourceId, or NULL. */
gboolean      cb_sb_adr_ca_check_create       (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *ca_id,
                                               const char  *ca_type,
                                               const char  *issuer_type,
                                               const char  *parent_id,
                                               GError     **error);
/* A PUT on an existing CA: type, key type and issuer are fixed at creation. Any may be NULL
 * (not given). */
gboolean      cb_sb_adr_ca_check_replace      (CbSandbox   *self,
                                               const char  *ca_id,
                                               const char  *ca_type,
                                               const char  *key_type,
                                               const char  *issuer_type,
                                               const char  *parent_id,
                                               GError     **error);
gboolean      cb_sb_adr_ca_check_delete       (CbSandbox   *self,
                                               const char  *ca_id,
                                               GError     **error);
/* A new policy under ca_id. */
gboolean      cb_sb_adr_ca_check_policy_create (CbSandbox  *self,
                                                const char *ca_id,
                                                GError    **error);
/* activate: an External ICA pending activation, and a chain that passes every check. */
gboolean      cb_sb_adr_ca_check_activate     (CbSandbox   *self,
                                               const char  *ca_id,
                                               const char  *chain_pem,
                                               GError     **error);
/* revokeAndRotate: a Microsoft-issued ICA that is active. */
gboolean      cb_sb_adr_ca_check_rotate       (CbSandbox   *self,
                                               const char  *ca_id,
                                               GError     **error);

/* Makes a new CA's keys and certificates on the CA engine when its PUT comes in (so the 201
 * shows its subject and validity, or its CSR): the namespace root for a Root, an issuing CA
 * (active, or pending activation for an External ICA) whose id and status go into row. The
 * operation's completion then makes it Succeeded. */
gboolean      cb_sb_adr_ca_prepare            (CbSandbox   *self,
                                               CbSbCaRow   *row,
                                               GError     **error);
/* Forgets the issuing CA a failed creation left (before a PUT retries the creation). */
void          cb_sb_adr_ca_discard            (CbSandbox       *self,
                                               const CbSbCaRow *row);

/* Applies a completed operation of kind to target (the LRO engine calls this inside a
 * transaction) and marks the row Succeeded, modified by caller. An ICA that becomes usable
 * (created by Microsoft, activated, rotated) is announced as "issuer-published". */
gboolean      cb_sb_adr_ca_apply_operation    (CbSandbox   *self,
                                               const char  *kind,
                                               const char  *target,
                                               JsonObject  *args,
                                               const char  *caller,
                                               GError     **error);

G_END_DECLS
