/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* The signing CA certificates of DPS instances: see cb-sb-dps-ca-store.h. */

#include "config.h"

#include "cb-sb-dps-ca-store.h"
#include "cb-sb-store.h"

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS dps_certificates ("
  "  dps TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  certificate TEXT NOT NULL,"
  "  verified INTEGER NOT NULL,"
  "  verification_code TEXT,"
  "  etag TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  PRIMARY KEY (dps, name)) STRICT;";

#define COLUMNS "dps, name, certificate, verified, verification_code, etag, created, updated"

void
cb_sb_dps_ca_cert_free (CbSbDpsCaCert *cert)
{
  if (cert == NULL)
    return;
  g_free (cert->dps);
  g_free (cert->name);
  g_free (cert->certificate);
  g_free (cert->verification_code);
  g_free (cert->etag);
  g_free (cert);
}

gboolean
cb_sb_dps_ca_store_init (CbSandbox  *self,
                         GError    **error)
{
  return cb_sb_exec (self, schema, error);
}

char *
cb_sb_dps_ca_new_etag (void)
{
  guint8 bytes[8];

  for (guint i = 0; i < G_N_ELEMENTS (bytes); i++)
    bytes[i] = (guint8) g_random_int_range (0, 256);
  return g_base64_encode (bytes, sizeof bytes);
}

static CbSbDpsCaCert *
from_row (sqlite3_stmt *stmt)
{
  CbSbDpsCaCert *cert = g_new0 (CbSbDpsCaCert, 1);

  cert->dps = cb_sb_column_dup (stmt, 0);
  cert->name = cb_sb_column_dup (stmt, 1);
  cert->certificate = cb_sb_column_dup (stmt, 2);
  cert->verified = sqlite3_column_int (stmt, 3) != 0;
  cert->verification_code = cb_sb_column_dup (stmt, 4);
  cert->etag = cb_sb_column_dup (stmt, 5);
  cert->created = sqlite3_column_int64 (stmt, 6);
  cert->updated = sqlite3_column_int64 (stmt, 7);
  return cert;
}

CbSbDpsCaCert *
cb_sb_dps_ca_cert_load (CbSandbox  *self,
                        const char *dps,
                        const char *name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT " COLUMNS " FROM dps_certificates "
                                                  "WHERE dps = ? AND name = ?");
  CbSbDpsCaCert *cert = NULL;

  sqlite3_bind_text (stmt, 1, dps, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    cert = from_row (stmt);
  return cert;
}

GPtrArray *
cb_sb_dps_ca_cert_list (CbSandbox  *self,
                        const char *dps)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT " COLUMNS " FROM dps_certificates "
                                                  "WHERE dps = ? ORDER BY name");
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_dps_ca_cert_free);

  sqlite3_bind_text (stmt, 1, dps, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (list, from_row (stmt));
  return list;
}

gboolean
cb_sb_dps_ca_cert_save (CbSandbox     *self,
                        CbSbDpsCaCert *cert,
                        GError       **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "INSERT OR REPLACE INTO dps_certificates "
                                                  "(" COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, cert->dps, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, cert->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, cert->certificate, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, cert->verified ? 1 : 0);
  if (cert->verification_code != NULL)
    sqlite3_bind_text (stmt, 5, cert->verification_code, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 5);
  sqlite3_bind_text (stmt, 6, cert->etag, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, cert->created);
  sqlite3_bind_int64 (stmt, 8, cert->updated);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
cb_sb_dps_ca_cert_delete (CbSandbox   *self,
                          const char  *dps,
                          const char  *name,
                          GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM dps_certificates "
                                                  "WHERE dps = ? AND name = ?");

  sqlite3_bind_text (stmt, 1, dps, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }
  return TRUE;
}

CbCertificate *
cb_sb_dps_ca_cert_parse (CbSbDpsCaCert *cert)
{
  return cert != NULL ? cb_certificate_new_from_text (cert->certificate) : NULL;
}
