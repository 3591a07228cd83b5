/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-confirm-run.h"
#include "cb-context.h"

G_BEGIN_DECLS

/* What every place that acts on one device asks and says (the Registry page's device actions
 * and the device page): the impact question of a revoke and of a delete, and the outcome's
 * text. The strings filled into @run are kept in @strings (g_free), which the caller frees
 * after cb_confirm_run() (it copies what it keeps). */
void  cb_device_actions_ask_revoke   (CbConfirmRun *run,
                                      CbContext    *context,
                                      const char   *device_id,
                                      GPtrArray    *strings);
void  cb_device_actions_ask_delete   (CbConfirmRun *run,
                                      const char   *device_id,
                                      GPtrArray    *strings);
/* The toast after a revoke (@disabled: "also disable" was chosen). Returns: (transfer full) */
char *cb_device_actions_revoked_text (const char   *device_id,
                                      gboolean      disabled);

G_END_DECLS
