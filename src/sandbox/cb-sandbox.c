/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "cb-json-limits.h"
#include "cb-sandbox-private.h"
#include "cb-util.h"

/* The sandbox's infrastructure: the TLS server and its CA, the router, request contexts and
 * replies in each Azure surface's error style, bearer authentication and RBAC, topology tables,
 * fault injection, the clock and the SQLite store. Route modules live in cb-sandbox-*.c. */

struct _CbSbRoute
{
  char        *method;
  char       **segments;   /* pattern split on '/', without the leading empty one */
  CbSbStyle    style;
  CbSbHandler  handler;
};

struct _CbSbFault
{
  char         *method;      /* NULL: any */
  GPatternSpec *path;        /* glob on the decoded path */
  char         *path_text;
  guint         latency_ms;
  guint         status;      /* 0: no status fault */
  guint         retry_after;
  int           remaining;   /* -1: unlimited */
  char         *kind;        /* "lro", "dps", ... for cb_sb_fault_wants() */
  char         *value;
};

G_DEFINE_FINAL_TYPE (CbSandbox, cb_sandbox, G_TYPE_OBJECT)
G_DEFINE_QUARK (cb-sandbox-error-quark, cb_sandbox_error)

static const char infra_schema[] =
  "CREATE TABLE IF NOT EXISTS meta ("
  "  key TEXT PRIMARY KEY, value TEXT) STRICT;"
  "CREATE TABLE IF NOT EXISTS principals ("
  "  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, display_name TEXT) STRICT;"
  "CREATE TABLE IF NOT EXISTS role_assignments ("
  "  principal_id TEXT NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL, scope TEXT NOT NULL COLLATE NOCASE,"
  "  PRIMARY KEY (principal_id, role, scope)) STRICT;"
  "CREATE TABLE IF NOT EXISTS tokens ("
  "  hash TEXT PRIMARY KEY, kind TEXT NOT NULL, principal_id TEXT NOT NULL,"
  "  audience TEXT NOT NULL, scope TEXT, client_id TEXT, expires INTEGER NOT NULL) STRICT;"
  "CREATE TABLE IF NOT EXISTS hubs ("
  "  name TEXT PRIMARY KEY COLLATE NOCASE, subscription TEXT NOT NULL,"
  "  resource_group TEXT NOT NULL, namespace_id TEXT COLLATE NOCASE, host_name TEXT NOT NULL,"
  "  created INTEGER NOT NULL) STRICT;"
  "CREATE TABLE IF NOT EXISTS hub_keys ("
  "  hub TEXT NOT NULL COLLATE NOCASE, key_name TEXT NOT NULL, primary_key TEXT NOT NULL,"
  "  secondary_key TEXT NOT NULL, rights TEXT NOT NULL, PRIMARY KEY (hub, key_name)) STRICT;"
  "CREATE TABLE IF NOT EXISTS dps_instances ("
  "  name TEXT PRIMARY KEY COLLATE NOCASE, id_scope TEXT NOT NULL UNIQUE COLLATE NOCASE,"
  "  subscription TEXT NOT NULL, resource_group TEXT NOT NULL, namespace_id TEXT COLLATE NOCASE,"
  "  linked_hub TEXT, host_name TEXT NOT NULL, owner_key TEXT NOT NULL,"
  "  created INTEGER NOT NULL) STRICT;";

static void module_data_free (gpointer p);

static void
cb_sb_route_free (CbSbRoute *route)
{
  g_free (route->method);
  g_strfreev (route->segments);
  g_free (route);
}

static void
cb_sb_fault_free (CbSbFault *fault)
{
  g_free (fault->method);
  g_clear_pointer (&fault->path, g_pattern_spec_free);
  g_free (fault->path_text);
  g_free (fault->kind);
  g_free (fault->value);
  g_free (fault);
}

static void
cb_sandbox_finalize (GObject *object)
{
  CbSandbox *self = (CbSandbox *)object;

  cb_sandbox_stop (self);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->bind_address, g_free);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->module_data, g_hash_table_unref);
  g_clear_object (&self->events);
  g_rec_mutex_clear (&self->lock);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (cb_sandbox_parent_class)->finalize (object);
}

static void
cb_sandbox_class_init (CbSandboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_sandbox_finalize;
}

static void
cb_sandbox_init (CbSandbox *self)
{
  self->bind_address = g_strdup ("127.0.0.1");
  self->page_size = 100;
  self->lro_delay_ms = 1000;
  self->max_policies = 1;
  self->clock_rate = 1.0;
  self->auto_approve = TRUE;
  self->device_code_interval = 5;
  self->handshake_timeout_ms = 10000;
  self->idle_timeout_ms = 60000;
  self->lock_fd = -1;
  self->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_route_free);
  self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_fault_free);
  self->events = cb_sb_events_new ();
  self->module_data = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, module_data_free);
  g_rec_mutex_init (&self->lock);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

CbSandbox *
cb_sandbox_new (const char *data_dir)
{
  CbSandbox *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (CB_TYPE_SANDBOX, NULL);
  if (g_path_is_absolute (data_dir))
    self->data_dir = g_strdup (data_dir);
  else
    {
      g_autofree char *cwd = g_get_current_dir ();
      self->data_dir = g_build_filename (cwd, data_dir, NULL);
    }

  return self;
}

void
cb_sandbox_set_port (CbSandbox *self,
                     guint16    port)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->port = port;
}

void
cb_sandbox_set_bind_address (CbSandbox  *self,
                             const char *address,
                             gboolean    allow_remote)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  cb_set_str (&self->bind_address, address != NULL ? address : "127.0.0.1");
  self->allow_remote = allow_remote;
}

void
cb_sandbox_set_page_size (CbSandbox *self,
                          guint      page_size)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->page_size = MAX (page_size, 1);
}

void
cb_sandbox_set_lro_delay_ms (CbSandbox *self,
                             guint      delay_ms)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->lro_delay_ms = delay_ms;
}

void
cb_sandbox_set_auto_approve (CbSandbox *self,
                             gboolean   auto_approve)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->auto_approve = !!auto_approve;
}

void
cb_sandbox_set_max_policies (CbSandbox *self,
                             guint      max_policies)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->max_policies = MAX (max_policies, 1);
}

void
cb_sandbox_set_connection_timeouts (CbSandbox *self,
                                    guint      handshake_ms,
                                    guint      idle_ms)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->handshake_timeout_ms = handshake_ms;
  self->idle_timeout_ms = idle_ms;
}

void
cb_sandbox_set_device_code_interval (CbSandbox *self,
                                     guint      seconds)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  /* 0 lets a client poll at once: only sensible with auto-approval, for an in-process sandbox
   * whose codes approve themselves (the app's first run); Entra itself says 5. */
  self->device_code_interval = seconds;
}

const char *
cb_sandbox_get_data_dir (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  return self->data_dir;
}

void
cb_sandbox_set_mqtt_port (CbSandbox *self,
                          guint16    port)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->mqtt_port = port;
}

guint16
cb_sandbox_get_mqtt_port (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), 0);
  return self->mqtt_port;
}

guint16
cb_sandbox_get_port (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), 0);
  return self->port;
}

const char *
cb_sandbox_get_base_url (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  return self->base_url;
}

const char *
cb_sandbox_get_ca_file (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  return self->ca_file;
}

void
cb_sandbox_lock (CbSandbox *self)
{
  g_rec_mutex_lock (&self->lock);
}

void
cb_sandbox_unlock (CbSandbox *self)
{
  g_rec_mutex_unlock (&self->lock);
}

/* ---- Clock ----------------------------------------------------------------------------- */

static char     *meta_get (CbSandbox *self, const char *key);
static gboolean  meta_set (CbSandbox *self, const char *key, const char *value);

static gint64
clock_accel_usec (CbSandbox *self,
                  gint64     real_usec)
{
  if (self->clock_rate == 1.0)
    return self->clock_accel_usec;
  return self->clock_accel_usec +
         (gint64) ((double) (real_usec - self->clock_rate_since) * (self->clock_rate - 1.0));
}

gint64
cb_sandbox_now_usec (CbSandbox *self)
{
  gint64 real = g_get_real_time ();

  return real + self->clock_offset * G_USEC_PER_SEC + clock_accel_usec (self, real);
}

gint64
cb_sandbox_now (CbSandbox *self)
{
  return cb_sandbox_now_usec (self) / G_USEC_PER_SEC;
}

gint64
cb_sandbox_session_now (CbSandbox *self)
{
  return g_get_real_time () / G_USEC_PER_SEC + self->clock_offset;
}

/* The world clock belongs to the data, not to the process: certificates issued on a clock that
 * ran fast must not turn "not yet valid" when the sandbox restarts. Kept as the offset, the time
 * gained at earlier rates, and the current rate since when (all relative to real time). */
static void
clock_save (CbSandbox *self)
{
  char rate[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *text = NULL;

  g_ascii_dtostr (rate, sizeof rate, self->clock_rate);
  text = g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s",
                          self->clock_offset, self->clock_accel_usec, self->clock_rate_since,
                          rate);
  if (!meta_set (self, "clock", text))
    g_warning ("The sandbox clock could not be saved: %s", sqlite3_errmsg (self->db));
}

static void
clock_load (CbSandbox *self)
{
  g_autofree char *text = meta_get (self, "clock");
  g_auto(GStrv) parts = NULL;
  double rate;

  if (text == NULL)
    return;
  parts = g_strsplit (text, " ", -1);
  if (g_strv_length (parts) != 4)
    return;
  rate = g_ascii_strtod (parts[3], NULL);
  if (!(rate >= 1.0 && rate <= 1e6))
    return;
  self->clock_offset = g_ascii_strtoll (parts[0], NULL, 10);
  self->clock_accel_usec = g_ascii_strtoll (parts[1], NULL, 10);
  self->clock_rate_since = g_ascii_strtoll (parts[2], NULL, 10);
  self->clock_rate = rate;
}

static void
clock_set_rate (CbSandbox *self,
                double     rate)
{
  gint64 real = g_get_real_time ();

  self->clock_accel_usec = clock_accel_usec (self, real);
  self->clock_rate_since = real;
  self->clock_rate = rate;
}

/* ---- Module data ----------------------------------------------------------------------- */

typedef struct
{
  gpointer       data;
  GDestroyNotify destroy;
} ModuleData;

static void
module_data_free (gpointer p)
{
  ModuleData *md = p;

  if (md->destroy != NULL)
    md->destroy (md->data);
  g_free (md);
}

gpointer
cb_sandbox_get_module_data (CbSandbox  *self,
                            const char *module)
{
  ModuleData *md = g_hash_table_lookup (self->module_data, module);

  return md != NULL ? md->data : NULL;
}

void
cb_sandbox_set_module_data (CbSandbox      *self,
                            const char     *module,
                            gpointer        data,
                            GDestroyNotify  destroy)
{
  ModuleData *md = g_new0 (ModuleData, 1);

  md->data = data;
  md->destroy = destroy;
  g_hash_table_insert (self->module_data, g_strdup (module), md);
}

/* ---- Store ----------------------------------------------------------------------------- */

void
cb_sb_set_sqlite_error (CbSandbox  *self,
                        GError    **error)
{
  g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE,
               "Database error: %s", self->db != NULL ? sqlite3_errmsg (self->db) : "not open");
}

sqlite3_stmt *
cb_sb_prepare (CbSandbox  *self,
               const char *sql)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  g_assert (self->db != NULL);

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      /* A malformed statement is a programming error, not a runtime condition. */
      g_critical ("Cannot prepare \"%s\": %s", sql, sqlite3_errmsg (self->db));
      return NULL;
    }

  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

void
cb_sb_stmt_release (CbSbStmt *stmt)
{
  if (stmt != NULL)
    sqlite3_reset (stmt);
}

void
cb_sb_check_statements (CbSandbox  *self,
                        const char *where)
{
  sqlite3_stmt *stmt = NULL;

  if (self->db == NULL)
    return;

  while ((stmt = sqlite3_next_stmt (self->db, stmt)) != NULL)
    if (sqlite3_stmt_busy (stmt))
      {
        g_critical ("A statement was left open by %s: %s", where, sqlite3_sql (stmt));
        sqlite3_reset (stmt);
      }
}

gboolean
cb_sb_exec (CbSandbox   *self,
            const char  *sql,
            GError     **error)
{
  char *errmsg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE, "Database error: %s",
                   errmsg != NULL ? errmsg : "unknown");
      sqlite3_free (errmsg);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sb_begin (CbSandbox *self)
{
  return sqlite3_exec (self->db, "SAVEPOINT cb", NULL, NULL, NULL) == SQLITE_OK;
}

gboolean
cb_sb_commit (CbSandbox *self)
{
  return sqlite3_exec (self->db, "RELEASE cb", NULL, NULL, NULL) == SQLITE_OK;
}

void
cb_sb_rollback (CbSandbox *self)
{
  sqlite3_exec (self->db, "ROLLBACK TO cb", NULL, NULL, NULL);
  sqlite3_exec (self->db, "RELEASE cb", NULL, NULL, NULL);
}

char *
cb_sb_column_dup (sqlite3_stmt *stmt,
                  int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static gboolean
open_store (CbSandbox  *self,
            GError    **error)
{
  g_autofree char *path = g_build_filename (self->data_dir, "sandbox.db", NULL);
  int fd;

  /* Create the file 0600 before SQLite does, so it never exists with a wider mode. */
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE,
                   "Cannot open %s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  close (fd);
  g_chmod (path, 0600);

  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                       NULL) != SQLITE_OK)
    {
      cb_sb_set_sqlite_error (self, error);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }

  sqlite3_busy_timeout (self->db, 5000);
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            finalize_statement);

  return cb_sb_exec (self,
                     "PRAGMA journal_mode=WAL;"
                     "PRAGMA synchronous=NORMAL;"
                     "PRAGMA foreign_keys=ON;",
                     error) &&
         cb_sb_exec (self, infra_schema, error);
}

static void
close_store (CbSandbox *self)
{
  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->db, sqlite3_close);
}

static char *
meta_get (CbSandbox  *self,
          const char *key)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT value FROM meta WHERE key = ?");

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return cb_sb_column_dup (stmt, 0);

  return NULL;
}

static gboolean
meta_set (CbSandbox  *self,
          const char *key,
          const char *value)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_DONE;
}

char *
cb_sandbox_dup_meta (CbSandbox  *self,
                     const char *key)
{
  return meta_get (self, key);
}

gboolean
cb_sandbox_set_meta (CbSandbox  *self,
                     const char *key,
                     const char *value)
{
  return meta_set (self, key, value);
}

/* ---- Keys ------------------------------------------------------------------------------ */

static char *
keys_dir (CbSandbox *self)
{
  return g_build_filename (self->data_dir, "keys", NULL);
}

char *
cb_sb_store_key (CbSandbox  *self,
                 CbKey      *key,
                 GError    **error)
{
  g_autofree char *dir = keys_dir (self);
  g_autofree char *pem = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  if (!cb_mkdir_private (dir, error))
    return NULL;

  if (!(pem = cb_key_to_pem (key, error)))
    return NULL;

  {
    g_autofree char *uuid = g_uuid_string_random ();
    name = g_strdup_printf ("%s.key", uuid);
  }
  path = g_build_filename (dir, name, NULL);

  if (!cb_write_private_file (path, pem, -1, error))
    return NULL;

  memset (pem, 0, strlen (pem));
  return g_steal_pointer (&name);
}

CbKey *
cb_sb_load_key (CbSandbox   *self,
                const char  *key_ref,
                GError     **error)
{
  g_autofree char *dir = keys_dir (self);
  g_autofree char *path = NULL;
  g_autofree char *pem = NULL;
  gsize len = 0;
  CbKey *key;

  if (key_ref == NULL || strchr (key_ref, '/') != NULL || key_ref[0] == '.')
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE, "Invalid key reference");
      return NULL;
    }

  path = g_build_filename (dir, key_ref, NULL);
  if (!g_file_get_contents (path, &pem, &len, error))
    return NULL;

  key = cb_key_new_from_pem (pem, len, error);
  memset (pem, 0, len);
  return key;
}

void
cb_sb_delete_key (CbSandbox  *self,
                  const char *key_ref)
{
  g_autofree char *dir = keys_dir (self);
  g_autofree char *path = NULL;

  if (key_ref == NULL || strchr (key_ref, '/') != NULL || key_ref[0] == '.')
    return;

  path = g_build_filename (dir, key_ref, NULL);
  g_unlink (path);
}

/* ---- TLS identity ---------------------------------------------------------------------- */

/* The sandbox's own CA signs its server certificate. Clients pin sandbox-ca.pem instead of
 * turning verification off. Both are made on first start and kept. */
static gboolean
ensure_tls_identity (CbSandbox  *self,
                     char      **out_cert_file,
                     char      **out_key_file,
                     GError    **error)
{
  g_autofree char *tls_dir = g_build_filename (self->data_dir, "tls", NULL);
  g_autofree char *ca_file = g_build_filename (self->data_dir, "sandbox-ca.pem", NULL);
  g_autofree char *cert_file = g_build_filename (tls_dir, "server.pem", NULL);
  g_autofree char *key_file = g_build_filename (tls_dir, "server.key", NULL);
  g_autoptr(CbKey) ca_key = NULL;
  g_autoptr(CbKey) server_key = NULL;
  g_autoptr(GBytes) ca_pub = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  g_autoptr(GBytes) server_pub = NULL;
  g_autoptr(GBytes) server_der = NULL;
  g_autoptr(CbCertificate) ca_cert = NULL;
  g_autoptr(CbCertificate) server_cert = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *server_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *ca_dn = NULL;
  static const char * const server_eku[] = { CB_OID_EKU_SERVER_AUTH, NULL };
  static const char * const san_dns[] = { "localhost", NULL };
  static const char * const san_ip[] = { "127.0.0.1", "::1", NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile ca_profile = { 0 };
  CbCertProfile server_profile = { 0 };

  if (!cb_mkdir_private (tls_dir, error))
    return FALSE;

  if (g_file_test (ca_file, G_FILE_TEST_EXISTS) &&
      g_file_test (cert_file, G_FILE_TEST_EXISTS) &&
      g_file_test (key_file, G_FILE_TEST_EXISTS))
    {
      *out_cert_file = g_steal_pointer (&cert_file);
      *out_key_file = g_steal_pointer (&key_file);
      g_free (self->ca_file);
      self->ca_file = g_steal_pointer (&ca_file);
      return TRUE;
    }

  if (!(ca_key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)) ||
      !(server_key = cb_key_generate (CB_KEY_TYPE_EC_P256, error)))
    return FALSE;

  {
    g_autofree char *uuid = g_uuid_string_random ();
    ca_dn = g_strdup_printf ("CN=Certbench Sandbox Local CA %.8s,O=Certbench Sandbox", uuid);
  }
  ca_profile.subject_dn = ca_dn;
  ca_profile.not_before = now - 300;
  ca_profile.not_after = now + 10 * 365 * 86400LL;
  ca_profile.is_ca = TRUE;
  ca_profile.path_len = 0;
  ca_profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;

  ca_pub = cb_key_get_public_key_der (ca_key);
  if (!(ca_der = cb_cert_issue (&ca_profile, ca_pub, ca_key, NULL, error)))
    return FALSE;

  server_profile.subject_dn = "CN=localhost,O=Certbench Sandbox";
  server_profile.not_before = now - 300;
  server_profile.not_after = now + 5 * 365 * 86400LL;
  server_profile.is_ca = FALSE;
  server_profile.path_len = -1;
  server_profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  server_profile.ext_key_usage = server_eku;
  server_profile.san_dns = san_dns;
  server_profile.san_ip = san_ip;

  server_pub = cb_key_get_public_key_der (server_key);
  if (!(server_der = cb_cert_issue (&server_profile, server_pub, ca_key, ca_der, error)))
    return FALSE;

  if (!(ca_cert = cb_certificate_new_from_der (ca_der, error)) ||
      !(server_cert = cb_certificate_new_from_der (server_der, error)))
    return FALSE;

  ca_pem = cb_certificate_to_pem (ca_cert);
  server_pem = cb_certificate_to_pem (server_cert);
  chain_pem = g_strconcat (server_pem, ca_pem, NULL);

  if (!(key_pem = cb_key_to_pem (server_key, error)))
    return FALSE;

  /* The CA key is not kept: nothing else is ever signed with it. */
  if (!cb_write_private_file (key_file, key_pem, -1, error) ||
      !g_file_set_contents (cert_file, chain_pem, -1, error) ||
      !g_file_set_contents (ca_file, ca_pem, -1, error))
    return FALSE;

  memset (key_pem, 0, strlen (key_pem));

  *out_cert_file = g_steal_pointer (&cert_file);
  *out_key_file = g_steal_pointer (&key_file);
  g_free (self->ca_file);
  self->ca_file = g_steal_pointer (&ca_file);

  return TRUE;
}

/* ---- Routes ---------------------------------------------------------------------------- */

void
cb_sandbox_add_route (CbSandbox   *self,
                      const char  *method,
                      const char  *pattern,
                      CbSbStyle    style,
                      CbSbHandler  handler)
{
  CbSbRoute *route;

  g_return_if_fail (CB_IS_SANDBOX (self));
  g_return_if_fail (pattern != NULL && pattern[0] == '/');

  route = g_new0 (CbSbRoute, 1);
  route->method = g_strdup (method);
  route->segments = g_strsplit (pattern + 1, "/", -1);
  route->style = style;
  route->handler = handler;
  g_ptr_array_add (self->routes, route);
}

static gboolean
route_match (CbSbRoute   *route,
             char       **segments,
             GHashTable  *params)
{
  guint n_route = g_strv_length (route->segments);
  guint n_path = g_strv_length (segments);

  if (n_route != n_path)
    return FALSE;

  for (guint i = 0; i < n_route; i++)
    {
      const char *rs = route->segments[i];
      gsize len = strlen (rs);

      if (len > 2 && rs[0] == '{' && rs[len - 1] == '}')
        {
          if (segments[i][0] == '\0')
            return FALSE;
          if (params != NULL)
            g_hash_table_insert (params, g_strndup (rs + 1, len - 2), g_strdup (segments[i]));
        }
      else if (g_ascii_strcasecmp (rs, segments[i]) != 0)
        return FALSE;
    }

  return TRUE;
}

static CbSbStyle
style_for_path (const char *path)
{
  if (g_str_has_prefix (path, "/arm/"))
    return CB_SB_STYLE_ARM;
  if (g_str_has_prefix (path, "/dps/") || g_str_has_prefix (path, "/dps-service/"))
    return CB_SB_STYLE_DPS;
  if (g_str_has_prefix (path, "/hubs/"))
    return CB_SB_STYLE_HUB;
  if (g_str_has_prefix (path, "/entra/"))
    return CB_SB_STYLE_OAUTH;
  return CB_SB_STYLE_PLAIN;
}

/* ---- Requests and replies -------------------------------------------------------------- */

static void
cb_sb_request_free (CbSbRequest *req)
{
  g_clear_pointer (&req->params, g_hash_table_unref);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free ((char *) req->method);
  g_free ((char *) req->path);
  g_free (req->principal);
  g_free (req->principal_id);
  g_free (req->auth_key_name);
  g_free (req->correlation_id);
  g_clear_object (&req->msg);
  g_clear_object (&req->sandbox);
  g_free (req);
}

const char *
cb_sb_param (CbSbRequest *req,
             const char  *name)
{
  return req->params != NULL ? g_hash_table_lookup (req->params, name) : NULL;
}

const char *
cb_sb_query (CbSbRequest *req,
             const char  *name)
{
  return g_hash_table_lookup (req->query, name);
}

const char *
cb_sb_header (CbSbRequest *req,
              const char  *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), name);
}

void
cb_sb_set_header (CbSbRequest *req,
                  const char  *name,
                  const char  *value)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), name, value);
}

void
cb_sb_reply_json (CbSbRequest *req,
                  guint        status,
                  JsonNode    *node)
{
  g_assert (!req->replied);

  req->replied = TRUE;
  soup_server_message_set_status (req->msg, status, NULL);

  if (node != NULL)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      gsize len = 0;
      char *data;

      json_generator_set_root (gen, node);
      data = json_generator_to_data (gen, &len);
      soup_server_message_set_response (req->msg, "application/json; charset=utf-8",
                                        SOUP_MEMORY_TAKE, data, len);
      json_node_unref (node);
    }
  else
    {
      soup_server_message_set_response (req->msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
    }
}

void
cb_sb_reply_empty (CbSbRequest *req,
                   guint        status)
{
  cb_sb_reply_json (req, status, NULL);
}

static void
reply_error_valist (CbSbRequest *req,
                    guint        status,
                    const char  *code,
                    int          numeric_code,
                    const char  *target,
                    const char  *format,
                    va_list      args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *tracking = g_uuid_string_random ();
  g_autofree char *stamp = cb_time_format_precise (cb_sandbox_now_usec (req->sandbox));

  switch (req->style)
    {
    case CB_SB_STYLE_DPS:
      {
        g_autofree char *num = g_strdup_printf ("%d", numeric_code);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "errorCode");
        json_builder_add_int_value (b, numeric_code);
        json_builder_set_member_name (b, "trackingId");
        json_builder_add_string_value (b, tracking);
        json_builder_set_member_name (b, "message");
        json_builder_add_string_value (b, message);
        json_builder_set_member_name (b, "timestampUtc");
        json_builder_add_string_value (b, stamp);
        json_builder_end_object (b);
        cb_sb_set_header (req, "x-ms-error-code", num);
        break;
      }

    case CB_SB_STYLE_HUB:
      {
        g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (cb_sandbox_now (req->sandbox));
        g_autofree char *when = g_date_time_format (now, "%m/%d/%Y %H:%M:%S");
        g_autofree char *msg_text = g_strdup_printf ("ErrorCode:%s;%s", code, message);
        g_autofree char *exc = g_strdup_printf ("Tracking ID:%s-G:0-TimeStamp:%s", tracking, when);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "Message");
        json_builder_add_string_value (b, msg_text);
        json_builder_set_member_name (b, "ExceptionMessage");
        json_builder_add_string_value (b, exc);
        json_builder_end_object (b);
        cb_sb_set_header (req, "iothub-errorcode", code);
        break;
      }

    case CB_SB_STYLE_OAUTH:
      {
        g_autofree char *desc = g_strdup_printf ("AADSTS%d: %s", numeric_code, message);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "error");
        json_builder_add_string_value (b, code);
        json_builder_set_member_name (b, "error_description");
        json_builder_add_string_value (b, desc);
        json_builder_set_member_name (b, "error_codes");
        json_builder_begin_array (b);
        json_builder_add_int_value (b, numeric_code);
        json_builder_end_array (b);
        json_builder_set_member_name (b, "timestamp");
        json_builder_add_string_value (b, stamp);
        json_builder_set_member_name (b, "trace_id");
        json_builder_add_string_value (b, tracking);
        json_builder_set_member_name (b, "correlation_id");
        json_builder_add_string_value (b, req->correlation_id);
        json_builder_end_object (b);
        break;
      }

    case CB_SB_STYLE_ARM:
    case CB_SB_STYLE_PLAIN:
    default:
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      if (target != NULL)
        {
          json_builder_set_member_name (b, "target");
          json_builder_add_string_value (b, target);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
      if (req->style == CB_SB_STYLE_ARM)
        cb_sb_set_header (req, "x-ms-failure-cause", status >= 500 ? "service" : "gateway");
      break;
    }

  g_debug ("%s %s -> %u %s: %s", req->method, req->path, status, code, message);
  cb_sb_reply_json (req, status, json_builder_get_root (b));
}

void
cb_sb_reply_error (CbSbRequest *req,
                   guint        status,
                   const char  *code,
                   int          numeric_code,
                   const char  *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  reply_error_valist (req, status, code, numeric_code, NULL, format, args);
  va_end (args);
}

void
cb_sb_reply_arm_error (CbSbRequest *req,
                       guint        status,
                       const char  *code,
                       const char  *target,
                       const char  *format,
                       ...)
{
  va_list args;

  va_start (args, format);
  reply_error_valist (req, status, code, 0, target, format, args);
  va_end (args);
}

void
cb_sb_reply_limit_error (CbSbRequest  *req,
                         const GError *limit_error)
{
  gboolean too_large;

  g_assert (limit_error != NULL && limit_error->domain == CB_JSON_LIMIT_ERROR);

  too_large = limit_error->code == CB_JSON_LIMIT_ERROR_TOO_LARGE;
  if (too_large)
    {
      switch (req->style)
        {
        case CB_SB_STYLE_DPS:
        case CB_SB_STYLE_HUB:
          cb_sb_reply_error (req, 413, "RequestEntityTooLarge", 413001,
                             "The request body is too large: %s.", limit_error->message);
          break;
        case CB_SB_STYLE_OAUTH:
          cb_sb_reply_error (req, 413, "invalid_request", 90014,
                             "The request body is too large: %s.", limit_error->message);
          break;
        case CB_SB_STYLE_ARM:
        case CB_SB_STYLE_PLAIN:
        default:
          cb_sb_reply_arm_error (req, 413, "RequestEntityTooLarge", NULL,
                                 "The request body is too large: %s.", limit_error->message);
          break;
        }
      return;
    }

  switch (req->style)
    {
    case CB_SB_STYLE_DPS:
      cb_sb_reply_error (req, 400, "BadRequest", 400006,
                         "Malformed JSON: %s.", limit_error->message);
      break;
    case CB_SB_STYLE_HUB:
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400006,
                         "Malformed JSON: %s.", limit_error->message);
      break;
    case CB_SB_STYLE_OAUTH:
      cb_sb_reply_error (req, 400, "invalid_request", 90014,
                         "Malformed JSON: %s.", limit_error->message);
      break;
    case CB_SB_STYLE_ARM:
    case CB_SB_STYLE_PLAIN:
    default:
      cb_sb_reply_arm_error (req, 400, "InvalidRequestContent", NULL,
                             "The request content was invalid and could not be deserialized: %s.",
                             limit_error->message);
      break;
    }
}

JsonNode *
cb_sb_parse_json_body (const char  *data,
                       gsize        len,
                       GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;

  /* Before json-glib, which recurses once per level and crashes on a deep body. */
  if (!cb_json_check_limits (data, len, CB_JSON_MAX_REQUEST_SIZE, CB_JSON_MAX_DEPTH, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, error))
    return NULL;

  return json_parser_steal_root (parser);
}

JsonNode *
cb_sb_json_body (CbSbRequest *req,
                 gboolean     allow_empty)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (req->body, &len);
  JsonNode *root;

  if (len == 0)
    {
      if (!allow_empty)
        {
          if (req->style == CB_SB_STYLE_DPS)
            cb_sb_reply_error (req, 400, "BadRequest", 400004, "The request body is empty");
          else if (req->style == CB_SB_STYLE_HUB)
            cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "The request body is empty");
          else
            cb_sb_reply_arm_error (req, 400, "InvalidRequestContent", NULL,
                                   "The request content was invalid and could not be deserialized: "
                                   "the body is empty.");
        }
      return NULL;
    }

  if ((root = cb_sb_parse_json_body (data, len, &error)) != NULL)
    return root;

  if (error->domain == CB_JSON_LIMIT_ERROR)
    cb_sb_reply_limit_error (req, error);
  else if (req->style == CB_SB_STYLE_DPS)
    cb_sb_reply_error (req, 400, "BadRequest", 400006, "Malformed JSON: %s", error->message);
  else if (req->style == CB_SB_STYLE_HUB)
    cb_sb_reply_error (req, 400, "ArgumentInvalid", 400006, "Malformed JSON: %s", error->message);
  else
    cb_sb_reply_arm_error (req, 400, "InvalidRequestContent", NULL,
                           "The request content was invalid and could not be deserialized: %s",
                           error->message);
  return NULL;
}

gboolean
cb_sb_require_api_version (CbSbRequest *req,
                           ...)
{
  const char *given = cb_sb_query (req, "api-version");
  g_autoptr(GString) accepted = g_string_new (NULL);
  const char *v;
  va_list args;

  va_start (args, req);
  while ((v = va_arg (args, const char *)) != NULL)
    {
      if (given != NULL && g_str_equal (given, v))
        {
          va_end (args);
          return TRUE;
        }
      if (accepted->len > 0)
        g_string_append (accepted, ", ");
      g_string_append_printf (accepted, "'%s'", v);
    }
  va_end (args);

  if (given == NULL)
    {
      if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 400, "BadRequest", 400001,
                           "The api-version query parameter is required. Supported: %s", accepted->str);
      else if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 400, "InvalidProtocolVersion", 400001,
                           "The api-version query parameter is required. Supported: %s", accepted->str);
      else
        cb_sb_reply_arm_error (req, 400, "MissingApiVersionParameter", NULL,
                               "The api-version query parameter (?api-version=) is required for all "
                               "requests. Supported api-versions: %s.", accepted->str);
    }
  else
    {
      if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 400, "BadRequest", 400001,
                           "The api-version '%s' is not supported. Supported: %s", given, accepted->str);
      else if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 400, "InvalidProtocolVersion", 400001,
                           "The api-version '%s' is not supported. Supported: %s", given, accepted->str);
      else
        cb_sb_reply_arm_error (req, 400, "InvalidApiVersionParameter", NULL,
                               "The api-version '%s' is invalid. The supported versions are %s.",
                               given, accepted->str);
    }

  return FALSE;
}

char *
cb_sb_url (CbSbRequest *req,
           const char  *path_and_query)
{
  return g_strconcat (req->sandbox->base_url, path_and_query, NULL);
}

/* ---- Principals, tokens, RBAC ---------------------------------------------------------- */

gboolean
cb_sandbox_add_principal (CbSandbox   *self,
                          const char  *name,
                          const char  *display_name,
                          GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT INTO principals (id, name, display_name) VALUES (?, ?, ?) "
      "ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name");
  g_autofree char *id = g_uuid_string_random ();

  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, display_name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static char *
principal_id_for_name (CbSandbox  *self,
                       const char *name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT id FROM principals WHERE name = ?");

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return cb_sb_column_dup (stmt, 0);

  return NULL;
}

gboolean
cb_sandbox_assign_role (CbSandbox   *self,
                        const char  *principal_name,
                        const char  *role,
                        const char  *scope,
                        GError     **error)
{
  g_autofree char *pid = principal_id_for_name (self, principal_name);
  g_autoptr(CbSbStmt) stmt = NULL;

  if (pid == NULL)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "No principal named %s", principal_name);
      return FALSE;
    }

  stmt = cb_sb_prepare (self,
      "INSERT OR IGNORE INTO role_assignments (principal_id, role, scope) VALUES (?, ?, ?)");
  sqlite3_bind_text (stmt, 1, pid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, scope, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

/* Only a hash of each token is stored: a copied database grants nothing. */
static char *
token_hash (const char *token)
{
  return cb_sha256_hex ((const guint8 *) token, strlen (token));
}

char *
cb_sandbox_store_token (CbSandbox  *self,
                        const char *kind,
                        const char *principal_id,
                        const char *audience,
                        const char *scope,
                        const char *client_id,
                        gint64      lifetime)
{
  g_autofree char *random = cb_random_hex (32);
  g_autofree char *token = g_strdup_printf ("cbx%s.%s", g_str_equal (kind, "refresh") ? "r" : "a",
                                            random);
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT INTO tokens (hash, kind, principal_id, audience, scope, client_id, expires) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, principal_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, audience, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, scope, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, client_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, cb_sandbox_session_now (self) + lifetime);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return NULL;

  return g_steal_pointer (&token);
}

/* Looks a token up; returns its principal id and sets the other fields. */
char *
cb_sandbox_lookup_token (CbSandbox   *self,
                         const char  *token,
                         const char  *kind,
                         char       **out_audience,
                         char       **out_principal_name,
                         char       **out_client_id,
                         gboolean    *out_expired)
{
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT t.principal_id, t.audience, p.name, t.client_id, t.expires FROM tokens t "
      "JOIN principals p ON p.id = t.principal_id WHERE t.hash = ? AND t.kind = ?");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;

  if (out_audience != NULL)
    *out_audience = cb_sb_column_dup (stmt, 1);
  if (out_principal_name != NULL)
    *out_principal_name = cb_sb_column_dup (stmt, 2);
  if (out_client_id != NULL)
    *out_client_id = cb_sb_column_dup (stmt, 3);
  if (out_expired != NULL)
    *out_expired = sqlite3_column_int64 (stmt, 4) <= cb_sandbox_session_now (self);

  return cb_sb_column_dup (stmt, 0);
}

void
cb_sandbox_delete_token (CbSandbox  *self,
                         const char *token)
{
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM tokens WHERE hash = ?");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
}

char *
cb_sandbox_issue_token (CbSandbox   *self,
                        const char  *principal_name,
                        const char  *audience,
                        GError     **error)
{
  g_autofree char *pid = NULL;
  g_autofree char *scope = NULL;
  char *token;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);

  cb_sandbox_lock (self);
  pid = principal_id_for_name (self, principal_name);
  if (pid == NULL)
    {
      cb_sandbox_unlock (self);
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "No principal named %s", principal_name);
      return NULL;
    }

  scope = g_strconcat (audience, "/.default", NULL);
  token = cb_sandbox_store_token (self, "access", pid, audience, scope, "certbench", 3600);
  cb_sandbox_unlock (self);

  if (token == NULL)
    g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE, "Could not store the token");

  return token;
}

gboolean
cb_sb_require_bearer (CbSbRequest *req,
                      const char  *audience)
{
  const char *auth = cb_sb_header (req, "Authorization");
  g_autofree char *token_audience = NULL;
  g_autofree char *principal = NULL;
  g_autofree char *pid = NULL;
  gboolean expired = FALSE;
  g_autofree char *www = NULL;

  www = g_strdup_printf ("Bearer authorization_uri=\"%s/entra/common/oauth2/authorize\", "
                         "error=\"invalid_token\"", req->sandbox->base_url);

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0 || auth[7] == '\0')
    {
      cb_sb_set_header (req, "WWW-Authenticate", www);
      if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002,
                           "Unauthorized: the Authorization header is missing or not a bearer token");
      else if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 401, "Unauthorized", 401002,
                           "The Authorization header is missing or not a bearer token");
      else
        cb_sb_reply_arm_error (req, 401, "AuthenticationFailed", NULL,
                               "Authentication failed. The 'Authorization' header is missing.");
      return FALSE;
    }

  pid = cb_sandbox_lookup_token (req->sandbox, auth + 7, "access", &token_audience, &principal,
                                 NULL, &expired);
  if (pid == NULL || expired)
    {
      cb_sb_set_header (req, "WWW-Authenticate", www);
      if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002,
                           "Unauthorized: the bearer token is %s", expired ? "expired" : "not valid");
      else if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 401, "Unauthorized", 401002,
                           "The bearer token is %s", expired ? "expired" : "not valid");
      else
        cb_sb_reply_arm_error (req, 401, expired ? "ExpiredAuthenticationToken"
                                                 : "InvalidAuthenticationToken", NULL,
                               expired ? "The access token has expired. Get a new token and try again."
                                       : "The access token is invalid.");
      return FALSE;
    }

  if (g_strcmp0 (token_audience, audience) != 0)
    {
      cb_sb_set_header (req, "WWW-Authenticate", www);
      if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002,
                           "Unauthorized: the token's audience is '%s', expected '%s'",
                           token_audience, audience);
      else if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 401, "Unauthorized", 401002,
                           "The token's audience is '%s', expected '%s'", token_audience, audience);
      else
        cb_sb_reply_arm_error (req, 401, "InvalidAuthenticationTokenAudience", NULL,
                               "The access token has been obtained for the wrong audience or "
                               "resource '%s'. It should exactly match one of the allowed "
                               "audiences '%s', '%s/'.", token_audience, audience, audience);
      return FALSE;
    }

  g_free (req->principal);
  req->principal = g_steal_pointer (&principal);
  g_free (req->principal_id);
  req->principal_id = g_steal_pointer (&pid);

  return TRUE;
}

static gboolean
role_grants (const char     *role,
             CbSbPermission  perm)
{
  if (g_ascii_strcasecmp (role, CB_SB_ROLE_OWNER) == 0)
    return TRUE;

  switch (perm)
    {
    case CB_SB_PERM_READ:
      return TRUE;
    case CB_SB_PERM_WRITE:
      return g_ascii_strcasecmp (role, CB_SB_ROLE_CONTRIBUTOR) == 0 ||
             g_ascii_strcasecmp (role, CB_SB_ROLE_ADR_CONTRIBUTOR) == 0 ||
             g_ascii_strcasecmp (role, CB_SB_ROLE_ADR_CREDENTIALS) == 0;
    case CB_SB_PERM_WRITE_CREDENTIALS:
      return g_ascii_strcasecmp (role, CB_SB_ROLE_ADR_CREDENTIALS) == 0;
    default:
      return FALSE;
    }
}

static gboolean
scope_covers (const char *assigned,
              const char *target)
{
  gsize len = strlen (assigned);

  while (len > 0 && assigned[len - 1] == '/')
    len--;

  if (len == 0)
    return TRUE;

  return g_ascii_strncasecmp (assigned, target, len) == 0 &&
         (target[len] == '\0' || target[len] == '/');
}

gboolean
cb_sb_require_permission (CbSbRequest    *req,
                          const char     *scope,
                          const char     *action,
                          CbSbPermission  perm)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  const char *needed;

  g_assert (req->principal_id != NULL);

  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT role, scope FROM role_assignments WHERE principal_id = ?");
  sqlite3_bind_text (stmt, 1, req->principal_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *role = (const char *) sqlite3_column_text (stmt, 0);
      const char *assigned = (const char *) sqlite3_column_text (stmt, 1);

      if (scope_covers (assigned, scope) && role_grants (role, perm))
        return TRUE;
    }

  needed = perm == CB_SB_PERM_READ ? CB_SB_ROLE_READER
         : perm == CB_SB_PERM_WRITE ? CB_SB_ROLE_ADR_CONTRIBUTOR
         : CB_SB_ROLE_ADR_CREDENTIALS;

  cb_sb_reply_arm_error (req, 403, "AuthorizationFailed", NULL,
                         "The client '%s' with object id '%s' does not have authorization to "
                         "perform action '%s' over scope '%s' or the scope is invalid. "
                         "Required role: '%s' (or '%s') on that scope or a parent scope.",
                         req->principal, req->principal_id, action, scope, needed,
                         CB_SB_ROLE_OWNER);
  return FALSE;
}

/* ---- Topology -------------------------------------------------------------------------- */

gboolean
cb_sandbox_create_hub (CbSandbox   *self,
                       const char  *subscription,
                       const char  *resource_group,
                       const char  *name,
                       const char  *namespace_id,
                       GError     **error)
{
  static const struct { const char *name; const char *rights; } policies[] = {
    { "iothubowner", "RegistryWrite, ServiceConnect, DeviceConnect" },
    { "service", "ServiceConnect" },
    { "device", "DeviceConnect" },
    { "registryRead", "RegistryRead" },
    { "registryReadWrite", "RegistryWrite" },
  };
  g_autofree char *host = g_strdup_printf ("%s.azure-devices.net", name);
  g_autoptr(CbSbStmt) stmt = NULL;

  cb_sb_begin (self);

  stmt = cb_sb_prepare (self,
      "INSERT INTO hubs (name, subscription, resource_group, namespace_id, host_name, created) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, subscription, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, resource_group, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, namespace_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, host, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, cb_sandbox_now (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    goto failed;

  for (guint i = 0; i < G_N_ELEMENTS (policies); i++)
    {
      g_autofree char *primary = cb_random_base64 (32);
      g_autofree char *secondary = cb_random_base64 (32);

      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self,
          "INSERT INTO hub_keys (hub, key_name, primary_key, secondary_key, rights) "
          "VALUES (?, ?, ?, ?, ?)");
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, policies[i].name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, primary, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, secondary, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, policies[i].rights, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        goto failed;
    }

  cb_sb_commit (self);
  return TRUE;

failed:
  cb_sb_set_sqlite_error (self, error);
  cb_sb_rollback (self);
  return FALSE;
}

gboolean
cb_sandbox_set_hub_key (CbSandbox  *self,
                        const char *hub,
                        const char *key_name,
                        const char *primary_key)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "UPDATE hub_keys SET primary_key = ? WHERE hub = ? AND key_name = ?");

  sqlite3_bind_text (stmt, 1, primary_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, key_name, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_DONE && sqlite3_changes (self->db) == 1;
}

gboolean
cb_sandbox_create_dps (CbSandbox   *self,
                       const char  *subscription,
                       const char  *resource_group,
                       const char  *name,
                       const char  *id_scope,
                       const char  *namespace_id,
                       const char  *linked_hub,
                       GError     **error)
{
  g_autofree char *host = g_strdup_printf ("%s.azure-devices-provisioning.net", name);
  g_autofree char *owner_key = cb_random_base64 (32);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT INTO dps_instances (name, id_scope, subscription, resource_group, namespace_id, "
      "linked_hub, host_name, owner_key, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, id_scope, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, subscription, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, resource_group, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, namespace_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, linked_hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, host, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 8, owner_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 9, cb_sandbox_now (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sandbox_set_dps_owner_key (CbSandbox  *self,
                              const char *dps,
                              const char *owner_key)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "UPDATE dps_instances SET owner_key = ? WHERE name = ?");

  sqlite3_bind_text (stmt, 1, owner_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, dps, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_DONE && sqlite3_changes (self->db) == 1;
}

char *
cb_sandbox_dup_hub_key (CbSandbox  *self,
                        const char *hub,
                        const char *key_name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT primary_key FROM hub_keys WHERE hub = ? AND key_name = ?");

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, key_name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return cb_sb_column_dup (stmt, 0);

  return NULL;
}

GPtrArray *
cb_sandbox_list_hubs_for_namespace (CbSandbox  *self,
                                    const char *namespace_id)
{
  GPtrArray *hubs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT name FROM hubs WHERE namespace_id = ? ORDER BY name");

  sqlite3_bind_text (stmt, 1, namespace_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (hubs, cb_sb_column_dup (stmt, 0));

  return hubs;
}

/* ---- Faults ---------------------------------------------------------------------------- */

static gboolean
parse_fault_rules (JsonNode   *root,
                   GPtrArray  *out,
                   GError    **error)
{
  JsonArray *array;

  if (JSON_NODE_HOLDS_OBJECT (root) &&
      json_object_has_member (json_node_get_object (root), "faults"))
    root = json_object_get_member (json_node_get_object (root), "faults");

  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "Faults must be a JSON array of rules (or {\"faults\": [...]})");
      return FALSE;
    }

  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *obj;
      CbSbFault *fault;
      const char *path;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                       "Fault rule %u is not an object", i + 1);
          return FALSE;
        }

      obj = json_node_get_object (node);
      path = json_object_get_string_member_with_default (obj, "path", NULL);
      if (path == NULL || path[0] != '/')
        {
          g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                       "Fault rule %u needs a \"path\" glob starting with /, e.g. \"/arm/*\"", i + 1);
          return FALSE;
        }

      fault = g_new0 (CbSbFault, 1);
      fault->method = g_strdup (json_object_get_string_member_with_default (obj, "method", NULL));
      fault->path_text = g_strdup (path);
      fault->path = g_pattern_spec_new (path);
      fault->latency_ms = (guint) CLAMP (json_object_get_int_member_with_default (obj, "latencyMs", 0), 0, 60000);
      fault->status = (guint) CLAMP (json_object_get_int_member_with_default (obj, "status", 0), 0, 599);
      fault->retry_after = (guint) CLAMP (json_object_get_int_member_with_default (obj, "retryAfter", 0), 0, 3600);
      fault->remaining = (int) json_object_get_int_member_with_default (obj, "count", -1);

      for (const char * const *k = (const char * const[]) { "lro", "dps", "hubRenewal", NULL }; *k; k++)
        if (json_object_has_member (obj, *k))
          {
            fault->kind = g_strdup (*k);
            fault->value = g_strdup (json_object_get_string_member_with_default (obj, *k, ""));
          }

      if (fault->status != 0 && (fault->status < 400))
        {
          cb_sb_fault_free (fault);
          g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                       "Fault rule %u: status must be an error status (400-599)", i + 1);
          return FALSE;
        }

      g_ptr_array_add (out, fault);
    }

  return TRUE;
}

static gboolean
set_faults_from_json (CbSandbox   *self,
                      JsonNode    *root,
                      GError     **error)
{
  g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_fault_free);

  if (!parse_fault_rules (root, rules, error))
    return FALSE;

  g_ptr_array_set_size (self->faults, 0);
  for (guint i = 0; i < rules->len; i++)
    g_ptr_array_add (self->faults, g_ptr_array_steal_index (rules, i--));

  return TRUE;
}

gboolean
cb_sandbox_load_faults (CbSandbox   *self,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gboolean ret;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;

  cb_sandbox_lock (self);
  ret = set_faults_from_json (self, json_parser_get_root (parser), error);
  cb_sandbox_unlock (self);

  return ret;
}

static CbSbFault *
find_fault (CbSandbox  *self,
            const char *method,
            const char *path)
{
  for (guint i = 0; i < self->faults->len; i++)
    {
      CbSbFault *fault = g_ptr_array_index (self->faults, i);

      if (fault->remaining == 0)
        continue;
      if (fault->method != NULL && g_ascii_strcasecmp (fault->method, method) != 0)
        continue;
      if (!g_pattern_spec_match_string (fault->path, path))
        continue;

      return fault;
    }

  return NULL;
}

const CbSbFault *
cb_sb_find_fault (CbSandbox  *self,
                  const char *method,
                  const char *path)
{
  return find_fault (self, method, path);
}

guint
cb_sb_fault_take_status (const CbSbFault *fault,
                         guint           *retry_after)
{
  CbSbFault *f = (CbSbFault *) fault;

  if (f == NULL || f->status == 0 || f->remaining == 0)
    return 0;
  if (f->remaining > 0)
    f->remaining--;
  if (retry_after != NULL)
    *retry_after = f->retry_after;
  return f->status;
}

gboolean
cb_sb_fault_wants (CbSbRequest *req,
                   const char  *kind,
                   const char  *value)
{
  CbSbFault *fault = (CbSbFault *) req->fault;

  if (fault == NULL || fault->kind == NULL || fault->remaining == 0)
    return FALSE;

  if (g_strcmp0 (fault->kind, kind) != 0 || g_ascii_strcasecmp (fault->value, value) != 0)
    return FALSE;

  if (fault->remaining > 0)
    fault->remaining--;

  return TRUE;
}

/* ---- Dispatch -------------------------------------------------------------------------- */

static void
finish_request (CbSbRequest *req,
                gboolean     paused)
{
  if (!req->replied)
    cb_sb_reply_error (req, 500, "InternalServerError", 500001,
                       "The sandbox did not answer this request (a bug: please report it)");

  if (paused)
    soup_server_message_unpause (req->msg);

  cb_sb_check_statements (req->sandbox, req->path);
  cb_sb_request_free (req);
}

/* Every body, JSON, form or PEM, stays within the cap before a handler reads it. */
static gboolean
check_body_size (CbSbRequest *req)
{
  g_autoptr(GError) error = NULL;

  if (req->body == NULL ||
      cb_json_check_limits (NULL, g_bytes_get_size (req->body), CB_JSON_MAX_REQUEST_SIZE,
                            CB_JSON_MAX_DEPTH, &error))
    return TRUE;

  cb_sb_reply_limit_error (req, error);
  return FALSE;
}

static void
route_request (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  g_auto(GStrv) segments = NULL;
  g_autoptr(GString) allowed = NULL;

  /* A fault's status wins over the route: the client sees what a throttled service sends. */
  if (req->fault != NULL && req->fault->status != 0)
    {
      CbSbFault *fault = (CbSbFault *) req->fault;

      if (fault->remaining > 0)
        fault->remaining--;

      if (fault->retry_after > 0)
        {
          g_autofree char *ra = g_strdup_printf ("%u", fault->retry_after);
          cb_sb_set_header (req, "Retry-After", ra);
        }

      switch (fault->status)
        {
        case 429:
          if (req->style == CB_SB_STYLE_ARM)
            cb_sb_set_header (req, "x-ms-ratelimit-remaining-subscription-reads", "0");
          cb_sb_reply_error (req, 429, req->style == CB_SB_STYLE_HUB ? "ThrottlingException"
                                       : req->style == CB_SB_STYLE_OAUTH ? "temporarily_unavailable"
                                       : "TooManyRequests",
                             req->style == CB_SB_STYLE_HUB ? 429001 : 429001,
                             "Too many requests (injected fault). Retry after %u seconds.",
                             fault->retry_after);
          break;
        case 503:
          cb_sb_reply_error (req, 503, req->style == CB_SB_STYLE_HUB ? "ServerBusy"
                                       : "ServiceUnavailable", 503001,
                             "The service is unavailable (injected fault).");
          break;
        default:
          cb_sb_reply_error (req, fault->status, fault->status >= 500 ? "InternalServerError"
                                                                       : "InjectedFault",
                             (int) fault->status * 1000 + 1,
                             "Injected fault with status %u.", fault->status);
          break;
        }
      return;
    }

  segments = g_strsplit (req->path + 1, "/", -1);

  for (guint i = 0; i < self->routes->len; i++)
    {
      CbSbRoute *route = g_ptr_array_index (self->routes, i);

      if (!route_match (route, segments, NULL))
        continue;

      if (g_ascii_strcasecmp (route->method, req->method) != 0)
        {
          if (allowed == NULL)
            allowed = g_string_new (NULL);
          else
            g_string_append (allowed, ", ");
          g_string_append (allowed, route->method);
          continue;
        }

      req->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      route_match (route, segments, req->params);
      req->style = route->style;
      if (!check_body_size (req))
        return;
      route->handler (req);
      return;
    }

  if (allowed != NULL)
    {
      cb_sb_set_header (req, "Allow", allowed->str);
      cb_sb_reply_error (req, 405, req->style == CB_SB_STYLE_ARM ? "MethodNotAllowed"
                                   : "MethodNotAllowed", 405001,
                         "The method %s is not allowed on %s (allowed: %s).",
                         req->method, req->path, allowed->str);
      return;
    }

  if (req->style == CB_SB_STYLE_ARM)
    cb_sb_reply_arm_error (req, 404, "InvalidResourceType", NULL,
                           "The resource type or path '%s' is not known to the sandbox.", req->path);
  else
    cb_sb_reply_error (req, 404, "NotFound", 404000,
                       "No such endpoint: %s %s. GET /sandbox/info lists the endpoints.",
                       req->method, req->path);
}

typedef struct
{
  CbSbRequest *req;
} DelayedRequest;

static gboolean
delayed_request_cb (gpointer data)
{
  CbSbRequest *req = data;
  CbSandbox *self = g_object_ref (req->sandbox);

  cb_sandbox_lock (self);
  route_request (req);
  finish_request (req, TRUE);
  cb_sandbox_unlock (self);
  g_object_unref (self);

  return G_SOURCE_REMOVE;
}

static char *
decode_path (const char *raw)
{
  g_auto(GStrv) parts = g_strsplit (raw, "/", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *seg = g_uri_unescape_string (parts[i], NULL);

      if (i > 0)
        g_string_append_c (out, '/');
      /* A segment that decodes to a slash or NUL would change the route: keep it encoded. */
      g_string_append (out, seg != NULL && strchr (seg, '/') == NULL ? seg : parts[i]);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  CbSandbox *self = user_data;
  CbSbRequest *req;
  SoupMessageBody *body;
  const char *corr;

  cb_sandbox_lock (self);

  req = g_new0 (CbSbRequest, 1);
  req->sandbox = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = decode_path (path);
  req->style = style_for_path (req->path);
  req->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer k, v;

      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_hash_table_insert (req->query, g_strdup (k), g_strdup (v));
    }

  body = soup_server_message_get_request_body (msg);
  req->body = soup_message_body_flatten (body);

  corr = cb_sb_header (req, "x-ms-correlation-request-id");
  if (corr == NULL)
    corr = cb_sb_header (req, "client-request-id");
  req->correlation_id = corr != NULL && strlen (corr) <= 64 ? g_strdup (corr) : g_uuid_string_random ();

  {
    g_autofree char *request_id = g_uuid_string_random ();
    cb_sb_set_header (req, "x-ms-request-id", request_id);
    cb_sb_set_header (req, "x-ms-correlation-request-id", req->correlation_id);
  }

  /* Date on the world clock, which clients read as the service's time (libsoup set it to the
   * real time when the headers arrived). */
  {
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (cb_sandbox_now (self));
    g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);

    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Date", date);
  }

  req->fault = find_fault (self, req->method, req->path);

  if (req->fault != NULL && req->fault->latency_ms > 0)
    {
      GSource *source = g_timeout_source_new (req->fault->latency_ms);

      soup_server_message_pause (msg);
      g_source_set_callback (source, delayed_request_cb, req, NULL);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
      cb_sandbox_unlock (self);
      return;
    }

  route_request (req);
  finish_request (req, FALSE);

  cb_sandbox_unlock (self);
}

/* ---- Sandbox-own endpoints ------------------------------------------------------------- */

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

JsonNode *
cb_sandbox_build_info (CbSandbox *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *tenant = meta_get (self, "tenant_id");
  g_autofree char *default_principal = meta_get (self, "default_principal");
  g_autofree char *entra = g_strconcat (self->base_url, "/entra", NULL);
  g_autofree char *arm = g_strconcat (self->base_url, "/arm", NULL);
  g_autofree char *dps = g_strconcat (self->base_url, "/dps", NULL);
  g_autofree char *demo = meta_get (self, "demo");
  g_autoptr(CbSbStmt) stmt = NULL;

  json_builder_begin_object (b);
  add_string (b, "name", "Certbench sandbox");
  add_string (b, "version", PACKAGE_VERSION);
  add_string (b, "baseUrl", self->base_url);
  add_string (b, "caFile", self->ca_file);

  json_builder_set_member_name (b, "entra");
  json_builder_begin_object (b);
  add_string (b, "endpoint", entra);
  add_string (b, "tenant", tenant);
  add_string (b, "defaultPrincipal", default_principal);
  json_builder_set_member_name (b, "autoApprove");
  json_builder_add_boolean_value (b, self->auto_approve);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "arm");
  json_builder_begin_object (b);
  add_string (b, "endpoint", arm);
  add_string (b, "apiVersion", CB_SB_ARM_API_VERSION);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "hubs");
  json_builder_begin_array (b);
  stmt = cb_sb_prepare (self, "SELECT name, host_name, subscription, resource_group, namespace_id "
                              "FROM hubs ORDER BY name");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *endpoint = g_strdup_printf ("%s/hubs/%s", self->base_url,
                                                   sqlite3_column_text (stmt, 0));
      g_autofree char *device_endpoint = strchr (self->bind_address, ':') != NULL
        ? g_strdup_printf ("[%s]:%u", self->bind_address, self->mqtt_port)
        : g_strdup_printf ("%s:%u", self->bind_address, self->mqtt_port);
      json_builder_begin_object (b);
      add_string (b, "name", (const char *) sqlite3_column_text (stmt, 0));
      add_string (b, "hostName", (const char *) sqlite3_column_text (stmt, 1));
      add_string (b, "endpoint", endpoint);
      add_string (b, "deviceEndpoint", device_endpoint);
      add_string (b, "subscription", (const char *) sqlite3_column_text (stmt, 2));
      add_string (b, "resourceGroup", (const char *) sqlite3_column_text (stmt, 3));
      add_string (b, "namespaceId", (const char *) sqlite3_column_text (stmt, 4));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "dps");
  json_builder_begin_object (b);
  add_string (b, "globalEndpoint", dps);
  json_builder_set_member_name (b, "instances");
  json_builder_begin_array (b);
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "SELECT name, id_scope, host_name, namespace_id, linked_hub "
                              "FROM dps_instances ORDER BY name");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *endpoint = g_strdup_printf ("%s/dps-service/%s", self->base_url,
                                                   sqlite3_column_text (stmt, 0));
      json_builder_begin_object (b);
      add_string (b, "name", (const char *) sqlite3_column_text (stmt, 0));
      add_string (b, "idScope", (const char *) sqlite3_column_text (stmt, 1));
      add_string (b, "hostName", (const char *) sqlite3_column_text (stmt, 2));
      add_string (b, "serviceEndpoint", endpoint);
      add_string (b, "namespaceId", (const char *) sqlite3_column_text (stmt, 3));
      add_string (b, "linkedHub", (const char *) sqlite3_column_text (stmt, 4));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "principals");
  json_builder_begin_array (b);
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "SELECT p.name, p.display_name, r.role, r.scope FROM principals p "
                              "LEFT JOIN role_assignments r ON r.principal_id = p.id "
                              "ORDER BY p.name, r.role");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      json_builder_begin_object (b);
      add_string (b, "name", (const char *) sqlite3_column_text (stmt, 0));
      add_string (b, "displayName", (const char *) sqlite3_column_text (stmt, 1));
      add_string (b, "role", (const char *) sqlite3_column_text (stmt, 2));
      add_string (b, "scope", (const char *) sqlite3_column_text (stmt, 3));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "demo");
  if (demo != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, demo, -1, NULL))
        json_builder_add_value (b, json_parser_steal_root (parser));
      else
        json_builder_add_null_value (b);
    }
  else
    json_builder_add_null_value (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
handle_info (CbSbRequest *req)
{
  cb_sb_reply_json (req, 200, cb_sandbox_build_info (req->sandbox));
}

static void
reply_clock (CbSbRequest *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *now = cb_time_format_fixed (cb_sandbox_now (req->sandbox));

  json_builder_begin_object (b);
  add_string (b, "now", now);
  json_builder_set_member_name (b, "offsetSeconds");
  json_builder_add_int_value (b, cb_sandbox_now (req->sandbox) - g_get_real_time () / G_USEC_PER_SEC);
  json_builder_set_member_name (b, "rate");
  json_builder_add_double_value (b, req->sandbox->clock_rate);
  json_builder_end_object (b);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_clock_get (CbSbRequest *req)
{
  reply_clock (req);
}

static void
handle_clock_post (CbSbRequest *req)
{
  static const char usage[] =
    "Expected {\"advanceSeconds\": N}, {\"offsetSeconds\": N} and/or {\"rate\": R} "
    "(R between 1 and 1000000: world seconds per real second)";
  g_autoptr(JsonNode) root = cb_sb_json_body (req, FALSE);
  CbSandbox *self = req->sandbox;
  JsonObject *obj;
  gboolean changed = FALSE;
  double rate = 0;

  if (root == NULL)
    return;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400, usage);
      return;
    }

  obj = json_node_get_object (root);
  if (json_object_has_member (obj, "rate"))
    {
      JsonNode *node = json_object_get_member (obj, "rate");

      if (!JSON_NODE_HOLDS_VALUE (node) ||
          (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
           json_node_get_value_type (node) != G_TYPE_INT64) ||
          (rate = json_node_get_double (node)) < 1.0 || rate > 1e6)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400, usage);
          return;
        }
    }

  /* A jump in the offset keeps the rate; the rate only changes how fast time runs from now. */
  if (json_object_has_member (obj, "advanceSeconds"))
    {
      self->clock_offset += json_object_get_int_member (obj, "advanceSeconds");
      changed = TRUE;
    }
  else if (json_object_has_member (obj, "offsetSeconds"))
    {
      gint64 real = g_get_real_time ();

      self->clock_offset = json_object_get_int_member (obj, "offsetSeconds");
      self->clock_accel_usec = 0;
      self->clock_rate_since = real;
      changed = TRUE;
    }
  if (rate != 0)
    {
      clock_set_rate (self, rate);
      changed = TRUE;
    }

  if (!changed)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400, usage);
      return;
    }

  clock_save (self);
  if (rate != 0)
    g_message ("Sandbox clock: %g world seconds per real second", rate);
  reply_clock (req);
}

static void
reply_faults (CbSbRequest *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < req->sandbox->faults->len; i++)
    {
      CbSbFault *f = g_ptr_array_index (req->sandbox->faults, i);

      json_builder_begin_object (b);
      add_string (b, "method", f->method);
      add_string (b, "path", f->path_text);
      json_builder_set_member_name (b, "latencyMs");
      json_builder_add_int_value (b, f->latency_ms);
      json_builder_set_member_name (b, "status");
      json_builder_add_int_value (b, f->status);
      json_builder_set_member_name (b, "retryAfter");
      json_builder_add_int_value (b, f->retry_after);
      json_builder_set_member_name (b, "count");
      json_builder_add_int_value (b, f->remaining);
      if (f->kind != NULL)
        add_string (b, f->kind, f->value);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_faults_get (CbSbRequest *req)
{
  reply_faults (req);
}

static void
handle_faults_put (CbSbRequest *req)
{
  g_autoptr(JsonNode) root = cb_sb_json_body (req, FALSE);
  g_autoptr(GError) error = NULL;

  if (root == NULL)
    return;

  if (!set_faults_from_json (req->sandbox, root, &error))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400, "%s", error->message);
      return;
    }

  reply_faults (req);
}

static void
handle_faults_delete (CbSbRequest *req)
{
  g_ptr_array_set_size (req->sandbox->faults, 0);
  cb_sb_reply_empty (req, 204);
}

/* ---- Start and stop -------------------------------------------------------------------- */

static gboolean
check_bind_address (CbSandbox   *self,
                    GError     **error)
{
  g_autoptr(GInetAddress) addr = NULL;

  if (g_ascii_strcasecmp (self->bind_address, "localhost") == 0)
    cb_set_str (&self->bind_address, "127.0.0.1");

  addr = g_inet_address_new_from_string (self->bind_address);
  if (addr == NULL)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "“%s” is not an IP address", self->bind_address);
      return FALSE;
    }

  if (!g_inet_address_get_is_loopback (addr) && !self->allow_remote)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_REFUSED_ADDRESS,
                   "Refusing to listen on %s: the sandbox serves loopback only unless "
                   "remote access is allowed explicitly (--allow-remote)", self->bind_address);
      return FALSE;
    }

  return TRUE;
}

static void
teardown (CbSandbox *self)
{
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_pointer (&self->listener, cb_sb_listener_free);
  g_clear_object (&self->server);
  g_ptr_array_set_size (self->routes, 0);
  g_hash_table_remove_all (self->module_data);
  close_store (self);
  if (self->lock_fd >= 0)
    {
      close (self->lock_fd);
      self->lock_fd = -1;
    }
}

gboolean
cb_sandbox_start (CbSandbox  *self,
                  GError    **error)
{
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *tenant = NULL;
  gboolean ret = FALSE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);

  cb_sandbox_lock (self);

  if (!check_bind_address (self, error) ||
      !cb_mkdir_private (self->data_dir, error) ||
      (self->lock_fd = cb_sb_lock_data_dir (self->data_dir, error)) < 0 ||
      !open_store (self, error))
    goto out;

  tenant = meta_get (self, "tenant_id");
  if (tenant == NULL)
    {
      tenant = g_uuid_string_random ();
      meta_set (self, "tenant_id", tenant);
    }
  clock_load (self);

  if (!ensure_tls_identity (self, &cert_file, &key_file, error) ||
      !(cert = g_tls_certificate_new_from_files (cert_file, key_file, error)))
    goto out;

  self->server = soup_server_new ("tls-certificate", cert,
                                  "server-header", "certbench-sandbox/" PACKAGE_VERSION " ",
                                  NULL);

  cb_sandbox_add_route (self, "GET", "/sandbox/info", CB_SB_STYLE_PLAIN, handle_info);
  cb_sandbox_add_route (self, "GET", "/sandbox/clock", CB_SB_STYLE_PLAIN, handle_clock_get);
  cb_sandbox_add_route (self, "POST", "/sandbox/clock", CB_SB_STYLE_PLAIN, handle_clock_post);
  cb_sandbox_add_route (self, "GET", "/sandbox/faults", CB_SB_STYLE_PLAIN, handle_faults_get);
  cb_sandbox_add_route (self, "PUT", "/sandbox/faults", CB_SB_STYLE_PLAIN, handle_faults_put);
  cb_sandbox_add_route (self, "DELETE", "/sandbox/faults", CB_SB_STYLE_PLAIN, handle_faults_delete);

  if (!cb_sandbox_entra_init (self, error) ||
      !cb_sandbox_ca_init (self, error) ||
      !cb_sandbox_activity_init (self, error) ||
      !cb_sandbox_arm_init (self, error) ||
      !cb_sandbox_hub_init (self, error) ||
      !cb_sandbox_dps_init (self, error) ||
      !cb_sandbox_mqtt_init (self, error))
    goto out;

  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);

  addr = g_inet_address_new_from_string (self->bind_address);
  sockaddr = g_inet_socket_address_new (addr, self->port);
  self->listener = cb_sb_listener_new (self, self->server, cert, sockaddr, &self->port, error);
  if (self->listener == NULL)
    goto out;

  g_free (self->base_url);
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6)
    self->base_url = g_strdup_printf ("https://[%s]:%u", self->bind_address, self->port);
  else
    self->base_url = g_strdup_printf ("https://%s:%u", self->bind_address, self->port);

  ret = TRUE;

out:
  if (!ret)
    teardown (self);
  cb_sandbox_unlock (self);
  return ret;
}

static gpointer
sandbox_thread (gpointer data)
{
  CbSandbox *self = data;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);

  ok = cb_sandbox_start (self, &error);

  g_mutex_lock (&self->mutex);
  self->thread_ready = TRUE;
  self->thread_error = error;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (ok)
    {
      g_main_loop_run (self->loop);
      cb_sandbox_lock (self);
      teardown (self);
      cb_sandbox_unlock (self);

      /* Let closed connections finish their own cleanup before the context goes away. */
      while (g_main_context_iteration (self->context, FALSE))
        ;
    }

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

gboolean
cb_sandbox_start_in_thread (CbSandbox  *self,
                            GError    **error)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (self->thread == NULL && self->server == NULL, FALSE);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread_ready = FALSE;
  self->thread_error = NULL;
  self->thread = g_thread_new ("cb-sandbox", sandbox_thread, self);

  g_mutex_lock (&self->mutex);
  while (!self->thread_ready)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  if (self->thread_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->thread_error));
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->loop, g_main_loop_unref);
      g_clear_pointer (&self->context, g_main_context_unref);
      return FALSE;
    }

  return TRUE;
}

static gboolean
quit_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
cb_sandbox_stop (CbSandbox *self)
{
  g_return_if_fail (CB_IS_SANDBOX (self));

  if (self->thread != NULL)
    {
      /* Quit from inside the loop: a g_main_loop_quit() that came before the thread reached
       * g_main_loop_run() (a stop right after the start) would be forgotten, and the join
       * would wait forever. */
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, quit_loop_cb, self->loop, NULL);
      g_source_attach (source, self->context);
      g_source_unref (source);
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->loop, g_main_loop_unref);
      g_clear_pointer (&self->context, g_main_context_unref);
      return;
    }

  cb_sandbox_lock (self);
  teardown (self);
  cb_sandbox_unlock (self);
}
