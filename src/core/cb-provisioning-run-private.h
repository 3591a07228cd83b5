/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the provisioning run's files share and nobody else sees: the run's struct (what the run
 * has learnt so far), the state machine's entry points a step calls when it is done (passed,
 * error with retry, fail), the journal helpers, and each step's code, which lives in its own
 * cb-run-step-*.c file. */

#include "cb-protocol-log.h"
#include "cb-provisioning-config-private.h"
#include "cb-provisioning-run.h"

G_BEGIN_DECLS

struct _CbProvisioningRun
{
  GObject               parent_instance;

  /* Owned */
  CbProvisioningConfig *config;
  CbDeviceDriver       *driver;
  char                 *port;
  char                 *registration_id_override;
  GListStore           *steps;
  /* The store's steps by kind (borrowed: the store holds them), for the run's many lookups */
  CbRunStep            *step_of[CB_RUN_N_STEPS];
  GTask                *task;
  GCancellable         *cancellable;
  GCancellable         *caller_cancellable;
  gulong                caller_cancel_id;
  CbRunResult          *result;
  guint                 retry_source;
  guint                 poll_source;

  /* What the run has learnt so far */
  CbRunStepKind         current;
  gboolean              running;
  gboolean              done;
  gint64                started;
  gint64                journal_run;
  /* Journal rows not written yet (a bit per step), for the next commit: a step's start before
   * a step that only reads, its end until the next step that has effects (journal_catch_up). */
  guint                 journal_starts_due;
  guint                 journal_ends_due;
  CbJournalResult       journal_results[CB_RUN_N_STEPS];
  CbProtocolLog        *protocol_log;   /* the transport's traffic while the run runs */
  CbDeviceInfo         *info;
  char                 *registration_id;
  GBytes               *key_pub;
  gboolean              key_created;
  GBytes               *csr_der;
  GBytes               *csr_pub;
  GBytes               *chain_blob;   /* DER, concatenated, as installed */
  GBytes               *chain_sha;
  GPtrArray            *chain;        /* CbCertificate */
  char                 *hub;
  char                 *device_id;
  CbServiceFacts         *facts;
  gboolean              facts_refreshed;
  gboolean              device_changed;
  gboolean              commit_unknown;   /* a commit went out and its answer was lost */
  gboolean              leaf_sent_journaled;
  GError               *commit_error;     /* why, while the read-back runs */
  char                 *sent_fingerprint; /* identify: a lost commit's leaf, being read back */
  gint64                sent_run;
  gint64                dps_deadline;
  /* X.509 onboarding (cb-run-step-register.c): what the enrollment expects, and what the
   * device presented as DPS reported it */
  gboolean              onboarding_x509;
  char                 *onboarding_group;       /* the X.509 group's id; NULL: individual */
  GPtrArray            *onboarding_expected;    /* SHA-256 thumbprints (DPS's hex) */
  char                 *onboarding_fingerprint; /* as openssl prints it */
  /* The choice rests on the station's enrollment group as an earlier read left it
   * (cb_provisioning_config_get_group_async), or on the group alone (the individual
   * enrollment unread); reread: the enrollments read again after a refusal, when the choice
   * was was_x509 */
  gboolean              onboarding_group_kept;
  gboolean              onboarding_individual_unread;
  gboolean              onboarding_group_reread;
  gboolean              onboarding_was_x509;
  GBytes               *challenge;
  /* hub-connect */
  gint64                hub_deadline;     /* monotonic */
  gint64                hub_sent;         /* unix seconds, when hub_config went out */
  gboolean              hub_saw_progress; /* a state after hub_config that is not final */
  gint64                hub_answered;     /* monotonic, when hub_config's answer came */
  gint64                hub_poll_sent;    /* monotonic, when the last diagnostics read went out */
  guint                 hub_polls;        /* diagnostics reads since hub_config's answer */
  char                 *hub_last;         /* the device's last state, for a timeout message */
  char                 *hub_twin_note;    /* why the twin did not match yet */
};

#define CHECK_FAILED(...) g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CHECK, __VA_ARGS__)

/* ---- The state machine (cb-provisioning-run.c) ---- */

CbRunStep *cb_provisioning_run_current_step         (CbProvisioningRun  *self);
/* The current step succeeded: on to the next one, unless the run was cancelled meanwhile. */
void       cb_provisioning_run_step_passed          (CbProvisioningRun  *self,
                                                     CbRunStepState      state,
                                                     const char         *detail);
/* The current step's attempt failed: try again when that can help, else end the run. */
void       cb_provisioning_run_step_error           (CbProvisioningRun  *self,
                                                     GError             *error);
/* The current step cannot be done on this device (the driver lacks what it needs): it ends
 * "not applicable" with @reason, never as passed, and the run goes on. */
void       cb_provisioning_run_step_not_applicable  (CbProvisioningRun  *self,
                                                     const char         *reason);
/* The device answered that it holds no chain there (a read of an empty slot). */
gboolean   cb_provisioning_run_error_is_no_chain    (CbProvisioningRun  *self,
                                                     const GError       *error);
/* Ends the run at the current step with error (which names the cause, not the step). */
void       cb_provisioning_run_fail                 (CbProvisioningRun  *self,
                                                     GError             *cause);
gboolean   cb_provisioning_run_error_is_cancelled   (const GError       *error);
/* Worth another try: the link or the service hiccuped, nothing was decided. */
gboolean   cb_provisioning_run_error_is_transient   (const GError       *error);
/* The run's journal, NULL when the run is not journaled; the step rows still due are written
 * first and the turn's transaction is committed before the loop waits again. */
CbJournal *cb_provisioning_run_journal              (CbProvisioningRun  *self);
/* A leaf whose commit answer was lost, once a read-back told what became of it. */
void       cb_provisioning_run_journal_resolve_leaf (CbProvisioningRun  *self,
                                                     gint64              run_id,
                                                     CbJournalLeafState  state);

/* ---- The steps (cb-run-step-*.c) ---- */

void cb_provisioning_run_do_identify            (CbProvisioningRun *self);
void cb_provisioning_run_do_keygen              (CbProvisioningRun *self);
void cb_provisioning_run_do_csr                 (CbProvisioningRun *self);
void cb_provisioning_run_do_register            (CbProvisioningRun *self);
/* Whether the device registers with DPS itself (a device-registration station, or an X.509
 * onboarding the register step chose), so the install and hub steps leave DPS to it. */
gboolean cb_provisioning_run_device_registers   (CbProvisioningRun *self);
void cb_provisioning_run_do_check_chain         (CbProvisioningRun *self);
void cb_provisioning_run_do_install             (CbProvisioningRun *self);
void cb_provisioning_run_do_commit              (CbProvisioningRun *self);
void cb_provisioning_run_do_read_back           (CbProvisioningRun *self);
void cb_provisioning_run_do_proof_of_possession (CbProvisioningRun *self);
void cb_provisioning_run_do_hub_connect         (CbProvisioningRun *self);

G_END_DECLS
