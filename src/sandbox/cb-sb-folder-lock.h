/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: one sandbox per data folder (cb-sb-folder-lock.c). */

#include <glib.h>

G_BEGIN_DECLS

/* Locks data_dir for this sandbox; returns the lock's fd (close it to unlock) or -1 with
 * CB_SANDBOX_ERROR_IN_USE naming the folder and the other sandbox's pid. */
int           cb_sb_lock_data_dir         (const char  *data_dir,
                                           GError     **error);

G_END_DECLS
