/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-csr.h"
#include "cb-error.h"
#include "cb-protocol-log.h"
#include "cb-provisioning-config-private.h"
#include "cb-provisioning-run.h"
#include "cb-registration-template.h"
#include "cb-run-result-private.h"
#include "cb-run-step-private.h"
#include "cb-sandbox-client.h"
#include "cb-sas.h"
#include "cb-util.h"
#include "cb-x509-chain.h"

G_DEFINE_QUARK (cb-run-error-quark, cb_run_error)

/* A leaf may be back-dated by the CA (the sandbox does 5 minutes) and rounded to the minute. */
#define VALIDITY_BACKDATE_TOLERANCE (3600)
#define VALIDITY_ROUNDING_TOLERANCE (120)

static GBytes *
sha256_of (GBytes *bytes)
{
  guint8 digest[32];
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  gnutls_hash_fast (GNUTLS_DIG_SHA256, data, len, digest);
  return g_bytes_new (digest, sizeof digest);
}

/* ---- CbProvisioningRun ------------------------------------------------------------------ */

struct _CbProvisioningRun
{
  GObject               parent_instance;

  /* Owned */
  CbProvisioningConfig *config;
  CbBenchClient        *bench;
  char                 *port;
  char                 *registration_id_override;
  GListStore           *steps;
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
  GBytes               *challenge;
  /* hub-connect */
  gint64                hub_deadline;     /* monotonic */
  gint64                hub_sent;         /* unix seconds, when hub_config went out */
  gboolean              hub_saw_progress; /* a state after hub_config that is not final */
  char                 *hub_last;         /* the device's last state, for a timeout message */
  char                 *hub_twin_note;    /* why the twin did not match yet */
};

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
  g_clear_object (&self->bench);
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
  self->steps = g_list_store_new (CB_TYPE_RUN_STEP);
  for (guint i = 0; i < CB_RUN_N_STEPS; i++)
    {
      g_autoptr(CbRunStep) step = cb_run_step_new (i);
      g_list_store_append (self->steps, step);
    }
  self->current = CB_RUN_STEP_IDENTIFY;
  self->cancellable = g_cancellable_new ();
}

CbProvisioningRun *
cb_provisioning_run_new (CbProvisioningConfig *config,
                         CbBenchClient        *bench,
                         const char           *port)
{
  CbProvisioningRun *self;

  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (config), NULL);
  g_return_val_if_fail (CB_IS_BENCH_CLIENT (bench), NULL);

  self = g_object_new (CB_TYPE_PROVISIONING_RUN, NULL);
  self->config = g_object_ref (config);
  self->bench = g_object_ref (bench);
  if (port != NULL)
    self->port = g_strdup (port);
  else
    self->port = g_strdup (cb_serial_port_get_path (
                             cb_smp_transport_get_port (cb_bench_client_get_transport (bench))));

  return self;
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
  CbRunStep *step;

  g_return_val_if_fail (CB_IS_PROVISIONING_RUN (self), NULL);
  g_return_val_if_fail ((guint) kind < CB_RUN_N_STEPS, NULL);

  /* The store keeps a reference, so handing out a borrowed one is safe. */
  step = g_list_model_get_item (G_LIST_MODEL (self->steps), kind);
  g_object_unref (step);
  return step;
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

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Worth another try: the link or the service hiccuped, nothing was decided. */
static gboolean
is_transient (const GError *error)
{
  if (error->domain == CB_SMP_ERROR)
    return error->code == CB_SMP_ERROR_TIMEOUT ||
           error->code == CB_SMP_ERROR_PROTOCOL ||
           (error->code == CB_SMP_ERROR_GENERIC_RC && cb_smp_error_get_rc (error) == 10) ||
           (error->code == CB_SMP_ERROR_GROUP_RC &&
            (cb_smp_error_get_rc (error) == CBP_RC_DPS_BUSY ||
             cb_smp_error_get_rc (error) == CBP_RC_STORAGE));

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
  if (is_cancelled (error))
    return CB_RUN_ERROR_CANCELLED;
  if (error->domain == CB_RUN_ERROR)
    return error->code;
  if (error->domain == CB_SMP_ERROR)
    return error->code == CB_SMP_ERROR_TIMEOUT ? CB_RUN_ERROR_DEVICE_GONE : CB_RUN_ERROR_DEVICE;
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

/* ---- Journal ---------------------------------------------------------------------------- */

static CbJournal *
journal (CbProvisioningRun *self)
{
  return self->journal_run > 0 ? self->config->journal : NULL;
}

static gboolean
journal_begin_step (CbProvisioningRun  *self,
                    CbRunStep          *step,
                    GError            **error)
{
  gint64 journal_id;

  if (journal (self) == NULL)
    return TRUE;

  journal_id = cb_journal_begin_step (journal (self), self->journal_run,
                                      cb_run_step_get_name (step),
                                      cb_run_step_get_started (step), error);
  cb_run_step_set_journal_id (step, journal_id);
  return journal_id > 0;
}

static void
journal_end_step (CbProvisioningRun *self,
                  CbRunStep         *step,
                  CbJournalResult    result)
{
  const char *step_detail = cb_run_step_get_detail (step);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;

  if (journal (self) == NULL || cb_run_step_get_journal_id (step) == 0)
    return;

  /* Retries are part of the record: a unit that needed three tries is worth knowing about. */
  if (cb_run_step_get_attempts (step) > 1)
    detail = g_strdup_printf ("%s%s(%u attempts)", step_detail ? step_detail : "",
                              step_detail ? " " : "", cb_run_step_get_attempts (step));

  if (!cb_journal_end_step (journal (self), cb_run_step_get_journal_id (step), result,
                            cb_run_step_get_error (step), detail ? detail : step_detail,
                            cb_run_step_get_ended (step), &error))
    g_warning ("Could not journal the end of step %s: %s",
               cb_run_step_get_name (step), error->message);
}

/* A leaf whose commit answer was lost, once a read-back told what became of it. */
static void
journal_resolve_leaf (CbProvisioningRun  *self,
                      gint64              run_id,
                      CbJournalLeafState  state)
{
  g_autoptr(GError) error = NULL;

  if (self->config->journal != NULL && run_id > 0 &&
      !cb_journal_resolve_leaf (self->config->journal, run_id, state, &error))
    g_warning ("Could not journal what became of run %" G_GINT64_FORMAT "'s leaf: %s", run_id,
               error->message);
}

/* ---- The state machine ------------------------------------------------------------------ */

static CbRunStep *
current_step (CbProvisioningRun *self)
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

  g_assert (!self->done);

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
    cb_protocol_log_detach (self->protocol_log);

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

  if (journal (self) == NULL)
    return TRUE;

  /* The log goes in before the end row, so a run that has ended has its log. Losing the log
   * does not fail the run: the end row is the record. */
  if (self->protocol_log != NULL)
    {
      g_autofree char *log = NULL;
      g_autoptr(GError) log_error = NULL;

      cb_protocol_log_detach (self->protocol_log);
      log = cb_protocol_log_to_text (self->protocol_log);
      if (!cb_journal_add_protocol_log (journal (self), self->journal_run, log, &log_error))
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

  return cb_journal_end_run (journal (self), self->journal_run, &end, error);
}

/* Ends the run at the current step with error (which names the cause, not the step). */
static void
fail_run (CbProvisioningRun *self,
          GError            *cause)   /* (transfer full) */
{
  g_autoptr(GError) owned_cause = cause;
  CbRunStep *step = current_step (self);
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

static void
start_step (CbProvisioningRun *self,
            CbRunStepKind      kind)
{
  CbRunStep *step;
  GError *error = NULL;

  self->current = kind;
  step = current_step (self);
  cb_run_step_begin (step);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_STEP]);
  emit_step_changed (self, step);
  cb_protocol_log_add_note (self->protocol_log, "step %s", cb_run_step_kind_to_name (kind));

  if (!journal_begin_step (self, step, &error))
    {
      fail_run (self, error);
      return;
    }

  run_step (self);
}

static void
end_step (CbProvisioningRun *self,
          CbRunStepState     state,
          const char        *detail)
{
  CbRunStep *step = current_step (self);

  cb_run_step_end (step, state, detail);
  journal_end_step (self, step, state == CB_RUN_STEP_STATE_SKIPPED ? CB_JOURNAL_RESULT_SKIPPED
                                                                   : CB_JOURNAL_RESULT_PASS);
  emit_step_changed (self, step);
}

/* The current step succeeded: on to the next one, unless the run was cancelled meanwhile. */
static void
step_passed (CbProvisioningRun *self,
             CbRunStepState     state,
             const char        *detail)
{
  end_step (self, state, detail);

  if (self->current + 1 >= CB_RUN_N_STEPS)
    {
      finish_run (self, NULL);
      return;
    }

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      self->current++;
      fail_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
      return;
    }

  start_step (self, self->current + 1);
}

static gboolean
retry_cb (gpointer user_data)
{
  CbProvisioningRun *self = user_data;

  self->retry_source = 0;
  if (g_cancellable_is_cancelled (self->cancellable))
    fail_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  else
    run_step (self);

  return G_SOURCE_REMOVE;
}

/* The current step's attempt failed: try again when that can help, else end the run. */
static void
step_error (CbProvisioningRun *self,
            GError            *error)   /* (transfer full) */
{
  CbRunStep *step = current_step (self);

  if (!is_cancelled (error) && is_transient (error) &&
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

  fail_run (self, error);
}

#define CHECK_FAILED(...) g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CHECK, __VA_ARGS__)

/* ---- identify --------------------------------------------------------------------------- */

static void
identify_passed (CbProvisioningRun *self,
                 const char        *note)
{
  g_autofree char *detail = NULL;

  detail = g_strdup_printf ("serial %s, model %s, firmware %s → registration id %s%s%s",
                            cb_device_info_get_serial (self->info),
                            cb_device_info_get_model (self->info)
                              ? cb_device_info_get_model (self->info) : "?",
                            cb_device_info_get_firmware (self->info)
                              ? cb_device_info_get_firmware (self->info) : "?",
                            self->registration_id, note != NULL ? "; " : "",
                            note != NULL ? note : "");
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

/* The read-back of a chain that an earlier run sent and never heard back about. */
static void
identify_read_back_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) active = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autofree char *note = NULL;
  GError *error = NULL;
  gboolean installed;

  active = cb_bench_client_get_chain_finish (CB_BENCH_CLIENT (object), result, &error);
  if (active == NULL && !g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC))
    {
      step_error (self, error);
      return;
    }
  g_clear_error (&error);

  /* No active chain, or one whose leaf is another: the sent leaf did not take. */
  if (active != NULL)
    chain = cb_provisioning_split_chain (active, NULL);
  installed = chain != NULL && chain->len > 0 &&
              g_strcmp0 (cb_certificate_get_sha256_fingerprint (g_ptr_array_index (chain, 0)),
                         self->sent_fingerprint) == 0;
  journal_resolve_leaf (self, self->sent_run, installed ? CB_JOURNAL_LEAF_INSTALLED
                                                        : CB_JOURNAL_LEAF_NOT_INSTALLED);
  note = g_strdup_printf ("the leaf of run %" G_GINT64_FORMAT ", whose commit answer was lost, "
                          "is %s", self->sent_run,
                          installed ? "installed" : "not installed");
  identify_passed (self, note);
}

static void
identify_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDeviceInfo) info = NULL;
  GError *error = NULL;
  CbJournalDevice device;

  info = cb_bench_client_identify_finish (CB_BENCH_CLIENT (object), result, &error);
  if (info == NULL)
    {
      step_error (self, error);
      return;
    }
  g_set_object (&self->info, info);

  if (!cb_device_info_supports_key_type (info, self->config->key_type))
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                     "The device cannot make %s keys, which this station uses",
                                     self->config->key_type));
      return;
    }

  g_clear_pointer (&self->registration_id, g_free);
  if (self->registration_id_override != NULL)
    self->registration_id = cb_registration_id_normalize (self->registration_id_override, &error);
  else
    self->registration_id = cb_registration_template_expand (self->config->template_text,
                                                             cb_device_info_get_serial (info),
                                                             cb_device_info_get_model (info),
                                                             cb_device_info_get_firmware (info),
                                                             &error);
  if (self->registration_id == NULL)
    {
      step_error (self, error);
      return;
    }

  if (journal (self) != NULL)
    {
      device = (CbJournalDevice) {
        .serial = cb_device_info_get_serial (info),
        .model = cb_device_info_get_model (info),
        .firmware = cb_device_info_get_firmware (info),
        .registration_id = self->registration_id,
      };
      if (!cb_journal_set_device (journal (self), self->journal_run, &device, &error))
        {
          fail_run (self, error);
          return;
        }
    }

  /* An earlier run lost a commit's answer on this device: its chain tells what happened. */
  g_clear_pointer (&self->sent_fingerprint, g_free);
  self->sent_run = journal (self) != NULL
                   ? cb_journal_find_sent_leaf (journal (self), cb_device_info_get_serial (info),
                                                &self->sent_fingerprint, NULL)
                   : 0;
  if (self->sent_run > 0)
    {
      cb_bench_client_get_chain_async (self->bench, NULL, self->cancellable,
                                       identify_read_back_cb, g_object_ref (self));
      return;
    }

  identify_passed (self, NULL);
}

static void
do_identify (CbProvisioningRun *self)
{
  cb_bench_client_identify_async (self->bench, self->cancellable, identify_cb,
                                  g_object_ref (self));
}

/* ---- keygen ----------------------------------------------------------------------------- */

static void
keygen_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbKeygenResult) keygen = NULL;
  g_autofree char *detail = NULL;
  GError *error = NULL;
  CbKeyType type;

  keygen = cb_bench_client_keygen_finish (CB_BENCH_CLIENT (object), result, &error);
  if (keygen == NULL)
    {
      step_error (self, error);
      return;
    }

  type = cb_pki_key_type_from_spki (keygen->public_key);
  if ((g_strcmp0 (self->config->key_type, CBP_KEY_TYPE_P256) == 0 && type != CB_KEY_TYPE_EC_P256) ||
      (g_strcmp0 (self->config->key_type, CBP_KEY_TYPE_P384) == 0 && type != CB_KEY_TYPE_EC_P384))
    {
      step_error (self, CHECK_FAILED ("The device made a %s key where %s was asked for",
                                      cb_key_type_to_string (type), self->config->key_type));
      return;
    }

  g_clear_pointer (&self->key_pub, g_bytes_unref);
  self->key_pub = g_bytes_ref (keygen->public_key);
  self->key_created = keygen->created;

  detail = g_strdup_printf ("%s, %s", cb_key_type_to_string (type),
                            keygen->created ? "new key" : "the device's existing key");
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
do_keygen (CbProvisioningRun *self)
{
  /* A device that has a key gets a new "next" key: its current key and certificate stay in use
   * until commit, so a failed run leaves it as it was. Each run gets a fresh key pair. */
  gboolean replace = cb_device_info_get_key_type (self->info) != NULL ||
                     cb_device_info_get_has_active_chain (self->info);

  cb_bench_client_keygen_async (self->bench, self->config->key_type, replace, self->cancellable,
                                keygen_cb, g_object_ref (self));
}

/* ---- csr -------------------------------------------------------------------------------- */

static void
csr_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autofree char *detail = NULL;
  GError *error = NULL;

  der = cb_bench_client_csr_finish (CB_BENCH_CLIENT (object), result, &error);
  if (der == NULL)
    {
      step_error (self, error);
      return;
    }

  csr = cb_csr_new_from_der (der, &error);
  if (csr == NULL)
    {
      GError *wrapped = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                     "The device's CSR cannot be read: %s", error->message);
      g_error_free (error);
      step_error (self, wrapped);
      return;
    }

  /* Signature, EC curve, CN = registration id, public key = the key keygen reported. */
  if (!cb_csr_check (csr, self->registration_id, self->key_pub, &error))
    {
      GError *wrapped = CHECK_FAILED ("The device's CSR fails a check: %s", error->message);
      g_error_free (error);
      step_error (self, wrapped);
      return;
    }

  g_clear_pointer (&self->csr_der, g_bytes_unref);
  g_clear_pointer (&self->csr_pub, g_bytes_unref);
  self->csr_der = g_bytes_ref (der);
  self->csr_pub = cb_csr_get_public_key_der (csr);

  detail = g_strdup_printf ("CN=%s, %s, signature valid, key matches keygen",
                            cb_csr_get_common_name (csr),
                            cb_key_type_to_string (cb_csr_get_key_type (csr)));
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
do_csr (CbProvisioningRun *self)
{
  cb_bench_client_csr_async (self->bench, self->registration_id, self->cancellable, csr_cb,
                             g_object_ref (self));
}

/* ---- register --------------------------------------------------------------------------- */

static gboolean
take_chain_blob (CbProvisioningRun  *self,
                 GBytes             *blob,
                 GError            **error)
{
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) local_error = NULL;

  chain = cb_provisioning_split_chain (blob, &local_error);
  if (chain == NULL)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The issued chain cannot be read: %s", local_error->message);
      return FALSE;
    }

  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_pointer (&self->chain_blob, g_bytes_unref);
  g_clear_pointer (&self->chain_sha, g_bytes_unref);
  self->chain = g_steal_pointer (&chain);
  self->chain_blob = g_bytes_ref (blob);
  self->chain_sha = sha256_of (blob);
  return TRUE;
}

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDpsRegistration) registration = NULL;
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *detail = NULL;
  GPtrArray *issued;
  GError *error = NULL;

  registration = cb_dps_client_register_finish (CB_DPS_CLIENT (object), result, &error);
  if (registration == NULL)
    {
      step_error (self, error);
      return;
    }

  issued = cb_dps_registration_get_issued_chain (registration);
  if (issued == NULL || issued->len == 0)
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                     "DPS assigned the device but returned no certificate chain "
                                     "(is the enrollment linked to a credential policy?)"));
      return;
    }

  for (guint i = 0; i < issued->len; i++)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (issued, i), &len);
      g_byte_array_append (blob, data, len);
    }
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&blob));

  if (!take_chain_blob (self, bytes, &error))
    {
      step_error (self, error);
      return;
    }

  cb_set_str (&self->hub, cb_dps_registration_get_assigned_hub (registration));
  cb_set_str (&self->device_id, cb_dps_registration_get_device_id (registration));

  detail = g_strdup_printf ("assigned to %s as %s, chain of %u (%" G_GSIZE_FORMAT " bytes)",
                            self->hub ? self->hub : "?", self->device_id ? self->device_id : "?",
                            self->chain->len, g_bytes_get_size (self->chain_blob));
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

/* Device self-registration: dps_config, dps_register, then dps_status until a result, then the
 * staged chain is read back. */

static void device_poll (CbProvisioningRun *self);

static void
device_staging_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) blob = NULL;
  g_autofree char *detail = NULL;
  GBytes *expected_sha = g_object_get_data (G_OBJECT (self), "cb-device-sha");
  GError *error = NULL;

  blob = cb_bench_client_get_chain_finish (CB_BENCH_CLIENT (object), result, &error);
  if (blob == NULL)
    {
      step_error (self, error);
      return;
    }

  if (!take_chain_blob (self, blob, &error))
    {
      step_error (self, error);
      return;
    }

  if (expected_sha != NULL && !g_bytes_equal (expected_sha, self->chain_sha))
    {
      step_error (self, CHECK_FAILED ("The staged chain is not the one the device's DPS "
                                      "registration reported (SHA-256 differs)"));
      return;
    }

  detail = g_strdup_printf ("the device registered itself: assigned to %s as %s, chain of %u",
                            self->hub ? self->hub : "?", self->device_id ? self->device_id : "?",
                            self->chain->len);
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static gboolean
device_poll_timeout_cb (gpointer user_data)
{
  CbProvisioningRun *self = user_data;

  self->poll_source = 0;
  if (g_cancellable_is_cancelled (self->cancellable))
    fail_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  else
    device_poll (self);

  return G_SOURCE_REMOVE;
}

static void
device_status_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDpsStatus) status = NULL;
  GError *error = NULL;

  status = cb_bench_client_dps_status_finish (CB_BENCH_CLIENT (object), result, &error);
  if (status == NULL)
    {
      step_error (self, error);
      return;
    }

  if (g_strcmp0 (status->state, "assigned") == 0)
    {
      cb_set_str (&self->hub, status->hub);
      cb_set_str (&self->device_id, status->device_id);
      if (status->sha256 != NULL)
        g_object_set_data_full (G_OBJECT (self), "cb-device-sha", g_bytes_ref (status->sha256),
                                (GDestroyNotify) g_bytes_unref);
      cb_bench_client_get_chain_async (self->bench, "staging", self->cancellable,
                                       device_staging_cb, g_object_ref (self));
      return;
    }

  if (g_strcmp0 (status->state, "failed") == 0)
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                     "The device's own DPS registration failed: %s",
                                     status->error ? status->error : "no reason given"));
      return;
    }

  if (g_get_monotonic_time () > self->dps_deadline)
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                     "The device's own DPS registration gave no result within "
                                     "%u s (state %s)", self->config->device_dps_timeout,
                                     status->state ? status->state : "?"));
      return;
    }

  self->poll_source = g_timeout_add (self->config->device_dps_poll_ms, device_poll_timeout_cb,
                                     self);
}

static void
device_poll (CbProvisioningRun *self)
{
  cb_bench_client_dps_status_async (self->bench, self->cancellable, device_status_cb,
                                    g_object_ref (self));
}

static void
device_register_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autofree char *state = NULL;
  GError *error = NULL;

  state = cb_bench_client_dps_register_finish (CB_BENCH_CLIENT (object), result, &error);
  if (state == NULL)
    {
      step_error (self, error);
      return;
    }

  self->dps_deadline = g_get_monotonic_time () +
                       (gint64) self->config->device_dps_timeout * G_USEC_PER_SEC;
  device_poll (self);
}

static void
device_config_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  GError *error = NULL;

  if (!cb_bench_client_dps_config_finish (CB_BENCH_CLIENT (object), result, &error))
    {
      step_error (self, error);
      return;
    }

  cb_bench_client_dps_register_async (self->bench, self->cancellable, device_register_cb,
                                      g_object_ref (self));
}

static void
do_register (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;
  GError *error = NULL;

  if (self->config->group_key == NULL)
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                                     "No enrollment group key is set for profile “%s”",
                                     cb_profile_get_name (profile)));
      return;
    }

  if (self->config->mode == CB_REGISTRATION_MODE_DEVICE)
    {
      char *device_key = cb_sas_derive_device_key (self->config->group_key, self->registration_id,
                                                   &error);

      if (device_key == NULL)
        {
          step_error (self, error);
          return;
        }

      g_object_set_data (G_OBJECT (self), "cb-device-sha", NULL);
      cb_bench_client_dps_config_async (self->bench, cb_profile_get_dps_id_scope (profile),
                                        self->registration_id, device_key,
                                        cb_profile_get_dps_global_endpoint (profile),
                                        cb_profile_get_pinned_ca_file (profile),
                                        self->cancellable, device_config_cb, g_object_ref (self));
      cb_wipe_string (&device_key);
      return;
    }

  if (self->config->dps == NULL)
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                                     "This station has no DPS client"));
      return;
    }

  cb_dps_client_register_async (self->config->dps, self->registration_id, self->config->group_key,
                                CB_DPS_KEY_ENROLLMENT_GROUP, self->csr_der, NULL,
                                self->cancellable, register_cb, g_object_ref (self));
}

/* ---- check-chain ------------------------------------------------------------------------ */

static gboolean
hub_trusts (CbServiceFacts  *facts,
            CbCertificate *issuer)
{
  for (guint i = 0; i < facts->hub_cas->len; i++)
    if (cb_certificate_equal (g_ptr_array_index (facts->hub_cas, i), issuer))
      return TRUE;
  return FALSE;
}

/* Everything but the hub check: pure, on what the run has. */
static gboolean
check_chain (CbProvisioningRun  *self,
             CbServiceFacts       *facts,
             GString            *detail,
             GError            **error)
{
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(GError) local_error = NULL;
  CbCertificate *leaf, *root;
  gint64 lifetime, expected, now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) leaf_pub = NULL;
  g_autofree char *until = NULL;

  if (self->chain->len < 2)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The chain has %u certificate(s); DPS returns the leaf, the issuing CA and "
                   "the namespace root", self->chain->len);
      return FALSE;
    }

  leaf = g_ptr_array_index (self->chain, 0);
  root = g_ptr_array_index (self->chain, self->chain->len - 1);

  leaf_pub = cb_certificate_get_public_key_der (leaf);
  if (leaf_pub == NULL || self->csr_pub == NULL || !g_bytes_equal (leaf_pub, self->csr_pub))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The leaf certificate's public key is not the key of the device's CSR");
      return FALSE;
    }

  if (g_strcmp0 (cb_certificate_get_common_name (leaf), self->registration_id) != 0)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The leaf certificate is for CN “%s”, not for “%s”",
                   cb_certificate_get_common_name (leaf), self->registration_id);
      return FALSE;
    }

  /* The namespace root: the last element DPS returned (over TLS that was verified against the
   * pinned or system trust), or, when the station pins one, exactly that root. */
  if (!cb_certificate_is_ca (root) || !cb_certificate_is_issued_by (root, root))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The chain does not end at a root CA (%s is not a self-signed CA)",
                   cb_certificate_get_subject (root));
      return FALSE;
    }
  if (self->config->trusted_root != NULL &&
      !cb_certificate_equal (root, self->config->trusted_root))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The chain ends at %s (SHA-256 %s), not at the namespace root this station "
                   "pins (SHA-256 %s)", cb_certificate_get_subject (root),
                   cb_certificate_get_sha256_fingerprint (root),
                   cb_certificate_get_sha256_fingerprint (self->config->trusted_root));
      return FALSE;
    }

  g_ptr_array_add (anchors, root);
  if (!cb_x509_verify_chain (self->chain, anchors, now, &local_error))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK, "The chain does not verify: %s",
                   local_error->message);
      return FALSE;
    }

  if (facts->validity_days == 0)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                   "The policy's validity is unknown, so the leaf's cannot be checked (%s; give "
                   "the policy's validityPeriodInDays in the station configuration)",
                   facts->validity_note ? facts->validity_note : "no source");
      return FALSE;
    }

  lifetime = cb_certificate_get_not_after (leaf) - cb_certificate_get_not_before (leaf);
  expected = (gint64) facts->validity_days * 86400;
  if (lifetime < expected - VALIDITY_ROUNDING_TOLERANCE ||
      lifetime > expected + VALIDITY_BACKDATE_TOLERANCE + VALIDITY_ROUNDING_TOLERANCE)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The leaf is valid for %.2f days; policy “%s” says %u days (%s)",
                   lifetime / 86400.0, cb_provisioning_config_get_policy_name (self->config),
                   facts->validity_days, facts->validity_source);
      return FALSE;
    }

  until = cb_time_format_fixed (cb_certificate_get_not_after (leaf));
  g_string_append_printf (detail, "chain of %u verifies to root %s; leaf key = CSR key, "
                          "CN = %s; valid %u days as policy “%s” says (%s), until %s",
                          self->chain->len, cb_certificate_get_subject (root),
                          self->registration_id, facts->validity_days,
                          cb_provisioning_config_get_policy_name (self->config),
                          facts->validity_source, until);

  return TRUE;
}

static void check_facts_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data);

static void
do_check_chain (CbProvisioningRun *self)
{
  cb_provisioning_config_get_facts_async (self->config, FALSE, check_facts_cb, g_object_ref (self));
}

static void
check_facts_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GString) detail = g_string_new (NULL);
  CbServiceFacts *facts;
  CbCertificate *issuer;
  GError *error = NULL;

  facts = cb_provisioning_config_get_facts_finish (CB_PROVISIONING_CONFIG (object), result);
  g_clear_pointer (&self->facts, cb_service_facts_unref);
  self->facts = facts;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      fail_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
      return;
    }

  if (!check_chain (self, facts, detail, &error))
    {
      step_error (self, error);
      return;
    }

  /* The device will present this chain to the hub: its issuing CA must be one the hub has. */
  issuer = g_ptr_array_index (self->chain, 1);
  if (facts->hub_cas != NULL)
    {
      if (!hub_trusts (facts, issuer))
        {
          /* The list may predate a policy rotation: look once more before saying no. */
          if (!self->facts_refreshed)
            {
              self->facts_refreshed = TRUE;
              cb_provisioning_config_get_facts_async (self->config, TRUE, check_facts_cb, g_object_ref (self));
              return;
            }
          step_error (self, CHECK_FAILED ("The issuing CA %s (SHA-256 %s) is not among hub %s's "
                                          "%u CA certificate(s): the device could not connect",
                                          cb_certificate_get_subject (issuer),
                                          cb_certificate_get_sha256_fingerprint (issuer),
                                          cb_profile_get_hub_name (self->config->profile),
                                          facts->hub_cas->len));
          return;
        }
      g_string_append_printf (detail, "; issuing CA is one of hub %s's CA certificates",
                              cb_profile_get_hub_name (self->config->profile));
    }
  else
    g_string_append_printf (detail, "; hub CA list not checked (%s)",
                            facts->hub_note ? facts->hub_note : "unknown");

  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail->str);
}

/* ---- install ---------------------------------------------------------------------------- */

static void
install_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) sha = NULL;
  g_autofree char *detail = NULL;
  GError *error = NULL;

  sha = cb_bench_client_put_chain_finish (CB_BENCH_CLIENT (object), result, &error);
  if (sha == NULL)
    {
      step_error (self, error);
      return;
    }

  if (!g_bytes_equal (sha, self->chain_sha))
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                     "The staged chain's SHA-256 is not the issued chain's"));
      return;
    }

  detail = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes staged, SHA-256 matches",
                            g_bytes_get_size (self->chain_blob));
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
do_install (CbProvisioningRun *self)
{
  if (self->config->mode == CB_REGISTRATION_MODE_DEVICE)
    {
      step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                   "the device staged the chain itself; its SHA-256 was checked");
      return;
    }

  cb_bench_client_put_chain_async (self->bench, self->chain_blob, self->cancellable, install_cb,
                                   g_object_ref (self));
}

/* ---- commit ----------------------------------------------------------------------------- */

/* Whether a failed commit left the device's state unknown: the request went out (it is not
 * cancellable) and no answer came back. An error answer from the device is a refusal. */
static gboolean
commit_answer_lost (const GError *error)
{
  return !g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC) &&
         !g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC);
}

static void
commit_read_back_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) active = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  GError *cause = g_steal_pointer (&self->commit_error);

  active = cb_bench_client_get_chain_finish (CB_BENCH_CLIENT (object), result, &error);
  if (active == NULL && !g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC))
    {
      /* Still no answer: the outcome stays unknown until the device is back. */
      g_debug ("%s: commit read-back: %s", self->port, error->message);
      fail_run (self, cause);
      return;
    }

  self->commit_unknown = FALSE;
  if (active != NULL && g_bytes_equal (active, self->chain_blob))
    {
      self->device_changed = TRUE;
      journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_INSTALLED);
      detail = g_strdup_printf ("the answer was lost (%s); a read-back shows the new chain "
                                "active", cause->message);
      g_error_free (cause);
      step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }

  journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_NOT_INSTALLED);
  fail_run (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                               "%s; a read-back shows the device kept its previous chain",
                               cause->message));
  g_error_free (cause);
}

/* A commit's answer was lost: the journal gets the leaf as sent (once per run). */
static void
journal_leaf_sent (CbProvisioningRun *self)
{
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  g_autoptr(GError) journal_error = NULL;

  if (self->leaf_sent_journaled)
    return;
  self->leaf_sent_journaled = TRUE;

  if (journal (self) != NULL)
    {
      CbJournalLeaf sent = {
        .device_serial = self->info != NULL ? cb_device_info_get_serial (self->info) : NULL,
        .leaf_serial = cb_certificate_get_serial (leaf),
        .leaf_fingerprint = cb_certificate_get_sha256_fingerprint (leaf),
        .not_before = cb_certificate_get_not_before (leaf),
        .not_after = cb_certificate_get_not_after (leaf),
      };

      if (!cb_journal_leaf_sent (journal (self), self->journal_run, &sent, &journal_error))
        g_warning ("Could not journal the leaf sent to %s: %s", self->port,
                   journal_error->message);
    }
}

/* The commit's answer was lost for good: ask the device which chain it has, in case the link
 * is still there. */
static void
commit_outcome_unknown (CbProvisioningRun *self,
                        GError            *error)   /* (transfer full) */
{
  g_clear_error (&self->commit_error);
  self->commit_error = error;
  /* Not cancellable either: this read-back is what tells which certificate the device has. */
  cb_bench_client_get_chain_async (self->bench, NULL, NULL, commit_read_back_cb,
                                   g_object_ref (self));
}

static void
commit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbCommitResult) commit = NULL;
  g_autofree char *detail = NULL;
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  GError *error = NULL;

  commit = cb_bench_client_commit_finish (CB_BENCH_CLIENT (object), result, &error);
  if (commit == NULL)
    {
      CbRunStep *step = current_step (self);

      /* An error answer means the device refused and kept its chain; no answer at all means
       * nobody knows (the device may have activated the chain just before the link died). */
      self->commit_unknown = commit_answer_lost (error);
      if (self->commit_unknown)
        journal_leaf_sent (self);
      else if (self->leaf_sent_journaled)
        /* A repeat of a commit that happened succeeds: this refusal means it did not. */
        journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_NOT_INSTALLED);
      if (self->commit_unknown &&
          !(is_transient (error) && cb_run_step_get_attempts (step) < self->config->max_attempts &&
            !g_cancellable_is_cancelled (self->cancellable)))
        {
          commit_outcome_unknown (self, error);
          return;
        }
      step_error (self, error);
      return;
    }

  /* From here on the device holds the new pair: the old key is gone by protocol design. */
  self->commit_unknown = FALSE;
  self->device_changed = TRUE;
  /* An earlier attempt's answer was lost; this one's tells. */
  if (self->leaf_sent_journaled)
    journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_INSTALLED);

  if (commit->sha256 == NULL || !g_bytes_equal (commit->sha256, self->chain_sha))
    {
      step_error (self, CHECK_FAILED ("The device activated a chain whose SHA-256 is not the "
                                      "installed chain's"));
      return;
    }
  if (commit->not_before != cb_certificate_get_not_before (leaf) ||
      commit->not_after != cb_certificate_get_not_after (leaf))
    {
      step_error (self, CHECK_FAILED ("The device reports other validity dates for its leaf "
                                      "than the issued certificate has"));
      return;
    }

  detail = g_strdup ("the device activated the chain and its key");
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
do_commit (CbProvisioningRun *self)
{
  /* Not cancellable: once the request is on the wire we wait for the answer, so the run
   * always knows which certificate the device has. */
  cb_bench_client_commit_async (self->bench, self->chain_sha, NULL, commit_cb,
                                g_object_ref (self));
}

/* ---- read-back -------------------------------------------------------------------------- */

static void
read_back_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) active = NULL;
  g_autofree char *detail = NULL;
  GError *error = NULL;

  active = cb_bench_client_get_chain_finish (CB_BENCH_CLIENT (object), result, &error);
  if (active == NULL)
    {
      step_error (self, error);
      return;
    }

  if (!g_bytes_equal (active, self->chain_blob))
    {
      gsize a_len = 0, b_len = 0, at = 0;
      const guint8 *a = g_bytes_get_data (active, &a_len);
      const guint8 *b = g_bytes_get_data (self->chain_blob, &b_len);

      while (at < a_len && at < b_len && a[at] == b[at])
        at++;
      step_error (self, CHECK_FAILED ("The chain read back (%" G_GSIZE_FORMAT " bytes) differs "
                                      "from the one installed (%" G_GSIZE_FORMAT " bytes) from "
                                      "byte %" G_GSIZE_FORMAT " on", a_len, b_len, at));
      return;
    }

  detail = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes, identical", g_bytes_get_size (active));
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
do_read_back (CbProvisioningRun *self)
{
  cb_bench_client_get_chain_async (self->bench, NULL, self->cancellable, read_back_cb,
                                   g_object_ref (self));
}

/* ---- proof of possession ---------------------------------------------------------------- */

static void
pop_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbPopResult) pop = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) leaf_pub = NULL;
  g_autoptr(GError) verify_error = NULL;
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  GError *error = NULL;
  gsize len = 0;
  const guint8 *data;

  pop = cb_bench_client_pop_finish (CB_BENCH_CLIENT (object), result, &error);
  if (pop == NULL)
    {
      step_error (self, error);
      return;
    }

  /* Verified with the leaf's key, not with whatever key the device says it used. */
  leaf_pub = cb_certificate_get_public_key_der (leaf);
  message = cb_bench_pop_message (self->challenge);
  data = g_bytes_get_data (message, &len);
  if (!cb_pki_verify_signature (leaf_pub, data, len, pop->signature, &verify_error))
    {
      step_error (self, CHECK_FAILED ("The device's signature over the challenge does not verify "
                                      "with the certificate's key: %s", verify_error->message));
      return;
    }

  step_passed (self, CB_RUN_STEP_STATE_PASSED,
               "32-byte random challenge signed by the device, verified with the leaf's key");
}

static void
do_proof_of_possession (CbProvisioningRun *self)
{
  guint8 challenge[CBP_CHALLENGE_LEN];

  if (gnutls_rnd (GNUTLS_RND_NONCE, challenge, sizeof challenge) != 0)
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_FAILED,
                                     "No random bytes for the challenge"));
      return;
    }

  g_clear_pointer (&self->challenge, g_bytes_unref);
  self->challenge = g_bytes_new (challenge, sizeof challenge);
  cb_bench_client_pop_async (self->bench, self->challenge, self->cancellable, pop_cb,
                             g_object_ref (self));
}

/* ---- hub-connect ------------------------------------------------------------------------ */

/* A device that answers not_supported has no network at the bench: nothing to check. */
static gboolean
is_not_supported (const GError *error)
{
  return (g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC) &&
          cb_smp_error_get_rc (error) == CBP_RC_NOT_SUPPORTED) ||
         (g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC) &&
          cb_smp_error_get_rc (error) == CBP_SMP_RC_NOT_SUPPORTED);
}

static void hub_poll (CbProvisioningRun *self);

static gboolean
hub_poll_timeout_cb (gpointer user_data)
{
  CbProvisioningRun *self = user_data;

  self->poll_source = 0;
  if (g_cancellable_is_cancelled (self->cancellable))
    fail_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  else
    hub_poll (self);

  return G_SOURCE_REMOVE;
}

/* Asks again after the poll interval, or gives up at the deadline with what was seen last. */
static void
hub_poll_later (CbProvisioningRun *self)
{
  if (g_get_monotonic_time () > self->hub_deadline)
    {
      if (self->hub_twin_note != NULL)
        step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                       "The device connected to %s, but within %u s %s",
                                       self->hub, self->config->hub_timeout,
                                       self->hub_twin_note));
      else
        step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                       "The device did not connect to %s within %u s (last "
                                       "state: %s)", self->hub, self->config->hub_timeout,
                                       self->hub_last ? self->hub_last : "none reported"));
      return;
    }

  self->poll_source = g_timeout_add (self->config->hub_poll_ms, hub_poll_timeout_cb, self);
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
hub_twin_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(JsonObject) twin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  g_autofree char *detail = NULL;
  g_autoptr(GDateTime) until_dt = NULL;
  g_autofree char *until_date = NULL;
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  JsonObject *certificate;
  const char *reported_from, *reported_until, *state;

  twin = cb_hub_client_object_finish (CB_HUB_CLIENT (object), result, &error);
  if (twin == NULL)
    {
      if (is_cancelled (error))
        {
          fail_run (self, g_steal_pointer (&error));
          return;
        }
      /* Throttling or a dropped connection: ask again; anything else is the answer. */
      if (!is_transient (error))
        {
          GError *wrapped = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                         "The device connected, but its twin could not be read: "
                                         "%s", error->message);
          step_error (self, wrapped);
          return;
        }
      g_free (self->hub_twin_note);
      self->hub_twin_note = g_strdup_printf ("its twin could not be read (%s)", error->message);
      hub_poll_later (self);
      return;
    }

  from = cb_time_format_fixed (cb_certificate_get_not_before (leaf));
  until = cb_time_format_fixed (cb_certificate_get_not_after (leaf));
  certificate = object_member (object_member (object_member (twin, "properties"), "reported"),
                               "certificate");
  reported_from = certificate != NULL
                    ? json_object_get_string_member_with_default (certificate, "validFrom", NULL)
                    : NULL;
  reported_until = certificate != NULL
                     ? json_object_get_string_member_with_default (certificate, "validUntil", NULL)
                     : NULL;
  state = json_object_get_string_member_with_default (twin, "connectionState", NULL);

  g_clear_pointer (&self->hub_twin_note, g_free);
  if (reported_until == NULL || reported_from == NULL)
    self->hub_twin_note = g_strdup ("its twin reports no certificate dates "
                                    "(properties.reported.certificate)");
  else if (g_strcmp0 (reported_from, from) != 0 || g_strcmp0 (reported_until, until) != 0)
    self->hub_twin_note = g_strdup_printf ("its twin reports a certificate valid from %s until "
                                           "%s, not the issued one (%s until %s)", reported_from,
                                           reported_until, from, until);
  else if (g_strcmp0 (state, "Connected") != 0)
    self->hub_twin_note = g_strdup_printf ("its twin says connectionState %s",
                                           state ? state : "(none)");

  if (self->hub_twin_note != NULL)
    {
      hub_poll_later (self);
      return;
    }

  until_dt = g_date_time_new_from_unix_utc (cb_certificate_get_not_after (leaf));
  until_date = g_date_time_format (until_dt, "%Y-%m-%d");
  detail = g_strdup_printf ("connected to %s, twin reports until %s", self->hub, until_date);
  step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
hub_connection_report_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbHubConnectionReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const char *device_error = g_object_get_data (G_OBJECT (self), "cb-hub-error");
  g_autoptr(GString) message = g_string_new (NULL);

  report = cb_sandbox_client_get_connection_finish (result, &error);

  g_string_append_printf (message, "The hub %s refused the device's connection: %s", self->hub,
                          device_error != NULL && *device_error != '\0' ? device_error
                                                                        : "no reason given");
  if (report != NULL && report->has_attempt && !report->accepted)
    g_string_append_printf (message, "; the sandbox says %s: %s",
                            report->verdict ? report->verdict : "refused",
                            report->reason ? report->reason : "no reason given");
  else if (report == NULL && error != NULL && !is_cancelled (error))
    g_string_append_printf (message, " (the sandbox's report could not be read: %s)",
                            error->message);

  step_error (self, g_error_new_literal (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE, message->str));
}

static void
hub_refused (CbProvisioningRun *self,
             const char        *device_error)
{
  CbProfile *profile = self->config->profile;

  g_object_set_data_full (G_OBJECT (self), "cb-hub-error", g_strdup (device_error), g_free);

  /* The sandbox can tell why its hub said no; on Azure the device's word is all there is. */
  if (cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX &&
      cb_profile_get_sandbox_endpoint (profile) != NULL && self->config->http != NULL)
    {
      cb_sandbox_client_get_connection_async (self->config->http, profile, self->device_id,
                                              self->cancellable, hub_connection_report_cb,
                                              g_object_ref (self));
      return;
    }

  step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                 "The hub %s refused the device's connection: %s", self->hub,
                                 device_error != NULL && *device_error != '\0'
                                   ? device_error : "no reason given"));
}

static void
hub_diag_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDeviceDiag) diag = NULL;
  GError *error = NULL;
  const char *state, *hub_error;
  gint64 changed;

  diag = cb_bench_client_diag_finish (CB_BENCH_CLIENT (object), result, &error);
  if (diag == NULL)
    {
      step_error (self, error);
      return;
    }

  state = cb_device_diag_get_hub_state (diag);
  hub_error = cb_device_diag_get_hub_error (diag);
  changed = cb_device_diag_get_hub_time (diag);
  if (state == NULL)
    {
      step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                   "the device does not report its hub connection (older firmware): not checked");
      return;
    }

  g_free (self->hub_last);
  self->hub_last = hub_error != NULL && *hub_error != '\0'
                     ? g_strdup_printf ("%s: %s", state, hub_error)
                     : g_strdup (state);

  /* A refusal may predate hub_config (the old certificate's): it counts once the device was
   * seen trying again, or it happened after the second hub_config went out, or it stayed for
   * two seconds. A "connected" needs no such care: the twin below tells which certificate
   * connected. */
  if (g_strcmp0 (state, "connected") != 0 && g_strcmp0 (state, "refused") != 0)
    self->hub_saw_progress = TRUE;

  if (g_strcmp0 (state, "refused") == 0)
    {
      if (!self->hub_saw_progress && changed <= self->hub_sent &&
          g_get_real_time () / G_USEC_PER_SEC < self->hub_sent + 2)
        {
          hub_poll_later (self);
          return;
        }
      hub_refused (self, hub_error);
      return;
    }

  if (g_strcmp0 (state, "connected") != 0)
    {
      hub_poll_later (self);
      return;
    }

  if (self->config->hub == NULL)
    {
      g_autofree char *detail = g_strdup_printf ("connected to %s; twin not checked (no hub "
                                                 "client on this station)", self->hub);
      step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }
  /* The hub client talks to the profile's hub; DPS may assign another one. */
  if (g_ascii_strcasecmp (self->hub, cb_profile_get_hub_host_name (self->config->profile)
                                       ? cb_profile_get_hub_host_name (self->config->profile)
                                       : "") != 0)
    {
      g_autofree char *detail = g_strdup_printf ("connected to %s; twin not checked (the "
                                                 "station reads twins of %s only)", self->hub,
                                                 cb_profile_get_hub_host_name (
                                                   self->config->profile));
      step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }

  /* Connected is not enough: the twin must carry the new certificate's dates, which only a
   * connection made with it reports. */
  cb_hub_client_get_twin_async (self->config->hub, self->device_id, self->cancellable,
                                hub_twin_cb, g_object_ref (self));
}

static void
hub_poll (CbProvisioningRun *self)
{
  cb_bench_client_diag_async (self->bench, self->cancellable, hub_diag_cb, g_object_ref (self));
}

static void
hub_config_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  GError *error = NULL;

  if (!cb_bench_client_hub_config_finish (CB_BENCH_CLIENT (object), result, &error))
    {
      if (is_not_supported (error))
        {
          g_error_free (error);
          step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                       "the device has no network (it does not support hub_config): not checked");
          return;
        }
      step_error (self, error);
      return;
    }

  self->hub_deadline = g_get_monotonic_time () +
                       (gint64) self->config->hub_timeout * G_USEC_PER_SEC;
  hub_poll (self);
}

static void
hub_send_config (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;

  g_clear_pointer (&self->hub_last, g_free);
  g_clear_pointer (&self->hub_twin_note, g_free);
  self->hub_saw_progress = FALSE;
  self->hub_sent = g_get_real_time () / G_USEC_PER_SEC;
  cb_bench_client_hub_config_async (self->bench, self->hub, self->device_id,
                                    cb_profile_get_hub_device_endpoint (profile),
                                    cb_profile_get_pinned_ca_file (profile), self->cancellable,
                                    hub_config_cb, g_object_ref (self));
}

static void
hub_dps_config_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  GError *error = NULL;

  if (!cb_bench_client_dps_config_finish (CB_BENCH_CLIENT (object), result, &error))
    {
      if (is_not_supported (error))
        {
          g_error_free (error);
          step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                       "the device has no network (it does not support dps_config): not checked");
          return;
        }
      step_error (self, error);
      return;
    }

  hub_send_config (self);
}

static void
do_hub_connect (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;
  char *device_key;
  GError *error = NULL;

  if (!self->config->hub_check)
    {
      step_passed (self, CB_RUN_STEP_STATE_SKIPPED, "hub check off (no network at the bench)");
      return;
    }

  if (self->hub == NULL || self->device_id == NULL)
    {
      step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                     "DPS did not say which hub the device is assigned to"));
      return;
    }

  /* A device that registered itself has its DPS configuration already. */
  if (self->config->mode == CB_REGISTRATION_MODE_DEVICE)
    {
      hub_send_config (self);
      return;
    }

  /* Station registration: the device still needs DPS to re-register on its own once its
   * certificate has expired. The key is a secret: it goes to the device and nowhere else. */
  device_key = cb_sas_derive_device_key (self->config->group_key, self->registration_id, &error);
  if (device_key == NULL)
    {
      step_error (self, error);
      return;
    }
  cb_bench_client_dps_config_async (self->bench, cb_profile_get_dps_id_scope (profile),
                                    self->registration_id, device_key,
                                    cb_profile_get_dps_global_endpoint (profile),
                                    cb_profile_get_pinned_ca_file (profile), self->cancellable,
                                    hub_dps_config_cb, g_object_ref (self));
  cb_wipe_string (&device_key);
}

/* ---- journal ---------------------------------------------------------------------------- */

static void
do_journal (CbProvisioningRun *self)
{
  GError *error = NULL;

  if (journal (self) == NULL)
    {
      step_passed (self, CB_RUN_STEP_STATE_SKIPPED, "no journal on this station");
      return;
    }

  if (!journal_end_run (self, CB_JOURNAL_RESULT_PASS, NULL, &error))
    {
      /* The end row could not be written; the next open marks the run interrupted at
       * "journal", which is the truth. */
      GError *wrapped = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_JOURNAL,
                                     "The run's end could not be journaled: %s", error->message);
      CbRunStep *step = current_step (self);
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

  step_passed (self, CB_RUN_STEP_STATE_PASSED, "run and steps recorded");
}

static void
run_step (CbProvisioningRun *self)
{
  static void (* const funcs[CB_RUN_N_STEPS]) (CbProvisioningRun *) = {
    [CB_RUN_STEP_IDENTIFY] = do_identify,
    [CB_RUN_STEP_KEYGEN] = do_keygen,
    [CB_RUN_STEP_CSR] = do_csr,
    [CB_RUN_STEP_REGISTER] = do_register,
    [CB_RUN_STEP_CHECK_CHAIN] = do_check_chain,
    [CB_RUN_STEP_INSTALL] = do_install,
    [CB_RUN_STEP_COMMIT] = do_commit,
    [CB_RUN_STEP_READ_BACK] = do_read_back,
    [CB_RUN_STEP_PROOF_OF_POSSESSION] = do_proof_of_possession,
    [CB_RUN_STEP_HUB_CONNECT] = do_hub_connect,
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
  cb_protocol_log_attach (self->protocol_log, cb_bench_client_get_transport (self->bench));

  if (self->config->journal != NULL)
    {
      CbJournalRunStart start = {
        .station = self->config->station,
        .operator_name = self->config->operator_name,
        .port = self->port,
        .profile = cb_profile_get_name (self->config->profile),
        .policy = cb_provisioning_config_get_policy_name (self->config),
      };

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
