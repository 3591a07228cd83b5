/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of certificate policies in ADR's stable model
 * (Microsoft.DeviceRegistry/namespaces/certificateAuthorities/certificatePolicies,
 * api-version 2026-11-01 and 2026-11-02-preview): list, get, PUT (201 +
 * Azure-AsyncOperation; 200 for a PUT on an existing one), PATCH (202 + Location) and
 * DELETE (202 + Location, or 204). A policy lives under an intermediate CA, one per ICA
 * (cb-sb-adr-ca-rules.c); properties.certificate.validityPeriodInDays is the leaves'
 * validity. */

#include "config.h"

#include "cb-sb-adr-ca-rules.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-ops.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-ca.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-arm-write.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-certificate-policies.h"

#define OP_CP_READ   "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/certificatePolicies/read"
#define OP_CP_WRITE  "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/certificatePolicies/write"
#define OP_CP_DELETE "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/certificatePolicies/delete"

#define P_CERT "properties.certificate"
#define P_DAYS "properties.certificate.validityPeriodInDays"

static void
reply_policy_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/certificateAuthorities/%s/"
                                           "certificatePolicies/%s",
                                           CB_SB_TYPE_NAMESPACE, cb_sb_param (req, "ns"),
                                           cb_sb_param (req, "ca"), cb_sb_param (req, "cp"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

/* Namespace and certificate authority must exist; replies otherwise. */
static gboolean
require_ca (CbSbRequest      *req,
            const CbSbArmIds *ids,
            CbSbCaRow        *ca)
{
  g_autofree char *ns_state = NULL;

  if ((ns_state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return FALSE;

  if (!cb_sb_adr_ca_row (req->sandbox, ids->ca_id, ca))
    {
      g_autofree char *parent = g_strdup_printf ("%s/%s", cb_sb_param (req, "ns"),
                                                 cb_sb_param (req, "ca"));

      cb_sb_arm_reply_parent_not_found (req, parent);
      return FALSE;
    }

  return TRUE;
}

static void
policies_list (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  g_auto(CbSbCaRow) ca = { 0 };

  if (!require_ca (req, ids, &ca))
    return;

  cb_sb_arm_reply_list (req,
                        "SELECT id, name FROM adr_ca_policies WHERE ca_id = ?1 AND name > :k1 "
                        "ORDER BY name LIMIT :limit",
                        ids->ca_id, NULL, cb_sb_arm_ca_policy_json);
}

static void
policy_get (CbSbRequest      *req,
            const CbSbArmIds *ids)
{
  g_auto(CbSbCaRow) ca = { 0 };

  if (!require_ca (req, ids, &ca))
    return;

  cb_sb_arm_reply_found (req, cb_sb_arm_ca_policy_json (req->sandbox, ids->ca_policy_id,
                                                        cb_sb_arm_api_version (req)),
                         reply_policy_not_found);
}

typedef struct
{
  const char *location;
  char       *tags;
  gboolean    days_given;
  gint64      days;
} PolicyInput;

static void
policy_input_clear (PolicyInput *in)
{
  g_clear_pointer (&in->tags, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PolicyInput, policy_input_clear)

/* Reads a PUT or PATCH body; replies and returns FALSE when it is not valid. */
static gboolean
read_policy_input (CbSbRequest *req,
                   JsonObject  *obj,
                   PolicyInput *in)
{
  JsonObject *properties = NULL;
  JsonObject *certificate = NULL;

  if (!cb_sb_arm_get_string (req, obj, "location", "location", &in->location) ||
      !cb_sb_arm_get_tags (req, obj, &in->tags) ||
      !cb_sb_arm_get_object (req, obj, "properties", "properties", &properties) ||
      !cb_sb_arm_get_object (req, properties, "certificate", P_CERT, &certificate) ||
      !cb_sb_arm_get_int (req, certificate, "validityPeriodInDays", P_DAYS, &in->days_given,
                          &in->days))
    return FALSE;

  if (certificate != NULL && !in->days_given)
    {
      cb_sb_arm_reply_invalid_content (req, P_DAYS,
                                       "properties.certificate needs validityPeriodInDays.");
      return FALSE;
    }

  if (!cb_sb_arm_check_validity_days (req, P_DAYS, in->days_given, in->days))
    return FALSE;

  return TRUE;
}

static void
policy_put (CbSbRequest      *req,
            const CbSbArmIds *ids)
{
  CbSandbox *self = req->sandbox;
  const char *name = cb_sb_param (req, "cp");
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_auto(PolicyInput) in = { 0 };
  g_auto(CbSbCaRow) ca = { 0 };
  g_auto(CbSbCaPolicyRow) row = { 0 };
  JsonObject *obj;

  if (!require_ca (req, ids, &ca) || cb_sb_arm_reply_if_deleting (req, ca.state))
    return;

  if (!cb_sb_arm_require_child_name (req, name, "certificate policy"))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !read_policy_input (req, obj, &in))
    return;

  if (cb_sb_adr_ca_policy_row (self, ids->ca_policy_id, &row) &&
      g_strcmp0 (row.state, "Failed") != 0)
    {
      if (cb_sb_arm_reply_if_deleting (req, row.state) ||
          (row.location != NULL &&
           !cb_sb_arm_check_location_unchanged (req, name, row.location, in.location)))
        return;

      cb_sb_adr_update_ca_policy (self, ids->ca_policy_id,
                                  in.days_given ? in.days : CB_SB_DEFAULT_VALIDITY_DAYS,
                                  in.tags, cb_sb_actor (req->principal), NULL);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        cb_sb_arm_ca_policy_json (self, ids->ca_policy_id,
                                                  cb_sb_arm_api_version (req)));
      return;
    }

  if (!cb_sb_adr_ca_check_policy_create (self, ids->ca_id, &error))
    {
      cb_sb_arm_reply_ca_rule (req, error);
      return;
    }

  if (row.id != NULL)
    cb_sb_adr_delete_ca_policy (self, ids->ca_policy_id, NULL);

  uuid = g_uuid_string_random ();
  {
    CbSbCaPolicyRow new_row = {
      .id = ids->ca_policy_id, .ca_id = ids->ca_id, .name = (char *) name,
      .validity_days = in.days_given ? in.days : CB_SB_DEFAULT_VALIDITY_DAYS, .uuid = uuid,
      .location = (char *) (in.location != NULL ? in.location : ca.location),
      .tags = in.tags, .state = "Accepted",
    };

    if (!cb_sb_adr_insert_ca_policy (self, &new_row, cb_sb_actor (req->principal), &error))
      {
        cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError",
                               NULL, "%s", error->message);
        return;
      }
  }

  cb_sb_arm_reply_created (req, ca.location, "capolicy-create", ids->ca_policy_id,
                           ids->ca_policy_id, NULL, OP_CP_WRITE,
                           cb_sb_arm_ca_policy_json (self, ids->ca_policy_id,
                                                     cb_sb_arm_api_version (req)));
}

static void
policy_patch (CbSbRequest      *req,
              const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) args = NULL;
  g_autofree char *args_text = NULL;
  g_auto(PolicyInput) in = { 0 };
  g_auto(CbSbCaRow) ca = { 0 };
  g_auto(CbSbCaPolicyRow) row = { 0 };
  JsonObject *obj;

  if (!require_ca (req, ids, &ca))
    return;
  if (!cb_sb_adr_ca_policy_row (req->sandbox, ids->ca_policy_id, &row))
    {
      reply_policy_not_found (req);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, row.state))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !read_policy_input (req, obj, &in))
    return;

  b = json_builder_new ();
  json_builder_begin_object (b);
  if (json_object_has_member (obj, "tags"))
    {
      json_builder_set_member_name (b, "tags");
      json_builder_add_value (b, json_node_copy (json_object_get_member (obj, "tags")));
    }
  if (in.days_given)
    {
      json_builder_set_member_name (b, "validityPeriodInDays");
      json_builder_add_int_value (b, in.days);
    }
  json_builder_end_object (b);
  args = json_builder_get_root (b);
  args_text = json_to_string (args, FALSE);

  cb_sb_arm_start_patch (req, "capolicy-update", ids->ca_policy_id, ids->ca_policy_id,
                         ca.location, row.state, args_text, OP_CP_WRITE);
}

static void
policy_delete (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  g_auto(CbSbCaPolicyRow) row = { 0 };
  g_auto(CbSbCaRow) ca = { 0 };

  if (!cb_sb_adr_ca_policy_row (req->sandbox, ids->ca_policy_id, &row))
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, row.state))
    return;

  cb_sb_adr_ca_row (req->sandbox, ids->ca_id, &ca);
  cb_sb_arm_start_delete (req, "capolicy-delete", ids->ca_policy_id, ids->ca_policy_id,
                          ca.location != NULL ? ca.location : row.location, row.state,
                          OP_CP_DELETE);
}

#define CA     CB_SB_ARM_SCOPE_CA
#define CP     CB_SB_ARM_SCOPE_CA_POLICY
#define READ   CB_SB_PERM_READ
#define CREDS  CB_SB_PERM_WRITE_CREDENTIALS
#define V      CB_SB_ARM_VERSIONS_STABLE

CB_SB_ARM_ROUTE (handle_policies_list, CA, OP_CP_READ, READ, V, FALSE, policies_list)
CB_SB_ARM_ROUTE (handle_policy_get, CP, OP_CP_READ, READ, V, FALSE, policy_get)
CB_SB_ARM_ROUTE (handle_policy_put, CP, OP_CP_WRITE, CREDS, V, TRUE, policy_put)
CB_SB_ARM_ROUTE (handle_policy_patch, CP, OP_CP_WRITE, CREDS, V, TRUE, policy_patch)
CB_SB_ARM_ROUTE (handle_policy_delete, CP, OP_CP_DELETE, CREDS, V, TRUE, policy_delete)

void
cb_sb_routes_certificate_policies_add (CbSandbox *self)
{
  static const CbSbArmRouteEntry routes[] = {
    { "GET", CB_SB_ARM_CA "/certificatePolicies", handle_policies_list },
    { "GET", CB_SB_ARM_CP, handle_policy_get },
    { "PUT", CB_SB_ARM_CP, handle_policy_put },
    { "PATCH", CB_SB_ARM_CP, handle_policy_patch },
    { "DELETE", CB_SB_ARM_CP, handle_policy_delete },
  };

  cb_sb_arm_add_routes (self, routes, G_N_ELEMENTS (routes));
}
