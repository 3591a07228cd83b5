/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* What every device request to DPS reads and what rarely changes, kept in memory: the
 * instance of an ID scope, the enrollment groups of an instance (their extra JSON parsed once)
 * and the device keys derived from a group's keys. The rows stay the truth: everything here
 * is dropped when the store's generation moves (cb_sb_store_generation: any write to
 * dps_instances, dps_enrollment_groups or dps_enrollments, or any rollback). */

#include "config.h"

#include <string.h>

#include "cb-sas.h"
#include "cb-sb-dps-cache.h"
#include "cb-sb-store.h"

#define MODULE           "dps-cache"
#define MAX_DERIVED_KEYS 4096   /* a fleet's registrations; dropped all at once beyond */
#define MAX_OPERATIONS   1024   /* registrations not polled yet; dropped all at once beyond */

typedef struct
{
  guint64     generation;
  GHashTable *instances;    /* lower-case ID scope -> CbSbDpsInstance */
  GHashTable *groups;       /* lower-case DPS name -> GPtrArray of CbSbEnrollment */
  GHashTable *derived;      /* "dps\ngroup\nkey index\nregistration id" -> device key */
  GHashTable *operations;   /* "dps\noperation id" -> CbSbDpsOperation, just finished */
  GHashTable *individual;   /* lower-case DPS name -> set of its individual enrollments' lower-case
                             * registration ids (most devices have none: a group's) */
} Cache;

static void
cache_free (gpointer data)
{
  Cache *cache = data;

  g_hash_table_unref (cache->instances);
  g_hash_table_unref (cache->groups);
  g_hash_table_unref (cache->derived);
  g_hash_table_unref (cache->operations);
  g_hash_table_unref (cache->individual);
  g_free (cache);
}

static void
free_secret (gpointer data)
{
  char *key = data;

  if (key != NULL)
    memset (key, 0, strlen (key));
  g_free (key);
}

/* The cache, emptied when the store changed since it was filled. */
static Cache *
get_cache (CbSandbox *self)
{
  Cache *cache = cb_sb_get_module_data (self, MODULE);
  guint64 generation;

  if (cache == NULL)
    {
      cb_sb_store_watch_table (self, "dps_instances");
      cb_sb_store_watch_table (self, "dps_enrollment_groups");
      cb_sb_store_watch_table (self, "dps_enrollments");
      cache = g_new0 (Cache, 1);
      cache->instances = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) cb_sb_dps_instance_free);
      cache->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_ptr_array_unref);
      cache->derived = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_secret);
      cache->operations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) cb_sb_dps_operation_free);
      cache->individual = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) g_hash_table_unref);
      cb_sb_set_module_data (self, MODULE, cache, cache_free);
    }

  generation = cb_sb_store_generation (self);
  if (cache->generation != generation)
    {
      g_hash_table_remove_all (cache->instances);
      g_hash_table_remove_all (cache->groups);
      g_hash_table_remove_all (cache->derived);
      g_hash_table_remove_all (cache->operations);
      g_hash_table_remove_all (cache->individual);
      cache->generation = generation;
    }
  return cache;
}

static CbSbDpsInstance *
instance_copy (const CbSbDpsInstance *dps)
{
  CbSbDpsInstance *copy = g_new0 (CbSbDpsInstance, 1);

  copy->name = g_strdup (dps->name);
  copy->id_scope = g_strdup (dps->id_scope);
  copy->namespace_id = g_strdup (dps->namespace_id);
  copy->linked_hub = g_strdup (dps->linked_hub);
  copy->host_name = g_strdup (dps->host_name);
  copy->owner_key = g_strdup (dps->owner_key);
  return copy;
}

CbSbDpsInstance *
cb_sb_dps_cache_instance (CbSandbox  *self,
                          const char *id_scope)
{
  Cache *cache = get_cache (self);
  g_autofree char *key = g_ascii_strdown (id_scope, -1);
  CbSbDpsInstance *dps = g_hash_table_lookup (cache->instances, key);

  if (dps == NULL)
    {
      if (!(dps = cb_sb_dps_instance_load (self, "id_scope", id_scope)))
        return NULL;
      g_hash_table_insert (cache->instances, g_steal_pointer (&key), dps);
    }
  return instance_copy (dps);
}

GPtrArray *
cb_sb_dps_cache_groups (CbSandbox  *self,
                        const char *dps_name)
{
  Cache *cache = get_cache (self);
  g_autofree char *key = g_ascii_strdown (dps_name, -1);
  GPtrArray *groups = g_hash_table_lookup (cache->groups, key);

  if (groups == NULL)
    {
      groups = cb_sb_enrollment_list (self, dps_name, TRUE);
      g_hash_table_insert (cache->groups, g_steal_pointer (&key), groups);
    }
  return groups;
}

gboolean
cb_sb_dps_cache_has_individual (CbSandbox  *self,
                                const char *dps_name,
                                const char *registration_id)
{
  Cache *cache = get_cache (self);
  g_autofree char *key = g_ascii_strdown (dps_name, -1);
  g_autofree char *id = g_ascii_strdown (registration_id, -1);
  GHashTable *ids = g_hash_table_lookup (cache->individual, key);

  if (ids == NULL)
    {
      /* The columns are COLLATE NOCASE: SQLite folds ASCII, as g_ascii_strdown does. */
      g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT registration_id "
                                                      "FROM dps_enrollments WHERE dps = ?");

      ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      sqlite3_bind_text (stmt, 1, dps_name, -1, SQLITE_TRANSIENT);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *row_id = (const char *) sqlite3_column_text (stmt, 0);

          g_hash_table_add (ids, g_ascii_strdown (row_id, -1));
        }
      g_hash_table_insert (cache->individual, g_steal_pointer (&key), ids);
    }
  return g_hash_table_contains (ids, id);
}

CbSbEnrollment *
cb_sb_dps_cache_enrollment_copy (const CbSbEnrollment *e)
{
  CbSbEnrollment *copy = g_new0 (CbSbEnrollment, 1);

  copy->is_group = e->is_group;
  copy->id = g_strdup (e->id);
  copy->device_id = g_strdup (e->device_id);
  copy->primary_key = g_strdup (e->primary_key);
  copy->secondary_key = g_strdup (e->secondary_key);
  copy->policy = g_strdup (e->policy);
  copy->provisioning_status = g_strdup (e->provisioning_status);
  copy->etag = g_strdup (e->etag);
  copy->extra = e->extra != NULL ? json_object_ref (e->extra) : NULL;
  copy->created = e->created;
  copy->updated = e->updated;
  return copy;
}

const char *
cb_sb_dps_cache_derived_key (CbSandbox            *self,
                             const char           *dps_name,
                             const CbSbEnrollment *group,
                             gboolean              secondary,
                             const char           *registration_id,
                             GError              **error)
{
  Cache *cache = get_cache (self);
  const char *group_key = secondary ? group->secondary_key : group->primary_key;
  g_autofree char *key = NULL;
  char *derived;

  if (group_key == NULL)
    return NULL;

  key = g_strdup_printf ("%s\n%s\n%d\n%s", dps_name, group->id, secondary, registration_id);
  if ((derived = g_hash_table_lookup (cache->derived, key)) != NULL)
    return derived;

  if (!(derived = cb_sas_derive_device_key (group_key, registration_id, error)))
    return NULL;
  if (g_hash_table_size (cache->derived) >= MAX_DERIVED_KEYS)
    g_hash_table_remove_all (cache->derived);
  g_hash_table_insert (cache->derived, g_steal_pointer (&key), derived);
  return derived;
}

/* An operation's row is written only by the registration that makes it and by the poll
 * (cb-sb-dps-register.c), and never deleted: the copy kept here is the row until a rollback
 * moves the generation, which drops it. */
void
cb_sb_dps_cache_put_operation (CbSandbox        *self,
                               const char       *dps_name,
                               CbSbDpsOperation *op)
{
  Cache *cache = get_cache (self);

  if (g_hash_table_size (cache->operations) >= MAX_OPERATIONS)
    g_hash_table_remove_all (cache->operations);
  g_hash_table_replace (cache->operations, g_strdup_printf ("%s\n%s", dps_name, op->operation_id),
                        op);
}

CbSbDpsOperation *
cb_sb_dps_cache_take_operation (CbSandbox  *self,
                                const char *dps_name,
                                const char *registration_id,
                                const char *operation_id)
{
  Cache *cache = get_cache (self);
  g_autofree char *key = g_strdup_printf ("%s\n%s", dps_name, operation_id);
  g_autofree char *stored_key = NULL;
  CbSbDpsOperation *op = NULL;

  /* Stealing frees neither the key nor the value: the stored key is freed here. */
  if (!g_hash_table_steal_extended (cache->operations, key, (gpointer *) &stored_key,
                                    (gpointer *) &op))
    return NULL;
  if (g_ascii_strcasecmp (op->registration_id, registration_id) != 0)
    {
      /* Not this device's: the row lookup answers (it does not find it either). */
      g_hash_table_insert (cache->operations, g_steal_pointer (&key), op);
      return NULL;
    }
  return op;
}
