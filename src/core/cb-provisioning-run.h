/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-adr-client.h"
#include "cb-bench-client.h"
#include "cb-dps-client.h"
#include "cb-http.h"
#include "cb-hub-client.h"
#include "cb-journal.h"
#include "cb-profile.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* The provisioning run: one device on one port, from identify to the journal record.
 *
 *   identify → keygen → csr → register → check-chain → install → commit → read-back →
 *   proof-of-possession → hub-connect → journal
 *
 * Every step is a CbRunStep in a GListModel (name, state, start/end times, attempts, error,
 * detail), so a UI binds rows to it. A failure names its step and its cause. Nothing reaches the
 * device's active slot before the chain passed every check: until commit the device keeps the
 * certificate and key it had (the bench protocol stages the chain and keeps a "next" key apart).
 * Many runs may go at once on different ports; they share one CbProvisioningConfig. */

typedef enum
{
  CB_RUN_STEP_IDENTIFY,
  CB_RUN_STEP_KEYGEN,
  CB_RUN_STEP_CSR,
  CB_RUN_STEP_REGISTER,
  CB_RUN_STEP_CHECK_CHAIN,
  CB_RUN_STEP_INSTALL,
  CB_RUN_STEP_COMMIT,
  CB_RUN_STEP_READ_BACK,
  CB_RUN_STEP_PROOF_OF_POSSESSION,
  CB_RUN_STEP_HUB_CONNECT,
  CB_RUN_STEP_JOURNAL,
  CB_RUN_N_STEPS
} CbRunStepKind;

#define CB_TYPE_RUN_STEP_KIND (cb_run_step_kind_get_type ())
GType        cb_run_step_kind_get_type   (void) G_GNUC_CONST;
/* Stable machine names: "identify", "keygen", "csr", "register", "check-chain", "install",
 * "commit", "read-back", "proof-of-possession", "hub-connect", "journal". The journal and --json
 * use them. */
const char  *cb_run_step_kind_to_name    (CbRunStepKind kind);
/* Short English titles for people ("Check the chain"); mark for translation at the caller. */
const char  *cb_run_step_kind_to_title   (CbRunStepKind kind);

typedef enum
{
  CB_RUN_STEP_STATE_PENDING,
  CB_RUN_STEP_STATE_RUNNING,
  CB_RUN_STEP_STATE_PASSED,
  CB_RUN_STEP_STATE_FAILED,
  CB_RUN_STEP_STATE_SKIPPED,
  CB_RUN_STEP_STATE_CANCELLED,
} CbRunStepState;

#define CB_TYPE_RUN_STEP_STATE (cb_run_step_state_get_type ())
GType        cb_run_step_state_get_type  (void) G_GNUC_CONST;
const char  *cb_run_step_state_to_string (CbRunStepState state);  /* "pending", "running", ... */

/* What makes a run fail, for exit codes and UI wording. The message always starts with the
 * step's name. */
typedef enum
{
  CB_RUN_ERROR_FAILED,
  CB_RUN_ERROR_CONFIG,          /* the station is not set up (no DPS client, no group key...) */
  CB_RUN_ERROR_DEVICE,          /* the device refused or answered wrongly */
  CB_RUN_ERROR_DEVICE_GONE,     /* the port closed or the device stopped answering */
  CB_RUN_ERROR_CHECK,           /* the device's CSR or the issued chain failed a check */
  CB_RUN_ERROR_SERVICE,         /* DPS, ARM or the hub said no or could not be reached */
  CB_RUN_ERROR_JOURNAL,         /* the journal could not be written */
  CB_RUN_ERROR_CANCELLED,
} CbRunError;

#define CB_RUN_ERROR (cb_run_error_quark ())
GQuark       cb_run_error_quark          (void);

/* ---- CbRunStep ------------------------------------------------------------------------ */

#define CB_TYPE_RUN_STEP (cb_run_step_get_type ())
G_DECLARE_FINAL_TYPE (CbRunStep, cb_run_step, CB, RUN_STEP, GObject)

CbRunStepKind  cb_run_step_get_kind        (CbRunStep *self);
const char    *cb_run_step_get_name        (CbRunStep *self);
CbRunStepState cb_run_step_get_state       (CbRunStep *self);
/* Unix microseconds; 0 until the step starts / ends. */
gint64         cb_run_step_get_started     (CbRunStep *self);
gint64         cb_run_step_get_ended       (CbRunStep *self);
/* Milliseconds from start to end (or to now while running); 0 when not started. */
gint64         cb_run_step_get_duration_ms (CbRunStep *self);
guint          cb_run_step_get_attempts    (CbRunStep *self);
/* The cause, without the step's name, or NULL. */
const char    *cb_run_step_get_error       (CbRunStep *self);
/* A short note: "p256, new key", "chain of 3, 1412 bytes", "policy 30 days (from ARM)". */
const char    *cb_run_step_get_detail      (CbRunStep *self);

/* ---- CbProvisioningConfig ------------------------------------------------------------- */

typedef enum
{
  CB_REGISTRATION_MODE_STATION,   /* the station registers with DPS on the device's behalf */
  CB_REGISTRATION_MODE_DEVICE,    /* the device registers itself (dps_config + dps_register) */
} CbRegistrationMode;

/* What every run of a station shares: the profile and its clients, the enrollment-group key,
 * the template, the journal. Set it up, then start runs; runs read it at their start. */
#define CB_TYPE_PROVISIONING_CONFIG (cb_provisioning_config_get_type ())
G_DECLARE_FINAL_TYPE (CbProvisioningConfig, cb_provisioning_config, CB, PROVISIONING_CONFIG, GObject)

CbProvisioningConfig *cb_provisioning_config_new        (CbProfile            *profile);
CbProfile   *cb_provisioning_config_get_profile         (CbProvisioningConfig *self);
/* Required for CB_REGISTRATION_MODE_STATION. */
void         cb_provisioning_config_set_dps_client      (CbProvisioningConfig *self,
                                                         CbDpsClient          *dps);
/* Optional: with it the policy's validity and the hub's CA certificates come from ARM. */
void         cb_provisioning_config_set_adr_client      (CbProvisioningConfig *self,
                                                         CbAdrClient          *adr);
/* The enrollment group's primary key (base64). A secret: kept in memory only, wiped when the
 * config goes, never logged, never journaled; the device key is derived per registration id. */
void         cb_provisioning_config_set_enrollment_group_key (CbProvisioningConfig *self,
                                                         const char           *key_base64);
/* Default CB_REGISTRATION_TEMPLATE_DEFAULT ("{serial}"). FALSE with error for a bad template. */
gboolean     cb_provisioning_config_set_registration_template (CbProvisioningConfig *self,
                                                         const char           *template_text,
                                                         GError              **error);
const char  *cb_provisioning_config_get_registration_template (CbProvisioningConfig *self);
void         cb_provisioning_config_set_registration_mode (CbProvisioningConfig *self,
                                                         CbRegistrationMode    mode);
/* "p256" (default) or "p384". */
void         cb_provisioning_config_set_key_type        (CbProvisioningConfig *self,
                                                         const char           *key_type);
/* The policy whose validity the chain must match; NULL: the profile's credential-policy. */
void         cb_provisioning_config_set_policy_name     (CbProvisioningConfig *self,
                                                         const char           *policy);
const char  *cb_provisioning_config_get_policy_name     (CbProvisioningConfig *self);
/* The policy's validityPeriodInDays when ARM cannot tell (no ADR client, or it failed). When
 * ARM answers, ARM wins. 0: unknown, and then the chain check fails (it will not guess). */
void         cb_provisioning_config_set_validity_days   (CbProvisioningConfig *self,
                                                         guint                 days);
/* A namespace root to pin: the root DPS returns must be this one. NULL: trust the root that
 * DPS returned over its (pinned or system-verified) TLS connection. */
void         cb_provisioning_config_set_trusted_root    (CbProvisioningConfig *self,
                                                         CbCertificate        *root);
void         cb_provisioning_config_set_journal         (CbProvisioningConfig *self,
                                                         CbJournal            *journal);
CbJournal   *cb_provisioning_config_get_journal         (CbProvisioningConfig *self);
void         cb_provisioning_config_set_station         (CbProvisioningConfig *self,
                                                         const char           *station);
void         cb_provisioning_config_set_operator        (CbProvisioningConfig *self,
                                                         const char           *operator_name);
/* Tries per step for transient failures (timeouts, garbled frames, a busy device, throttling),
 * default 3. Checks that fail are never retried. */
void         cb_provisioning_config_set_max_attempts    (CbProvisioningConfig *self,
                                                         guint                 attempts);
/* Device self-registration: how long to wait for the device's DPS result (default 120 s) and
 * how often to ask (default 500 ms). */
void         cb_provisioning_config_set_device_dps_timeout (CbProvisioningConfig *self,
                                                         guint                 seconds,
                                                         guint                 poll_ms);

/* The hub-connect step (default on): the device gets the hub to connect to (hub_config; in
 * station mode also dps_config with its derived key, so it can re-register by itself once its
 * certificate has expired), connects with the new certificate and reports its dates in the
 * twin. Off for benches without network: the step is SKIPPED. */
void         cb_provisioning_config_set_hub_check       (CbProvisioningConfig *self,
                                                         gboolean              check);
gboolean     cb_provisioning_config_get_hub_check       (CbProvisioningConfig *self);
/* Reads the device's twin in the hub-connect step; without one the step goes by the device's
 * own diag and says the twin was not checked. */
void         cb_provisioning_config_set_hub_client      (CbProvisioningConfig *self,
                                                         CbHubClient          *hub);
/* Sandbox profiles: with it a refused connection also gives the sandbox's verdict and reason
 * (GET /sandbox/hubs/{hub}/devices/{id}/connection). */
void         cb_provisioning_config_set_http_client     (CbProvisioningConfig *self,
                                                         CbHttpClient         *http);
/* How long the hub-connect step waits for the connection and the twin (default 30 s) and how
 * often it asks the device (default 250 ms). */
void         cb_provisioning_config_set_hub_timeout     (CbProvisioningConfig *self,
                                                         guint                 seconds,
                                                         guint                 poll_ms);

/* ---- CbRunResult ---------------------------------------------------------------------- */

#define CB_TYPE_RUN_RESULT (cb_run_result_get_type ())
G_DECLARE_FINAL_TYPE (CbRunResult, cb_run_result, CB, RUN_RESULT, GObject)

gboolean       cb_run_result_get_passed           (CbRunResult *self);
/* NULL when it passed. */
const GError  *cb_run_result_get_error            (CbRunResult *self);
/* CB_RUN_N_STEPS when it passed. */
CbRunStepKind  cb_run_result_get_failed_step      (CbRunResult *self);
/* Whether the device's active certificate changed (TRUE only from commit on). */
gboolean       cb_run_result_get_device_changed   (CbRunResult *self);
/* Whether a commit went out and its answer was lost, so nobody knows which certificate the
 * device has: the leaf is journaled as sent and read back at the next contact. */
gboolean       cb_run_result_get_outcome_unknown  (CbRunResult *self);
const char    *cb_run_result_get_port             (CbRunResult *self);
const char    *cb_run_result_get_device_serial    (CbRunResult *self);
const char    *cb_run_result_get_device_model     (CbRunResult *self);
const char    *cb_run_result_get_device_firmware  (CbRunResult *self);
const char    *cb_run_result_get_registration_id  (CbRunResult *self);
const char    *cb_run_result_get_hub              (CbRunResult *self);
const char    *cb_run_result_get_device_id        (CbRunResult *self);
const char    *cb_run_result_get_policy           (CbRunResult *self);
guint          cb_run_result_get_validity_days    (CbRunResult *self);
/* The issued chain, leaf first. Returns: (element-type CbCertificate) (transfer none) (nullable) */
GPtrArray     *cb_run_result_get_chain            (CbRunResult *self);
/* The chain as read back from the device (DER, concatenated). Returns: (transfer none) (nullable) */
GBytes        *cb_run_result_get_chain_der        (CbRunResult *self);
/* The leaf's serial and SHA-256 fingerprint; notBefore/notAfter in unix seconds. */
const char    *cb_run_result_get_leaf_serial      (CbRunResult *self);
const char    *cb_run_result_get_leaf_fingerprint (CbRunResult *self);
gint64         cb_run_result_get_not_before       (CbRunResult *self);
gint64         cb_run_result_get_not_after        (CbRunResult *self);
/* The journal's id for this run, 0 without a journal. */
gint64         cb_run_result_get_journal_id       (CbRunResult *self);
gint64         cb_run_result_get_duration_ms      (CbRunResult *self);

/* ---- CbProvisioningRun ---------------------------------------------------------------- */

#define CB_TYPE_PROVISIONING_RUN (cb_provisioning_run_get_type ())
G_DECLARE_FINAL_TYPE (CbProvisioningRun, cb_provisioning_run, CB, PROVISIONING_RUN, GObject)

/* port: the name the journal records (the bench client's port path when NULL). */
CbProvisioningRun *cb_provisioning_run_new           (CbProvisioningConfig *config,
                                                      CbBenchClient        *bench,
                                                      const char           *port);
/* Use this registration id instead of the template (validated and lower-cased at start). */
void         cb_provisioning_run_set_registration_id (CbProvisioningRun    *self,
                                                      const char           *registration_id);
/* Returns: (transfer none): a GListModel of CbRunStep, one per CbRunStepKind, in order */
GListModel  *cb_provisioning_run_get_steps           (CbProvisioningRun    *self);
/* Returns: (transfer none) */
CbRunStep   *cb_provisioning_run_get_step            (CbProvisioningRun    *self,
                                                      CbRunStepKind         kind);
/* The step running now, or NULL. Returns: (transfer none) (nullable) */
CbRunStep   *cb_provisioning_run_get_current_step    (CbProvisioningRun    *self);
gboolean     cb_provisioning_run_get_running         (CbProvisioningRun    *self);
/* Returns: (transfer none) (nullable): set once the run finished */
CbRunResult *cb_provisioning_run_get_result          (CbProvisioningRun    *self);

/* Runs once. The cancellable stops the run at the next safe point: a commit already sent to the
 * device is waited for (so the outcome is known), everything before it leaves the device as it
 * was. Emits `step-changed` (CbRunStep) whenever a step changes state and `finished`
 * (CbRunResult) at the end, on the thread-default main context of the caller. The finish
 * returns the result whether the run passed or not; it fails only for a run that could not
 * start (already run). Check cb_run_result_get_passed(). */
void         cb_provisioning_run_run_async           (CbProvisioningRun    *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full) */
CbRunResult *cb_provisioning_run_run_finish          (CbProvisioningRun    *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void         cb_provisioning_run_cancel              (CbProvisioningRun    *self);

/* ---- Helpers shared with inspect ------------------------------------------------------ */

/* Splits a chain of concatenated DER certificates (as the device stores it) into CbCertificate
 * objects, leaf first. Returns: (element-type CbCertificate) (transfer full) */
GPtrArray   *cb_provisioning_split_chain             (GBytes               *der_chain,
                                                      GError              **error);

G_END_DECLS
