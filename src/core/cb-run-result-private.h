/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-run-result.h"

G_BEGIN_DECLS

/* The result's fields, for the run that fills them in. */

struct _CbRunResult
{
  GObject        parent_instance;

  gboolean       passed;
  GError        *error;
  CbRunStepKind  failed_step;
  gboolean       device_changed;
  gboolean       outcome_unknown;
  char          *port;
  char          *serial;
  char          *model;
  char          *firmware;
  char          *registration_id;
  char          *hub;
  char          *device_id;
  char          *policy;
  guint          validity_days;
  GPtrArray     *chain;
  GBytes        *chain_der;
  char          *leaf_serial;
  char          *leaf_fingerprint;
  char          *onboarding_fingerprint;
  gint64         not_before;
  gint64         not_after;
  gint64         journal_id;
  gint64         duration_ms;
};

G_END_DECLS
