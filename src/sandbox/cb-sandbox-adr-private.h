/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Internals shared by the ADR modules: the CA engine (cb-sandbox-ca.c), the ARM routes and
 * ADR state (cb-sandbox-arm.c) and the activity log (cb-sandbox-activity.c). Nothing else
 * should include this; the cross-module contract is cb-sandbox-private.h. */

#include "cb-sandbox-private.h"

G_BEGIN_DECLS

/* The private extension that carries a device's credential identifier in every leaf
 * (see the comment at the top of cb-sandbox-ca.c). */
#define CB_SB_OID_CREDENTIAL_IDENTIFIER "1.3.6.1.4.1.32473.1.1"

/* ---- SQL helpers ------------------------------------------------------------------------ */

/* Cached statements are shared: reset them as soon as a result is read, and never step the
 * same SQL text in a nested call. */
static inline void
cb_sb_stmt_done (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

static inline void
cb_sb_bind_text (sqlite3_stmt *stmt,
                 int           col,
                 const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, col);
  else
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
}

/* Steps a statement that returns no rows we need, resets it. */
static inline gboolean
cb_sb_step_done (CbSandbox     *self,
                 sqlite3_stmt  *stmt,
                 GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      cb_sb_set_sqlite_error (self, error);
      cb_sb_stmt_done (stmt);
      return FALSE;
    }

  cb_sb_stmt_done (stmt);
  return TRUE;
}

/* ---- ARM (cb-sandbox-arm.c) ------------------------------------------------------------ */

/* Completes every long-running operation whose InProgress time is over. Called at the
 * start of every ARM request and before the CA engine reads ADR state, so completions are
 * lazy but never observable as late. */
void          cb_sb_arm_run_due_operations    (CbSandbox   *self);

/* "North Europe" -> "northeurope", as ARM writes locations in operation URLs. */
char         *cb_sb_arm_normalize_location    (const char  *location);

/* ---- CA engine (cb-sandbox-ca.c) -------------------------------------------------------- */

/* Root CA of a namespace credential. */
gboolean      cb_sb_ca_create_root            (CbSandbox   *self,
                                               const char  *namespace_id,
                                               GError     **error);
gboolean      cb_sb_ca_has_root               (CbSandbox   *self,
                                               const char  *namespace_id);
void          cb_sb_ca_delete_root            (CbSandbox   *self,
                                               const char  *namespace_id);

/* A new issuing CA for policy_id: signed by the namespace root, or (byor) a pending one
 * with a service-generated key and CSR. Returns the issuer id (32 hex, also its CN). */
char         *cb_sb_ca_create_issuer          (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *policy_id,
                                               gboolean     byor,
                                               GError     **error);
/* Puts the issuer on its root's CRL; its leaves are refused from now on. */
gboolean      cb_sb_ca_revoke_issuer          (CbSandbox   *self,
                                               const char  *issuer_id,
                                               GError     **error);
/* Forgets a pending (never activated) BYOR issuer and its key. */
void          cb_sb_ca_drop_pending_issuer    (CbSandbox   *self,
                                               const char  *issuer_id);
/* Checks a customer chain for a pending BYOR issuer (G_IO_ERROR_INVALID_ARGUMENT with a
 * precise message when it is not acceptable). */
gboolean      cb_sb_ca_check_byor_chain       (CbSandbox   *self,
                                               const char  *issuer_id,
                                               const char  *chain_pem,
                                               GError     **error);
gboolean      cb_sb_ca_activate_issuer        (CbSandbox   *self,
                                               const char  *issuer_id,
                                               const char  *chain_pem,
                                               GError     **error);

typedef struct
{
  char    *status;        /* "pending", "active", "revoked" */
  char    *subject;
  char    *csr_pem;       /* BYOR only */
  char    *thumbprint;    /* SHA-1, upper-case hex; NULL while pending */
  gint64   not_before;    /* 0 while pending */
  gint64   not_after;
  gboolean byor;
} CbSbIssuerInfo;

gboolean      cb_sb_ca_get_issuer_info        (CbSandbox      *self,
                                               const char     *issuer_id,
                                               CbSbIssuerInfo *info);
void          cb_sb_issuer_info_clear         (CbSbIssuerInfo *info);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbIssuerInfo, cb_sb_issuer_info_clear)

/* Marks every leaf ever issued to the device as revoked (they go on the issuing CA's CRL). */
void          cb_sb_ca_revoke_device_leaves   (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *device_name);

/* Puts the issuer on the hub as certificate `name` (replacing what had that name). */
gboolean      cb_sb_ca_put_hub_certificate    (CbSandbox   *self,
                                               const char  *hub,
                                               const char  *name,
                                               const char  *issuer_id,
                                               const char  *policy_id,
                                               GError     **error);

/* "-----BEGIN <label>-----" armour, 64 columns. */
char         *cb_sb_der_to_pem                (const char  *label,
                                               GBytes      *der);

G_END_DECLS
