/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Assembly: what `certbench-sandbox hosts` prints (cb-sandbox-hosts.c). */

#include <glib.h>

G_BEGIN_DECLS

/* The hosts-file lines that map every Azure host of the sandbox in data_dir (Entra, ARM, DPS
 * and each hub and DPS instance of its topology) to address, and for each SDK family how to
 * trust its CA, as a hosts file's comments. NULL with an error when data_dir holds no
 * sandbox yet. Works whether or not that sandbox runs (it only reads). */
char         *cb_sandbox_hosts_text       (const char  *data_dir,
                                           const char  *address,
                                           GError     **error);

G_END_DECLS
