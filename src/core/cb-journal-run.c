/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal"

/* CbJournalRun: one journaled run with everything known about it (and its steps and protocol
 * log when read one at a time), immutable, with properties for list bindings. */

#include "config.h"

#include "cb-journal-run-private.h"

G_DEFINE_FINAL_TYPE (CbJournalRun, cb_journal_run, G_TYPE_OBJECT)

enum
{
  RUN_PROP_0,
  RUN_PROP_ID,
  RUN_PROP_STARTED,
  RUN_PROP_ENDED,
  RUN_PROP_NOT_BEFORE,
  RUN_PROP_NOT_AFTER,
  RUN_PROP_RESULT,
  RUN_PROP_FIRST_STRING,
  RUN_N_PROPS = RUN_PROP_FIRST_STRING + N_RUN_STRS
};

static const char * const run_string_prop_names[N_RUN_STRS] = {
  [RUN_STR_UUID] = "uuid",
  [RUN_STR_STATION] = "station",
  [RUN_STR_OPERATOR] = "operator",
  [RUN_STR_PORT] = "port",
  [RUN_STR_PROFILE] = "profile",
  [RUN_STR_POLICY] = "policy",
  [RUN_STR_SERIAL] = "device-serial",
  [RUN_STR_MODEL] = "device-model",
  [RUN_STR_FIRMWARE] = "device-firmware",
  [RUN_STR_REGISTRATION_ID] = "registration-id",
  [RUN_STR_FAILED_STEP] = "failed-step",
  [RUN_STR_ERROR] = "error",
  [RUN_STR_HUB] = "hub",
  [RUN_STR_DEVICE_ID] = "device-id",
  [RUN_STR_LEAF_SERIAL] = "leaf-serial",
  [RUN_STR_LEAF_FINGERPRINT] = "leaf-fingerprint",
};

static GParamSpec *run_properties[RUN_N_PROPS];

static void
cb_journal_run_finalize (GObject *object)
{
  CbJournalRun *self = CB_JOURNAL_RUN (object);

  for (guint i = 0; i < N_RUN_STRS; i++)
    g_free (self->strings[i]);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  g_free (self->protocol_log);

  G_OBJECT_CLASS (cb_journal_run_parent_class)->finalize (object);
}

static void
cb_journal_run_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CbJournalRun *self = CB_JOURNAL_RUN (object);

  switch (prop_id)
    {
    case RUN_PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case RUN_PROP_STARTED:
      g_value_set_int64 (value, self->started);
      break;
    case RUN_PROP_ENDED:
      g_value_set_int64 (value, self->ended);
      break;
    case RUN_PROP_NOT_BEFORE:
      g_value_set_int64 (value, self->not_before);
      break;
    case RUN_PROP_NOT_AFTER:
      g_value_set_int64 (value, self->not_after);
      break;
    case RUN_PROP_RESULT:
      g_value_set_enum (value, self->result);
      break;
    default:
      if (prop_id >= RUN_PROP_FIRST_STRING && prop_id < RUN_N_PROPS)
        g_value_set_string (value, self->strings[prop_id - RUN_PROP_FIRST_STRING]);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_journal_run_class_init (CbJournalRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_journal_run_finalize;
  object_class->get_property = cb_journal_run_get_property;

  run_properties[RUN_PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  run_properties[RUN_PROP_STARTED] =
    g_param_spec_int64 ("started", NULL, NULL, 0, G_MAXINT64, 0, flags);
  run_properties[RUN_PROP_ENDED] =
    g_param_spec_int64 ("ended", NULL, NULL, 0, G_MAXINT64, 0, flags);
  run_properties[RUN_PROP_NOT_BEFORE] =
    g_param_spec_int64 ("not-before", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  run_properties[RUN_PROP_NOT_AFTER] =
    g_param_spec_int64 ("not-after", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  run_properties[RUN_PROP_RESULT] =
    g_param_spec_enum ("result", NULL, NULL, CB_TYPE_JOURNAL_RESULT, CB_JOURNAL_RESULT_NONE,
                       flags);
  for (guint i = 0; i < N_RUN_STRS; i++)
    run_properties[RUN_PROP_FIRST_STRING + i] =
      g_param_spec_string (run_string_prop_names[i], NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, RUN_N_PROPS, run_properties);
}

static void
cb_journal_run_init (CbJournalRun *self)
{
}

#define RUN_GETTER_STRING(func, idx)                          \
  const char *                                                \
  cb_journal_run_get_##func (CbJournalRun *self)              \
  {                                                           \
    g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), NULL);    \
    return self->strings[idx];                                \
  }

RUN_GETTER_STRING (uuid, RUN_STR_UUID)
RUN_GETTER_STRING (station, RUN_STR_STATION)
RUN_GETTER_STRING (operator, RUN_STR_OPERATOR)
RUN_GETTER_STRING (port, RUN_STR_PORT)
RUN_GETTER_STRING (profile, RUN_STR_PROFILE)
RUN_GETTER_STRING (policy, RUN_STR_POLICY)
RUN_GETTER_STRING (device_serial, RUN_STR_SERIAL)
RUN_GETTER_STRING (device_model, RUN_STR_MODEL)
RUN_GETTER_STRING (device_firmware, RUN_STR_FIRMWARE)
RUN_GETTER_STRING (registration_id, RUN_STR_REGISTRATION_ID)
RUN_GETTER_STRING (failed_step, RUN_STR_FAILED_STEP)
RUN_GETTER_STRING (error, RUN_STR_ERROR)
RUN_GETTER_STRING (hub, RUN_STR_HUB)
RUN_GETTER_STRING (device_id, RUN_STR_DEVICE_ID)
RUN_GETTER_STRING (leaf_serial, RUN_STR_LEAF_SERIAL)
RUN_GETTER_STRING (leaf_fingerprint, RUN_STR_LEAF_FINGERPRINT)

#undef RUN_GETTER_STRING

gint64
cb_journal_run_get_id (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), 0);
  return self->id;
}

gint64
cb_journal_run_get_started (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), 0);
  return self->started;
}

gint64
cb_journal_run_get_ended (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), 0);
  return self->ended;
}

gint64
cb_journal_run_get_not_before (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), 0);
  return self->not_before;
}

gint64
cb_journal_run_get_not_after (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), 0);
  return self->not_after;
}

CbJournalResult
cb_journal_run_get_result (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), CB_JOURNAL_RESULT_NONE);
  return self->result;
}

GPtrArray *
cb_journal_run_get_steps (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), NULL);
  return self->steps;
}

const char *
cb_journal_run_get_protocol_log (CbJournalRun *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_RUN (self), NULL);
  return self->protocol_log;
}

