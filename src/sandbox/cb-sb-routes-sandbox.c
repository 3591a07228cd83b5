/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Surfaces: the sandbox's own endpoints, for tests, demos and the CLI: GET /sandbox/info,
 * GET and POST /sandbox/clock (jump the world clock, or make it run faster), and GET, PUT and
 * DELETE /sandbox/faults (the fault rules). */

#include "cb-sb-clock.h"
#include "cb-sb-faults.h"
#include "cb-sb-info.h"
#include "cb-sb-json.h"
#include "cb-sb-modules.h"
#include "cb-sb-request.h"
#include "cb-util.h"

static void
handle_info (CbSbRequest *req)
{
  cb_sb_reply_json (req, 200, cb_sb_build_info (req->sandbox));
}

static void
reply_clock (CbSbRequest *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *now = cb_time_format_fixed (cb_sb_now (req->sandbox));

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "now", now);
  json_builder_set_member_name (b, "offsetSeconds");
  json_builder_add_int_value (b, cb_sb_now (req->sandbox) - g_get_real_time () / G_USEC_PER_SEC);
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
      cb_sb_clock_advance (self, json_object_get_int_member (obj, "advanceSeconds"));
      changed = TRUE;
    }
  else if (json_object_has_member (obj, "offsetSeconds"))
    {
      cb_sb_clock_set_offset (self, json_object_get_int_member (obj, "offsetSeconds"));
      changed = TRUE;
    }
  if (rate != 0)
    {
      cb_sb_clock_set_rate (self, rate);
      changed = TRUE;
    }

  if (!changed)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400, usage);
      return;
    }

  cb_sb_clock_save (self);
  if (rate != 0)
    g_message ("Sandbox clock: %g world seconds per real second", rate);
  reply_clock (req);
}

static void
reply_faults (CbSbRequest *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  cb_sb_faults_build_json (req->sandbox, b);
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

  if (!cb_sb_faults_set_from_json (req->sandbox, root, &error))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400, "%s", error->message);
      return;
    }

  reply_faults (req);
}

static void
handle_faults_delete (CbSbRequest *req)
{
  cb_sb_faults_clear (req->sandbox);
  cb_sb_reply_empty (req, 204);
}

gboolean
cb_sb_routes_sandbox_init (CbSandbox  *self,
                           GError    **error)
{
  cb_sb_add_route (self, "GET", "/sandbox/info", CB_SB_STYLE_PLAIN, handle_info);
  cb_sb_add_route (self, "GET", "/sandbox/clock", CB_SB_STYLE_PLAIN, handle_clock_get);
  cb_sb_add_route (self, "POST", "/sandbox/clock", CB_SB_STYLE_PLAIN, handle_clock_post);
  cb_sb_add_route (self, "GET", "/sandbox/faults", CB_SB_STYLE_PLAIN, handle_faults_get);
  cb_sb_add_route (self, "PUT", "/sandbox/faults", CB_SB_STYLE_PLAIN, handle_faults_put);
  cb_sb_add_route (self, "DELETE", "/sandbox/faults", CB_SB_STYLE_PLAIN, handle_faults_delete);
  return TRUE;
}
