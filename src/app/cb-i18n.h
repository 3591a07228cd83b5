/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where the message catalogues are for the executable at @exe_path: the ones the build made
 * (<build>/po) when it is the certbench binary in its own build tree, so `build-aux/run.sh`
 * speaks the user's language; LOCALEDIR for any other path, so an installed app never looks
 * into a build tree. */
const char *cb_i18n_get_locale_dir (const char *exe_path);

/* Binds the app's text domain for @exe_path (NULL: the running executable). Call after
 * setlocale(). */
void        cb_i18n_init           (const char *exe_path);

G_END_DECLS
