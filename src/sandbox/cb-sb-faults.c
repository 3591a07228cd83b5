/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Infrastructure: fault rules set by tests and demos (PUT /sandbox/faults, --faults FILE).
 * A rule matches a method and a path glob and asks for latency, an error status (with
 * Retry-After) or a failing outcome of some kind ("lro", "dps", "hubRenewal", "linking": the
 * linkingError code an endpoint's link ends with), optionally a
 * limited number of times. The router and the surfaces ask here; the rules know nothing of
 * requests. */

#include "cb-sb-faults.h"
#include "cb-sb-json.h"

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

      for (const char * const *k = (const char * const[]) { "lro", "dps", "hubRenewal", "linking", NULL }; *k; k++)
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

gboolean
cb_sb_faults_set_from_json (CbSandbox   *self,
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

GPtrArray *
cb_sb_faults_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_fault_free);
}

void
cb_sb_faults_clear (CbSandbox *self)
{
  g_ptr_array_set_size (self->faults, 0);
}

const CbSbFault *
cb_sb_find_fault (CbSandbox  *self,
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

guint
cb_sb_fault_get_status (const CbSbFault *fault)
{
  return fault->status;
}

guint
cb_sb_fault_get_retry_after (const CbSbFault *fault)
{
  return fault->retry_after;
}

guint
cb_sb_fault_get_latency_ms (const CbSbFault *fault)
{
  return fault->latency_ms;
}

void
cb_sb_fault_consume (const CbSbFault *fault)
{
  CbSbFault *f = (CbSbFault *) fault;

  if (f->remaining > 0)
    f->remaining--;
}

gboolean
cb_sb_fault_rule_wants (const CbSbFault *rule,
                        const char      *kind,
                        const char      *value)
{
  CbSbFault *fault = (CbSbFault *) rule;

  if (fault == NULL || fault->kind == NULL || fault->remaining == 0)
    return FALSE;

  if (g_strcmp0 (fault->kind, kind) != 0 || g_ascii_strcasecmp (fault->value, value) != 0)
    return FALSE;

  if (fault->remaining > 0)
    fault->remaining--;

  return TRUE;
}

const char *
cb_sb_fault_rule_value (const CbSbFault *rule,
                        const char      *kind)
{
  CbSbFault *fault = (CbSbFault *) rule;

  if (fault == NULL || fault->kind == NULL || fault->remaining == 0 ||
      g_strcmp0 (fault->kind, kind) != 0 || fault->value == NULL || fault->value[0] == '\0')
    return NULL;

  if (fault->remaining > 0)
    fault->remaining--;

  return fault->value;
}

void
cb_sb_faults_build_json (CbSandbox   *self,
                         JsonBuilder *b)
{
  json_builder_begin_array (b);
  for (guint i = 0; i < self->faults->len; i++)
    {
      CbSbFault *f = g_ptr_array_index (self->faults, i);

      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "method", f->method);
      cb_sb_json_add_string (b, "path", f->path_text);
      json_builder_set_member_name (b, "latencyMs");
      json_builder_add_int_value (b, f->latency_ms);
      json_builder_set_member_name (b, "status");
      json_builder_add_int_value (b, f->status);
      json_builder_set_member_name (b, "retryAfter");
      json_builder_add_int_value (b, f->retry_after);
      json_builder_set_member_name (b, "count");
      json_builder_add_int_value (b, f->remaining);
      if (f->kind != NULL)
        cb_sb_json_add_string (b, f->kind, f->value);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}
