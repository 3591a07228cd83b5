/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-i18n"

#include "config.h"

#include <glib/gi18n.h>
#include <limits.h>
#include <stdlib.h>

#include "cb-i18n.h"

/* CB_BUILD_APP_DIR and CB_BUILD_LOCALEDIR come from src/app/meson.build. */

static char *
real_dir_of (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  char resolved[PATH_MAX];

  /* The build dir may be reached through a symlink; /proc/self/exe never is. */
  if (realpath (dir, resolved) == NULL)
    return g_steal_pointer (&dir);
  return g_strdup (resolved);
}

const char *
cb_i18n_get_locale_dir (const char *exe_path)
{
  g_autofree char *exe_dir = NULL;
  g_autofree char *build_dir = NULL;
  g_autofree char *basename = NULL;

  if (exe_path == NULL)
    return LOCALEDIR;

  /* Only the binary meson linked in the build tree itself, never one copied or installed
   * elsewhere, even on the machine that built it. */
  basename = g_path_get_basename (exe_path);
  if (g_strcmp0 (basename, "certbench") != 0)
    return LOCALEDIR;
  exe_dir = real_dir_of (exe_path);
  build_dir = real_dir_of (CB_BUILD_APP_DIR "/certbench");
  if (g_strcmp0 (exe_dir, build_dir) != 0 ||
      !g_file_test (CB_BUILD_LOCALEDIR, G_FILE_TEST_IS_DIR))
    return LOCALEDIR;

  return CB_BUILD_LOCALEDIR;
}

void
cb_i18n_init (const char *exe_path)
{
  g_autofree char *self_exe = NULL;

  if (exe_path == NULL)
    exe_path = self_exe = g_file_read_link ("/proc/self/exe", NULL);

  bindtextdomain (GETTEXT_PACKAGE, cb_i18n_get_locale_dir (exe_path));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
