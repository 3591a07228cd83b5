/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-bench-results.h"
#include "cb-device-diag.h"
#include "cb-device-info.h"
#include "cb-device-results.h"
#include "cb-protocol-log.h"

G_BEGIN_DECLS

/* CbDeviceDriver: how the station talks to one device on one port, whatever the device speaks.
 * The provisioning run, the diagnosis and `certbench-cli inspect` call only this interface; the
 * SMP bench group (cb-smp-driver.c) is one implementation, Nordic's nRF91 AT modem another. The
 * registry of drivers and the port probe are in cb-device-drivers.h; docs/devices.md says what
 * each run step does on each driver and how to add one.
 *
 * Every operation is a GTask async/finish pair (source tag, cancellable, errors in GError). A
 * driver reports what it cannot do in its capabilities, with a reason for people; calling an
 * operation it lacks fails at once with CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED and sends nothing.
 * Errors: a driver may pass on its transport's own errors (the SMP driver's are CB_SMP_ERROR,
 * unchanged) or use CB_DEVICE_DRIVER_ERROR below; the run treats TIMEOUT, BUSY and PROTOCOL as
 * worth another try and asks error_is_refusal() whether the device answered at all. */

/* What a driver may do; a flag that is absent comes with a reason (get_missing_reason). */
typedef enum
{
  CB_DEVICE_CAP_NONE               = 0,
  /* The device registers with DPS itself (dps_configure/dps_register/dps_status). Without it
   * the station registers with the device's CSR. */
  CB_DEVICE_CAP_DPS_SELF_REGISTER  = 1 << 0,
  /* The device connects to its IoT hub itself and reports it (hub_configure, diagnostics'
   * hub state). */
  CB_DEVICE_CAP_HUB_CONNECT        = 1 << 1,
  /* The device signs a station challenge with its certificate's key (prove_possession). */
  CB_DEVICE_CAP_PROVE_POSSESSION   = 1 << 2,
  /* The device gives the whole installed chain back (read_back compares bytes; read_chain
   * works). Without it read_back compares SHA-256 digests the device reports. */
  CB_DEVICE_CAP_READ_BACK_CHAIN    = 1 << 3,
  /* The device reports diagnostics (its clock, last TLS/DPS errors, hub state: diagnose). */
  CB_DEVICE_CAP_DIAGNOSTICS        = 1 << 4,
  /* The device keeps its current key and certificate until commit while a new key waits
   * (create_key with replace is safe). Without it a new key replaces the old one at once. */
  CB_DEVICE_CAP_REPLACE_KEY        = 1 << 5,
} CbDeviceCapabilities;

/* Errors a driver (or the registry and probe) reports in its own words. */
typedef enum
{
  CB_DEVICE_DRIVER_ERROR_FAILED,
  CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED,  /* the driver lacks the capability; nothing was sent */
  CB_DEVICE_DRIVER_ERROR_REFUSED,        /* the device answered with an error */
  CB_DEVICE_DRIVER_ERROR_TIMEOUT,        /* no answer in time (transient) */
  CB_DEVICE_DRIVER_ERROR_BUSY,           /* the device asked to try again (transient) */
  CB_DEVICE_DRIVER_ERROR_PROTOCOL,       /* an answer that cannot be read (transient) */
  CB_DEVICE_DRIVER_ERROR_NO_CHAIN,       /* the device holds no chain in that place (an answer) */
  CB_DEVICE_DRIVER_ERROR_NO_DRIVER,      /* probe: no driver answered on the port */
  CB_DEVICE_DRIVER_ERROR_UNAVAILABLE,    /* a driver name this build does not have */
} CbDeviceDriverError;

#define CB_DEVICE_DRIVER_ERROR (cb_device_driver_error_quark ())
GQuark cb_device_driver_error_quark (void);

/* Where a chain sits on a device that stages before it commits. */
typedef enum
{
  CB_DEVICE_SLOT_ACTIVE,
  CB_DEVICE_SLOT_STAGING,
} CbDeviceSlot;

#define CB_TYPE_DEVICE_DRIVER (cb_device_driver_get_type ())
G_DECLARE_INTERFACE (CbDeviceDriver, cb_device_driver, CB, DEVICE_DRIVER, GObject)

struct _CbDeviceDriverInterface
{
  GTypeInterface parent_iface;

  /* Required. The registry's name: "smp", "nrf91". Static string. */
  const char *         (*get_name)              (CbDeviceDriver       *self);
  /* Required. The serial port's path, for the journal and messages. */
  const char *         (*get_port_path)         (CbDeviceDriver       *self);
  /* Required. What this driver (for this device, once identified) can do. May change after
   * identify (a firmware without networking drops DPS_SELF_REGISTER, say). */
  CbDeviceCapabilities (*get_capabilities)      (CbDeviceDriver       *self);
  /* Required. Why @capability (one flag) is absent, a full translated sentence for people:
   * "The modem signs no station challenge: the CSR's signature is the proof of possession at
   * issuance." NULL when the capability is there. Returns: (transfer full) (nullable) */
  char *               (*dup_missing_reason)    (CbDeviceDriver       *self,
                                                 CbDeviceCapabilities  capability);
  /* Optional. Record the device traffic in @log until detach_protocol_log (secrets never
   * enter it: see cb-protocol-log.h; cb_protocol_log_add_note for a line-based protocol). */
  void                 (*attach_protocol_log)   (CbDeviceDriver       *self,
                                                 CbProtocolLog        *log);
  void                 (*detach_protocol_log)   (CbDeviceDriver       *self,
                                                 CbProtocolLog        *log);
  /* Optional. TRUE when @error is the device's own answer (it refused, it has no chain), so a
   * request that went out was seen and decided; FALSE when no answer came (timeout, link
   * gone) and the device's state is unknown. Default: CB_DEVICE_DRIVER_ERROR REFUSED,
   * NO_CHAIN and NOT_SUPPORTED. */
  gboolean             (*error_is_refusal)      (CbDeviceDriver       *self,
                                                 const GError         *error);

  /* Required. Who the device is: a CbDeviceInfo with serial, model, firmware, the key types it
   * makes, whether it has a key and an active chain, and the driver's facts
   * (cb_device_info_get_fact: "serial", "model", "firmware", and e.g. "imei", "uuid"). Also
   * sets the link up (packet sizes). Finish returns (transfer full). */
  void                 (*identify_async)        (CbDeviceDriver       *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  CbDeviceInfo *       (*identify_finish)       (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Required. The device makes a key pair of @key_type ("p256", "p384") for a certificate
   * whose CN is @common_name (the registration id). @replace: the device has a key or a chain
   * already and a fresh pair is wanted (with REPLACE_KEY it waits beside the current one until
   * commit). Finish: (transfer full) the public key (DER SPKI), its type and whether it is
   * new. A device that makes its CSR together with the key (nRF91 %KEYGEN) makes both here
   * and create_csr hands that CSR back. */
  void                 (*create_key_async)      (CbDeviceDriver       *self,
                                                 const char           *key_type,
                                                 const char           *common_name,
                                                 gboolean              replace,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  CbKeygenResult *     (*create_key_finish)     (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Required. A PKCS#10 request with CN @common_name signed by the key create_key made.
   * Finish: (transfer full) the DER CSR and, when the device gives one, its attestation blob
   * (nRF91: the COSE_Sign1 object after the '.'). The run checks signature, CN and key. */
  void                 (*create_csr_async)      (CbDeviceDriver       *self,
                                                 const char           *common_name,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  CbDeviceCsr *        (*create_csr_finish)     (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Required. Write the issued chain to the device without making it active where the device
   * can stage (SMP: staging slot; nRF91: the security tag, offline). @chain_der: DER
   * certificates concatenated, leaf first, as DPS issued them (leaf, intermediates, root when
   * DPS sends it); @certificates: the same split (CbCertificate), leaf first. Finish: TRUE,
   * and in @staged_sha256 (transfer full, may be set to NULL) the SHA-256 of @chain_der as the
   * device reports it staged, when the device reports one (the run compares it). */
  void                 (*install_chain_async)   (CbDeviceDriver       *self,
                                                 GBytes               *chain_der,
                                                 GPtrArray            *certificates,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  gboolean             (*install_chain_finish)  (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GBytes              **staged_sha256,
                                                 GError              **error);

  /* Required. Make the installed chain and the new key active (SMP cert_commit; nRF91: leave
   * offline mode as it was). @chain_sha256: SHA-256 of the chain_der installed. The run calls
   * it without a cancellable and waits for the answer. Finish: (transfer full) what the
   * device reports: the active chain's SHA-256 and the leaf's dates; a driver whose device
   * reports none sets sha256 NULL and both dates 0 (the run then relies on read_back). */
  void                 (*commit_async)          (CbDeviceDriver       *self,
                                                 GBytes               *chain_sha256,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  CbCommitResult *     (*commit_finish)         (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Required. Read back what the device holds as active and compare it with @chain_der (as
   * installed; @certificates the same, split). Finish: (transfer full) a CbDeviceReadBack
   * saying what was compared (the bytes, or SHA-256 digests the device reports), whether it
   * matched, and the bytes read when bytes were compared. A mismatch is a result, not an
   * error; an error means nothing could be read. */
  void                 (*read_back_async)       (CbDeviceDriver       *self,
                                                 GBytes               *chain_der,
                                                 GPtrArray            *certificates,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  CbDeviceReadBack *   (*read_back_finish)      (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Optional (CB_DEVICE_CAP_READ_BACK_CHAIN). The chain in @slot as DER, leaf first.
   * CB_DEVICE_DRIVER_ERROR_NO_CHAIN (or the driver's own refusal, see error_is_refusal) when
   * the slot is empty. Finish: (transfer full). Used by the diagnosis, inspect, and to find
   * what became of a commit whose answer was lost. */
  void                 (*read_chain_async)      (CbDeviceDriver       *self,
                                                 CbDeviceSlot          slot,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  GBytes *             (*read_chain_finish)     (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Optional (CB_DEVICE_CAP_PROVE_POSSESSION). The device signs @challenge (32 random bytes)
   * with its active key. Finish: (transfer full) the signature and the exact bytes signed
   * (the run verifies the signature over them with the leaf's public key, never with a key
   * the device names). */
  void                 (*prove_possession_async)  (CbDeviceDriver     *self,
                                                   GBytes             *challenge,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
  CbDevicePossession * (*prove_possession_finish) (CbDeviceDriver     *self,
                                                   GAsyncResult       *result,
                                                   GError            **error);

  /* Optional (CB_DEVICE_CAP_DPS_SELF_REGISTER, and for hub-connect after a station
   * registration). Give the device its DPS settings: @symmetric_key is a secret that goes to
   * the device and nowhere else; @endpoint and @ca_path may be NULL. */
  void                 (*dps_configure_async)   (CbDeviceDriver       *self,
                                                 const char           *scope,
                                                 const char           *registration_id,
                                                 const char           *symmetric_key,
                                                 const char           *endpoint,
                                                 const char           *ca_path,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  gboolean             (*dps_configure_finish)  (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
  /* Optional (CB_DEVICE_CAP_DPS_SELF_REGISTER). Start the device's own registration.
   * Finish: (transfer full) its state, "running". */
  void                 (*dps_register_async)    (CbDeviceDriver       *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  char *               (*dps_register_finish)   (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
  /* Optional (CB_DEVICE_CAP_DPS_SELF_REGISTER). Where the device's registration stands;
   * "assigned" with hub, device id and the staged chain's SHA-256 (the run then reads the
   * chain from CB_DEVICE_SLOT_STAGING). Finish: (transfer full). */
  void                 (*dps_status_async)      (CbDeviceDriver       *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  CbDpsStatus *        (*dps_status_finish)     (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Optional (CB_DEVICE_CAP_HUB_CONNECT). Where the device connects once its certificate is
   * active: @host the assigned hub, @endpoint ("host:port", may be NULL) overrides host:8883,
   * @ca_path (may be NULL) pins the hub's CA. The run then polls diagnose for the hub state. */
  void                 (*hub_configure_async)   (CbDeviceDriver       *self,
                                                 const char           *host,
                                                 const char           *device_id,
                                                 const char           *endpoint,
                                                 const char           *ca_path,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  gboolean             (*hub_configure_finish)  (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Optional. Waits until @until (monotonic µs) while the caller sends the device nothing and
   * needs nothing it says (the run between its diagnostics polls): a driver may leave the line
   * unread until then, so what the device prints meanwhile is read in one wake-up at the end
   * (and still logged, in order). Finish: TRUE at @until; FALSE with the link's error when it
   * went (at the latest at @until), or G_IO_ERROR_CANCELLED at once. Default: a timer. */
  void                 (*wait_async)            (CbDeviceDriver       *self,
                                                 gint64                until,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  gboolean             (*wait_finish)           (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

  /* Optional (CB_DEVICE_CAP_DIAGNOSTICS). The device's clock, last errors, validity of its
   * active leaf, hub connection and renewal. Finish: (transfer full). */
  void                 (*diagnose_async)        (CbDeviceDriver       *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  CbDeviceDiag *       (*diagnose_finish)       (CbDeviceDriver       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
};

/* The callers' side: each checks the object and, for an optional operation the driver lacks,
 * fails with CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED (its message: the driver's reason). */

const char           *cb_device_driver_get_name             (CbDeviceDriver       *self);
const char           *cb_device_driver_get_port_path        (CbDeviceDriver       *self);
CbDeviceCapabilities  cb_device_driver_get_capabilities     (CbDeviceDriver       *self);
gboolean              cb_device_driver_has_capability       (CbDeviceDriver       *self,
                                                             CbDeviceCapabilities  capability);
/* Returns: (transfer full) (nullable): NULL when the capability is there */
char                 *cb_device_driver_dup_missing_reason   (CbDeviceDriver       *self,
                                                             CbDeviceCapabilities  capability);
void                  cb_device_driver_attach_protocol_log  (CbDeviceDriver       *self,
                                                             CbProtocolLog        *log);
void                  cb_device_driver_detach_protocol_log  (CbDeviceDriver       *self,
                                                             CbProtocolLog        *log);
gboolean              cb_device_driver_error_is_refusal     (CbDeviceDriver       *self,
                                                             const GError         *error);

void                  cb_device_driver_identify_async       (CbDeviceDriver       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
CbDeviceInfo         *cb_device_driver_identify_finish      (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_create_key_async     (CbDeviceDriver       *self,
                                                             const char           *key_type,
                                                             const char           *common_name,
                                                             gboolean              replace,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
CbKeygenResult       *cb_device_driver_create_key_finish    (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_create_csr_async     (CbDeviceDriver       *self,
                                                             const char           *common_name,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
CbDeviceCsr          *cb_device_driver_create_csr_finish    (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_install_chain_async  (CbDeviceDriver       *self,
                                                             GBytes               *chain_der,
                                                             GPtrArray            *certificates,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean              cb_device_driver_install_chain_finish (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GBytes              **staged_sha256,
                                                             GError              **error);
void                  cb_device_driver_commit_async         (CbDeviceDriver       *self,
                                                             GBytes               *chain_sha256,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
CbCommitResult       *cb_device_driver_commit_finish        (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_read_back_async      (CbDeviceDriver       *self,
                                                             GBytes               *chain_der,
                                                             GPtrArray            *certificates,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
CbDeviceReadBack     *cb_device_driver_read_back_finish     (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_read_chain_async     (CbDeviceDriver       *self,
                                                             CbDeviceSlot          slot,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
GBytes               *cb_device_driver_read_chain_finish    (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_prove_possession_async  (CbDeviceDriver    *self,
                                                                GBytes            *challenge,
                                                                GCancellable      *cancellable,
                                                                GAsyncReadyCallback callback,
                                                                gpointer           user_data);
CbDevicePossession   *cb_device_driver_prove_possession_finish (CbDeviceDriver    *self,
                                                                GAsyncResult      *result,
                                                                GError           **error);
void                  cb_device_driver_dps_configure_async  (CbDeviceDriver       *self,
                                                             const char           *scope,
                                                             const char           *registration_id,
                                                             const char           *symmetric_key,
                                                             const char           *endpoint,
                                                             const char           *ca_path,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean              cb_device_driver_dps_configure_finish (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_dps_register_async   (CbDeviceDriver       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
char                 *cb_device_driver_dps_register_finish  (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_dps_status_async     (CbDeviceDriver       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
CbDpsStatus          *cb_device_driver_dps_status_finish    (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_hub_configure_async  (CbDeviceDriver       *self,
                                                             const char           *host,
                                                             const char           *device_id,
                                                             const char           *endpoint,
                                                             const char           *ca_path,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean              cb_device_driver_hub_configure_finish (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_wait_async           (CbDeviceDriver       *self,
                                                             gint64                until,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean              cb_device_driver_wait_finish          (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                  cb_device_driver_diagnose_async       (CbDeviceDriver       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
CbDeviceDiag         *cb_device_driver_diagnose_finish      (CbDeviceDriver       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);

G_END_DECLS
