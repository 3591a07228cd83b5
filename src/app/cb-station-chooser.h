/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

typedef enum
{
  CB_STATION_CHOOSER_ENROLLMENT_GROUP,
  CB_STATION_CHOOSER_POLICY,
} CbStationChooserKind;

/**
 * CbStationChooser:
 *
 * Chooses the station's enrollment group or its group's credential policy from the lists the
 * services give (loading and error states included). The policy chooser also offers New
 * Policy. "Use" applies the choice (cb-station.h) and closes; a refusal stays on screen.
 */
#define CB_TYPE_STATION_CHOOSER (cb_station_chooser_get_type ())
G_DECLARE_FINAL_TYPE (CbStationChooser, cb_station_chooser, CB, STATION_CHOOSER, AdwWindow)

CbStationChooser *cb_station_chooser_new          (CbContext            *context,
                                                   CbStationChooserKind  kind);

/* For tests: "loading", "error", "empty" or "list"; the names listed; choosing one; the
 * message shown (NULL when none); whether a Use is in flight. */
const char       *cb_station_chooser_get_state    (CbStationChooser     *self);
GStrv             cb_station_chooser_dup_names    (CbStationChooser     *self);
gboolean          cb_station_chooser_select       (CbStationChooser     *self,
                                                   const char           *name);
const char       *cb_station_chooser_get_error    (CbStationChooser     *self);
gboolean          cb_station_chooser_get_busy     (CbStationChooser     *self);

G_END_DECLS
