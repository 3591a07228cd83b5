/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* The Device Provisioning Service's device API over HTTPS (global.azure-devices-provisioning.net)
 * under /dps/{idScope}: registration with symmetric-key SAS attestation and an optional CSR,
 * operation polling and the status lookup. What a registration does is the same over MQTT and
 * lives in cb-sb-dps-register.c; this file reads the HTTP request and writes the HTTP answer.
 * The errorCode values are listed in cb-sb-routes-dps.c. */

#include "config.h"

#include "cb-sb-batch.h"
#include "cb-sb-dps-cache.h"
#include "cb-sb-dps-register.h"
#include "cb-sb-dps-x509.h"
#include "cb-sb-listener.h"
#include "cb-sb-request.h"
#include "cb-sb-routes-dps-device.h"
#include "cb-sb-store.h"
#include "cb-sb-workers.h"

/* Answers a CB_SB_DPS_ERROR in DPS's style. */
static void
reply_dps_error (CbSbRequest  *req,
                 const GError *error)
{
  guint status = cb_sb_dps_error_status (error);
  int code = error->domain == CB_SB_DPS_ERROR ? error->code : 500214;

  cb_sb_reply_error (req, status, status == 401 ? "Unauthorized"
                                : status == 404 ? "NotFound"
                                : status >= 500 ? "InternalServerError" : "BadRequest",
                     code, "%s", error->message);
}

/* The ID scope, the api-version and the device's SAS, in DPS's order. Returns the
 * enrollment, or NULL after replying. */
static CbSbEnrollment *
begin_device_request (CbSbRequest      *req,
                      CbSbDpsInstance **dps_out)
{
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(GError) error = NULL;
  CbSbEnrollment *enrollment;

  const char *sas = cb_sb_header (req, "Authorization");
  GTlsCertificate *peer = req->msg != NULL ? cb_sb_listener_get_peer_certificate (req->msg) : NULL;

  /* A SAS, when there is one; else the certificate of the TLS handshake (X.509 attestation). */
  if (!(dps = cb_sb_dps_find_instance (req->sandbox, cb_sb_param (req, "idScope"), &error)) ||
      !cb_sb_dps_check_api_version (cb_sb_query (req, "api-version"), &error) ||
      !(enrollment = (sas == NULL && peer != NULL)
                       ? cb_sb_dps_authenticate_certificate (req->sandbox, dps,
                                                             cb_sb_param (req, "registrationId"),
                                                             peer, &error)
                       : cb_sb_dps_authenticate (req->sandbox, dps,
                                                 cb_sb_param (req, "registrationId"), sas,
                                                 &error)))
    {
      reply_dps_error (req, error);
      return NULL;
    }

  *dps_out = g_steal_pointer (&dps);
  return enrollment;
}

static void
set_retry_after (CbSbRequest *req)
{
  g_autofree char *seconds = g_strdup_printf ("%u", cb_sb_dps_retry_after (req->sandbox));

  cb_sb_set_header (req, "Retry-After", seconds);
}

/* The 202 and what the poll then reads. */
static void
reply_registered (CbSbRequest      *req,
                  CbSbDpsInstance  *dps,
                  CbSbDpsOperation *op)
{
  g_autofree char *path = NULL;
  g_autofree char *location = NULL;

  path = g_strdup_printf ("/dps/%s/registrations/%s/register", cb_sb_param (req, "idScope"),
                          cb_sb_param (req, "registrationId"));
  location = cb_sb_url (req, path);
  cb_sb_set_header (req, "Location", location);
  set_retry_after (req);
  /* The operation id is the sandbox's own ("5.<hex>.<uuid>"): nothing in it needs escaping. */
  cb_sb_reply_json_text (req, 202, g_strdup_printf ("{\"operationId\":\"%s\",\"status\":"
                                                    "\"assigning\"}", op->operation_id));
  /* The device's poll comes next: it is answered from memory (cb-sb-dps-cache.c). */
  cb_sb_dps_cache_put_operation (req->sandbox, dps->name, op);
}

/* A registration whose leaf a worker signs (cb-sb-workers.c): what its second step needs. The
 * instance and the enrollment are as the first step read them: the outcome was decided then,
 * whatever the DPS cache's generation did meanwhile. */
typedef struct
{
  CbSbDpsInstance  *dps;
  CbSbEnrollment   *enrollment;
  CbSbDpsOperation *op;
  CbSbLeafJob      *leaf;
} Signing;

static void
signing_free (gpointer data)
{
  Signing *signing = data;

  g_clear_pointer (&signing->dps, cb_sb_dps_instance_free);
  g_clear_pointer (&signing->enrollment, cb_sb_enrollment_free);
  g_clear_pointer (&signing->op, cb_sb_dps_operation_free);
  g_clear_pointer (&signing->leaf, cb_sb_leaf_job_free);
  g_free (signing);
}

static void
signing_run (gpointer data)
{
  cb_sb_leaf_job_sign (((Signing *) data)->leaf);
}

static void in_transaction (CbSbRequest *req, void (*handler) (CbSbRequest *req));

/* The second step: the leaf and the operation recorded, the answer. */
static void
handle_signed (CbSbRequest *req)
{
  Signing *signing = req->work;
  g_autoptr(CbSbDpsOperation) op = NULL;
  g_autoptr(GError) error = NULL;

  /* The first step's writes (the registry device, the hub identity) were taken back by a
   * failed group commit: recording the leaf and the operation now would leave them pointing at
   * nothing, so the device hears what the first step would have said. */
  if (!cb_sb_batch_left_committed (req))
    {
      cb_sb_set_header (req, "x-ms-error-code", "500214");
      cb_sb_reply_json_text (req, 500, g_strdup (cb_sb_batch_failed_body));
      return;
    }

  if (!(op = cb_sb_dps_register_finish (req->sandbox, signing->dps, signing->enrollment,
                                        g_steal_pointer (&signing->op),
                                        g_steal_pointer (&signing->leaf), &error)))
    {
      reply_dps_error (req, error);
      return;
    }
  reply_registered (req, signing->dps, g_steal_pointer (&op));
}

static void
handle_signed_request (CbSbRequest *req)
{
  in_transaction (req, handle_signed);
}

static void
handle_register (CbSbRequest *req)
{
  const char *registration_id = cb_sb_param (req, "registrationId");
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) enrollment = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(CbSbDpsOperation) op = NULL;
  g_autoptr(CbSbLeafJob) leaf = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *x509_info = NULL;
  gboolean can_defer = cb_sb_request_can_defer (req);

  if (!(enrollment = begin_device_request (req, &dps)))
    return;

  /* Parsed in the worker that checked the CSR, if one did. */
  if (!(body = cb_sb_dps_csr_check_take_body (req->work)) &&
      !(body = cb_sb_json_body (req, FALSE)))
    return;

  x509_info = cb_sb_header (req, "Authorization") == NULL && req->msg != NULL
              ? cb_sb_dps_x509_registration_info (req->sandbox, dps, enrollment,
                                                  cb_sb_listener_get_peer_certificate (req->msg))
              : NULL;
  /* The CSR checked in a worker (handle_register_request), and the leaf to sign handed to one. */
  if (!(op = cb_sb_dps_register_begin (req->sandbox, dps, enrollment, registration_id, body,
                                       x509_info, req->fault, req->work,
                                       can_defer ? &leaf : NULL, &error)))
    {
      reply_dps_error (req, error);
      return;
    }

  if (leaf != NULL)
    {
      Signing *signing = g_new0 (Signing, 1);

      signing->dps = g_steal_pointer (&dps);
      signing->enrollment = g_steal_pointer (&enrollment);
      signing->op = g_steal_pointer (&op);
      signing->leaf = g_steal_pointer (&leaf);
      cb_sb_request_defer (req, signing_run, signing, signing_free, handle_signed_request);
      return;
    }

  reply_registered (req, dps, g_steal_pointer (&op));
}

static void
handle_operation (CbSbRequest *req)
{
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) enrollment = NULL;
  g_autoptr(GError) error = NULL;
  char *answer;
  guint status = 0;

  if (!(enrollment = begin_device_request (req, &dps)))
    return;

  answer = cb_sb_dps_operation_status (req->sandbox, dps, cb_sb_param (req, "registrationId"),
                                       cb_sb_param (req, "operationId"), req->fault, &status,
                                       &error);
  if (answer == NULL)
    {
      reply_dps_error (req, error);
      return;
    }

  if (status == 202)
    set_retry_after (req);
  cb_sb_reply_json_text (req, status, answer);
}

static void
handle_status_lookup (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *registration_id = cb_sb_param (req, "registrationId");
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) enrollment = NULL;
  g_autoptr(CbSbDpsOperation) reg = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GError) error = NULL;
  const char *status;

  if (!(enrollment = begin_device_request (req, &dps)))
    return;

  body = cb_sb_json_body (req, TRUE);
  if (req->replied)
    return;
  if (body != NULL)
    {
      JsonNode *csr;

      if (!cb_sb_dps_check_registration (body, registration_id, FALSE, &error))
        {
          reply_dps_error (req, error);
          return;
        }
      csr = json_object_get_member (json_node_get_object (body), "csr");
      if (csr != NULL && !JSON_NODE_HOLDS_NULL (csr))
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400207,
                             "The registration status lookup must not carry a csr: certificates "
                             "are issued only by PUT .../register");
          return;
        }
    }

  if (!(reg = cb_sb_dps_registration_load (self, dps->name, registration_id)))
    {
      cb_sb_reply_error (req, 404, "NotFound", 404201,
                         "The device %s has not registered with this DPS instance", registration_id);
      return;
    }

  status = reg->started != 0 && cb_sb_dps_still_assigning (self, reg->started) ? "assigning"
                                                                                : reg->status;
  cb_sb_dps_add_registration_state (b, reg, status, FALSE);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

/* Each device request, its reads included, runs in one transaction: the store's locks are
 * taken once for the request, not once per statement (a registration's writes are a savepoint
 * inside it, cb_sb_dps_register). That transaction is a savepoint in the group commit of the
 * requests handled alongside (cb-sb-batch.c): the answer is sent once the group committed. */
static void
in_transaction (CbSbRequest *req,
                void       (*handler) (CbSbRequest *req))
{
  gboolean joined = cb_sb_batch_join (req);

  cb_sb_begin (req->sandbox);
  handler (req);
  if (!cb_sb_commit (req->sandbox))
    {
      g_warning ("Could not commit the DPS request %s: %s", req->path,
                 sqlite3_errmsg (req->sandbox->db));
      cb_sb_rollback (req->sandbox);
    }
  /* Handed to a worker: its next step joins a batch again and is held there. */
  if (joined && req->deferred)
    cb_sb_batch_leave (req);
  else if (joined)
    cb_sb_batch_hold (req);
}

/* Whether body may carry a csr: the registrations of devices that send none skip the worker. */
static gboolean
mentions_csr (GBytes *body)
{
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  return data != NULL && g_strstr_len (data, (gssize) len, "\"csr\"") != NULL;
}

static void
handle_register_request (CbSbRequest *req)
{
  /* The CSR's parse and signature check need no state: a worker makes them first, and the
   * handler uses its result where it would have made them (the answers' order stays). */
  if (req->work == NULL && cb_sb_request_can_defer (req) && mentions_csr (req->body))
    {
      cb_sb_request_defer (req, (CbSbWorkFunc) cb_sb_dps_csr_check_run,
                           cb_sb_dps_csr_check_new (req->body, cb_sb_param (req,
                                                                          "registrationId")),
                           (GDestroyNotify) cb_sb_dps_csr_check_free, handle_register_request);
      return;
    }
  in_transaction (req, handle_register);
}

static void
handle_operation_request (CbSbRequest *req)
{
  in_transaction (req, handle_operation);
}

static void
handle_status_lookup_request (CbSbRequest *req)
{
  in_transaction (req, handle_status_lookup);
}

/* ---- Registration ---------------------------------------------------------------------- */

void
cb_sb_routes_dps_device_add (CbSandbox *self)
{
  /* Device API (global.azure-devices-provisioning.net) */
  cb_sb_add_batched_route (self, "PUT", "/dps/{idScope}/registrations/{registrationId}/register",
                           CB_SB_STYLE_DPS, handle_register_request);
  cb_sb_add_batched_route (self, "GET",
                           "/dps/{idScope}/registrations/{registrationId}/operations/{operationId}",
                           CB_SB_STYLE_DPS, handle_operation_request);
  cb_sb_add_batched_route (self, "POST", "/dps/{idScope}/registrations/{registrationId}",
                           CB_SB_STYLE_DPS, handle_status_lookup_request);
}
