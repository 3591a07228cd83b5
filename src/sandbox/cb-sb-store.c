/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Infrastructure: the SQLite store. Opening the database (0600, WAL), cached statements and
 * the CbSbStmt guard, nested transactions, the sandbox's lock, the meta table (small
 * persistent settings), in-memory module state and private key files under <data>/keys/.
 * Each table's owner creates its own tables; the store creates only meta. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cb-sb-store.h"
#include "cb-util.h"

static const char store_schema[] =
  "CREATE TABLE IF NOT EXISTS meta ("
  "  key TEXT PRIMARY KEY, value TEXT) STRICT;";

/* The watched tables' generation (see "Watched tables" below). */
typedef struct
{
  sqlite3   *db;
  GPtrArray *tables;      /* names, static strings */
  guint64    generation;
} Watch;

#define WATCH_MODULE "store-watch"

static Watch *get_watch (CbSandbox *self);


/* ---- Lock ------------------------------------------------------------------------------ */

#define LOCK_HOOK_MODULE "store-lock-hook"

typedef struct
{
  CbSbLockHook hook;
} LockHook;

/* Taking the lock runs the hook a layer above set (the group commit's: it commits an open
 * batch first, so what the holder then answers never follows an uncommitted write,
 * cb-sb-batch.c). */
void
cb_sb_lock (CbSandbox *self)
{
  LockHook *lock_hook;

  g_rec_mutex_lock (&self->lock);
  lock_hook = self->module_data != NULL ? cb_sb_get_module_data (self, LOCK_HOOK_MODULE) : NULL;
  if (lock_hook != NULL)
    lock_hook->hook (self);
}

void
cb_sb_set_lock_hook (CbSandbox    *self,
                     CbSbLockHook  hook)
{
  LockHook *lock_hook = g_new0 (LockHook, 1);

  lock_hook->hook = hook;
  cb_sb_set_module_data (self, LOCK_HOOK_MODULE, lock_hook, g_free);
}

/* The router's: it commits the batch itself unless the request joins it (cb-sb-router.c). */
void
cb_sb_lock_request (CbSandbox *self)
{
  g_rec_mutex_lock (&self->lock);
}

void
cb_sb_unlock (CbSandbox *self)
{
  g_rec_mutex_unlock (&self->lock);
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

GHashTable *
cb_sb_module_data_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, module_data_free);
}

gpointer
cb_sb_get_module_data (CbSandbox  *self,
                       const char *module)
{
  ModuleData *md = g_hash_table_lookup (self->module_data, module);

  return md != NULL ? md->data : NULL;
}

void
cb_sb_set_module_data (CbSandbox      *self,
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

  /* Kept for the life of the connection: PERSISTENT keeps them out of the lookaside pool. */
  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
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

/* The savepoint statements run for every registration: prepared once, as the others are (an
 * sqlite3_exec would compile its SQL each time). */
static gboolean
run_cached (CbSandbox  *self,
            const char *sql)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  return stmt != NULL && sqlite3_step (stmt) == SQLITE_DONE;
}

gboolean
cb_sb_begin (CbSandbox *self)
{
  return run_cached (self, "SAVEPOINT cb");
}

gboolean
cb_sb_commit (CbSandbox *self)
{
  return run_cached (self, "RELEASE cb");
}

void
cb_sb_rollback (CbSandbox *self)
{
  Watch *watch = cb_sb_get_module_data (self, WATCH_MODULE);

  /* SQLite's rollback hook does not see a savepoint's rollback. */
  if (watch != NULL)
    watch->generation++;
  run_cached (self, "ROLLBACK TO cb");
  run_cached (self, "RELEASE cb");
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

gboolean
cb_sb_store_open (CbSandbox  *self,
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

  /* WAL with synchronous=NORMAL: a commit appends to the WAL without an fsync (only a
   * checkpoint syncs). The sandbox is a test double: losing the last commits to a power cut is
   * acceptable, and a crash of the process still cannot corrupt the database (SQLite's WAL
   * guarantee). A registration is one transaction (cb-sb-dps-register.c). The WAL keeps
   * SQLite's auto-checkpoint (1,000 pages): test-sandbox-connections holds it under 6 MiB. */
  /* The watch's hooks first, so that every statement is prepared under its authorizer. */
  get_watch (self);
  return cb_sb_exec (self,
                     "PRAGMA journal_mode=WAL;"
                     "PRAGMA synchronous=NORMAL;"
                     "PRAGMA foreign_keys=ON;",
                     error) &&
         cb_sb_exec (self, store_schema, error);
}

void
cb_sb_store_close (CbSandbox *self)
{
  Watch *watch = cb_sb_get_module_data (self, WATCH_MODULE);

  /* The watch's hooks go with the connection: it must not unhook a closed one later (the
   * hosts command closes the store before the sandbox is finalized). */
  if (watch != NULL && watch->db == self->db)
    {
      watch->db = NULL;
      watch->generation++;
    }
  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->keys, g_hash_table_unref);
  g_clear_pointer (&self->issuers, g_hash_table_unref);
  g_clear_pointer (&self->db, sqlite3_close);
}

/* ---- Watched tables -------------------------------------------------------------------- */

/* Caches of rows that change rarely (cb-sb-dps-cache.c) check one counter instead of reading
 * the rows again: it moves whenever a watched table is written through this connection (the
 * only one that writes the file) and whenever a transaction or savepoint is rolled back, so a
 * cache never keeps what a rollback undid. */

static void
watch_update_cb (void          *data,
                 int            op,
                 const char    *db_name,
                 const char    *table,
                 sqlite3_int64  rowid)
{
  Watch *watch = data;

  for (guint i = 0; i < watch->tables->len; i++)
    if (strcmp (table, g_ptr_array_index (watch->tables, i)) == 0)
      {
        watch->generation++;
        return;
      }
}

/* A DELETE without WHERE on a table without triggers would empty it in one step (SQLite's
 * truncate optimization), which calls no update hook: the generation would not move. Told
 * SQLITE_IGNORE for a DELETE, SQLite deletes row by row instead, each row through the hook.
 * Every table is treated so (a statement may be prepared before its table is watched); the
 * sandbox issues no DELETE without WHERE today, so nothing is slower for it. */
static int
watch_authorize_cb (void       *data,
                    int         action,
                    const char *arg1,
                    const char *arg2,
                    const char *db_name,
                    const char *trigger_or_view)
{
  return action == SQLITE_DELETE ? SQLITE_IGNORE : SQLITE_OK;
}

static void
watch_rollback_cb (void *data)
{
  Watch *watch = data;

  watch->generation++;
}

static void
watch_free (gpointer data)
{
  Watch *watch = data;

  if (watch->db != NULL)
    {
      sqlite3_update_hook (watch->db, NULL, NULL);
      sqlite3_rollback_hook (watch->db, NULL, NULL);
      sqlite3_set_authorizer (watch->db, NULL, NULL);
    }
  g_ptr_array_unref (watch->tables);
  g_free (watch);
}

static Watch *
get_watch (CbSandbox *self)
{
  Watch *watch = cb_sb_get_module_data (self, WATCH_MODULE);

  if (watch == NULL)
    {
      watch = g_new0 (Watch, 1);
      watch->tables = g_ptr_array_new ();
      watch->generation = 1;
      cb_sb_set_module_data (self, WATCH_MODULE, watch, watch_free);
    }
  /* A connection opened after the last one closed is hooked again. */
  if (watch->db != self->db && self->db != NULL)
    {
      watch->db = self->db;
      watch->generation++;
      sqlite3_update_hook (self->db, watch_update_cb, watch);
      sqlite3_rollback_hook (self->db, watch_rollback_cb, watch);
      sqlite3_set_authorizer (self->db, watch_authorize_cb, watch);
    }
  return watch;
}

void
cb_sb_store_watch_table (CbSandbox  *self,
                         const char *table)
{
  Watch *watch = get_watch (self);

  for (guint i = 0; i < watch->tables->len; i++)
    if (strcmp (table, g_ptr_array_index (watch->tables, i)) == 0)
      return;
  g_ptr_array_add (watch->tables, (gpointer) table);
}

guint64
cb_sb_store_generation (CbSandbox *self)
{
  return get_watch (self)->generation;
}

/* ---- Meta ------------------------------------------------------------------------------ */

char *
cb_sb_dup_meta (CbSandbox  *self,
                const char *key)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT value FROM meta WHERE key = ?");

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return cb_sb_column_dup (stmt, 0);

  return NULL;
}

gboolean
cb_sb_set_meta (CbSandbox  *self,
                const char *key,
                const char *value)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_DONE;
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

  /* Every issue signs with a CA key: each key file is read and parsed once. Key files are
   * never rewritten under the same reference (cb_sb_delete_key() forgets one). */
  if (self->keys != NULL && (key = g_hash_table_lookup (self->keys, key_ref)) != NULL)
    return cb_key_ref (key);

  path = g_build_filename (dir, key_ref, NULL);
  if (!g_file_get_contents (path, &pem, &len, error))
    return NULL;

  key = cb_key_new_from_pem (pem, len, error);
  memset (pem, 0, len);
  if (key == NULL)
    return NULL;

  if (self->keys == NULL)
    self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) cb_key_unref);
  g_hash_table_insert (self->keys, g_strdup (key_ref), cb_key_ref (key));
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

  if (self->keys != NULL)
    g_hash_table_remove (self->keys, key_ref);
  path = g_build_filename (dir, key_ref, NULL);
  g_unlink (path);
}
