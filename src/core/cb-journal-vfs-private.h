/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The journal's SQLite VFS (cb-journal-vfs.c): the default one, with a WAL's appended frames
 * written as one pwrite a commit; registered the first time. NULL (SQLite's default) when it
 * cannot be. */
const char *cb_journal_vfs_name (void);

G_END_DECLS
