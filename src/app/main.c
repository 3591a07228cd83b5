/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "cb-application.h"
#include "cb-i18n.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CbApplication) app = NULL;

  setlocale (LC_ALL, "");
  /* The installed catalogues, or the build's own when run from the build tree. */
  cb_i18n_init (NULL);

  app = cb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
