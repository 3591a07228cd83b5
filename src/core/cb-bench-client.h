/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-bench-results.h"
#include "cb-device-diag.h"
#include "cb-device-info.h"
#include "cb-smp-transport.h"

G_BEGIN_DECLS

/* The station's client for the Certbench bench group (docs/bench-protocol.md section 4) and the
 * two OS group commands it needs, on a CbSmpTransport. Every call uses the schema's timeout and
 * repeat-safety; device errors are CB_SMP_ERROR_GROUP_RC with the bench rc (cbp_rc in
 * cbp-group.h) or CB_SMP_ERROR_GENERIC_RC, a malformed answer CB_SMP_ERROR_PROTOCOL. */

/* CbBenchClient */

#define CB_TYPE_BENCH_CLIENT (cb_bench_client_get_type ())
G_DECLARE_FINAL_TYPE (CbBenchClient, cb_bench_client, CB, BENCH_CLIENT, GObject)

CbBenchClient  *cb_bench_client_new                  (CbSmpTransport       *transport);
/* Returns: (transfer none) */
CbSmpTransport *cb_bench_client_get_transport        (CbBenchClient        *self);

/* mcumgr_params then info; sets the transport's packet limit and frame size from the answers.
 * A device without mcumgr_params (rc 8) is accepted: info carries buf_size too. When the
 * answer to mcumgr_params is known already (cb_bench_client_set_mcumgr_params: the port probe
 * asked it), only info is asked. */
void            cb_bench_client_identify_async       (CbBenchClient        *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full) */
CbDeviceInfo   *cb_bench_client_identify_finish      (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            cb_bench_client_echo_async           (CbBenchClient        *self,
                                                      const char           *text,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char           *cb_bench_client_echo_finish          (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            cb_bench_client_mcumgr_params_async  (CbBenchClient        *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        cb_bench_client_mcumgr_params_finish (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      guint                *buf_size,
                                                      guint                *buf_count,
                                                      GError              **error);

/* What the device on this client's port answered to mcumgr_params already (the port probe,
 * cb-device-drivers.c, asks it): identify uses it instead of asking again, and sets the
 * transport's packet limit from it at once. @buf_size 0: the device answered that it lacks the
 * command (rc 8). */
void            cb_bench_client_set_mcumgr_params    (CbBenchClient        *self,
                                                      guint                 buf_size,
                                                      guint                 buf_count);
/* Whether mcumgr_params' answer is known without asking (set above), and what it was. */
gboolean        cb_bench_client_get_mcumgr_params    (CbBenchClient        *self,
                                                      guint                *buf_size,
                                                      guint                *buf_count);

void            cb_bench_client_info_async           (CbBenchClient        *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full) */
CbDeviceInfo   *cb_bench_client_info_finish          (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* key_type NULL means "p256". With replace the request is never resent (each call would make a
 * new next key): after a timeout, look at info's has-next-key instead. */
void            cb_bench_client_keygen_async         (CbBenchClient        *self,
                                                      const char           *key_type,
                                                      gboolean              replace,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
CbKeygenResult *cb_bench_client_keygen_finish        (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            cb_bench_client_csr_async            (CbBenchClient        *self,
                                                      const char           *common_name,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full): the DER PKCS#10 request */
GBytes         *cb_bench_client_csr_finish           (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* Stages a chain (DER or PEM) in chunks by offset, with the total length and SHA-256 up front.
 * A chunk lost to a timeout is resent (offset writes are repeat-safe) and the device's answer
 * says where to continue. Emits `transfer-progress`. Nothing is active until commit. */
void            cb_bench_client_put_chain_async      (CbBenchClient        *self,
                                                      GBytes               *chain,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full): the SHA-256 of the staged DER chain, for commit */
GBytes         *cb_bench_client_put_chain_finish     (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            cb_bench_client_commit_async         (CbBenchClient        *self,
                                                      GBytes               *sha256,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
CbCommitResult *cb_bench_client_commit_finish        (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* Reads a slot back in chunks ("active" when slot is NULL, or "staging") and checks it against
 * the SHA-256 the device reports (CB_SMP_ERROR_PROTOCOL on a mismatch). */
void            cb_bench_client_get_chain_async      (CbBenchClient        *self,
                                                      const char           *slot,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full): the DER chain */
GBytes         *cb_bench_client_get_chain_finish     (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* challenge: exactly 32 bytes (G_IO_ERROR_INVALID_ARGUMENT otherwise, nothing sent). */
void            cb_bench_client_pop_async            (CbBenchClient        *self,
                                                      GBytes               *challenge,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
CbPopResult    *cb_bench_client_pop_finish           (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* symmetric_key is a secret: it goes to the device and nowhere else (no logs, no traffic
 * summaries beyond lengths). endpoint and ca_path may be NULL. */
void            cb_bench_client_dps_config_async     (CbBenchClient        *self,
                                                      const char           *scope,
                                                      const char           *registration_id,
                                                      const char           *symmetric_key,
                                                      const char           *endpoint,
                                                      const char           *ca_path,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        cb_bench_client_dps_config_finish    (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            cb_bench_client_dps_register_async   (CbBenchClient        *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full): the state, "running" */
char           *cb_bench_client_dps_register_finish  (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            cb_bench_client_dps_status_async     (CbBenchClient        *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
CbDpsStatus    *cb_bench_client_dps_status_finish    (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* hub_config: where the device connects once it has an active certificate. host is the
 * assigned hub's host name; endpoint ("host:port", may be NULL) overrides host:8883 (the
 * sandbox's loopback MQTT port); ca_path (may be NULL) pins the hub's CA. */
void            cb_bench_client_hub_config_async     (CbBenchClient        *self,
                                                      const char           *host,
                                                      const char           *device_id,
                                                      const char           *endpoint,
                                                      const char           *ca_path,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        cb_bench_client_hub_config_finish    (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            cb_bench_client_diag_async           (CbBenchClient        *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full) */
CbDeviceDiag   *cb_bench_client_diag_finish          (CbBenchClient        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
