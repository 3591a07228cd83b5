/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal"

/* CbJournalStep: one journaled step, immutable, with properties for list bindings. */

#include "config.h"

#include "cb-journal-step-private.h"

G_DEFINE_FINAL_TYPE (CbJournalStep, cb_journal_step, G_TYPE_OBJECT)

enum
{
  STEP_PROP_0,
  STEP_PROP_NAME,
  STEP_PROP_STARTED,
  STEP_PROP_ENDED,
  STEP_PROP_RESULT,
  STEP_PROP_ERROR,
  STEP_N_PROPS
};

static GParamSpec *step_properties[STEP_N_PROPS];

static void
cb_journal_step_finalize (GObject *object)
{
  CbJournalStep *self = CB_JOURNAL_STEP (object);

  g_free (self->name);
  g_free (self->error);
  g_free (self->detail);

  G_OBJECT_CLASS (cb_journal_step_parent_class)->finalize (object);
}

static void
cb_journal_step_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CbJournalStep *self = CB_JOURNAL_STEP (object);

  switch (prop_id)
    {
    case STEP_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case STEP_PROP_STARTED:
      g_value_set_int64 (value, self->started);
      break;
    case STEP_PROP_ENDED:
      g_value_set_int64 (value, self->ended);
      break;
    case STEP_PROP_RESULT:
      g_value_set_enum (value, self->result);
      break;
    case STEP_PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_journal_step_class_init (CbJournalStepClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_journal_step_finalize;
  object_class->get_property = cb_journal_step_get_property;

  step_properties[STEP_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_STARTED] =
    g_param_spec_int64 ("started", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_ENDED] =
    g_param_spec_int64 ("ended", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_RESULT] =
    g_param_spec_enum ("result", NULL, NULL, CB_TYPE_JOURNAL_RESULT, CB_JOURNAL_RESULT_NONE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  step_properties[STEP_PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, STEP_N_PROPS, step_properties);
}

static void
cb_journal_step_init (CbJournalStep *self)
{
}

gint64
cb_journal_step_get_id (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), 0);
  return self->id;
}

gint64
cb_journal_step_get_run_id (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), 0);
  return self->run_id;
}

guint
cb_journal_step_get_index (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), 0);
  return self->index;
}

const char *
cb_journal_step_get_name (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), NULL);
  return self->name;
}

gint64
cb_journal_step_get_started (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), 0);
  return self->started;
}

gint64
cb_journal_step_get_ended (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), 0);
  return self->ended;
}

CbJournalResult
cb_journal_step_get_result (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), CB_JOURNAL_RESULT_NONE);
  return self->result;
}

const char *
cb_journal_step_get_error (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), NULL);
  return self->error;
}

const char *
cb_journal_step_get_detail (CbJournalStep *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_STEP (self), NULL);
  return self->detail;
}

