/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-run-result"

/* CbRunResult: how one provisioning run ended, as the run filled it in. */

#include "config.h"

#include "cb-run-result-private.h"

G_DEFINE_FINAL_TYPE (CbRunResult, cb_run_result, G_TYPE_OBJECT)

static void
cb_run_result_finalize (GObject *object)
{
  CbRunResult *self = CB_RUN_RESULT (object);

  g_clear_error (&self->error);
  g_free (self->port);
  g_free (self->serial);
  g_free (self->model);
  g_free (self->firmware);
  g_free (self->registration_id);
  g_free (self->hub);
  g_free (self->device_id);
  g_free (self->policy);
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_pointer (&self->chain_der, g_bytes_unref);
  g_free (self->leaf_serial);
  g_free (self->leaf_fingerprint);
  g_free (self->onboarding_fingerprint);

  G_OBJECT_CLASS (cb_run_result_parent_class)->finalize (object);
}

static void
cb_run_result_class_init (CbRunResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_run_result_finalize;
}

static void
cb_run_result_init (CbRunResult *self)
{
  self->failed_step = CB_RUN_N_STEPS;
}

#define RESULT_GETTER(type, func, field, fallback)        \
  type                                                    \
  cb_run_result_get_##func (CbRunResult *self)            \
  {                                                       \
    g_return_val_if_fail (CB_IS_RUN_RESULT (self), fallback); \
    return self->field;                                   \
  }

RESULT_GETTER (gboolean, passed, passed, FALSE)
RESULT_GETTER (const GError *, error, error, NULL)
RESULT_GETTER (CbRunStepKind, failed_step, failed_step, CB_RUN_N_STEPS)
RESULT_GETTER (gboolean, device_changed, device_changed, FALSE)
RESULT_GETTER (gboolean, outcome_unknown, outcome_unknown, FALSE)
RESULT_GETTER (const char *, port, port, NULL)
RESULT_GETTER (const char *, device_serial, serial, NULL)
RESULT_GETTER (const char *, device_model, model, NULL)
RESULT_GETTER (const char *, device_firmware, firmware, NULL)
RESULT_GETTER (const char *, registration_id, registration_id, NULL)
RESULT_GETTER (const char *, hub, hub, NULL)
RESULT_GETTER (const char *, device_id, device_id, NULL)
RESULT_GETTER (const char *, policy, policy, NULL)
RESULT_GETTER (guint, validity_days, validity_days, 0)
RESULT_GETTER (GPtrArray *, chain, chain, NULL)
RESULT_GETTER (GBytes *, chain_der, chain_der, NULL)
RESULT_GETTER (const char *, leaf_serial, leaf_serial, NULL)
RESULT_GETTER (const char *, leaf_fingerprint, leaf_fingerprint, NULL)
RESULT_GETTER (const char *, onboarding_fingerprint, onboarding_fingerprint, NULL)
RESULT_GETTER (gint64, not_before, not_before, 0)
RESULT_GETTER (gint64, not_after, not_after, 0)
RESULT_GETTER (gint64, journal_id, journal_id, 0)
RESULT_GETTER (gint64, duration_ms, duration_ms, 0)

#undef RESULT_GETTER
