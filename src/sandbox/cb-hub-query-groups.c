/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-query"

/* The IoT Hub query language (cb-hub-query.h): aggregates (COUNT() and GROUP BY), and running
 * a whole query over a list of twins. */

#include "config.h"

#include "cb-hub-query-private.h"

typedef struct
{
  GPtrArray *values;  /* JsonNode or NULL (undefined), one per GROUP BY path */
  gint64     count;
} Group;

struct _CbHubQueryGroups
{
  CbHubQuery *query;
  GHashTable *by_key;   /* key text -> Group (borrowed from groups) */
  GPtrArray  *groups;   /* Group, in first-seen order */
};

static void
group_free (gpointer p)
{
  Group *g = p;

  g_ptr_array_unref (g->values);
  g_free (g);
}

static void
node_unref0 (gpointer p)
{
  if (p != NULL)
    json_node_unref (p);
}

CbHubQueryGroups *
cb_hub_query_groups_new (CbHubQuery *self)
{
  CbHubQueryGroups *groups;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->aggregate, NULL);

  groups = g_new0 (CbHubQueryGroups, 1);
  groups->query = self;
  groups->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  groups->groups = g_ptr_array_new_with_free_func (group_free);

  /* Without GROUP BY there is exactly one group, even over no device (COUNT() = 0). */
  if (self->group_by->len == 0)
    {
      Group *g = g_new0 (Group, 1);

      g->values = g_ptr_array_new_with_free_func (node_unref0);
      g_ptr_array_add (groups->groups, g);
      g_hash_table_insert (groups->by_key, g_strdup (""), g);
    }

  return groups;
}

void
cb_hub_query_groups_add (CbHubQueryGroups *groups,
                         JsonObject       *twin)
{
  g_autoptr(GPtrArray) values = NULL;

  g_return_if_fail (groups != NULL);
  g_return_if_fail (twin != NULL);

  /* Borrowed from the twin: add_counted copies what it keeps. */
  values = g_ptr_array_new ();
  for (guint i = 0; i < groups->query->group_by->len; i++)
    g_ptr_array_add (values, cb_hub_query_resolve (twin, g_ptr_array_index (groups->query->group_by, i)));
  cb_hub_query_groups_add_counted (groups, values, 1);
}

void
cb_hub_query_groups_add_counted (CbHubQueryGroups *groups,
                                 GPtrArray        *values,
                                 gint64            count)
{
  g_autoptr(GString) key = g_string_new (NULL);
  Group *g;

  g_return_if_fail (groups != NULL);
  g_return_if_fail (values != NULL && values->len == groups->query->group_by->len);

  for (guint i = 0; i < values->len; i++)
    {
      JsonNode *v = g_ptr_array_index (values, i);

      if (v == NULL)
        g_string_append (key, "U;");
      else
        {
          g_autofree char *text = json_to_string (v, FALSE);

          g_string_append_printf (key, "D%zu:%s;", strlen (text), text);
        }
    }

  g = g_hash_table_lookup (groups->by_key, key->str);
  if (g == NULL)
    {
      g = g_new0 (Group, 1);
      g->values = g_ptr_array_new_with_free_func (node_unref0);
      for (guint i = 0; i < values->len; i++)
        {
          JsonNode *v = g_ptr_array_index (values, i);

          g_ptr_array_add (g->values, v != NULL ? json_node_copy (v) : NULL);
        }
      g_ptr_array_add (groups->groups, g);
      g_hash_table_insert (groups->by_key, g_strdup (key->str), g);
    }

  g->count += count;
}

JsonArray *
cb_hub_query_groups_finish (CbHubQueryGroups *groups)
{
  CbHubQuery *self;
  JsonArray *out;

  g_return_val_if_fail (groups != NULL, NULL);

  self = groups->query;
  out = json_array_new ();

  for (guint i = 0; i < groups->groups->len; i++)
    {
      Group *g = g_ptr_array_index (groups->groups, i);
      JsonObject *row;

      if (self->top >= 0 && (gint64) json_array_get_length (out) >= self->top)
        break;

      row = json_object_new ();
      for (guint k = 0; k < self->items->len; k++)
        {
          SelectItem *item = g_ptr_array_index (self->items, k);

          if (item->kind == ITEM_COUNT)
            {
              json_object_set_int_member (row, item->name, g->count);
              continue;
            }

          for (guint j = 0; j < self->group_by->len; j++)
            {
              JsonNode *v = g_ptr_array_index (g->values, j);

              if (cb_hub_query_paths_equal (item->path, g_ptr_array_index (self->group_by, j)))
                {
                  if (v != NULL)
                    json_object_set_member (row, item->name, json_node_copy (v));
                  break;
                }
            }
        }
      json_array_add_object_element (out, row);
    }

  return out;
}

void
cb_hub_query_groups_free (CbHubQueryGroups *groups)
{
  if (groups == NULL)
    return;
  g_hash_table_unref (groups->by_key);
  g_ptr_array_unref (groups->groups);
  g_free (groups);
}

JsonArray *
cb_hub_query_run (CbHubQuery *self,
                  GPtrArray  *twins)
{
  JsonArray *out;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (twins != NULL, NULL);

  if (self->aggregate)
    {
      g_autoptr(CbHubQueryGroups) groups = cb_hub_query_groups_new (self);

      for (guint i = 0; i < twins->len; i++)
        if (cb_hub_query_matches (self, g_ptr_array_index (twins, i)))
          cb_hub_query_groups_add (groups, g_ptr_array_index (twins, i));

      return cb_hub_query_groups_finish (groups);
    }

  out = json_array_new ();
  for (guint i = 0; i < twins->len; i++)
    {
      JsonObject *twin = g_ptr_array_index (twins, i);

      if (self->top >= 0 && (gint64) json_array_get_length (out) >= self->top)
        break;
      if (cb_hub_query_matches (self, twin))
        json_array_add_element (out, cb_hub_query_project (self, twin));
    }

  return out;
}

