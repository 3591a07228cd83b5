/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

#include "config.h"

#include <string.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-csr.h"
#include "cb-error.h"
#include "cb-protocol-log.h"
#include "cb-provisioning-config-private.h"
#include "cb-provisioning-run-private.h"
#include "cb-registration-template.h"
#include "cb-run-result-private.h"
#include "cb-run-step-private.h"
#include "cb-sandbox-client.h"
#include "cb-sas.h"
#include "cb-smp-driver.h"
#include "cb-util.h"
#include "cb-x509-chain.h"

G_DEFINE_QUARK (cb-run-error-quark, cb_run_error)

/* ---- CbProvisioningRun ------------------------------------------------------------------ */

G_DEFINE_FINAL_TYPE (CbProvisioningRun, cb_provisioning_run, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_RUNNING,
  PROP_CURRENT_STEP,
  PROP_RESULT,
  N_PROPS
};

enum
{
  SIGNAL_STEP_CHANGED,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void run_step (CbProvisioningRun *self);

static void
cb_provisioning_run_dispose (GObject *object)
{
  CbProvisioningRun *self = CB_PROVISIONING_RUN (object);

  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_handle_id (&self->poll_source, g_source_remove);
  if (self->caller_cancel_id != 0)
    g_cancellable_disconnect (self->caller_cancellable, self->caller_cancel_id);
  self->caller_cancel_id = 0;

  G_OBJECT_CLASS (cb_provisioning_run_parent_class)->dispose (object);
}

static void
cb_provisioning_run_finalize (GObject *object)
{
  CbProvisioningRun *self = CB_PROVISIONING_RUN (object);

  g_clear_object (&self->config);
  g_clear_object (&self->driver);
  g_free (self->port);
  g_free (self->registration_id_override);
  g_clear_object (&self->steps);
  g_clear_object (&self->task);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->caller_cancellable);
  g_clear_object (&self->result);
  g_clear_object (&self->protocol_log);
  g_clear_object (&self->info);
  g_free (self->registration_id);
  g_clear_pointer (&self->key_pub, g_bytes_unref);
  g_clear_pointer (&self->csr_der, g_bytes_unref);
  g_clear_pointer (&self->csr_pub, g_bytes_unref);
  g_clear_pointer (&self->chain_blob, g_bytes_unref);
  g_clear_pointer (&self->chain_sha, g_bytes_unref);
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_free (self->hub);
  g_free (self->device_id);
  g_clear_pointer (&self->facts, cb_service_facts_unref);
  g_clear_pointer (&self->challenge, g_bytes_unref);
  g_clear_error (&self->commit_error);
  g_free (self->sent_fingerprint);
  g_free (self->onboarding_group);
  g_clear_pointer (&self->onboarding_expected, g_ptr_array_unref);
  g_free (self->onboarding_fingerprint);
  g_free (self->hub_last);
  g_free (self->hub_twin_note);

  G_OBJECT_CLASS (cb_provisioning_run_parent_class)->finalize (object);
}

static void
cb_provisioning_run_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CbProvisioningRun *self = CB_PROVISIONING_RUN (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_CURRENT_STEP:
      g_value_set_object (value, cb_provisioning_run_get_current_step (self));
      break;
    case PROP_RESULT:
      g_value_set_object (value, self->result);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_provisioning_run_class_init (CbProvisioningRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_provisioning_run_dispose;
  object_class->finalize = cb_provisioning_run_finalize;
  object_class->get_property = cb_provisioning_run_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_STEP] =
    g_param_spec_object ("current-step", NULL, NULL, CB_TYPE_RUN_STEP,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESULT] =
    g_param_spec_object ("result", NULL, NULL, CB_TYPE_RUN_RESULT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_STEP_CHANGED] =
    g_signal_new ("step-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, CB_TYPE_RUN_STEP);
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, CB_TYPE_RUN_RESULT);
}

static void
cb_provisioning_run_init (CbProvisioningRun *self)
{
  /* One splice: a single items-changed for the store's first contents, not one a step. */
  self->steps = g_list_store_new (CB_TYPE_RUN_STEP);
  for (guint i = 0; i < CB_RUN_N_STEPS; i++)
    self->step_of[i] = cb_run_step_new (i);
  g_list_store_splice (self->steps, 0, 0, (gpointer *) self->step_of, CB_RUN_N_STEPS);
  for (guint i = 0; i < CB_RUN_N_STEPS; i++)
    g_object_unref (self->step_of[i]);
  self->current = CB_RUN_STEP_IDENTIFY;
  self->cancellable = g_cancellable_new ();
}

CbProvisioningRun *
cb_provisioning_run_new (CbProvisioningConfig *config,
                         CbBenchClient        *bench,
                         const char           *port)
{
  g_autoptr(CbSmpDriver) driver = NULL;

  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (config), NULL);
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (bench), NULL);

  driver = cb_smp_driver_new (bench);
  return cb_provisioning_run_new_for_driver (config, CB_DEVICE_DRIVER (driver), port);
}

CbProvisioningRun *
cb_provisioning_run_new_for_driver (CbProvisioningConfig *config,
                                    CbDeviceDriver       *driver,
                                    const char           *port)
{
  CbProvisioningRun *self;

  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (config), NULL);
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (driver), NULL);

  self = g_object_new (CB_TYPE_PROVISIONING_RUN, NULL);
  self->config = g_object_ref (config);
  self->driver = g_object_ref (driver);
  if (port != NULL)
    self->port = g_strdup (port);
  else
    self->port = g_strdup (cb_device_driver_get_port_path (driver));

  return self;
}

CbDeviceDriver *
cb_provisioning_run_get_driver (CbProvisioningRun *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), NULL);
  return self->driver;
}

void
cb_provisioning_run_set_registration_id (CbProvisioningRun *self,
                                         const char        *registration_id)
{
  g_return_if_fail (CB_IS_PROVISIONING_RUN (self));
  g_return_if_fail (!self->running && !self->done);

  cb_set_str (&self->registration_id_override, registration_id);
}

GListModel *
cb_provisioning_run_get_steps (CbProvisioningRun *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), NULL);
  return G_LIST_MODEL (self->steps);
}

CbRunStep *
cb_provisioning_run_get_step (CbProvisioningRun *self,
                              CbRunStepKind      kind)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), NULL);
  g_return_val_if_fail ((guint) kind < CB_RUN_N_STEPS, NULL);

  /* The store keeps a reference and never changes, so handing out a borrowed one is safe. */
  return self->step_of[kind];
}

CbRunStep *
cb_provisioning_run_get_current_step (CbProvisioningRun *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), NULL);

  if (!self->running)
    return NULL;
  return cb_provisioning_run_get_step (self, self->current);
}

gboolean
cb_provisioning_run_get_running (CbProvisioningRun *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), FALSE);
  return self->running;
}

CbRunResult *
cb_provisioning_run_get_result (CbProvisioningRun *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), NULL);
  return self->result;
}

void
cb_provisioning_run_cancel (CbProvisioningRun *self)
{
  g_return_if_fail (CB_IS_PROVISIONING_RUN (self));
  g_cancellable_cancel (self->cancellable);
}

/* ---- Errors ----------------------------------------------------------------------------- */

gboolean
cb_provisioning_run_error_is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Worth another try: the link or the service hiccuped, nothing was decided. */
gboolean
cb_provisioning_run_error_is_transient (const GError *error)
{
  if (error->domain == CB_SMP_ERROR)
    return error->code == CB_SMP_ERROR_TIMEOUT ||
           error->code == CB_SMP_ERROR_PROTOCOL ||
           (error->code == CB_SMP_ERROR_GENERIC_RC && cb_smp_error_get_rc (error) == 10) ||
           (error->code == CB_SMP_ERROR_GROUP_RC &&
            (cb_smp_error_get_rc (error) == CBP_RC_DPS_BUSY ||
             cb_smp_error_get_rc (error) == CBP_RC_STORAGE));

  if (error->domain == CB_DEVICE_DRIVER_ERROR)
    return error->code == CB_DEVICE_DRIVER_ERROR_TIMEOUT ||
           error->code == CB_DEVICE_DRIVER_ERROR_BUSY ||
           error->code == CB_DEVICE_DRIVER_ERROR_PROTOCOL;

  if (error->domain == CB_API_ERROR)
    return error->code == CB_API_ERROR_THROTTLED || error->code == CB_API_ERROR_SERVER ||
           error->code == CB_API_ERROR_TIMEOUT;

  /* Not BROKEN_PIPE (an alias of CONNECTION_CLOSED): that is the serial port going away, and
   * the HTTP client already retries its own dropped connections. */
  if (error->domain == G_IO_ERROR)
    return error->code == G_IO_ERROR_TIMED_OUT || error->code == G_IO_ERROR_CONNECTION_REFUSED ||
           error->code == G_IO_ERROR_HOST_UNREACHABLE ||
           error->code == G_IO_ERROR_NETWORK_UNREACHABLE;

  if (error->domain == G_RESOLVER_ERROR)
    return error->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE;

  return FALSE;
}

static CbRunError
classify (CbProvisioningRun *self,
          const GError      *error)
{
  if (cb_provisioning_run_error_is_cancelled (error))
    return CB_RUN_ERROR_CANCELLED;
  if (error->domain == CB_RUN_ERROR)
    return error->code;
  if (error->domain == CB_SMP_ERROR)
    return error->code == CB_SMP_ERROR_TIMEOUT ? CB_RUN_ERROR_DEVICE_GONE : CB_RUN_ERROR_DEVICE;
  if (error->domain == CB_DEVICE_DRIVER_ERROR)
    return error->code == CB_DEVICE_DRIVER_ERROR_TIMEOUT ? CB_RUN_ERROR_DEVICE_GONE : CB_RUN_ERROR_DEVICE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return CB_RUN_ERROR_DEVICE_GONE;
  if (error->domain == CB_X509_ERROR || error->domain == CB_PKI_ERROR)
    return CB_RUN_ERROR_CHECK;
  if (error->domain == CB_JOURNAL_ERROR)
    return CB_RUN_ERROR_JOURNAL;
  if (error->domain == CB_REGISTRATION_ID_ERROR)
    return self->registration_id_override != NULL ? CB_RUN_ERROR_CONFIG : CB_RUN_ERROR_DEVICE;
  if (error->domain == CB_API_ERROR || error->domain == G_TLS_ERROR ||
      error->domain == G_RESOLVER_ERROR || error->domain == G_IO_ERROR ||
      error->domain == CB_SAS_ERROR)
    return CB_RUN_ERROR_SERVICE;
  return CB_RUN_ERROR_FAILED;
}

/* The device answered that it holds no chain there (a read of an empty slot). */
gboolean
cb_provisioning_run_error_is_no_chain (CbProvisioningRun *self,
                                       const GError      *error)
{
  return g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC) ||
         g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_CHAIN) ||
         g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_REFUSED);
}

/* ---- Journal ---------------------------------------------------------------------------- */

/* Whether a step can change something outside the station: the device's key (keygen), DPS
 * (register), the device's certificate store (install, commit), the device's hub
 * configuration (hub-connect), the journal's own end. A run killed while it waits in such a
 * step has an unknown outcome, so its start is committed before it waits. The others only
 * read (identify, csr, check-chain, read-back, proof-of-possession): their rows wait for the
 * next commit, and a run killed in one of them is named at the last step with effects before
 * it (or at its start). */
G_STATIC_ASSERT (CB_RUN_N_STEPS <= 32);   /* a bit per step in journal_starts_due */

static gboolean
step_has_effects (CbRunStepKind kind)
{
  switch (kind)
    {
    case CB_RUN_STEP_KEYGEN:
    case CB_RUN_STEP_REGISTER:
    case CB_RUN_STEP_INSTALL:
    case CB_RUN_STEP_COMMIT:
    case CB_RUN_STEP_HUB_CONNECT:
    case CB_RUN_STEP_JOURNAL:
      return TRUE;
    case CB_RUN_STEP_IDENTIFY:
    case CB_RUN_STEP_CSR:
    case CB_RUN_STEP_CHECK_CHAIN:
    case CB_RUN_STEP_READ_BACK:
    case CB_RUN_STEP_PROOF_OF_POSSESSION:
    case CB_RUN_N_STEPS:
    default:
      return FALSE;
    }
}

static void
write_step_end (CbProvisioningRun *self,
                CbRunStep         *step,
                CbJournalResult    result)
{
  const char *step_detail = cb_run_step_get_detail (step);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *not_applicable = NULL;

  /* The journal knows no "not applicable" result: its detail says it. */
  if (cb_run_step_get_state (step) == CB_RUN_STEP_STATE_NOT_APPLICABLE)
    step_detail = not_applicable = g_strdup_printf ("not applicable: %s",
                                                    step_detail ? step_detail : "");
  /* Retries are part of the record: a unit that needed three tries is worth knowing about. */
  if (cb_run_step_get_attempts (step) > 1)
    detail = g_strdup_printf ("%s%s(%u attempts)", step_detail ? step_detail : "",
                              step_detail ? " " : "", cb_run_step_get_attempts (step));

  if (!cb_journal_end_step (self->config->journal, cb_run_step_get_journal_id (step), result,
                            cb_run_step_get_error (step), detail ? detail : step_detail,
                            cb_run_step_get_ended (step), &error))
    g_warning ("Could not journal the end of step %s: %s",
               cb_run_step_get_name (step), error->message);
}

/* Writes the step rows that wait (in step order, with the times the steps kept) into the
 * turn's transaction and has it committed before the main loop waits again. FALSE when a
 * step's start could not be written; it stays due. */
static gboolean
journal_catch_up (CbProvisioningRun  *self,
                  GError            **error)
{
  if (self->journal_run <= 0)
    return TRUE;

  cb_journal_defer_commit (self->config->journal);
  if ((self->journal_starts_due | self->journal_ends_due) == 0)
    return TRUE;
  for (guint i = 0; i < CB_RUN_N_STEPS; i++)
    {
      CbRunStep *step = cb_provisioning_run_get_step (self, i);
      guint bit = 1u << i;

      if (self->journal_starts_due & bit)
        {
          gint64 journal_id = cb_journal_begin_step (self->config->journal, self->journal_run,
                                                     cb_run_step_get_name (step),
                                                     cb_run_step_get_started (step), error);
          if (journal_id <= 0)
            return FALSE;
          cb_run_step_set_journal_id (step, journal_id);
          self->journal_starts_due &= ~bit;
        }
      if (self->journal_ends_due & bit)
        {
          self->journal_ends_due &= ~bit;
          if (cb_run_step_get_journal_id (step) != 0)
            write_step_end (self, step, self->journal_results[i]);
        }
    }
  return TRUE;
}

/* The run writes its rows in bursts between waits (a step's end, the next step's start, the
 * rows of a step that does not wait), so every use defers the commit to the end of this
 * main-loop turn: a burst is one transaction, committed before the run waits on the device
 * or the network, where a run can be cut off. The step rows still due go in first
 * (journal_catch_up). finish_run() commits before anyone hears the run ended. */
CbJournal *
cb_provisioning_run_journal (CbProvisioningRun *self)
{
  g_autoptr(GError) error = NULL;

  if (self->journal_run <= 0)
    return NULL;
  if (!journal_catch_up (self, &error))
    g_warning ("Could not journal the start of a step on %s: %s", self->port, error->message);
  return self->config->journal;
}

/* A step's start: written and committed before the step waits when the step has effects,
 * else due with the next commit. */
static gboolean
journal_begin_step (CbProvisioningRun  *self,
                    CbRunStep          *step,
                    GError            **error)
{
  if (self->journal_run <= 0)
    return TRUE;

  self->journal_starts_due |= 1u << cb_run_step_get_kind (step);
  if (!step_has_effects (cb_run_step_get_kind (step)))
    return TRUE;
  return journal_catch_up (self, error);
}

/* A step's end: due with the next commit (the next step with effects, a mid-step row, the
 * run's end). A step that never began has no end to write. */
static void
journal_end_step (CbProvisioningRun *self,
                  CbRunStep         *step,
                  CbJournalResult    result)
{
  CbRunStepKind kind = cb_run_step_get_kind (step);

  if (self->journal_run <= 0 ||
      (cb_run_step_get_journal_id (step) == 0 && !(self->journal_starts_due & (1u << kind))))
    return;

  self->journal_results[kind] = result;
  self->journal_ends_due |= 1u << kind;
}

/* A leaf whose commit answer was lost, once a read-back told what became of it. */
void
cb_provisioning_run_journal_resolve_leaf (CbProvisioningRun  *self,
                                          gint64              run_id,
                                          CbJournalLeafState  state)
{
  g_autoptr(GError) error = NULL;

  if (self->config->journal == NULL || run_id <= 0)
    return;
  cb_journal_defer_commit (self->config->journal);
  if (!cb_journal_resolve_leaf (self->config->journal, run_id, state, &error))
    g_warning ("Could not journal what became of run %" G_GINT64_FORMAT "'s leaf: %s", run_id,
               error->message);
}

/* ---- The state machine ------------------------------------------------------------------ */

CbRunStep *
cb_provisioning_run_current_step (CbProvisioningRun *self)
{
  return cb_provisioning_run_get_step (self, self->current);
}

static void
emit_step_changed (CbProvisioningRun *self,
                   CbRunStep         *step)
{
  g_signal_emit (self, signals[SIGNAL_STEP_CHANGED], 0, step);
}

static void
fill_result_from_run (CbProvisioningRun *self,
                      CbRunResult       *result)
{
  result->port = g_strdup (self->port);
  if (self->info != NULL)
    {
      result->serial = g_strdup (cb_device_info_get_serial (self->info));
      result->model = g_strdup (cb_device_info_get_model (self->info));
      result->firmware = g_strdup (cb_device_info_get_firmware (self->info));
    }
  result->registration_id = g_strdup (self->registration_id);
  result->hub = g_strdup (self->hub);
  result->device_id = g_strdup (self->device_id);
  result->policy = g_strdup (cb_provisioning_config_get_policy_name (self->config));
  result->validity_days = self->facts != NULL ? self->facts->validity_days : 0;
  result->device_changed = self->device_changed;
  result->outcome_unknown = self->commit_unknown;
  result->onboarding_fingerprint = g_strdup (self->onboarding_fingerprint);
  if (self->chain != NULL)
    {
      CbCertificate *leaf = g_ptr_array_index (self->chain, 0);

      result->chain = g_ptr_array_ref (self->chain);
      result->leaf_serial = g_strdup (cb_certificate_get_serial (leaf));
      result->leaf_fingerprint = g_strdup (cb_certificate_get_sha256_fingerprint (leaf));
      result->not_before = cb_certificate_get_not_before (leaf);
      result->not_after = cb_certificate_get_not_after (leaf);
    }
  if (self->chain_blob != NULL)
    result->chain_der = g_bytes_ref (self->chain_blob);
  result->journal_id = self->journal_run;
  result->duration_ms = (g_get_real_time () - self->started) / 1000;
}

static void
finish_run (CbProvisioningRun *self,
            GError            *error)   /* (transfer full) (nullable) */
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  g_autoptr(CbRunResult) result = g_object_new (CB_TYPE_RUN_RESULT, NULL);
  g_autoptr(GError) journal_error = NULL;

  g_assert (!self->done);

  if (!journal_catch_up (self, &journal_error))
    {
      g_warning ("Could not journal the start of a step on %s: %s", self->port,
                 journal_error->message);
      g_clear_error (&journal_error);
    }

  /* The run's last rows are on disk before the caller hears of its end (and may read the
   * journal on another connection). A run that passed fails if its end did not commit: the
   * next open marks it interrupted at "journal", which is the truth. */
  if (self->config->journal != NULL && !cb_journal_flush (self->config->journal, &journal_error))
    {
      if (error == NULL)
        {
          CbRunStep *step = cb_provisioning_run_current_step (self);

          error = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_JOURNAL,
                               "%s: The run's end could not be journaled: %s%s",
                               cb_run_step_kind_to_name (self->current), journal_error->message,
                               self->device_changed ? " (the device already holds the new "
                                                      "certificate)" : "");
          cb_run_step_fail (step, CB_RUN_STEP_STATE_FAILED, error->message);
          emit_step_changed (self, step);
        }
      else
        g_warning ("Could not journal the end of the run on %s: %s", self->port,
                   journal_error->message);
    }

  fill_result_from_run (self, result);
  result->passed = error == NULL;
  if (error != NULL)
    {
      result->failed_step = self->current;
      result->error = error;
    }

  self->done = TRUE;
  self->running = FALSE;
  g_set_object (&self->result, result);
  if (self->protocol_log != NULL)
    cb_device_driver_detach_protocol_log (self->driver, self->protocol_log);

  if (self->caller_cancel_id != 0)
    g_cancellable_disconnect (self->caller_cancellable, self->caller_cancel_id);
  self->caller_cancel_id = 0;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_STEP]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT]);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, result);

  g_task_return_pointer (task, g_object_ref (result), g_object_unref);
}

/* Records the run's end in the journal (for a failure, before the run finishes). */
static gboolean
journal_end_run (CbProvisioningRun  *self,
                 CbJournalResult     outcome,
                 const GError       *failure,
                 GError            **error)
{
  CbJournalRunEnd end = { .result = outcome };
  CbCertificate *leaf = self->chain != NULL ? g_ptr_array_index (self->chain, 0) : NULL;

  if (cb_provisioning_run_journal (self) == NULL)
    return TRUE;

  /* The log goes in before the end row, so a run that has ended has its log. Losing the log
   * does not fail the run: the end row is the record. */
  if (self->protocol_log != NULL)
    {
      g_autofree char *log = NULL;
      g_autoptr(GError) log_error = NULL;

      cb_device_driver_detach_protocol_log (self->driver, self->protocol_log);
      log = cb_protocol_log_to_text (self->protocol_log);
      if (!cb_journal_add_protocol_log (cb_provisioning_run_journal (self), self->journal_run, log, &log_error))
        g_warning ("Could not journal the protocol log of the run on %s: %s", self->port,
                   log_error->message);
    }

  if (failure != NULL)
    {
      end.failed_step = cb_run_step_kind_to_name (self->current);
      end.error = failure->message;
    }
  end.hub = self->hub;
  end.device_id = self->device_id;
  /* The leaf is recorded only when the device got it: a rejected chain is not an identity. */
  if (leaf != NULL && self->device_changed)
    {
      end.leaf_serial = cb_certificate_get_serial (leaf);
      end.leaf_fingerprint = cb_certificate_get_sha256_fingerprint (leaf);
      end.not_before = cb_certificate_get_not_before (leaf);
      end.not_after = cb_certificate_get_not_after (leaf);
    }

  return cb_journal_end_run (cb_provisioning_run_journal (self), self->journal_run, &end, error);
}

/* Ends the run at the current step with error (which names the cause, not the step). */
void
cb_provisioning_run_fail (CbProvisioningRun *self,
                          GError            *cause)   /* (transfer full) */
{
  g_autoptr(GError) owned_cause = cause;
  CbRunStep *step = cb_provisioning_run_current_step (self);
  CbRunError code = classify (self, cause);
  g_autoptr(GError) journal_error = NULL;
  g_autofree char *message = NULL;
  GError *error;

  if (self->commit_unknown)
    message = g_strdup_printf ("%s: %s; the outcome is unknown: the commit went out but no "
                               "answer came back, so the device may have the new certificate "
                               "or the one it had (the next contact with the device reads its "
                               "certificate back)",
                               cb_run_step_kind_to_name (self->current), cause->message);
  else if (self->device_changed)
    message = g_strdup_printf ("%s: %s (the device already holds the new certificate)",
                               cb_run_step_kind_to_name (self->current), cause->message);
  else if (code == CB_RUN_ERROR_CANCELLED)
    message = g_strdup_printf ("%s: the run was cancelled; the device keeps its previous "
                               "certificate", cb_run_step_kind_to_name (self->current));
  else
    message = g_strdup_printf ("%s: %s", cb_run_step_kind_to_name (self->current), cause->message);
  error = g_error_new_literal (CB_RUN_ERROR, code, message);
  cb_protocol_log_add_note (self->protocol_log, "%s", message);

  cb_run_step_fail (step, code == CB_RUN_ERROR_CANCELLED ? CB_RUN_STEP_STATE_CANCELLED
                                                         : CB_RUN_STEP_STATE_FAILED,
                    code == CB_RUN_ERROR_CANCELLED ? "cancelled" : cause->message);
  journal_end_step (self, step, code == CB_RUN_ERROR_CANCELLED ? CB_JOURNAL_RESULT_CANCELLED
                                                               : CB_JOURNAL_RESULT_FAIL);
  emit_step_changed (self, step);

  if (!journal_end_run (self, code == CB_RUN_ERROR_CANCELLED ? CB_JOURNAL_RESULT_CANCELLED
                                                             : CB_JOURNAL_RESULT_FAIL,
                        error, &journal_error))
    g_warning ("Could not journal the end of the run on %s: %s", self->port,
               journal_error->message);

  finish_run (self, error);
}

/* Makes kind the current step and journals its start; FALSE when the journal could not. */
static gboolean
enter_step (CbProvisioningRun  *self,
            CbRunStepKind       kind,
            GError            **error)
{
  CbRunStep *step;

  self->current = kind;
  step = cb_provisioning_run_current_step (self);
  cb_run_step_begin (step);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_STEP]);
  emit_step_changed (self, step);
  cb_protocol_log_add_note (self->protocol_log, "step %s", cb_run_step_kind_to_name (kind));

  return journal_begin_step (self, step, error);
}

static void
start_step (CbProvisioningRun *self,
            CbRunStepKind      kind)
{
  GError *error = NULL;

  if (!enter_step (self, kind, &error))
    {
      cb_provisioning_run_fail (self, error);
      return;
    }

  run_step (self);
}

static void
end_step (CbProvisioningRun *self,
          CbRunStepState     state,
          const char        *detail)
{
  CbRunStep *step = cb_provisioning_run_current_step (self);

  cb_run_step_end (step, state, detail);
  /* The journal's steps table knows no "not applicable": such a step is journaled as skipped,
   * its detail starting "not applicable:" (never as passed). */
  journal_end_step (self, step, state == CB_RUN_STEP_STATE_PASSED ? CB_JOURNAL_RESULT_PASS
                                                                  : CB_JOURNAL_RESULT_SKIPPED);
  emit_step_changed (self, step);
}

/* The current step cannot be done on this device: "not applicable" with the driver's reason. */
void
cb_provisioning_run_step_not_applicable (CbProvisioningRun *self,
                                         const char        *reason)
{
  cb_protocol_log_add_note (self->protocol_log, "step %s: not applicable: %s",
                            cb_run_step_kind_to_name (self->current), reason);
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_NOT_APPLICABLE, reason);
}

/* The current step succeeded: on to the next one, unless the run was cancelled meanwhile. */
void
cb_provisioning_run_step_passed (CbProvisioningRun *self,
                                 CbRunStepState     state,
                                 const char        *detail)
{
  GError *error = NULL;

  /* This step's end and the next one's start go in the turn's transaction (see
   * cb_provisioning_run_journal). */
  end_step (self, state, detail);

  if (self->current + 1 >= CB_RUN_N_STEPS || g_cancellable_is_cancelled (self->cancellable))
    {
      if (self->current + 1 >= CB_RUN_N_STEPS)
        finish_run (self, NULL);
      else
        {
          self->current++;
          cb_provisioning_run_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
        }
      return;
    }

  if (!enter_step (self, self->current + 1, &error))
    {
      cb_provisioning_run_fail (self, error);
      return;
    }

  run_step (self);
}

static gboolean
retry_cb (gpointer user_data)
{
  CbProvisioningRun *self = user_data;

  self->retry_source = 0;
  if (g_cancellable_is_cancelled (self->cancellable))
    cb_provisioning_run_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  else
    run_step (self);

  return G_SOURCE_REMOVE;
}

/* The current step's attempt failed: try again when that can help, else end the run. */
void
cb_provisioning_run_step_error (CbProvisioningRun *self,
                                GError            *error)   /* (transfer full) */
{
  CbRunStep *step = cb_provisioning_run_current_step (self);

  if (!cb_provisioning_run_error_is_cancelled (error) && cb_provisioning_run_error_is_transient (error) &&
      cb_run_step_get_attempts (step) < self->config->max_attempts &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      g_debug ("%s: %s, attempt %u: %s", self->port, cb_run_step_kind_to_name (self->current),
               cb_run_step_get_attempts (step), error->message);
      cb_protocol_log_add_note (self->protocol_log, "step %s: attempt %u failed, trying again: %s",
                                cb_run_step_kind_to_name (self->current),
                                cb_run_step_get_attempts (step),
                                error->message);
      cb_run_step_add_attempt (step);
      emit_step_changed (self, step);
      g_error_free (error);
      self->retry_source = g_timeout_add (200 * (cb_run_step_get_attempts (step) - 1), retry_cb,
                                          self);
      return;
    }

  cb_provisioning_run_fail (self, error);
}

/* ---- journal ---------------------------------------------------------------------------- */

static void
do_journal (CbProvisioningRun *self)
{
  GError *error = NULL;

  if (cb_provisioning_run_journal (self) == NULL)
    {
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_SKIPPED, "no journal on this station");
      return;
    }

  if (!journal_end_run (self, CB_JOURNAL_RESULT_PASS, NULL, &error))
    {
      /* The end row could not be written; the next open marks the run interrupted at
       * "journal", which is the truth. */
      GError *wrapped = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_JOURNAL,
                                     "The run's end could not be journaled: %s", error->message);
      CbRunStep *step = cb_provisioning_run_current_step (self);
      g_autofree char *message = g_strdup_printf ("%s: %s (the device already holds the new "
                                                  "certificate)",
                                                  cb_run_step_kind_to_name (self->current),
                                                  wrapped->message);

      g_error_free (error);
      cb_run_step_fail (step, CB_RUN_STEP_STATE_FAILED, wrapped->message);
      emit_step_changed (self, step);
      g_free (wrapped->message);
      wrapped->message = g_steal_pointer (&message);
      finish_run (self, wrapped);
      return;
    }

  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, "run and steps recorded");
}

static void
run_step (CbProvisioningRun *self)
{
  static void (* const funcs[CB_RUN_N_STEPS]) (CbProvisioningRun *) = {
    [CB_RUN_STEP_IDENTIFY] = cb_provisioning_run_do_identify,
    [CB_RUN_STEP_KEYGEN] = cb_provisioning_run_do_keygen,
    [CB_RUN_STEP_CSR] = cb_provisioning_run_do_csr,
    [CB_RUN_STEP_REGISTER] = cb_provisioning_run_do_register,
    [CB_RUN_STEP_CHECK_CHAIN] = cb_provisioning_run_do_check_chain,
    [CB_RUN_STEP_INSTALL] = cb_provisioning_run_do_install,
    [CB_RUN_STEP_COMMIT] = cb_provisioning_run_do_commit,
    [CB_RUN_STEP_READ_BACK] = cb_provisioning_run_do_read_back,
    [CB_RUN_STEP_PROOF_OF_POSSESSION] = cb_provisioning_run_do_proof_of_possession,
    [CB_RUN_STEP_HUB_CONNECT] = cb_provisioning_run_do_hub_connect,
    [CB_RUN_STEP_JOURNAL] = do_journal,
  };

  g_assert (self->current < CB_RUN_N_STEPS);
  funcs[self->current] (self);
}

static void
caller_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  CbProvisioningRun *self = user_data;

  g_cancellable_cancel (self->cancellable);
}

void
cb_provisioning_run_run_async (CbProvisioningRun   *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (CB_IS_PROVISIONING_RUN (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_provisioning_run_run_async);
  /* The run reports its own cancellation in the result; the task must still return it. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->running || self->done)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A provisioning run runs only once");
      return;
    }

  self->task = g_steal_pointer (&task);
  self->running = TRUE;
  self->started = g_get_real_time ();
  self->current = CB_RUN_STEP_IDENTIFY;
  if (cancellable != NULL)
    {
      self->caller_cancellable = g_object_ref (cancellable);
      self->caller_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                      self, NULL);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  self->protocol_log = cb_protocol_log_new ();
  cb_device_driver_attach_protocol_log (self->driver, self->protocol_log);

  if (self->config->journal != NULL)
    {
      CbJournalRunStart start = {
        .station = self->config->station,
        .operator_name = self->config->operator_name,
        .port = self->port,
        .profile = cb_profile_get_name (self->config->profile),
        .policy = cb_provisioning_config_get_policy_name (self->config),
      };

      /* The run's row is committed before the run talks to the device (its first step only
       * reads, so its start waits for the next commit: journal_begin_step). */
      cb_journal_defer_commit (self->config->journal);
      self->journal_run = cb_journal_begin_run (self->config->journal, &start, &error);
      if (self->journal_run == 0)
        {
          GError *wrapped = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_JOURNAL,
                                         "journal: the run could not be journaled, so it was not "
                                         "started: %s", error->message);
          g_error_free (error);
          self->current = CB_RUN_STEP_JOURNAL;
          finish_run (self, wrapped);
          return;
        }
    }

  start_step (self, CB_RUN_STEP_IDENTIFY);
}

CbRunResult *
cb_provisioning_run_run_finish (CbProvisioningRun  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
