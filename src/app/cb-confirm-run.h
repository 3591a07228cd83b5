/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-confirm-dialog.h"

G_BEGIN_DECLS

/* Starts the confirmed call with the owner's cancellable; @option is the dialog's check box
 * (FALSE without one). Returns FALSE when the owner cannot run it now (nothing happens). */
typedef gboolean (*CbConfirmRunStartFunc) (gpointer           owner,
                                           const char        *subject,
                                           gboolean           option,
                                           GAsyncReadyCallback callback,
                                           gpointer           callback_data);
/* Finishes it and does what follows (reloads): returns the success toast (NULL for none), or
 * NULL with @error set; @failure may then say what failed in place of the run's. */
typedef char *(*CbConfirmRunFinishFunc) (gpointer             owner,
                                         const char          *subject,
                                         GObject             *source,
                                         GAsyncResult        *result,
                                         gboolean             option,
                                         char               **failure,
                                         GError             **error);
/* Shows @text; with @error, @text says what failed and the owner adds the reason. */
typedef void  (*CbConfirmRunToastFunc)  (gpointer             owner,
                                         const char          *text,
                                         const GError        *error);
/* The owner's "what is running" entry for @description; ended with @end. */
typedef gpointer (*CbConfirmRunBeginFunc) (gpointer           owner,
                                           const char        *description);

/* A destructive action's whole chain, the same for each: ask (a CbConfirmDialog with a heading,
 * a body that states the impact, the destructive label, optionally the name to type and a
 * check box), on "confirm" run the async call (shown as running meanwhile), then toast the
 * outcome or the error (a cancelled call says nothing). The owner widget is kept alive until
 * the call is done. */
typedef struct
{
  /* the question */
  const char             *heading;
  const char             *body;
  const char             *confirm_label;
  const char             *required_name;   /* nullable */
  const char             *option_label;    /* nullable */
  gboolean                option_active;
  /* the call */
  const char             *subject;         /* nullable: what it acts on, for start and finish */
  const char             *running;         /* what the running entry says */
  const char             *failure;         /* what the error toast says failed */
  CbConfirmRunStartFunc   start;
  CbConfirmRunFinishFunc  finish;
  /* the owner's */
  CbConfirmRunToastFunc   toast;
  CbConfirmRunBeginFunc   begin;           /* nullable */
  GDestroyNotify          end;             /* nullable: ends what begin returned */
} CbConfirmRun;

/* Presents the dialog for @run (copied) over @owner's window; the caller keeps the returned
 * dialog (transfer none) only to show or test it. */
CbConfirmDialog *cb_confirm_run (GtkWidget          *owner,
                                 const CbConfirmRun *run);

G_END_DECLS
