/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-client"

/* CbBenchClient: the station's client for the Certbench bench group and the two OS group
 * commands it needs, one function per command, on a CbSmpTransport (see cb-bench-client.h). */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-bench-client.h"
#include "cb-bench-format.h"
#include "cb-device-diag-private.h"
#include "cb-device-info-private.h"
#include "cb-smp-transport-private.h"

/* Room left in a packet for the SMP header and the CBOR around a chunk's data; the spec asks
 * stations to send at most buf_size - 64 data bytes per chunk. */
#define CHUNK_HEADROOM 64

static GBytes *
bytes_from_cbp (const cbp_bytes *b)
{
  if (b->data == NULL)
    return NULL;
  return g_bytes_new (b->data, b->len);
}

static GBytes *
sha256_of (GBytes *data)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  g_checksum_get_digest (checksum, digest, &digest_len);
  return g_bytes_new (digest, digest_len);
}

/* ---- CbBenchClient ---- */

struct _CbBenchClient
{
  GObject         parent_instance;

  /* Owned */
  CbSmpTransport *transport;

  /* The answer to mcumgr_params, when the port probe had it (identify does not ask again) */
  gboolean        params_known;
  guint           params_buf_size;    /* 0: the device lacks the command */
  guint           params_buf_count;
};

G_DEFINE_FINAL_TYPE (CbBenchClient, cb_bench_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TRANSPORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_TRANSFER_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cb_bench_client_dispose (GObject *object)
{
  CbBenchClient *self = (CbBenchClient *)object;

  g_clear_object (&self->transport);

  G_OBJECT_CLASS (cb_bench_client_parent_class)->dispose (object);
}

static void
cb_bench_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CbBenchClient *self = CB_BENCH_CLIENT (object);

  switch (prop_id)
    {
    case PROP_TRANSPORT:
      g_value_set_object (value, self->transport);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_bench_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CbBenchClient *self = CB_BENCH_CLIENT (object);

  switch (prop_id)
    {
    case PROP_TRANSPORT:
      self->transport = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_bench_client_class_init (CbBenchClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_bench_client_dispose;
  object_class->get_property = cb_bench_client_get_property;
  object_class->set_property = cb_bench_client_set_property;

  properties[PROP_TRANSPORT] =
    g_param_spec_object ("transport", NULL, NULL, CB_TYPE_SMP_TRANSPORT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CbBenchClient::transfer-progress:
   * @operation: "put" (install) or "get" (read-back)
   * @done: bytes the device has confirmed
   * @total: bytes in the chain
   */
  signals[SIGNAL_TRANSFER_PROGRESS] =
    g_signal_new ("transfer-progress",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
cb_bench_client_init (CbBenchClient *self)
{
}

CbBenchClient *
cb_bench_client_new (CbSmpTransport *transport)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (transport), NULL);

  return g_object_new (CB_TYPE_BENCH_CLIENT, "transport", transport, NULL);
}

CbSmpTransport *
cb_bench_client_get_transport (CbBenchClient *self)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);

  return self->transport;
}

/* ---- one request/response with the schema's codec ---- */

typedef struct
{
  const cbp_command *cmd;
  void              *rsp;    /* cmd->rsp_size bytes, decoded */
} Reply;

static void
reply_free (Reply *reply)
{
  if (reply->rsp != NULL)
    {
      cbp_response_clear (reply->cmd, reply->rsp);
      g_free (reply->rsp);
    }
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static const char *
status_name (int status)
{
  switch (status)
    {
    case CBP_ERR_NOMEM: return "out of memory";
    case CBP_ERR_CBOR: return "not well-formed CBOR";
    case CBP_ERR_NOT_MAP: return "not a CBOR map";
    case CBP_ERR_MISSING: return "a required key is missing";
    case CBP_ERR_TYPE: return "a key has the wrong type";
    default: return "invalid";
    }
}

/* What a command does with its decoded answer; it owns both. */
typedef void (*ReplyFunc) (GTask *task,
                           Reply *reply);

typedef struct
{
  GTask             *task;     /* the command's own, owned */
  const cbp_command *cmd;
  ReplyFunc          done;
} Call;

/* The transport's answer, decoded straight into the command's task: an exchange used to go
 * through a GTask of its own here as well, created, returned and propagated only to hand the
 * reply on, and the transport's request made another (cb_smp_transport_request() tells this
 * plain callback, checking the cancellable as that task's propagate did). */
static void
on_call_done (CbSmpTransport *transport,
              GBytes         *payload,
              GError         *error,
              gpointer        user_data)
{
  Call *call = user_data;
  g_autoptr(GTask) task = call->task;
  g_autoptr(Reply) reply = NULL;
  const cbp_command *cmd = call->cmd;
  ReplyFunc done = call->done;
  gsize len;
  const guint8 *data;
  int status;

  g_free (call);

  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  reply = g_new0 (Reply, 1);
  reply->cmd = cmd;
  reply->rsp = g_malloc0 (MAX (cmd->rsp_size, sizeof (cbp_empty)));

  data = g_bytes_get_data (payload, &len);
  status = cbp_response_decode (cmd, data, len, reply->rsp);
  if (status != CBP_OK)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "Malformed answer to %s: %s", cmd->name, status_name (status));
      return;
    }

  done (g_steal_pointer (&task), g_steal_pointer (&reply));
}

/* Sends cmd and hands its decoded answer to done with task (transfer full), or returns the
 * error on task. */
static void
call_async (CbBenchClient       *self,
            const cbp_command   *cmd,
            const void          *req,
            CbSmpRequestFlags    flags,
            GCancellable        *cancellable,
            ReplyFunc            done,
            GTask               *task)
{
  g_autoptr(GBytes) payload = NULL;
  uint8_t *out = NULL;
  size_t out_len = 0;
  guint group;
  Call *call;

  g_assert (CB_IS_BENCH_CLIENT (self));
  g_assert (cmd != NULL);
  g_assert (G_IS_TASK (task));

  if (cbp_request_encode (cmd, req, &out, &out_len) != CBP_OK)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_FAILED,
                               "Cannot encode the %s request", cmd->name);
      g_object_unref (task);
      return;
    }
  payload = g_bytes_new_with_free_func (out, out_len, free, out);

  group = cmd->group == CBP_GROUP_OS ? CBP_GROUP_OS
                                     : cb_smp_transport_get_bench_group (self->transport);

  call = g_new (Call, 1);
  call->task = task;
  call->cmd = cmd;
  call->done = done;
  cb_smp_transport_request (self->transport, group, cmd->id, (CbSmpOp)cmd->op, payload, 0,
                            flags, cancellable, on_call_done, call);
}

/* The bench group's command for an id (the table is static, so never NULL for our ids). */
static const cbp_command *
bench_cmd (cbp_cmd id)
{
  const cbp_command *cmd = cbp_group_command (id);

  g_assert (cmd != NULL);
  return cmd;
}

static const cbp_command *
os_cmd (guint8 id)
{
  const cbp_command *cmd = cbp_os_command (id);

  g_assert (cmd != NULL);
  return cmd;
}

/* ---- echo ---- */

static void
on_echo_done (GTask *task_in,
              Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_os_echo_rsp *rsp;

  rsp = reply->rsp;

  g_task_return_pointer (task, g_strdup (rsp->r), g_free);
}

void
cb_bench_client_echo_async (CbBenchClient       *self,
                            const char          *text,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cbp_os_echo_req req = { 0 };

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));
  g_return_if_fail (text != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_echo_async);

  req.d = (char *)text;
  call_async (self, os_cmd (CBP_OS_ECHO), &req, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_echo_done, g_steal_pointer (&task));
}

char *
cb_bench_client_echo_finish (CbBenchClient  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- mcumgr_params ---- */

typedef struct
{
  guint buf_size;
  guint buf_count;
} Params;

static void
on_params_done (GTask *task_in,
                Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_os_params_rsp *rsp;
  Params *params;

  rsp = reply->rsp;
  params = g_new0 (Params, 1);

  params->buf_size = cb_bench_clamp_uint (rsp->buf_size);
  params->buf_count = cb_bench_clamp_uint (rsp->buf_count);
  g_task_return_pointer (task, params, g_free);
}

void
cb_bench_client_mcumgr_params_async (CbBenchClient       *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_mcumgr_params_async);

  call_async (self, os_cmd (CBP_OS_MCUMGR_PARAMS), NULL, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_params_done, g_steal_pointer (&task));
}

gboolean
cb_bench_client_mcumgr_params_finish (CbBenchClient  *self,
                                      GAsyncResult   *result,
                                      guint          *buf_size,
                                      guint          *buf_count,
                                      GError        **error)
{
  g_autofree Params *params = NULL;

  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  params = g_task_propagate_pointer (G_TASK (result), error);
  if (params == NULL)
    return FALSE;

  if (buf_size != NULL)
    *buf_size = params->buf_size;
  if (buf_count != NULL)
    *buf_count = params->buf_count;
  return TRUE;
}

/* ---- info ---- */

static void
on_info_done (GTask *task_in,
              Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;


  g_task_return_pointer (task, cb_device_info_new_from_rsp (reply->rsp), g_object_unref);
}

void
cb_bench_client_info_async (CbBenchClient       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_info_async);

  call_async (self, bench_cmd (CBP_CMD_INFO), NULL, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_info_done, g_steal_pointer (&task));
}

CbDeviceInfo *
cb_bench_client_info_finish (CbBenchClient  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- identify: mcumgr_params, then info ---- */

static void
on_identify_info (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  CbBenchClient *self = g_task_get_source_object (task);
  guint params_buf = GPOINTER_TO_UINT (g_task_get_task_data (task));
  guint buf;

  info = cb_bench_client_info_finish (self, result, &error);
  if (info == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Respect the smaller of the two limits should a device report them differently. */
  buf = cb_device_info_get_buffer_size (info);
  if (params_buf != 0 && (buf == 0 || params_buf < buf))
    buf = params_buf;
  if (buf != 0)
    cb_smp_transport_set_max_packet (self->transport, buf);
  if (cb_device_info_get_frame_size (info) != 0)
    cb_smp_transport_set_frame_size (self->transport, cb_device_info_get_frame_size (info));

  g_debug ("Device %s (%s, firmware %s): frame size %u, buffer %u",
           cb_device_info_get_serial (info), cb_device_info_get_model (info),
           cb_device_info_get_firmware (info), cb_device_info_get_frame_size (info), buf);

  g_task_return_pointer (task, g_steal_pointer (&info), g_object_unref);
}

static void
on_identify_params (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CbBenchClient *self = g_task_get_source_object (task);
  guint buf_size = 0;

  if (!cb_bench_client_mcumgr_params_finish (self, result, &buf_size, NULL, &error))
    {
      /* A device that only lacks the OS command is fine: info reports buf_size too. */
      if (!g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC) ||
          cb_smp_error_get_rc (error) != CBP_SMP_RC_NOT_SUPPORTED)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      buf_size = 0;
    }
  else if (buf_size != 0)
    {
      cb_smp_transport_set_max_packet (self->transport, buf_size);
    }

  g_task_set_task_data (task, GUINT_TO_POINTER (buf_size), NULL);
  cb_bench_client_info_async (self, g_task_get_cancellable (task), on_identify_info,
                              g_object_ref (task));
}

void
cb_bench_client_identify_async (CbBenchClient       *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_identify_async);

  /* The probe asked mcumgr_params on this port already: the same answer, one exchange less. */
  if (self->params_known)
    {
      g_task_set_task_data (task, GUINT_TO_POINTER (self->params_buf_size), NULL);
      cb_bench_client_info_async (self, cancellable, on_identify_info, g_steal_pointer (&task));
      return;
    }

  cb_bench_client_mcumgr_params_async (self, cancellable, on_identify_params,
                                       g_steal_pointer (&task));
}

void
cb_bench_client_set_mcumgr_params (CbBenchClient *self,
                                   guint          buf_size,
                                   guint          buf_count)
{
  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  self->params_known = TRUE;
  self->params_buf_size = buf_size;
  self->params_buf_count = buf_count;
  if (buf_size != 0)
    cb_smp_transport_set_max_packet (self->transport, buf_size);
}

gboolean
cb_bench_client_get_mcumgr_params (CbBenchClient *self,
                                   guint         *buf_size,
                                   guint         *buf_count)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), FALSE);

  if (buf_size != NULL)
    *buf_size = self->params_buf_size;
  if (buf_count != NULL)
    *buf_count = self->params_buf_count;
  return self->params_known;
}

CbDeviceInfo *
cb_bench_client_identify_finish (CbBenchClient  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- keygen ---- */

static void
on_keygen_done (GTask *task_in,
                Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_keygen_rsp *rsp;
  CbKeygenResult *res;

  rsp = reply->rsp;

  if (rsp->pub.data == NULL || rsp->pub.len == 0)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The keygen answer has no public key");
      return;
    }

  res = g_new0 (CbKeygenResult, 1);
  res->key_type = g_strdup (rsp->type);
  res->created = rsp->created;
  res->public_key = bytes_from_cbp (&rsp->pub);
  g_task_return_pointer (task, res, (GDestroyNotify)cb_keygen_result_free);
}

void
cb_bench_client_keygen_async (CbBenchClient       *self,
                              const char          *key_type,
                              gboolean             replace,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cbp_keygen_req req = { 0 };

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_keygen_async);

  req.type = (char *)(key_type != NULL ? key_type : CBP_KEY_TYPE_P256);
  if (replace)
    {
      req.replace = TRUE;
      req.has_replace = TRUE;
    }

  /* With replace every call makes a new next key, so a resend is not harmless. */
  call_async (self, bench_cmd (CBP_CMD_KEYGEN), &req,
              replace ? CB_SMP_REQUEST_NO_RETRY : CB_SMP_REQUEST_DEFAULT,
              cancellable, on_keygen_done, g_steal_pointer (&task));
}

CbKeygenResult *
cb_bench_client_keygen_finish (CbBenchClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- csr ---- */

static void
on_csr_done (GTask *task_in,
             Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_csr_rsp *rsp;

  rsp = reply->rsp;

  if (rsp->csr.data == NULL || rsp->csr.len == 0)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The csr answer is empty");
      return;
    }

  g_task_return_pointer (task, bytes_from_cbp (&rsp->csr), (GDestroyNotify)g_bytes_unref);
}

void
cb_bench_client_csr_async (CbBenchClient       *self,
                           const char          *common_name,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cbp_csr_req req = { 0 };

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));
  g_return_if_fail (common_name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_csr_async);

  req.cn = (char *)common_name;
  call_async (self, bench_cmd (CBP_CMD_CSR), &req, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_csr_done, g_steal_pointer (&task));
}

GBytes *
cb_bench_client_csr_finish (CbBenchClient  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- put_chain ---- */

typedef struct
{
  GBytes *chain;     /* DER */
  GBytes *sha;
  gsize   total;
  gsize   next;      /* offset the device expects */
  guint   rounds;
  guint   max_rounds;
} PutState;

static void
put_state_free (PutState *state)
{
  g_clear_pointer (&state->chain, g_bytes_unref);
  g_clear_pointer (&state->sha, g_bytes_unref);
  g_free (state);
}

/* Largest data chunk for a cert_put at offset, given the packet limit: measure the request's
 * CBOR with empty data, then leave room for a 3-byte bstr header. */
static gsize
put_chunk_size (CbBenchClient *self,
                PutState      *state)
{
  guint max_packet = cb_smp_transport_get_max_packet (self->transport);
  cbp_cert_put_req req = { 0 };
  uint8_t *out = NULL;
  size_t overhead = 0;
  gsize chunk;

  req.off = state->next;
  if (state->next == 0)
    {
      req.len = state->total;
      req.has_len = TRUE;
      req.sha.data = (uint8_t *)g_bytes_get_data (state->sha, &req.sha.len);
    }
  req.data.data = (uint8_t *)"";
  req.data.len = 0;
  if (cbp_request_encode (bench_cmd (CBP_CMD_CERT_PUT), &req, &out, &overhead) == CBP_OK)
    free (out);
  else
    overhead = CHUNK_HEADROOM;

  if (max_packet <= CHUNK_HEADROOM || max_packet <= CBP_SMP_HEADER_LEN + overhead + 3)
    return 1;

  chunk = MIN (max_packet - CHUNK_HEADROOM, max_packet - CBP_SMP_HEADER_LEN - overhead - 3);
  return MAX (chunk, 1);
}

static void put_send (GTask *task);

static void
on_put_chunk_done (GTask *task_in,
                   Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  CbBenchClient *self = g_task_get_source_object (task);
  PutState *state = g_task_get_task_data (task);
  const cbp_cert_put_rsp *rsp;

  rsp = reply->rsp;

  if (rsp->off > state->total)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The device reports %" G_GUINT64_FORMAT " bytes staged of %zu",
                               (guint64)rsp->off, state->total);
      return;
    }

  g_signal_emit (self, signals[SIGNAL_TRANSFER_PROGRESS], 0, "put",
                 (guint64)rsp->off, (guint64)state->total);

  if (rsp->done)
    {
      if (rsp->off != state->total)
        {
          g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                                   "The device reports the chain complete at %" G_GUINT64_FORMAT
                                   " of %zu bytes", (guint64)rsp->off, state->total);
          return;
        }
      g_task_return_pointer (task, g_bytes_ref (state->sha), (GDestroyNotify)g_bytes_unref);
      return;
    }

  if (rsp->off == state->total)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The device staged all %zu bytes but did not confirm them",
                               state->total);
      return;
    }

  /* The device says where to continue: after a lost answer that is past what we last heard,
   * after a device reset it may be 0 again (then the length and hash are resent). */
  if (++state->rounds > state->max_rounds)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_FAILED,
                               "The chain transfer made no progress (device at %" G_GUINT64_FORMAT
                               " of %zu bytes)", (guint64)rsp->off, state->total);
      return;
    }

  state->next = rsp->off;
  put_send (g_steal_pointer (&task));
}

static void
put_send (GTask *task)
{
  CbBenchClient *self = g_task_get_source_object (task);
  PutState *state = g_task_get_task_data (task);
  cbp_cert_put_req req = { 0 };
  const guint8 *chain = g_bytes_get_data (state->chain, NULL);
  gsize chunk = put_chunk_size (self, state);

  req.off = state->next;
  if (state->next == 0)
    {
      req.len = state->total;
      req.has_len = TRUE;
      req.sha.data = (uint8_t *)g_bytes_get_data (state->sha, &req.sha.len);
    }
  req.data.data = (uint8_t *)chain + state->next;
  req.data.len = MIN (chunk, state->total - state->next);

  call_async (self, bench_cmd (CBP_CMD_CERT_PUT), &req, CB_SMP_REQUEST_DEFAULT,
              g_task_get_cancellable (task), on_put_chunk_done, task);
}

void
cb_bench_client_put_chain_async (CbBenchClient       *self,
                                 GBytes              *chain,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PutState *state;
  gsize chunk;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));
  g_return_if_fail (chain != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_put_chain_async);

  state = g_new0 (PutState, 1);
  g_task_set_task_data (task, state, (GDestroyNotify)put_state_free);

  state->chain = cb_bench_chain_to_der (chain, &error);
  if (state->chain == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  state->total = g_bytes_get_size (state->chain);
  state->sha = sha256_of (state->chain);

  chunk = put_chunk_size (self, state);
  /* Each round normally moves one chunk; allow a few restarts before calling it stuck. */
  state->max_rounds = 3 * (state->total / chunk + 1) + 8;

  g_debug ("Staging a %zu-byte chain in chunks of up to %zu bytes", state->total, chunk);
  g_signal_emit (self, signals[SIGNAL_TRANSFER_PROGRESS], 0, "put", (guint64)0,
                 (guint64)state->total);
  put_send (g_steal_pointer (&task));
}

GBytes *
cb_bench_client_put_chain_finish (CbBenchClient  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- commit ---- */

static void
on_commit_done (GTask *task_in,
                Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_cert_commit_rsp *rsp;
  CbCommitResult *res;

  rsp = reply->rsp;

  if (rsp->sha.len != CBP_SHA256_LEN)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The commit answer's hash is %zu bytes, not 32", rsp->sha.len);
      return;
    }

  res = g_new0 (CbCommitResult, 1);
  res->sha256 = bytes_from_cbp (&rsp->sha);
  res->not_before = rsp->not_before;
  res->not_after = rsp->not_after;
  g_task_return_pointer (task, res, (GDestroyNotify)cb_commit_result_free);
}

void
cb_bench_client_commit_async (CbBenchClient       *self,
                              GBytes              *sha256,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cbp_cert_commit_req req = { 0 };

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));
  g_return_if_fail (sha256 != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_commit_async);

  if (g_bytes_get_size (sha256) != CBP_SHA256_LEN)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "A commit needs the chain's 32-byte SHA-256");
      return;
    }

  req.sha.data = (uint8_t *)g_bytes_get_data (sha256, &req.sha.len);
  call_async (self, bench_cmd (CBP_CMD_CERT_COMMIT), &req, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_commit_done, g_steal_pointer (&task));
}

CbCommitResult *
cb_bench_client_commit_finish (CbBenchClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- get_chain ---- */

typedef struct
{
  char       *slot;
  GByteArray *data;
  GBytes     *sha;       /* as the device reports it */
  guint64     total;
  gboolean    have_total;
} GetState;

static void
get_state_free (GetState *state)
{
  g_free (state->slot);
  g_clear_pointer (&state->data, g_byte_array_unref);
  g_clear_pointer (&state->sha, g_bytes_unref);
  g_free (state);
}

static void get_send (GTask *task);

static void
on_get_chunk_done (GTask *task_in,
                   Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  CbBenchClient *self = g_task_get_source_object (task);
  GetState *state = g_task_get_task_data (task);
  const cbp_cert_get_rsp *rsp;
  g_autoptr(GBytes) sha = NULL;

  rsp = reply->rsp;

  if (rsp->off != state->data->len)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "Asked for offset %u, the device answered %" G_GUINT64_FORMAT,
                               state->data->len, (guint64)rsp->off);
      return;
    }

  if (rsp->sha.len != CBP_SHA256_LEN)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The cert_get answer's hash is %zu bytes, not 32", rsp->sha.len);
      return;
    }

  sha = bytes_from_cbp (&rsp->sha);
  if (!state->have_total)
    {
      state->have_total = TRUE;
      state->total = rsp->len;
      state->sha = g_bytes_ref (sha);
      if (state->total > 1024 * 1024)
        {
          g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                                   "The device reports a %" G_GUINT64_FORMAT "-byte chain",
                                   state->total);
          return;
        }
    }
  else if (rsp->len != state->total || !g_bytes_equal (sha, state->sha))
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The %s slot changed while it was being read", state->slot);
      return;
    }

  if (state->data->len + rsp->data.len > state->total ||
      (rsp->data.len == 0 && state->data->len < state->total))
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The device sent %zu bytes at offset %u of a %" G_GUINT64_FORMAT
                               "-byte chain", rsp->data.len, state->data->len, state->total);
      return;
    }

  if (rsp->data.len > 0)
    g_byte_array_append (state->data, rsp->data.data, rsp->data.len);
  g_signal_emit (self, signals[SIGNAL_TRANSFER_PROGRESS], 0, "get",
                 (guint64)state->data->len, state->total);

  if (state->data->len < state->total)
    {
      get_send (g_steal_pointer (&task));
      return;
    }

  {
    g_autoptr(GBytes) chain = g_bytes_new (state->data->data, state->data->len);
    g_autoptr(GBytes) computed = sha256_of (chain);

    if (!g_bytes_equal (computed, state->sha))
      {
        g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                                 "The %s chain read back does not match the device's SHA-256",
                                 state->slot);
        return;
      }

    g_task_return_pointer (task, g_steal_pointer (&chain), (GDestroyNotify)g_bytes_unref);
  }
}

static void
get_send (GTask *task)
{
  CbBenchClient *self = g_task_get_source_object (task);
  GetState *state = g_task_get_task_data (task);
  guint max_packet = cb_smp_transport_get_max_packet (self->transport);
  cbp_cert_get_req req = { 0 };

  req.off = state->data->len;
  req.slot = state->slot;
  /* The answer carries off, len, sha and data around the chunk: keep the same headroom. */
  req.max = max_packet > 2 * CHUNK_HEADROOM ? max_packet - 2 * CHUNK_HEADROOM : 16;
  req.has_max = TRUE;

  call_async (self, bench_cmd (CBP_CMD_CERT_GET), &req, CB_SMP_REQUEST_DEFAULT,
              g_task_get_cancellable (task), on_get_chunk_done, task);
}

void
cb_bench_client_get_chain_async (CbBenchClient       *self,
                                 const char          *slot,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GetState *state;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_get_chain_async);

  state = g_new0 (GetState, 1);
  state->slot = g_strdup (slot != NULL ? slot : "active");
  state->data = g_byte_array_new ();
  g_task_set_task_data (task, state, (GDestroyNotify)get_state_free);

  get_send (g_steal_pointer (&task));
}

GBytes *
cb_bench_client_get_chain_finish (CbBenchClient  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- pop ---- */

static void
on_pop_done (GTask *task_in,
             Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_pop_rsp *rsp;
  CbPopResult *res;

  rsp = reply->rsp;

  if (rsp->sig.len == 0 || rsp->pub.len == 0)
    {
      g_task_return_new_error (task, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL,
                               "The pop answer lacks a signature or a public key");
      return;
    }

  res = g_new0 (CbPopResult, 1);
  res->signature = bytes_from_cbp (&rsp->sig);
  res->public_key = bytes_from_cbp (&rsp->pub);
  res->algorithm = g_strdup (rsp->alg);
  g_task_return_pointer (task, res, (GDestroyNotify)cb_pop_result_free);
}

void
cb_bench_client_pop_async (CbBenchClient       *self,
                           GBytes              *challenge,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cbp_pop_req req = { 0 };

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));
  g_return_if_fail (challenge != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_pop_async);

  if (g_bytes_get_size (challenge) != CBP_CHALLENGE_LEN)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "A proof-of-possession challenge is 32 bytes, not %zu",
                               g_bytes_get_size (challenge));
      return;
    }

  req.challenge.data = (uint8_t *)g_bytes_get_data (challenge, &req.challenge.len);
  call_async (self, bench_cmd (CBP_CMD_POP), &req, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_pop_done, g_steal_pointer (&task));
}

CbPopResult *
cb_bench_client_pop_finish (CbBenchClient  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- DPS ---- */

/* Commands whose answer is {} (dps_config, hub_config): success is all there is. */
static void
on_empty_reply_done (GTask *task_in,
                     Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;


  g_task_return_boolean (task, TRUE);
}

void
cb_bench_client_dps_config_async (CbBenchClient       *self,
                                  const char          *scope,
                                  const char          *registration_id,
                                  const char          *symmetric_key,
                                  const char          *endpoint,
                                  const char          *ca_path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cbp_dps_config_req req = { 0 };

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));
  g_return_if_fail (scope != NULL);
  g_return_if_fail (registration_id != NULL);
  g_return_if_fail (symmetric_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_dps_config_async);

  req.scope = (char *)scope;
  req.reg_id = (char *)registration_id;
  req.key = (char *)symmetric_key;
  req.endpoint = (char *)endpoint;
  req.ca_path = (char *)ca_path;
  call_async (self, bench_cmd (CBP_CMD_DPS_CONFIG), &req, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_empty_reply_done, g_steal_pointer (&task));
}

gboolean
cb_bench_client_dps_config_finish (CbBenchClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- hub ---- */

void
cb_bench_client_hub_config_async (CbBenchClient       *self,
                                  const char          *host,
                                  const char          *device_id,
                                  const char          *endpoint,
                                  const char          *ca_path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cbp_hub_config_req req = { 0 };

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));
  g_return_if_fail (host != NULL);
  g_return_if_fail (device_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_hub_config_async);

  req.host = (char *)host;
  req.device_id = (char *)device_id;
  req.endpoint = (char *)endpoint;
  req.ca_path = (char *)ca_path;
  call_async (self, bench_cmd (CBP_CMD_HUB_CONFIG), &req, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_empty_reply_done, g_steal_pointer (&task));
}

gboolean
cb_bench_client_hub_config_finish (CbBenchClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_dps_register_done (GTask *task_in,
                      Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_dps_register_rsp *rsp;

  rsp = reply->rsp;

  g_task_return_pointer (task, g_strdup (rsp->state), g_free);
}

void
cb_bench_client_dps_register_async (CbBenchClient       *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_dps_register_async);

  call_async (self, bench_cmd (CBP_CMD_DPS_REGISTER), NULL, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_dps_register_done, g_steal_pointer (&task));
}

char *
cb_bench_client_dps_register_finish (CbBenchClient  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_dps_status_done (GTask *task_in,
                    Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;
  const cbp_dps_status_rsp *rsp;
  CbDpsStatus *status;

  rsp = reply->rsp;
  status = g_new0 (CbDpsStatus, 1);

  status->state = g_strdup (rsp->state);
  status->scope = g_strdup (rsp->scope);
  status->registration_id = g_strdup (rsp->reg_id);
  status->endpoint = g_strdup (rsp->endpoint);
  status->hub = g_strdup (rsp->hub);
  status->device_id = g_strdup (rsp->device_id);
  status->sha256 = bytes_from_cbp (&rsp->sha);
  status->error = g_strdup (rsp->error);
  g_task_return_pointer (task, status, (GDestroyNotify)cb_dps_status_free);
}

void
cb_bench_client_dps_status_async (CbBenchClient       *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_dps_status_async);

  call_async (self, bench_cmd (CBP_CMD_DPS_STATUS), NULL, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_dps_status_done, g_steal_pointer (&task));
}

CbDpsStatus *
cb_bench_client_dps_status_finish (CbBenchClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- diag ---- */

static void
on_diag_done (GTask *task_in,
              Reply *reply_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(Reply) reply = reply_in;


  g_task_return_pointer (task, cb_device_diag_new_from_rsp (reply->rsp), g_object_unref);
}

void
cb_bench_client_diag_async (CbBenchClient       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_BENCH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_client_diag_async);

  call_async (self, bench_cmd (CBP_CMD_DIAG), NULL, CB_SMP_REQUEST_DEFAULT, cancellable,
              on_diag_done, g_steal_pointer (&task));
}

CbDeviceDiag *
cb_bench_client_diag_finish (CbBenchClient  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
