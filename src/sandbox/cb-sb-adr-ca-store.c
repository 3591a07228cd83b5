/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The certificate authorities and certificate policies of ADR's stable 2026-11-01 model:
 * tables adr_cas (a namespace's root and its intermediate CAs, each ICA naming the CA
 * engine's issuer that holds its key and certificate) and adr_ca_policies (the policies
 * under a CA), their ids and who changed them. Rows in and out, no rules: the rules are
 * cb-sb-adr-ca-rules.c. The lookup DPS makes for an enrollment that names namespace, CA and
 * policy (cb_sb_adr_ca_find_policy) reads only these rows. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ca-store.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

static const char *schema =
  "CREATE TABLE IF NOT EXISTS adr_cas ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  ca_type TEXT NOT NULL,"
  "  key_type TEXT NOT NULL,"
  "  issuer_type TEXT,"
  "  parent_id TEXT COLLATE NOCASE,"
  "  issuer_id TEXT,"
  "  status TEXT,"
  "  uuid TEXT NOT NULL,"
  "  location TEXT NOT NULL,"
  "  tags TEXT,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS adr_cas_ns ON adr_cas (namespace_id);"
  "CREATE TABLE IF NOT EXISTS adr_ca_policies ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  ca_id TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  validity_days INTEGER NOT NULL,"
  "  uuid TEXT NOT NULL,"
  "  location TEXT,"
  "  tags TEXT,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS adr_ca_policies_ca ON adr_ca_policies (ca_id);";

gboolean
cb_sb_adr_ca_store_init (CbSandbox  *self,
                         GError    **error)
{
  return cb_sb_exec (self, schema, error);
}

char *
cb_sb_adr_ca_id (const char *namespace_id,
                 const char *ca_name)
{
  return g_strdup_printf ("%s/certificateAuthorities/%s", namespace_id, ca_name);
}

char *
cb_sb_adr_ca_policy_id (const char *ca_id,
                        const char *policy_name)
{
  return g_strdup_printf ("%s/certificatePolicies/%s", ca_id, policy_name);
}

static GPtrArray *
column_list (sqlite3_stmt *stmt)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (out, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  return out;
}

/* The one row sql (one parameter: key) selects, column i into *columns[i]; a NULL entry is the
 * integer column, read into *number. FALSE when there is no such row. */
static gboolean
read_row (CbSandbox         *self,
          const char        *sql,
          const char        *key,
          char ** const      columns[],
          guint              n_columns,
          gint64            *number)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  cb_sb_bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return FALSE;
    }

  for (guint i = 0; i < n_columns; i++)
    {
      if (columns[i] != NULL)
        *columns[i] = cb_sb_column_dup (stmt, (int) i);
      else if (number != NULL)
        *number = sqlite3_column_int64 (stmt, (int) i);
    }
  cb_sb_stmt_done (stmt);

  return TRUE;
}

/* ---- Certificate authorities ------------------------------------------------------------ */

gboolean
cb_sb_adr_ca_status_usable (const char *status)
{
  return g_strcmp0 (status, CB_SB_CA_ACTIVE) == 0 ||
         g_strcmp0 (status, CB_SB_CA_PENDING_RENEWAL) == 0;
}

void
cb_sb_ca_row_clear (CbSbCaRow *row)
{
  g_free (row->id);
  g_free (row->namespace_id);
  g_free (row->name);
  g_free (row->ca_type);
  g_free (row->key_type);
  g_free (row->issuer_type);
  g_free (row->parent_id);
  g_free (row->issuer_id);
  g_free (row->status);
  g_free (row->uuid);
  g_free (row->location);
  g_free (row->tags);
  g_free (row->state);
  memset (row, 0, sizeof *row);
}

gboolean
cb_sb_adr_ca_row (CbSandbox  *self,
                  const char *ca_id,
                  CbSbCaRow  *row)
{
  char ** const columns[] = {
    &row->id, &row->namespace_id, &row->name, &row->ca_type, &row->key_type, &row->issuer_type,
    &row->parent_id, &row->issuer_id, &row->status, &row->uuid, &row->location, &row->tags,
    &row->state,
  };

  memset (row, 0, sizeof *row);
  return read_row (self,
                   "SELECT id, namespace_id, name, ca_type, key_type, issuer_type, "
                   "  parent_id, issuer_id, status, uuid, location, tags, state "
                   "FROM adr_cas WHERE id = ?",
                   ca_id, columns, G_N_ELEMENTS (columns), NULL);
}

GPtrArray *
cb_sb_adr_ca_ids (CbSandbox  *self,
                  const char *namespace_id,
                  const char *ca_type)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT id FROM adr_cas WHERE namespace_id = ?1 "
                        "  AND (?2 IS NULL OR ca_type = ?2) ORDER BY name");
  cb_sb_bind_text (stmt, 1, namespace_id);
  cb_sb_bind_text (stmt, 2, ca_type);

  return column_list (stmt);
}

gboolean
cb_sb_adr_insert_ca (CbSandbox       *self,
                     const CbSbCaRow *row,
                     CbSbActor        actor,
                     GError         **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_cas (id, namespace_id, name, ca_type, key_type, "
                        "  issuer_type, parent_id, issuer_id, status, uuid, location, tags, "
                        "  state, " CB_SB_ADR_SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                        "  ?14, ?15, ?16, ?14, ?15, ?16)");
  cb_sb_bind_text (stmt, 1, row->id);
  cb_sb_bind_text (stmt, 2, row->namespace_id);
  cb_sb_bind_text (stmt, 3, row->name);
  cb_sb_bind_text (stmt, 4, row->ca_type);
  cb_sb_bind_text (stmt, 5, row->key_type);
  cb_sb_bind_text (stmt, 6, row->issuer_type);
  cb_sb_bind_text (stmt, 7, row->parent_id);
  cb_sb_bind_text (stmt, 8, row->issuer_id);
  cb_sb_bind_text (stmt, 9, row->status);
  cb_sb_bind_text (stmt, 10, row->uuid);
  cb_sb_bind_text (stmt, 11, row->location);
  cb_sb_bind_text (stmt, 12, row->tags);
  cb_sb_bind_text (stmt, 13, row->state);
  cb_sb_bind_text (stmt, 14, actor.name);
  cb_sb_bind_text (stmt, 15, actor.type);
  sqlite3_bind_int64 (stmt, 16, cb_sb_now_usec (self));

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_set_ca_issuer (CbSandbox   *self,
                         const char  *ca_id,
                         const char  *issuer_id,
                         const char  *status,
                         GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "UPDATE adr_cas SET issuer_id = COALESCE (?1, issuer_id), "
                        "  status = COALESCE (?2, status) WHERE id = ?3");
  cb_sb_bind_text (stmt, 1, issuer_id);
  cb_sb_bind_text (stmt, 2, status);
  cb_sb_bind_text (stmt, 3, ca_id);

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_update_ca (CbSandbox   *self,
                     const char  *ca_id,
                     const char  *tags,
                     CbSbActor    actor,
                     GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "UPDATE adr_cas SET tags = ?1, modified_by = ?2, modified_by_type = ?3, "
                        "  modified_at = ?4 WHERE id = ?5");
  cb_sb_bind_text (stmt, 1, tags);
  cb_sb_bind_text (stmt, 2, actor.name);
  cb_sb_bind_text (stmt, 3, actor.type);
  sqlite3_bind_int64 (stmt, 4, cb_sb_now_usec (self));
  cb_sb_bind_text (stmt, 5, ca_id);

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_delete_ca (CbSandbox   *self,
                     const char  *ca_id,
                     GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM adr_cas WHERE id = ?");

  cb_sb_bind_text (stmt, 1, ca_id);
  return cb_sb_step_done (self, stmt, error);
}

/* ---- Certificate policies --------------------------------------------------------------- */

void
cb_sb_ca_policy_row_clear (CbSbCaPolicyRow *row)
{
  g_free (row->id);
  g_free (row->ca_id);
  g_free (row->name);
  g_free (row->uuid);
  g_free (row->location);
  g_free (row->tags);
  g_free (row->state);
  memset (row, 0, sizeof *row);
}

gboolean
cb_sb_adr_ca_policy_row (CbSandbox       *self,
                         const char      *policy_id,
                         CbSbCaPolicyRow *row)
{
  char ** const columns[] = {
    &row->id, &row->ca_id, &row->name, NULL /* validity_days */, &row->uuid, &row->location,
    &row->tags, &row->state,
  };

  memset (row, 0, sizeof *row);
  return read_row (self,
                   "SELECT id, ca_id, name, validity_days, uuid, location, tags, state "
                   "FROM adr_ca_policies WHERE id = ?",
                   policy_id, columns, G_N_ELEMENTS (columns), &row->validity_days);
}

GPtrArray *
cb_sb_adr_ca_policy_ids (CbSandbox  *self,
                         const char *ca_id)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self, "SELECT id FROM adr_ca_policies WHERE ca_id = ? ORDER BY name");
  cb_sb_bind_text (stmt, 1, ca_id);

  return column_list (stmt);
}

gboolean
cb_sb_adr_insert_ca_policy (CbSandbox             *self,
                            const CbSbCaPolicyRow *row,
                            CbSbActor              actor,
                            GError               **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_ca_policies (id, ca_id, name, validity_days, uuid, "
                        "  location, tags, state, " CB_SB_ADR_SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?9, ?10, ?11)");
  cb_sb_bind_text (stmt, 1, row->id);
  cb_sb_bind_text (stmt, 2, row->ca_id);
  cb_sb_bind_text (stmt, 3, row->name);
  sqlite3_bind_int64 (stmt, 4, row->validity_days);
  cb_sb_bind_text (stmt, 5, row->uuid);
  cb_sb_bind_text (stmt, 6, row->location);
  cb_sb_bind_text (stmt, 7, row->tags);
  cb_sb_bind_text (stmt, 8, row->state);
  cb_sb_bind_text (stmt, 9, actor.name);
  cb_sb_bind_text (stmt, 10, actor.type);
  sqlite3_bind_int64 (stmt, 11, cb_sb_now_usec (self));

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_update_ca_policy (CbSandbox   *self,
                            const char  *policy_id,
                            gint64       validity_days,
                            const char  *tags,
                            CbSbActor    actor,
                            GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "UPDATE adr_ca_policies SET "
                        "  validity_days = CASE WHEN ?1 > 0 THEN ?1 ELSE validity_days END, "
                        "  tags = ?2, modified_by = ?3, modified_by_type = ?4, modified_at = ?5 "
                        "WHERE id = ?6");
  sqlite3_bind_int64 (stmt, 1, validity_days);
  cb_sb_bind_text (stmt, 2, tags);
  cb_sb_bind_text (stmt, 3, actor.name);
  cb_sb_bind_text (stmt, 4, actor.type);
  sqlite3_bind_int64 (stmt, 5, cb_sb_now_usec (self));
  cb_sb_bind_text (stmt, 6, policy_id);

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_delete_ca_policy (CbSandbox   *self,
                            const char  *policy_id,
                            GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM adr_ca_policies WHERE id = ?");

  cb_sb_bind_text (stmt, 1, policy_id);
  return cb_sb_step_done (self, stmt, error);
}

/* ---- For DPS ---------------------------------------------------------------------------- */

gboolean
cb_sb_adr_ca_find_policy (CbSandbox   *self,
                          const char  *namespace_id,
                          const char  *ca_name,
                          const char  *policy_name,
                          char       **issuer_id,
                          char       **policy_id,
                          guint       *validity_days,
                          GError     **error)
{
  g_autofree char *ca_id = NULL;
  g_autofree char *pol_id = NULL;
  g_auto(CbSbCaRow) ca = { 0 };
  g_auto(CbSbCaPolicyRow) policy = { 0 };

  g_return_val_if_fail (namespace_id != NULL && ca_name != NULL && policy_name != NULL, FALSE);

  ca_id = cb_sb_adr_ca_id (namespace_id, ca_name);
  if (!cb_sb_adr_ca_row (self, ca_id, &ca))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The certificate authority '%s' does not exist in the namespace.", ca_name);
      return FALSE;
    }
  if (g_strcmp0 (ca.ca_type, CB_SB_CA_TYPE_ICA) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The certificate authority '%s' is a root; an enrollment names an "
                   "intermediate CA.", ca_name);
      return FALSE;
    }

  pol_id = cb_sb_adr_ca_policy_id (ca.id, policy_name);
  if (!cb_sb_adr_ca_policy_row (self, pol_id, &policy) ||
      g_strcmp0 (policy.state, "Deleting") == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The certificate policy '%s' does not exist under the certificate "
                   "authority '%s'.", policy_name, ca_name);
      return FALSE;
    }

  if (ca.issuer_id == NULL || !cb_sb_adr_ca_status_usable (ca.status) ||
      g_strcmp0 (ca.state, "Succeeded") != 0 || g_strcmp0 (policy.state, "Succeeded") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   "The certificate authority '%s' cannot issue certificates yet (%s).",
                   ca_name, ca.issuer_id == NULL ? "being created"
                   : g_strcmp0 (ca.status, CB_SB_CA_PENDING) == 0 ? "pending activation"
                   : "being changed");
      return FALSE;
    }

  if (issuer_id != NULL)
    *issuer_id = g_steal_pointer (&ca.issuer_id);
  if (policy_id != NULL)
    *policy_id = g_steal_pointer (&policy.id);
  if (validity_days != NULL)
    *validity_days = (guint) policy.validity_days;

  return TRUE;
}
