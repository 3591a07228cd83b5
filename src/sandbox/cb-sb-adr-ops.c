/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* ADR's rules and operations: valid names, device properties (ADR is the source of truth: a
 * disabled device cannot authenticate in any linked hub), and the change each long-running
 * operation makes when it completes: creating and deleting namespaces, the credential (its
 * root CA) and policies (their issuing CA), revoking a device (a new credential identifier,
 * every leaf revoked, its connections dropped), revokeIssuer (a replacement issuing CA,
 * synchronized to the linked hubs, every connection checked again), BYOR activation, and
 * synchronize. Also the cross-module ADR API (cb-sb-adr.h) the seed, DPS and tests use. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr.h"
#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-ca.h"
#include "cb-sb-ca-byor.h"
#include "cb-sb-events.h"
#include "cb-sb-hub.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-store.h"

const char * const cb_sb_device_string_props[] = {
  "externalDeviceId", "manufacturer", "model", "operatingSystem", "operatingSystemVersion",
};
const guint cb_sb_n_device_string_props = G_N_ELEMENTS (cb_sb_device_string_props);

/* ---- Rules ------------------------------------------------------------------------------ */

gboolean
cb_sb_adr_valid_namespace_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 3 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = name[i];
      gboolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

      if (!alnum && !(c == '-' && i > 0 && i < len - 1))
        return FALSE;
    }

  return TRUE;
}

gboolean
cb_sb_adr_valid_child_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 3 || len > 63)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && !(name[i] == '-' && i > 0))
      return FALSE;

  return TRUE;
}

JsonNode *
cb_sb_adr_member (JsonObject *obj,
                  const char *name)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, name))
    return NULL;
  node = json_object_get_member (obj, name);

  return JSON_NODE_HOLDS_NULL (node) ? NULL : node;
}

/* ---- Devices ---------------------------------------------------------------------------- */

static gboolean
rotate_device (CbSandbox   *self,
               const char  *id,
               gboolean     disable,
               GError     **error)
{
  g_autofree char *identifier = g_uuid_string_random ();
  g_autofree char *etag = cb_sb_adr_new_etag ();
  g_autofree char *ns_id = NULL;
  g_autofree char *name = NULL;
  gboolean was_enabled = FALSE;

  if (!cb_sb_adr_device_row (self, id, &ns_id, &name, &was_enabled, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The device no longer exists.");
      return FALSE;
    }

  if (!cb_sb_adr_set_device_identifier (self, id, identifier, etag, disable,
                                        disable && was_enabled ? cb_sb_now_usec (self) : 0,
                                        error))
    return FALSE;

  /* "All certificates that have ever been issued to that device are revoked." */
  cb_sb_ca_revoke_device_leaves (self, ns_id, name);
  cb_sb_events_drop_device (self->events, NULL, name, "the device's credentials were revoked");

  if (disable)
    {
      g_autoptr(GPtrArray) hubs = cb_sb_adr_hubs_of_namespace (self, ns_id);

      for (guint i = 0; i < hubs->len; i++)
        {
          const char *hub = g_ptr_array_index (hubs, i);
          gboolean enabled = FALSE;

          if (cb_sb_hub_lookup_device (self, hub, name, &enabled) && enabled &&
              !cb_sb_hub_set_device_enabled (self, hub, name, FALSE, error))
            return FALSE;
        }
    }

  return TRUE;
}

/* A linked hub keeps its devices in the namespace: a device deleted there leaves each hub's
 * identity registry, and its twin with it (IoT Hub's twin lives and dies with the identity),
 * so the hub's queries (the Fleet's counts) no longer find it and its connections end. */
static gboolean
delete_device (CbSandbox   *self,
               const char  *id,
               GError     **error)
{
  g_autofree char *ns_id = NULL;
  g_autofree char *name = NULL;

  if (cb_sb_adr_device_row (self, id, &ns_id, &name, NULL, NULL))
    {
      g_autoptr(GPtrArray) hubs = cb_sb_adr_hubs_of_namespace (self, ns_id);

      for (guint i = 0; i < hubs->len; i++)
        {
          const char *hub = g_ptr_array_index (hubs, i);
          gboolean enabled = FALSE;

          if (!cb_sb_hub_lookup_device (self, hub, name, &enabled))
            continue;
          if (!cb_sb_hub_device_delete (self, hub, name))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "The device could not be deleted from hub %s", hub);
              return FALSE;
            }
          cb_sb_events_drop_device (self->events, hub, name, "the device was deleted");
        }
    }

  return cb_sb_adr_delete_device (self, id, error);
}

static void
sync_hub_enabled (CbSandbox  *self,
                  const char *ns_id,
                  const char *name,
                  gboolean    enabled)
{
  g_autoptr(GPtrArray) hubs = cb_sb_adr_hubs_of_namespace (self, ns_id);

  for (guint i = 0; i < hubs->len; i++)
    {
      const char *hub = g_ptr_array_index (hubs, i);
      gboolean current = FALSE;
      g_autoptr(GError) error = NULL;

      if (cb_sb_hub_lookup_device (self, hub, name, &current) && current != enabled &&
          !cb_sb_hub_set_device_enabled (self, hub, name, enabled, &error))
        g_warning ("Could not update device %s in hub %s: %s", name, hub, error->message);
    }
}

gboolean
cb_sb_adr_apply_device_properties (CbSandbox   *self,
                                   const char  *id,
                                   JsonObject  *properties,
                                   gboolean     replace,
                                   GError     **error)
{
  g_autoptr(JsonNode) current = NULL;
  g_autoptr(JsonObject) merged = json_object_new ();
  g_autofree char *ns_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *props_text = NULL;
  g_autofree char *etag = cb_sb_adr_new_etag ();
  const char *policy = NULL;
  gboolean policy_given = FALSE;
  gboolean was_enabled = TRUE;
  gboolean transition;
  int enabled = -1;

  if (!cb_sb_adr_device_row (self, id, &ns_id, &name, &was_enabled, &stored))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The device no longer exists.");
      return FALSE;
    }
  if (!replace && stored != NULL)
    current = json_from_string (stored, NULL);

  if (current != NULL && JSON_NODE_HOLDS_OBJECT (current))
    {
      JsonObject *obj = json_node_get_object (current);
      g_autoptr(GList) names = json_object_get_members (obj);

      for (GList *l = names; l != NULL; l = l->next)
        json_object_set_member (merged, l->data,
                                json_node_copy (json_object_get_member (obj, l->data)));
    }

  if (properties != NULL)
    {
      JsonNode *p;

      for (guint i = 0; i < cb_sb_n_device_string_props; i++)
        if ((p = cb_sb_adr_member (properties, cb_sb_device_string_props[i])) != NULL)
          json_object_set_member (merged, cb_sb_device_string_props[i], json_node_copy (p));
      if ((p = cb_sb_adr_member (properties, "attributes")) != NULL)
        json_object_set_member (merged, "attributes", json_node_copy (p));
      if ((p = cb_sb_adr_member (properties, "enabled")) != NULL)
        enabled = json_node_get_boolean (p) ? 1 : 0;
      if ((p = cb_sb_adr_member (properties, "policy")) != NULL)
        {
          policy_given = TRUE;
          policy = json_object_get_string_member_with_default (json_node_get_object (p),
                                                                "resourceId", NULL);
        }
    }
  if (replace && enabled < 0)
    enabled = 1;

  {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

    json_node_set_object (node, merged);
    props_text = json_to_string (node, FALSE);
  }

  transition = enabled >= 0 && (enabled != 0) != was_enabled;
  if (!cb_sb_adr_set_device_properties (self, id, props_text, etag, enabled, policy_given, policy,
                                        transition ? cb_sb_now_usec (self) : 0, error))
    return FALSE;

  /* ADR is the source of truth: a disabled device cannot authenticate anywhere. */
  if (transition)
    sync_hub_enabled (self, ns_id, name, enabled != 0);

  return TRUE;
}

/* ---- Operations ------------------------------------------------------------------------- */

/* A registry device's PATCH (2026-11-01): the string properties it names replace the stored
 * ones, the others stay; enablementState goes through the device rule (the hubs follow). */
static gboolean
update_registry_device (CbSandbox   *self,
                        const char  *id,
                        JsonNode    *properties,
                        GError     **error)
{
  JsonObject *given = properties != NULL && JSON_NODE_HOLDS_OBJECT (properties)
                      ? json_node_get_object (properties) : NULL;
  g_autofree char *stored = NULL;
  g_autoptr(JsonNode) current = NULL;
  g_autofree char *text = NULL;
  g_autofree char *etag = cb_sb_adr_new_etag ();
  g_autoptr(GList) names = NULL;
  const char *state;

  if (given == NULL)
    return TRUE;
  if (!cb_sb_adr_device_row (self, id, NULL, NULL, NULL, &stored))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The device no longer exists.");
      return FALSE;
    }
  current = stored != NULL ? json_from_string (stored, NULL) : NULL;
  if (current == NULL || !JSON_NODE_HOLDS_OBJECT (current))
    {
      g_clear_pointer (&current, json_node_unref);
      current = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (current, json_object_new ());
    }

  names = json_object_get_members (given);
  for (GList *l = names; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "enablementState"))
      json_object_set_member (json_node_get_object (current), l->data,
                              json_node_copy (json_object_get_member (given, l->data)));
  text = json_to_string (current, FALSE);
  if (!cb_sb_adr_set_device_properties (self, id, text, etag, -1, FALSE, NULL, 0, error))
    return FALSE;

  state = json_object_get_string_member_with_default (given, "enablementState", NULL);
  if (state != NULL)
    {
      g_autoptr(JsonObject) enabled = json_object_new ();

      json_object_set_boolean_member (enabled, "enabled", g_str_equal (state, "Enabled"));
      return cb_sb_adr_apply_device_properties (self, id, enabled, FALSE, error);
    }

  return TRUE;
}

static void
apply_tags (CbSandbox  *self,
            const char *table,
            const char *key_column,
            const char *key,
            JsonObject *args)
{
  JsonNode *tags = cb_sb_adr_member (args, "tags");
  g_autofree char *text = NULL;

  if (tags == NULL)
    return;

  text = json_to_string (tags, FALSE);
  cb_sb_adr_set_tags (self, table, key_column, key, text);
}

gboolean
cb_sb_adr_apply_operation (CbSandbox   *self,
                           const char  *kind,
                           const char  *target,
                           JsonObject  *args,
                           const char  *caller,
                           GError     **error)
{
  const char *table;
  const char *key_column;

  cb_sb_adr_table_for_kind (kind, &table, &key_column);

  if (g_str_equal (kind, "ns-create") || g_str_equal (kind, "device-create"))
    {
      /* The row exists already; creation is the state change. */
    }
  else if (g_str_equal (kind, "ns-update") || g_str_equal (kind, "credential-update"))
    {
      apply_tags (self, table, key_column, target, args);
    }
  else if (g_str_equal (kind, "ns-delete"))
    {
      if (cb_sb_adr_has_credential (self, target))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "The namespace still has a credential; delete it first.");
          return FALSE;
        }
      return cb_sb_adr_delete_namespace (self, target, error);
    }
  else if (g_str_equal (kind, "credential-create"))
    {
      if (!cb_sb_ca_create_root (self, target, error))
        return FALSE;
    }
  else if (g_str_equal (kind, "credential-delete"))
    {
      g_autoptr(GPtrArray) names = cb_sb_adr_policy_names (self, target);

      if (names->len > 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "The credential still has policies; revoke or delete them first.");
          return FALSE;
        }
      if (!cb_sb_adr_delete_credential (self, target, error))
        return FALSE;
      cb_sb_ca_delete_root (self, target);
      return TRUE;
    }
  else if (g_str_equal (kind, "credential-sync"))
    {
      return cb_sb_adr_synchronize (self, target, error);
    }
  else if (g_str_equal (kind, "policy-create"))
    {
      g_autofree char *ns_id = cb_sb_namespace_of (target);
      g_autofree char *issuer = NULL;
      gboolean byor = json_object_get_boolean_member_with_default (args, "byor", FALSE);

      issuer = cb_sb_ca_create_issuer (self, ns_id, target, byor, error);
      if (issuer == NULL)
        return FALSE;
      if (!cb_sb_adr_set_policy_issuer (self, target, issuer, error))
        return FALSE;
    }
  else if (g_str_equal (kind, "policy-update"))
    {
      gint64 days = json_object_get_int_member_with_default (args, "validityPeriodInDays", 0);

      if (days > 0 && !cb_sb_adr_set_policy_validity (self, target, days, error))
        return FALSE;
      apply_tags (self, table, key_column, target, args);
    }
  else if (g_str_equal (kind, "policy-delete"))
    {
      g_autofree char *issuer = cb_sb_adr_policy_issuer (self, target);

      /* Issuance stops; the ICA and its hub certificates stay, so existing leaves keep
       * working until the hub certificate is deleted. */
      if (!cb_sb_adr_delete_policy (self, target, error))
        return FALSE;
      if (issuer != NULL)
        cb_sb_ca_drop_pending_issuer (self, issuer);
      return TRUE;
    }
  else if (g_str_equal (kind, "policy-revoke-issuer"))
    {
      g_autofree char *ns_id = cb_sb_namespace_of (target);
      g_autofree char *old_issuer = cb_sb_adr_policy_issuer (self, target);
      g_autofree char *new_issuer = NULL;

      if (old_issuer != NULL && !cb_sb_ca_revoke_issuer (self, old_issuer, error))
        return FALSE;
      new_issuer = cb_sb_ca_create_issuer (self, ns_id, target, FALSE, error);
      if (new_issuer == NULL)
        return FALSE;
      if (!cb_sb_adr_set_policy_issuer (self, target, new_issuer, error))
        return FALSE;
      /* "ADR generates a replacement ICA and syncs it to linked hubs." */
      if (!cb_sb_adr_synchronize (self, ns_id, error))
        return FALSE;
      cb_sb_events_recheck_all (self->events, "an issuing CA was revoked");
    }
  else if (g_str_equal (kind, "policy-activate"))
    {
      g_autofree char *issuer = cb_sb_adr_policy_issuer (self, target);

      if (!cb_sb_ca_activate_issuer (self, issuer,
                                     json_object_get_string_member_with_default (args,
                                                                                 "certificateChain",
                                                                                 NULL),
                                     error))
        return FALSE;
    }
  else if (g_str_equal (kind, "device-update"))
    {
      JsonObject *properties = NULL;
      JsonNode *p = cb_sb_adr_member (args, "properties");

      if (p != NULL && JSON_NODE_HOLDS_OBJECT (p))
        properties = json_node_get_object (p);
      if (!cb_sb_adr_apply_device_properties (self, target, properties, FALSE, error))
        return FALSE;
      apply_tags (self, table, key_column, target, args);
    }
  else if (g_str_equal (kind, "registry-device-update"))
    {
      if (!update_registry_device (self, target, cb_sb_adr_member (args, "properties"), error))
        return FALSE;
      apply_tags (self, table, key_column, target, args);
    }
  else if (g_str_equal (kind, "device-delete"))
    {
      return delete_device (self, target, error);
    }
  else if (g_str_equal (kind, "device-revoke"))
    {
      if (!rotate_device (self, target,
                          json_object_get_boolean_member_with_default (args, "disable", FALSE),
                          error))
        return FALSE;
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Unknown operation kind %s",
                   kind);
      return FALSE;
    }

  cb_sb_adr_set_state (self, table, key_column, target, "Succeeded");
  cb_sb_adr_set_modified (self, table, key_column, target, caller);
  return TRUE;
}

/* ---- The cross-module API --------------------------------------------------------------- */

gboolean
cb_sb_adr_create_namespace (CbSandbox   *self,
                            const char  *subscription,
                            const char  *resource_group,
                            const char  *name,
                            const char  *location,
                            GError     **error)
{
  g_autofree char *ns_id = NULL;
  g_autofree char *state = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_adr_valid_namespace_name (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The namespace name “%s” is invalid", name);
      return FALSE;
    }

  ns_id = cb_sb_namespace_id (subscription, resource_group, name);
  state = cb_sb_adr_namespace_state (self, ns_id, NULL);
  if (state != NULL)
    return TRUE;

  cb_sb_adr_insert_namespace (self, subscription, resource_group, name, location, NULL,
                              "Succeeded", cb_sb_actor (NULL));
  state = cb_sb_adr_namespace_state (self, ns_id, NULL);
  if (state == NULL)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sb_adr_create_credential (CbSandbox   *self,
                             const char  *namespace_id,
                             GError     **error)
{
  g_autofree char *location = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  ns_state = cb_sb_adr_namespace_state (self, namespace_id, &location);
  if (ns_state == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s does not exist", namespace_id);
      return FALSE;
    }

  cb_sb_begin (self);
  state = cb_sb_adr_credential_state (self, namespace_id, NULL);
  if (state == NULL)
    {
      if (!cb_sb_adr_insert_credential (self, namespace_id, location, NULL, "Succeeded",
                                        cb_sb_actor (NULL), error))
        {
          cb_sb_rollback (self);
          return FALSE;
        }
    }
  else
    {
      cb_sb_adr_set_state (self, "adr_credentials", "namespace_id", namespace_id, "Succeeded");
    }

  if (!cb_sb_ca_create_root (self, namespace_id, error))
    {
      cb_sb_rollback (self);
      return FALSE;
    }

  cb_sb_commit (self);
  return TRUE;
}

gboolean
cb_sb_adr_create_policy (CbSandbox   *self,
                         const char  *namespace_id,
                         const char  *policy,
                         guint        validity_days,
                         gboolean     byor,
                         GError     **error)
{
  g_autofree char *policy_id = NULL;
  g_autofree char *issuer = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_auto(CbSbPolicyRow) row = { 0 };

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_adr_valid_child_name (policy))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The policy name “%s” is invalid", policy);
      return FALSE;
    }
  if (validity_days < CB_SB_MIN_VALIDITY_DAYS || validity_days > CB_SB_MAX_VALIDITY_DAYS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "validityPeriodInDays must be between %d and %d", CB_SB_MIN_VALIDITY_DAYS,
                   CB_SB_MAX_VALIDITY_DAYS);
      return FALSE;
    }
  if (!cb_sb_ca_has_root (self, namespace_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s has no credential", namespace_id);
      return FALSE;
    }

  policy_id = cb_sb_policy_id (namespace_id, policy);
  if (cb_sb_adr_policy_row (self, policy_id, &row))
    return TRUE;

  names = cb_sb_adr_policy_names (self, namespace_id);
  if (names->len >= self->max_policies)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "The credential of %s already has its maximum of %u policies",
                   namespace_id, self->max_policies);
      return FALSE;
    }

  cb_sb_begin (self);
  cb_sb_adr_insert_policy (self, namespace_id, policy_id, policy, validity_days, byor, NULL, NULL,
                           "Succeeded", cb_sb_actor (NULL));
  issuer = cb_sb_ca_create_issuer (self, namespace_id, policy_id, byor, error);
  if (issuer == NULL)
    {
      cb_sb_rollback (self);
      return FALSE;
    }
  if (!cb_sb_adr_set_policy_issuer (self, policy_id, issuer, error))
    {
      cb_sb_rollback (self);
      return FALSE;
    }

  cb_sb_commit (self);
  return TRUE;
}

gboolean
cb_sb_adr_synchronize (CbSandbox   *self,
                       const char  *namespace_id,
                       GError     **error)
{
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) policies = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  /* (policy id, name, issuer id) triples of policies whose ICA is active */
  policies = cb_sb_adr_active_policies (self, namespace_id);
  hubs = cb_sb_adr_hubs_of_namespace (self, namespace_id);

  cb_sb_begin (self);
  for (guint i = 0; i < hubs->len; i++)
    for (guint j = 0; j + 2 < policies->len; j += 3)
      if (!cb_sb_ca_put_hub_certificate (self, g_ptr_array_index (hubs, i),
                                         g_ptr_array_index (policies, j + 1),
                                         g_ptr_array_index (policies, j + 2),
                                         g_ptr_array_index (policies, j), error))
        {
          cb_sb_rollback (self);
          return FALSE;
        }
  cb_sb_commit (self);

  return TRUE;
}

gboolean
cb_sb_adr_ensure_device (CbSandbox   *self,
                         const char  *namespace_id,
                         const char  *device_name,
                         const char  *policy_id,
                         GError     **error)
{
  g_autofree char *location = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *id = NULL;
  g_autofree char *state = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) props = NULL;
  g_autofree char *props_text = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  ns_state = cb_sb_adr_namespace_state (self, namespace_id, &location);
  if (ns_state == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s does not exist", namespace_id);
      return FALSE;
    }

  id = cb_sb_device_id (namespace_id, device_name);
  state = cb_sb_adr_device_state (self, id, NULL, NULL);

  if (state != NULL)
    {
      if (policy_id == NULL)
        return TRUE;

      return cb_sb_adr_set_device_policy (self, id, policy_id, error);
    }

  /* The DPS registration id is the hub device id and the ADR device's external id. */
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "externalDeviceId");
  json_builder_add_string_value (b, device_name);
  json_builder_end_object (b);
  props = json_builder_get_root (b);
  props_text = json_to_string (props, FALSE);

  return cb_sb_adr_insert_device (self, id, namespace_id, device_name, location, NULL, props_text,
                                  policy_id, 1, "Succeeded", cb_sb_actor (NULL), error);
}
