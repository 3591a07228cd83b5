/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-confirm-run"

/* Confirm, then run, then say: the one chain every destructive action of the app goes
 * through (cb-confirm-run.h), so each action only says what to ask, what to call and what
 * to tell. */

#include "config.h"

#include "cb-confirm-run.h"

typedef struct
{
  GtkWidget              *owner;
  char                   *subject;
  char                   *running;
  char                   *failure;
  gboolean                option;
  CbConfirmRunStartFunc   start;
  CbConfirmRunFinishFunc  finish;
  CbConfirmRunToastFunc   toast;
  CbConfirmRunBeginFunc   begin;
  GDestroyNotify          end;
  gpointer                entry;
} Run;

static void
run_free (Run *run)
{
  if (run->end != NULL && run->entry != NULL)
    run->end (run->entry);
  g_clear_object (&run->owner);
  g_free (run->subject);
  g_free (run->running);
  g_free (run->failure);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Run) run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *failure = NULL;

  text = run->finish (run->owner, run->subject, object, result, run->option, &failure, &error);
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        run->toast (run->owner, failure != NULL ? failure : run->failure, error);
      return;
    }
  if (text != NULL)
    run->toast (run->owner, text, NULL);
}

static void
on_response_cb (CbConfirmDialog *dialog,
                const char      *response,
                Run             *template)
{
  Run *run;

  if (g_strcmp0 (response, "confirm") != 0 || template->owner == NULL)
    return;

  run = g_new0 (Run, 1);
  *run = *template;
  run->owner = g_object_ref (template->owner);
  run->subject = g_strdup (template->subject);
  run->running = g_strdup (template->running);
  run->failure = g_strdup (template->failure);
  run->option = cb_confirm_dialog_get_option (dialog) != NULL &&
                cb_confirm_dialog_get_option_active (dialog);
  if (run->begin != NULL)
    run->entry = run->begin (run->owner, run->running);
  if (!run->start (run->owner, run->subject, run->option, run_done_cb, run))
    run_free (run);
}

static void
template_free (gpointer data)
{
  Run *run = data;

  /* The dialog holds no reference on its owner: a dialog outliving its page does nothing. */
  g_clear_weak_pointer (&run->owner);
  g_free (run->subject);
  g_free (run->running);
  g_free (run->failure);
  g_free (run);
}

CbConfirmDialog *
cb_confirm_run (GtkWidget          *owner,
                const CbConfirmRun *run)
{
  CbConfirmDialog *dialog;
  GtkRoot *root;
  Run *template;

  g_return_val_if_fail (GTK_IS_WIDGET (owner), NULL);
  g_return_val_if_fail (run != NULL && run->start != NULL && run->finish != NULL &&
                        run->toast != NULL, NULL);

  root = gtk_widget_get_root (owner);
  dialog = cb_confirm_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, run->heading,
                                  run->body, run->confirm_label, run->required_name);
  if (run->option_label != NULL)
    cb_confirm_dialog_set_option (dialog, run->option_label, run->option_active);

  template = g_new0 (Run, 1);
  g_set_weak_pointer (&template->owner, owner);
  template->subject = g_strdup (run->subject);
  template->running = g_strdup (run->running);
  template->failure = g_strdup (run->failure);
  template->start = run->start;
  template->finish = run->finish;
  template->toast = run->toast;
  template->begin = run->begin;
  template->end = run->end;
  g_object_set_data_full (G_OBJECT (dialog), "cb-confirm-run", template, template_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_response_cb), template);

  return dialog;
}
