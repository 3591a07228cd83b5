/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-run-step"

/* A provisioning run's step: the names and titles of the step kinds and states, and CbRunStep,
 * the object a UI row binds to while the run moves it from pending to its end. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cb-run-step-private.h"
#include "cb-util.h"

/* Titles are English here (core shows no UI); N_() lets the app translate them. */
static const struct
{
  const char *name;
  const char *title;
} step_names[CB_RUN_N_STEPS] = {
  [CB_RUN_STEP_IDENTIFY] = { "identify", N_("Identify the device") },
  [CB_RUN_STEP_KEYGEN] = { "keygen", N_("Generate a key on the device") },
  [CB_RUN_STEP_CSR] = { "csr", N_("Check the signing request") },
  [CB_RUN_STEP_REGISTER] = { "register", N_("Register with DPS") },
  [CB_RUN_STEP_CHECK_CHAIN] = { "check-chain", N_("Check the issued chain") },
  [CB_RUN_STEP_INSTALL] = { "install", N_("Install the chain") },
  [CB_RUN_STEP_COMMIT] = { "commit", N_("Commit") },
  [CB_RUN_STEP_READ_BACK] = { "read-back", N_("Read back and compare") },
  [CB_RUN_STEP_PROOF_OF_POSSESSION] = { "proof-of-possession", N_("Proof of possession") },
  [CB_RUN_STEP_HUB_CONNECT] = { "hub-connect", N_("Hub connection") },
  [CB_RUN_STEP_JOURNAL] = { "journal", N_("Record in the journal") },
};

static const char * const state_names[] = {
  [CB_RUN_STEP_STATE_PENDING] = "pending",
  [CB_RUN_STEP_STATE_RUNNING] = "running",
  [CB_RUN_STEP_STATE_PASSED] = "passed",
  [CB_RUN_STEP_STATE_FAILED] = "failed",
  [CB_RUN_STEP_STATE_SKIPPED] = "skipped",
  [CB_RUN_STEP_STATE_CANCELLED] = "cancelled",
  [CB_RUN_STEP_STATE_NOT_APPLICABLE] = "not-applicable",
};

const char *
cb_run_step_kind_to_name (CbRunStepKind kind)
{
  g_return_val_if_fail ((guint) kind < CB_RUN_N_STEPS, "unknown");
  return step_names[kind].name;
}

const char *
cb_run_step_kind_to_title (CbRunStepKind kind)
{
  g_return_val_if_fail ((guint) kind < CB_RUN_N_STEPS, "unknown");
  return step_names[kind].title;
}

const char *
cb_run_step_state_to_string (CbRunStepState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (state_names), "unknown");
  return state_names[state];
}

struct _CbRunStep
{
  GObject         parent_instance;

  CbRunStepKind   kind;
  CbRunStepState  state;
  gint64          started;
  gint64          ended;
  guint           attempts;
  char           *error;
  char           *detail;
  /* the journal's row for it, 0 without one */
  gint64          journal_id;
};

G_DEFINE_FINAL_TYPE (CbRunStep, cb_run_step, G_TYPE_OBJECT)

enum
{
  STEP_PROP_0,
  STEP_PROP_KIND,
  STEP_PROP_NAME,
  STEP_PROP_STATE,
  STEP_PROP_STARTED,
  STEP_PROP_ENDED,
  STEP_PROP_ATTEMPTS,
  STEP_PROP_ERROR,
  STEP_PROP_DETAIL,
  STEP_N_PROPS
};

static GParamSpec *step_properties[STEP_N_PROPS];

static void
cb_run_step_finalize (GObject *object)
{
  CbRunStep *self = CB_RUN_STEP (object);

  g_free (self->error);
  g_free (self->detail);

  G_OBJECT_CLASS (cb_run_step_parent_class)->finalize (object);
}

static void
cb_run_step_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  CbRunStep *self = CB_RUN_STEP (object);

  switch (prop_id)
    {
    case STEP_PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case STEP_PROP_NAME:
      g_value_set_string (value, cb_run_step_kind_to_name (self->kind));
      break;
    case STEP_PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case STEP_PROP_STARTED:
      g_value_set_int64 (value, self->started);
      break;
    case STEP_PROP_ENDED:
      g_value_set_int64 (value, self->ended);
      break;
    case STEP_PROP_ATTEMPTS:
      g_value_set_uint (value, self->attempts);
      break;
    case STEP_PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case STEP_PROP_DETAIL:
      g_value_set_string (value, self->detail);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_run_step_class_init (CbRunStepClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_run_step_finalize;
  object_class->get_property = cb_run_step_get_property;

  step_properties[STEP_PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, CB_TYPE_RUN_STEP_KIND, CB_RUN_STEP_IDENTIFY, flags);
  step_properties[STEP_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, flags);
  step_properties[STEP_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CB_TYPE_RUN_STEP_STATE, CB_RUN_STEP_STATE_PENDING,
                       flags);
  step_properties[STEP_PROP_STARTED] =
    g_param_spec_int64 ("started", NULL, NULL, 0, G_MAXINT64, 0, flags);
  step_properties[STEP_PROP_ENDED] =
    g_param_spec_int64 ("ended", NULL, NULL, 0, G_MAXINT64, 0, flags);
  step_properties[STEP_PROP_ATTEMPTS] =
    g_param_spec_uint ("attempts", NULL, NULL, 0, G_MAXUINT, 0, flags);
  step_properties[STEP_PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, flags);
  step_properties[STEP_PROP_DETAIL] =
    g_param_spec_string ("detail", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, STEP_N_PROPS, step_properties);
}

static void
cb_run_step_init (CbRunStep *self)
{
}

CbRunStep *
cb_run_step_new (CbRunStepKind kind)
{
  CbRunStep *self = g_object_new (CB_TYPE_RUN_STEP, NULL);

  self->kind = kind;
  return self;
}

CbRunStepKind
cb_run_step_get_kind (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), CB_RUN_STEP_IDENTIFY);
  return self->kind;
}

const char *
cb_run_step_get_name (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), NULL);
  return cb_run_step_kind_to_name (self->kind);
}

CbRunStepState
cb_run_step_get_state (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), CB_RUN_STEP_STATE_PENDING);
  return self->state;
}

gint64
cb_run_step_get_started (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), 0);
  return self->started;
}

gint64
cb_run_step_get_ended (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), 0);
  return self->ended;
}

gint64
cb_run_step_get_duration_ms (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), 0);

  if (self->started == 0)
    return 0;
  return ((self->ended != 0 ? self->ended : g_get_real_time ()) - self->started) / 1000;
}

guint
cb_run_step_get_attempts (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), 0);
  return self->attempts;
}

const char *
cb_run_step_get_error (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), NULL);
  return self->error;
}

const char *
cb_run_step_get_detail (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), NULL);
  return self->detail;
}

static void
set_state (CbRunStep      *self,
           CbRunStepState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_STATE]);
}

static void
set_detail (CbRunStep  *self,
            const char *detail)
{
  if (cb_set_str (&self->detail, detail))
    g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_DETAIL]);
}

static void
set_error (CbRunStep  *self,
           const char *error)
{
  if (cb_set_str (&self->error, error))
    g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_ERROR]);
}

void
cb_run_step_begin (CbRunStep *self)
{
  g_return_if_fail (CB_IS_RUN_STEP (self));

  self->started = g_get_real_time ();
  self->attempts = 1;
  set_state (self, CB_RUN_STEP_STATE_RUNNING);
  g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_STARTED]);
  g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_ATTEMPTS]);
}

void
cb_run_step_add_attempt (CbRunStep *self)
{
  g_return_if_fail (CB_IS_RUN_STEP (self));

  self->attempts++;
  g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_ATTEMPTS]);
}

void
cb_run_step_end (CbRunStep      *self,
                 CbRunStepState  state,
                 const char     *detail)
{
  g_return_if_fail (CB_IS_RUN_STEP (self));

  self->ended = g_get_real_time ();
  set_detail (self, detail);
  set_state (self, state);
  g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_ENDED]);
}

void
cb_run_step_fail (CbRunStep      *self,
                  CbRunStepState  state,
                  const char     *error)
{
  g_return_if_fail (CB_IS_RUN_STEP (self));

  self->ended = g_get_real_time ();
  set_error (self, error);
  set_state (self, state);
  g_object_notify_by_pspec (G_OBJECT (self), step_properties[STEP_PROP_ENDED]);
}

gint64
cb_run_step_get_journal_id (CbRunStep *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP (self), 0);
  return self->journal_id;
}

void
cb_run_step_set_journal_id (CbRunStep *self,
                            gint64     journal_id)
{
  g_return_if_fail (CB_IS_RUN_STEP (self));
  self->journal_id = journal_id;
}
