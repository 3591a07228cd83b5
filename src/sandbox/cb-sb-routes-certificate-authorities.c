/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of a namespace's certificate authorities in ADR's stable model
 * (Microsoft.DeviceRegistry/namespaces/certificateAuthorities, api-version 2026-11-01 and
 * 2026-11-02-preview): list, get, PUT (201 + Azure-AsyncOperation, then 200 for a PUT on an
 * existing one), PATCH of tags and DELETE (202 + Location, or 204 when absent), and the
 * actions activate (an External ICA, with its signed chain) and revokeAndRotate (a
 * Microsoft-issued ICA), 202 + Location. The rules are cb-sb-adr-ca-rules.c. */

#include "config.h"

#include "cb-sb-adr-ca-rules.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-ops.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-ca.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-arm-write.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-certificate-authorities.h"

#define OP_CA_READ     "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/read"
#define OP_CA_WRITE    "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/write"
#define OP_CA_DELETE   "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/delete"
#define OP_CA_ACTIVATE "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/activate/action"
#define OP_CA_ROTATE   "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/revokeAndRotate/action"

#define P_TYPE   "properties.certificateAuthorityType"
#define P_KEY    "properties.keyType"
#define P_ISSUER "properties.issuer"

static void
reply_ca_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/certificateAuthorities/%s",
                                           CB_SB_TYPE_NAMESPACE, cb_sb_param (req, "ns"),
                                           cb_sb_param (req, "ca"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

/* The CA's row, or FALSE after replying 404 (and 409 while it is being deleted, unless
 * deleting_ok). */
static gboolean
require_ca (CbSbRequest      *req,
            const CbSbArmIds *ids,
            CbSbCaRow        *row)
{
  g_autofree char *ns_state = NULL;

  if ((ns_state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return FALSE;

  if (!cb_sb_adr_ca_row (req->sandbox, ids->ca_id, row))
    {
      reply_ca_not_found (req);
      return FALSE;
    }

  return !cb_sb_arm_reply_if_deleting (req, row->state);
}

static void
cas_list (CbSbRequest      *req,
          const CbSbArmIds *ids)
{
  cb_sb_arm_reply_namespace_list (req, ids->ns_id,
                                  "SELECT id, name FROM adr_cas WHERE namespace_id = ?1 "
                                  "AND name > :k1 ORDER BY name LIMIT :limit", cb_sb_arm_ca_json);
}

static void
ca_get (CbSbRequest      *req,
        const CbSbArmIds *ids)
{
  g_autofree char *state = NULL;

  if ((state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return;

  cb_sb_arm_reply_found (req, cb_sb_arm_ca_json (req->sandbox, ids->ca_id,
                                                 cb_sb_arm_api_version (req)),
                         reply_ca_not_found);
}

typedef struct
{
  const char *location;
  char       *tags;
  const char *ca_type;
  const char *key_type;
  const char *issuer_type;
  const char *parent_id;
} CaInput;

static void
ca_input_clear (CaInput *in)
{
  g_clear_pointer (&in->tags, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CaInput, ca_input_clear)

/* Reads a PUT body; replies and returns FALSE when a member is missing or of the wrong type. */
static gboolean
read_ca_input (CbSbRequest *req,
               JsonObject  *obj,
               CaInput     *in)
{
  JsonObject *properties = NULL;
  JsonObject *issuer = NULL;

  if (!cb_sb_arm_require_location (req, obj, &in->location) ||
      !cb_sb_arm_get_tags (req, obj, &in->tags) ||
      !cb_sb_arm_get_object (req, obj, "properties", "properties", &properties) ||
      !cb_sb_arm_get_string (req, properties, "certificateAuthorityType", P_TYPE,
                             &in->ca_type) ||
      !cb_sb_arm_get_string (req, properties, "keyType", P_KEY, &in->key_type) ||
      !cb_sb_arm_get_object (req, properties, "issuer", P_ISSUER, &issuer) ||
      !cb_sb_arm_get_string (req, issuer, "issuerType", P_ISSUER ".issuerType",
                             &in->issuer_type) ||
      !cb_sb_arm_get_string (req, issuer, "certificateAuthorityResourceId",
                             P_ISSUER ".certificateAuthorityResourceId", &in->parent_id))
    return FALSE;

  if (properties == NULL || in->ca_type == NULL || in->key_type == NULL)
    {
      cb_sb_arm_reply_invalid_content (req, properties == NULL ? "properties"
                                       : in->ca_type == NULL ? P_TYPE : P_KEY,
                                       "A certificate authority needs properties."
                                       "certificateAuthorityType ('Root' or 'ICA') and "
                                       "properties.keyType ('ECC').");
      return FALSE;
    }

  if (g_strcmp0 (in->key_type, "ECC") != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", P_KEY,
                             "The value '%s' is not valid for keyType. The allowed values "
                             "are: 'ECC'.", in->key_type);
      return FALSE;
    }

  if (issuer != NULL && in->issuer_type == NULL)
    {
      cb_sb_arm_reply_invalid_content (req, P_ISSUER ".issuerType",
                                       "properties.issuer needs an issuerType ('Microsoft' or "
                                       "'External').");
      return FALSE;
    }

  return TRUE;
}

static void
ca_put (CbSbRequest      *req,
        const CbSbArmIds *ids)
{
  CbSandbox *self = req->sandbox;
  const char *name = cb_sb_param (req, "ca");
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *uuid = NULL;
  g_auto(CaInput) in = { 0 };
  g_auto(CbSbCaRow) row = { 0 };
  JsonObject *obj;

  if ((ns_state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL ||
      cb_sb_arm_reply_if_deleting (req, ns_state))
    return;

  if (!cb_sb_arm_require_child_name (req, name, "certificate authority"))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !read_ca_input (req, obj, &in))
    return;

  if (cb_sb_adr_ca_row (self, ids->ca_id, &row) && g_strcmp0 (row.state, "Failed") != 0)
    {
      /* A PUT on an existing CA: what was fixed at creation stays, the tags change. */
      if (cb_sb_arm_reply_if_deleting (req, row.state) ||
          !cb_sb_arm_check_location_unchanged (req, name, row.location, in.location))
        return;
      if (!cb_sb_adr_ca_check_replace (self, ids->ca_id, in.ca_type, in.key_type,
                                       in.issuer_type, in.parent_id, &error))
        {
          cb_sb_arm_reply_ca_rule (req, error);
          return;
        }

      cb_sb_adr_update_ca (self, ids->ca_id, in.tags, cb_sb_actor (req->principal), NULL);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        cb_sb_arm_ca_json (self, ids->ca_id, cb_sb_arm_api_version (req)));
      return;
    }

  if (!cb_sb_adr_ca_check_create (self, ids->ns_id, ids->ca_id, in.ca_type, in.issuer_type,
                                  in.parent_id, &error))
    {
      cb_sb_arm_reply_ca_rule (req, error);
      return;
    }

  /* A failed creation is retried by PUT, as in ARM. */
  if (row.id != NULL)
    {
      cb_sb_adr_ca_discard (self, &row);
      cb_sb_adr_delete_ca (self, ids->ca_id, NULL);
    }

  uuid = g_uuid_string_random ();
  {
    g_auto(CbSbCaRow) new_row = {
      .id = g_strdup (ids->ca_id), .namespace_id = g_strdup (ids->ns_id),
      .name = g_strdup (name), .ca_type = g_strdup (in.ca_type),
      .key_type = g_strdup (in.key_type), .issuer_type = g_strdup (in.issuer_type),
      .parent_id = g_strdup (in.parent_id), .uuid = g_strdup (uuid),
      .location = g_strdup (in.location), .tags = g_strdup (in.tags),
      .state = g_strdup ("Accepted"),
    };

    if (!cb_sb_adr_ca_prepare (self, &new_row, &error) ||
        !cb_sb_adr_insert_ca (self, &new_row, cb_sb_actor (req->principal), &error))
      {
        cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError",
                               NULL, "%s", error->message);
        return;
      }
  }

  cb_sb_arm_reply_created (req, in.location, "ca-create", ids->ca_id, ids->ca_id, NULL,
                           OP_CA_WRITE,
                           cb_sb_arm_ca_json (self, ids->ca_id, cb_sb_arm_api_version (req)));
}

static void
ca_patch (CbSbRequest      *req,
          const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) body = NULL;
  g_auto(CbSbCaRow) row = { 0 };
  g_autofree char *tags = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;

  if (!require_ca (req, ids, &row))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !cb_sb_arm_get_tags (req, obj, &tags))
    return;

  args = cb_sb_arm_tags_args (tags);
  cb_sb_arm_start_patch (req, "ca-update", ids->ca_id, ids->ca_id, row.location, row.state,
                         args, OP_CA_WRITE);
}

static void
ca_delete (CbSbRequest      *req,
           const CbSbArmIds *ids)
{
  g_autoptr(GError) error = NULL;
  g_auto(CbSbCaRow) row = { 0 };

  if (!cb_sb_adr_ca_row (req->sandbox, ids->ca_id, &row))
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, row.state))
    return;

  if (!cb_sb_adr_ca_check_delete (req->sandbox, ids->ca_id, &error))
    {
      cb_sb_arm_reply_ca_rule (req, error);
      return;
    }

  cb_sb_arm_start_delete (req, "ca-delete", ids->ca_id, ids->ca_id, row.location, row.state,
                          OP_CA_DELETE);
}

static void
ca_activate (CbSbRequest      *req,
             const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) args = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CbSbCaRow) row = { 0 };
  g_autofree char *args_text = NULL;
  const char *chain = NULL;
  JsonObject *obj;

  if (!require_ca (req, ids, &row))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !cb_sb_arm_get_string (req, obj, "certificateChain", "certificateChain", &chain))
    return;
  if (chain == NULL || *chain == '\0')
    {
      cb_sb_arm_reply_invalid_content (req, "certificateChain",
                                       "certificateChain is required: the signed certificate "
                                       "for the CSR first, then the CAs above it, in PEM.");
      return;
    }

  if (!cb_sb_adr_ca_check_activate (req->sandbox, ids->ca_id, chain, &error))
    {
      cb_sb_arm_reply_ca_rule (req, error);
      return;
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "certificateChain", chain);
  json_builder_end_object (b);
  args = json_builder_get_root (b);
  args_text = json_to_string (args, FALSE);

  cb_sb_arm_start_action (req, "ca-activate", ids->ca_id, ids->ca_id, row.location, args_text,
                          CB_SB_FINAL_EMPTY, FALSE, OP_CA_ACTIVATE);
}

static void
ca_revoke_and_rotate (CbSbRequest      *req,
                      const CbSbArmIds *ids)
{
  g_autoptr(GError) error = NULL;
  g_auto(CbSbCaRow) row = { 0 };

  if (!require_ca (req, ids, &row))
    return;

  if (!cb_sb_adr_ca_check_rotate (req->sandbox, ids->ca_id, &error))
    {
      cb_sb_arm_reply_ca_rule (req, error);
      return;
    }

  cb_sb_arm_start_action (req, "ca-rotate", ids->ca_id, ids->ca_id, row.location, NULL,
                          CB_SB_FINAL_EMPTY, FALSE, OP_CA_ROTATE);
}

#define NS     CB_SB_ARM_SCOPE_NAMESPACE
#define CA     CB_SB_ARM_SCOPE_CA
#define READ   CB_SB_PERM_READ
#define CREDS  CB_SB_PERM_WRITE_CREDENTIALS
#define V      CB_SB_ARM_VERSIONS_STABLE

CB_SB_ARM_ROUTE (handle_cas_list, NS, OP_CA_READ, READ, V, FALSE, cas_list)
CB_SB_ARM_ROUTE (handle_ca_get, CA, OP_CA_READ, READ, V, FALSE, ca_get)
CB_SB_ARM_ROUTE (handle_ca_put, CA, OP_CA_WRITE, CREDS, V, TRUE, ca_put)
CB_SB_ARM_ROUTE (handle_ca_patch, CA, OP_CA_WRITE, CREDS, V, TRUE, ca_patch)
CB_SB_ARM_ROUTE (handle_ca_delete, CA, OP_CA_DELETE, CREDS, V, TRUE, ca_delete)
CB_SB_ARM_ROUTE (handle_ca_activate, CA, OP_CA_ACTIVATE, CREDS, V, TRUE, ca_activate)
CB_SB_ARM_ROUTE (handle_ca_rotate, CA, OP_CA_ROTATE, CREDS, V, TRUE, ca_revoke_and_rotate)

void
cb_sb_routes_certificate_authorities_add (CbSandbox *self)
{
  static const CbSbArmRouteEntry routes[] = {
    { "GET", CB_SB_ARM_NS "/certificateAuthorities", handle_cas_list },
    { "GET", CB_SB_ARM_CA, handle_ca_get },
    { "PUT", CB_SB_ARM_CA, handle_ca_put },
    { "PATCH", CB_SB_ARM_CA, handle_ca_patch },
    { "DELETE", CB_SB_ARM_CA, handle_ca_delete },
    { "POST", CB_SB_ARM_CA "/activate", handle_ca_activate },
    { "POST", CB_SB_ARM_CA "/revokeAndRotate", handle_ca_rotate },
  };

  cb_sb_arm_add_routes (self, routes, G_N_ELEMENTS (routes));
}
