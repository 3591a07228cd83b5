/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-test-sandbox.h"

G_BEGIN_DECLS

/* An app context on a fresh sandbox of its own: the context's data dir, journal and profile
 * list are in a temp folder, secrets in memory, and the port monitor is a plain
 * CbPortMonitor that tests feed. */
typedef struct
{
  CbTestSandbox *ts;
  CbContext     *context;
  char          *dir;
} CbTestApp;

typedef enum
{
  CB_TEST_APP_NONE       = 0,
  /* Do not start the context (state stays STARTING). The demo seed is always there: it also
   * makes the principal the sandbox approves device codes for. */
  CB_TEST_APP_NO_SIGN_IN = 1 << 0,
} CbTestAppFlags;

/* gtk_test_init + adw_init; the resources are linked in. Call instead of g_test_init. */
void        cb_test_app_init            (int            *argc,
                                         char         ***argv);

/* Seeded with the demo data and signed in (state READY) unless @flags say otherwise. */
CbTestApp  *cb_test_app_new             (CbTestAppFlags  flags);
void        cb_test_app_free            (CbTestApp      *app);

/* Iterates the default main context until @func returns TRUE; fails the test after
 * @timeout_ms. */
void        cb_test_app_wait            (gboolean      (*func) (gpointer user_data),
                                         gpointer        user_data,
                                         guint           timeout_ms);
void        cb_test_app_wait_for_state  (CbContext      *context,
                                         CbContextState  state,
                                         guint           timeout_ms);
/* Iterates the main context for @ms (lets animations and idle work settle). */
void        cb_test_app_spin            (guint           ms);

/* Puts @widget in a window of width x height (or sizes @widget itself when it is a window),
 * presents it, waits until it is mapped and drawn, and saves a PNG of it to @path (folders
 * created). Fails the test on error. */
void        cb_test_app_save_png        (GtkWidget      *widget,
                                         const char     *path,
                                         int             width,
                                         int             height);

/* The first widget below @root (depth first) of @type, or the button or label showing exactly
 * @text; NULL when there is none. */
GtkWidget  *cb_test_app_find_widget     (GtkWidget      *root,
                                         GType           type);
/* The titles of the columns of the first GtkColumnView below @root, in order, "|"-joined. */
char       *cb_test_app_column_titles   (GtkWidget      *root);
GtkWidget  *cb_test_app_find_button     (GtkWidget      *root,
                                         const char     *text);
GtkWidget  *cb_test_app_find_label      (GtkWidget      *root,
                                         const char     *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbTestApp, cb_test_app_free)

G_END_DECLS
