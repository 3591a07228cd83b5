/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* Linking in the stable 2026-11-01 model. A namespace names its hubs in
 * properties.messaging.endpoints and its DPS instances in properties.provisioning.endpoints;
 * each endpoint links on its own: InProgress for the sandbox's LRO delay, then Succeeded (the
 * topology's hub or DPS row now names the namespace, which is what the hub's verdict and DPS
 * read) or Failed with a linkingError {code, message} that stays until the request is sent
 * again. A link fails when the resource is not in the sandbox's topology (in that subscription
 * and group), when it is linked to another namespace, or when a fault rule asks for it
 * ("linking": "<code>").
 *
 * The preview model's "synchronize" is gone: a hub gets the namespace's usable intermediate
 * CAs as CA certificates when it links, and again whenever an ICA becomes usable (the CA side
 * emits issuer-published). */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-endpoint-store.h"
#include "cb-sb-adr-linking.h"
#include "cb-sb-adr-operations.h"
#include "cb-sb-ca.h"
#include "cb-sb-events.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"

/* ---- Resource ids ----------------------------------------------------------------------- */

gboolean
cb_sb_adr_linking_parse_id (const char  *resource_id,
                            gboolean     dps,
                            char       **subscription,
                            char       **resource_group,
                            char       **name)
{
  g_auto(GStrv) parts = NULL;
  const char *type = dps ? "provisioningServices" : "IotHubs";

  if (resource_id == NULL || resource_id[0] != '/')
    return FALSE;

  /* "", subscriptions, {s}, resourceGroups, {rg}, providers, Microsoft.Devices, {type}, {n} */
  parts = g_strsplit (resource_id, "/", -1);
  if (g_strv_length (parts) != 9 ||
      g_ascii_strcasecmp (parts[1], "subscriptions") != 0 || parts[2][0] == '\0' ||
      g_ascii_strcasecmp (parts[3], "resourceGroups") != 0 || parts[4][0] == '\0' ||
      g_ascii_strcasecmp (parts[5], "providers") != 0 ||
      g_ascii_strcasecmp (parts[6], "Microsoft.Devices") != 0 ||
      g_ascii_strcasecmp (parts[7], type) != 0 || parts[8][0] == '\0')
    return FALSE;

  if (subscription != NULL)
    *subscription = g_strdup (parts[2]);
  if (resource_group != NULL)
    *resource_group = g_strdup (parts[4]);
  if (name != NULL)
    *name = g_strdup (parts[8]);
  return TRUE;
}

/* ---- Syncing the ICAs to the hubs ----------------------------------------------------- */

static gboolean
ica_is_usable (const CbSbCaRow *row)
{
  return row->issuer_id != NULL && cb_sb_adr_ca_status_usable (row->status);
}

/* The hubs whose messaging endpoint of the namespace linked. */
static GPtrArray *
linked_hubs (CbSandbox  *self,
             const char *namespace_id)
{
  g_autoptr(GPtrArray) rows = cb_sb_adr_endpoints_list (self, namespace_id,
                                                        CB_SB_ENDPOINTS_MESSAGING);
  GPtrArray *hubs = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < rows->len; i++)
    {
      CbSbEndpointRow *row = g_ptr_array_index (rows, i);
      g_autofree char *sub = NULL;
      g_autofree char *rg = NULL;
      g_autofree char *name = NULL;
      g_autofree char *linked_ns = NULL;
      g_autofree char *stored = NULL;

      if (g_strcmp0 (row->linking_state, CB_SB_LINKING_SUCCEEDED) != 0 ||
          !cb_sb_adr_linking_parse_id (row->resource_id, FALSE, &sub, &rg, &name))
        continue;

      stored = cb_sb_topology_find (self, FALSE, sub, rg, name, &linked_ns);
      if (stored != NULL && g_strcmp0 (linked_ns, namespace_id) == 0)
        g_ptr_array_add (hubs, g_steal_pointer (&stored));
    }

  return hubs;
}

gboolean
cb_sb_adr_linking_sync (CbSandbox   *self,
                        const char  *namespace_id,
                        const char  *hub,
                        GError     **error)
{
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) icas = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (hub != NULL)
    {
      hubs = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (hubs, g_strdup (hub));
    }
  else
    {
      hubs = linked_hubs (self, namespace_id);
    }
  icas = cb_sb_adr_ca_ids (self, namespace_id, CB_SB_CA_TYPE_ICA);

  cb_sb_begin (self);
  for (guint i = 0; i < icas->len; i++)
    {
      g_auto(CbSbCaRow) row = { 0 };

      if (!cb_sb_adr_ca_row (self, g_ptr_array_index (icas, i), &row) || !ica_is_usable (&row))
        continue;

      for (guint j = 0; j < hubs->len; j++)
        if (!cb_sb_ca_put_hub_certificate (self, g_ptr_array_index (hubs, j), row.name,
                                           row.issuer_id, row.id, error))
          {
            cb_sb_rollback (self);
            return FALSE;
          }
    }
  cb_sb_commit (self);

  return TRUE;
}

static void
issuer_published_cb (CbSbEvents *events,
                     const char *namespace_id,
                     const char *issuer_id,
                     gpointer    user_data)
{
  CbSandbox *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_sb_adr_linking_sync (self, namespace_id, NULL, &error))
    g_warning ("Could not push the intermediate CA %s of %s to its linked hubs: %s",
               issuer_id, namespace_id, error->message);
}

void
cb_sb_adr_linking_init (CbSandbox *self)
{
  g_return_if_fail (CB_IS_SANDBOX (self));

  g_signal_connect_object (self->events, "issuer-published",
                           G_CALLBACK (issuer_published_cb), self, 0);
}

/* ---- Applying a PUT or PATCH ---------------------------------------------------------- */

static const char *
member_string (JsonObject *obj,
               const char *name,
               gboolean   *wrong_type)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, name))
    return NULL;
  node = json_object_get_member (obj, name);
  if (JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      *wrong_type = TRUE;
      return NULL;
    }

  return json_node_get_string (node);
}

/* One endpoint of the body, checked, as a row (not yet linking). */
static CbSbEndpointRow *
parse_endpoint (const char  *namespace_id,
                const char  *kind,
                const char  *name,
                JsonNode    *node,
                GError     **error)
{
  gboolean dps = g_str_equal (kind, CB_SB_ENDPOINTS_PROVISIONING);
  const char *canonical = dps ? CB_SB_ENDPOINT_TYPE_DPS : CB_SB_ENDPOINT_TYPE_HUB;
  g_autoptr(CbSbEndpointRow) row = g_new0 (CbSbEndpointRow, 1);
  gboolean wrong = FALSE;
  JsonObject *obj;
  JsonObject *identity = NULL;
  JsonObject *provisioning = NULL;
  const char *type;
  const char *resource_id;
  const char *identity_type = NULL;
  const char *user_identity = NULL;
  const char *availability = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "properties.%s.endpoints.%s must be an object", kind, name);
      return NULL;
    }
  obj = json_node_get_object (node);

  type = member_string (obj, "endpointType", &wrong);
  if (wrong || (type != NULL && g_ascii_strcasecmp (type, canonical) != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "properties.%s.endpoints.%s.endpointType must be '%s'", kind, name,
                   canonical);
      return NULL;
    }

  resource_id = member_string (obj, "resourceId", &wrong);
  if (wrong || !cb_sb_adr_linking_parse_id (resource_id, dps, NULL, NULL, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "properties.%s.endpoints.%s.resourceId must be the ARM id of %s, e.g. "
                   "/subscriptions/{subscription}/resourceGroups/{group}/providers/%s/{name}",
                   kind, name, dps ? "a provisioning service" : "an IoT hub", canonical);
      return NULL;
    }

  if (json_object_has_member (obj, "inboundCallerIdentity"))
    {
      JsonNode *id_node = json_object_get_member (obj, "inboundCallerIdentity");

      if (!JSON_NODE_HOLDS_OBJECT (id_node))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "properties.%s.endpoints.%s.inboundCallerIdentity must be an object",
                       kind, name);
          return NULL;
        }
      identity = json_node_get_object (id_node);
      identity_type = member_string (identity, "type", &wrong);
      user_identity = member_string (identity, "userAssignedIdentity", &wrong);
      if (wrong || identity_type == NULL ||
          (!g_str_equal (identity_type, "SystemAssigned") &&
           !g_str_equal (identity_type, "UserAssigned")))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "properties.%s.endpoints.%s.inboundCallerIdentity.type must be "
                       "'SystemAssigned' or 'UserAssigned'", kind, name);
          return NULL;
        }
      if (g_str_equal (identity_type, "UserAssigned") !=
          (user_identity != NULL &&
           strstr (user_identity, "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/")
           != NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "properties.%s.endpoints.%s.inboundCallerIdentity.userAssignedIdentity "
                       "names the managed identity of a UserAssigned caller (the ARM id of a "
                       "Microsoft.ManagedIdentity/userAssignedIdentities), and only then",
                       kind, name);
          return NULL;
        }
    }

  row->allocation_weight = -1;
  if (!dps && json_object_has_member (obj, "provisioning"))
    {
      JsonNode *p_node = json_object_get_member (obj, "provisioning");
      JsonNode *weight;

      if (!JSON_NODE_HOLDS_OBJECT (p_node))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "properties.%s.endpoints.%s.provisioning must be an object", kind, name);
          return NULL;
        }
      provisioning = json_node_get_object (p_node);
      availability = member_string (provisioning, "availability", &wrong);
      if (wrong || (availability != NULL && !g_str_equal (availability, "Available") &&
                    !g_str_equal (availability, "Disabled")))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "properties.%s.endpoints.%s.provisioning.availability must be "
                       "'Available' or 'Disabled'", kind, name);
          return NULL;
        }
      weight = json_object_get_member (provisioning, "allocationWeight");
      if (weight != NULL && !JSON_NODE_HOLDS_NULL (weight))
        {
          if (!JSON_NODE_HOLDS_VALUE (weight) ||
              json_node_get_value_type (weight) != G_TYPE_INT64 ||
              json_node_get_int (weight) < 0 || json_node_get_int (weight) > G_MAXINT32)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "properties.%s.endpoints.%s.provisioning.allocationWeight must be "
                           "a whole number, 0 or more", kind, name);
              return NULL;
            }
          row->allocation_weight = json_node_get_int (weight);
        }
    }

  row->namespace_id = g_strdup (namespace_id);
  row->kind = g_strdup (kind);
  row->name = g_strdup (name);
  row->endpoint_type = g_strdup (type != NULL ? type : canonical);
  row->resource_id = g_strdup (resource_id);
  row->identity_type = g_strdup (identity_type);
  row->user_identity = g_strdup (user_identity);
  row->availability = g_strdup (availability);
  return g_steal_pointer (&row);
}

static CbSbEndpointRow *
find_row (GPtrArray  *rows,
          const char *name)
{
  for (guint i = 0; i < rows->len; i++)
    {
      CbSbEndpointRow *row = g_ptr_array_index (rows, i);

      if (g_str_equal (row->name, name))
        return row;
    }

  return NULL;
}

/* The topology forgets the link if it is this namespace's. */
static gboolean
unlink_endpoint (CbSandbox        *self,
                 CbSbEndpointRow  *row,
                 GError          **error)
{
  gboolean dps = g_str_equal (row->kind, CB_SB_ENDPOINTS_PROVISIONING);
  g_autofree char *sub = NULL;
  g_autofree char *rg = NULL;
  g_autofree char *name = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *linked_ns = NULL;

  if (g_strcmp0 (row->linking_state, CB_SB_LINKING_SUCCEEDED) == 0 &&
      cb_sb_adr_linking_parse_id (row->resource_id, dps, &sub, &rg, &name) &&
      (stored = cb_sb_topology_find (self, dps, sub, rg, name, &linked_ns)) != NULL &&
      g_strcmp0 (linked_ns, row->namespace_id) == 0 &&
      !cb_sb_topology_set_namespace (self, dps, stored, NULL, error))
    return FALSE;

  return cb_sb_adr_endpoint_delete (self, row->namespace_id, row->kind, row->name, error);
}

gboolean
cb_sb_adr_linking_apply (CbSandbox   *self,
                         const char  *namespace_id,
                         const char  *kind,
                         JsonObject  *endpoints,
                         gboolean     replace,
                         const char  *fault,
                         GError     **error)
{
  g_autoptr(GPtrArray) current = NULL;
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(GPtrArray) removed = g_ptr_array_new ();
  g_autoptr(GList) members = json_object_get_members (endpoints);
  gint64 now = cb_sb_now_usec (self);

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  current = cb_sb_adr_endpoints_list (self, namespace_id, kind);
  parsed = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_endpoint_row_free);

  /* Check everything before changing anything. */
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (endpoints, name);
      CbSbEndpointRow *row;

      if (name[0] == '\0' || strlen (name) > 64)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "properties.%s.endpoints: an endpoint's name has 1 to 64 "
                       "characters", kind);
          return FALSE;
        }

      if (JSON_NODE_HOLDS_NULL (node))
        {
          if (replace)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "properties.%s.endpoints.%s must be an object", kind, name);
              return FALSE;
            }
          if ((row = find_row (current, name)) != NULL)
            g_ptr_array_add (removed, row);
          continue;
        }

      if (!(row = parse_endpoint (namespace_id, kind, name, node, error)))
        return FALSE;

      for (guint i = 0; i < parsed->len; i++)
        {
          CbSbEndpointRow *other = g_ptr_array_index (parsed, i);

          if (g_ascii_strcasecmp (other->resource_id, row->resource_id) == 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "properties.%s.endpoints: two endpoints name the resource '%s'",
                           kind, other->resource_id);
              cb_sb_endpoint_row_free (row);
              return FALSE;
            }
        }
      g_ptr_array_add (parsed, row);
    }

  if (replace)
    for (guint i = 0; i < current->len; i++)
      {
        CbSbEndpointRow *row = g_ptr_array_index (current, i);

        if (!json_object_has_member (endpoints, row->name))
          g_ptr_array_add (removed, row);
      }

  cb_sb_begin (self);

  for (guint i = 0; i < removed->len; i++)
    if (!unlink_endpoint (self, g_ptr_array_index (removed, i), error))
      goto failed;

  for (guint i = 0; i < parsed->len; i++)
    {
      CbSbEndpointRow *row = g_ptr_array_index (parsed, i);
      CbSbEndpointRow *old = find_row (current, row->name);

      if (old != NULL && g_ascii_strcasecmp (old->resource_id, row->resource_id) == 0 &&
          g_strcmp0 (old->linking_state, CB_SB_LINKING_FAILED) != 0)
        {
          /* The same link: its state stays. */
          row->linking_state = g_strdup (old->linking_state);
          row->started = old->started;
          row->fault = g_strdup (old->fault);
        }
      else
        {
          if (old != NULL && !unlink_endpoint (self, old, error))
            goto failed;
          row->linking_state = g_strdup (CB_SB_LINKING_IN_PROGRESS);
          row->started = now;
          row->fault = g_strdup (fault);
        }

      if (!cb_sb_adr_endpoint_save (self, row, error))
        goto failed;
    }

  cb_sb_commit (self);
  return TRUE;

failed:
  cb_sb_rollback (self);
  return FALSE;
}

/* ---- Completing the links ------------------------------------------------------------- */

/* Links row now: the state it ends in, and the linkingError when it failed. */
static gboolean
link_endpoint (CbSandbox        *self,
               CbSbEndpointRow  *row,
               char            **code,
               char            **message,
               GError          **error)
{
  gboolean dps = g_str_equal (row->kind, CB_SB_ENDPOINTS_PROVISIONING);
  const char *what = dps ? "provisioning service" : "IoT hub";
  g_autofree char *sub = NULL;
  g_autofree char *rg = NULL;
  g_autofree char *name = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *linked_ns = NULL;

  if (row->fault != NULL)
    {
      *code = g_strdup (row->fault);
      /* Microsoft's example's words (Get_Namespace_With_FailedLinkingEndpoint.json). */
      *message = g_strdup_printf ("The namespace's managed identity is not authorized to link "
                                  "the %s resource. Grant it access on the resource, then "
                                  "resubmit the request.", dps ? "DPS" : "Hub");
      return TRUE;
    }

  if (!cb_sb_adr_linking_parse_id (row->resource_id, dps, &sub, &rg, &name) ||
      !(stored = cb_sb_topology_find (self, dps, sub, rg, name, &linked_ns)))
    {
      *code = g_strdup (CB_SB_LINK_FAILED);
      *message = g_strdup_printf ("The %s '%s' was not found in resource group '%s' of "
                                  "subscription '%s'. Create it, or correct resourceId, then "
                                  "send the request again.", what, name != NULL ? name : "",
                                  rg != NULL ? rg : "", sub != NULL ? sub : "");
      return TRUE;
    }

  if (linked_ns != NULL && g_ascii_strcasecmp (linked_ns, row->namespace_id) != 0)
    {
      *code = g_strdup (CB_SB_LINK_FAILED);
      *message = g_strdup_printf ("The %s '%s' is linked to the namespace '%s'. Unlink it there "
                                  "first, then send the request again.", what, stored,
                                  linked_ns);
      return TRUE;
    }

  if (!cb_sb_topology_set_namespace (self, dps, stored, row->namespace_id, error))
    return FALSE;
  if (!dps && !cb_sb_adr_linking_sync (self, row->namespace_id, stored, error))
    return FALSE;

  return TRUE;
}

void
cb_sb_adr_linking_run_due (CbSandbox *self)
{
  g_autoptr(GPtrArray) rows = NULL;
  gint64 now;

  g_return_if_fail (CB_IS_SANDBOX (self));

  rows = cb_sb_adr_endpoints_linking (self);
  now = cb_sb_now_usec (self);

  for (guint i = 0; i < rows->len; i++)
    {
      CbSbEndpointRow *row = g_ptr_array_index (rows, i);
      g_autofree char *code = NULL;
      g_autofree char *message = NULL;
      g_autoptr(GError) error = NULL;

      /* A link ends with the namespace write that asked for it, never before: a reader must
       * not see the link Failed while the namespace still reads Accepted. */
      if (row->started + (gint64) self->lro_delay_ms * 1000 > now ||
          cb_sb_adr_operation_pending (self, row->namespace_id))
        continue;

      cb_sb_begin (self);
      if (!link_endpoint (self, row, &code, &message, &error) ||
          !cb_sb_adr_endpoint_set_linking (self, row->namespace_id, row->kind, row->name,
                                           code != NULL ? CB_SB_LINKING_FAILED
                                                        : CB_SB_LINKING_SUCCEEDED,
                                           code, message, &error))
        {
          cb_sb_rollback (self);
          g_warning ("Could not link %s of %s: %s", row->name, row->namespace_id,
                     error->message);
          cb_sb_begin (self);
          cb_sb_adr_endpoint_set_linking (self, row->namespace_id, row->kind, row->name,
                                          CB_SB_LINKING_FAILED, CB_SB_LINK_FAILED,
                                          "The link could not be made (internal error).", NULL);
          cb_sb_commit (self);
          continue;
        }
      cb_sb_commit (self);
    }
}

gboolean
cb_sb_adr_linking_finish (CbSandbox   *self,
                          const char  *namespace_id,
                          GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (namespace_id != NULL, FALSE);

  rows = cb_sb_adr_endpoints_list (self, namespace_id, NULL);
  for (guint i = 0; i < rows->len; i++)
    {
      CbSbEndpointRow *row = g_ptr_array_index (rows, i);
      g_autofree char *code = NULL;
      g_autofree char *message = NULL;

      if (g_strcmp0 (row->linking_state, CB_SB_LINKING_IN_PROGRESS) != 0)
        continue;

      if (!link_endpoint (self, row, &code, &message, error))
        return FALSE;
      if (code != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link %s of %s: %s",
                       row->name, namespace_id, message);
          return FALSE;
        }
      if (!cb_sb_adr_endpoint_set_linking (self, namespace_id, row->kind, row->name,
                                           CB_SB_LINKING_SUCCEEDED, NULL, NULL, error))
        return FALSE;
    }

  return TRUE;
}
