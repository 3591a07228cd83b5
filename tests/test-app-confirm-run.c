/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The confirm-then-run helper (cb-confirm-run.c) on its own: nothing runs before "confirm",
 * the check box reaches the call, the outcome or the error becomes one toast, a cancelled
 * call says nothing, the running entry ends in every case, and a dialog that outlives its
 * owner does nothing. The call is a GTask the test completes by hand. */
#include "config.h"

#include "cb-confirm-run.h"
#include "cb-test-app.h"

typedef struct
{
  GtkWidget *owner;
  GTask     *task;        /* the call started, completed by the test */
  gboolean   option;
  gboolean   refuse;      /* start says it cannot run now */
  guint      n_started;
  guint      n_begun;
  guint      n_ended;
  GPtrArray *toasts;      /* "text" or "text: error message" */
} Fixture;

static Fixture *current;

static gboolean
start (gpointer             owner,
       const char          *subject,
       gboolean             option,
       GAsyncReadyCallback  callback,
       gpointer             data)
{
  g_assert_true (owner == current->owner);
  g_assert_cmpstr (subject, ==, "thing-1");
  if (current->refuse)
    return FALSE;
  current->n_started++;
  current->option = option;
  current->task = g_task_new (owner, NULL, callback, data);
  return TRUE;
}

static char *
finish (gpointer       owner,
        const char    *subject,
        GObject       *source,
        GAsyncResult  *result,
        gboolean       option,
        char         **failure,
        GError       **error)
{
  if (!g_task_propagate_boolean (G_TASK (result), error))
    {
      if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        *failure = g_strdup ("Not allowed");
      return NULL;
    }
  return g_strdup_printf ("Deleted %s%s", subject, option ? " and more" : "");
}

static void
toast (gpointer      owner,
       const char   *text,
       const GError *error)
{
  g_ptr_array_add (current->toasts, error != NULL ? g_strdup_printf ("%s: %s", text, error->message)
                                                  : g_strdup (text));
}

static gpointer
begin (gpointer    owner,
       const char *description)
{
  g_assert_cmpstr (description, ==, "Deleting thing-1…");
  current->n_begun++;
  return current;
}

static void
end (gpointer entry)
{
  g_assert_true (entry == current);
  current->n_ended++;
}

static CbConfirmDialog *
ask (Fixture    *f,
     const char *option_label)
{
  return cb_confirm_run (f->owner, &(CbConfirmRun) {
                           .heading = "Delete thing-1?",
                           .body = "It goes.",
                           .confirm_label = "_Delete",
                           .required_name = "thing-1",
                           .option_label = option_label,
                           .option_active = TRUE,
                           .subject = "thing-1",
                           .running = "Deleting thing-1…",
                           .failure = "Thing not deleted",
                           .start = start,
                           .finish = finish,
                           .toast = toast,
                           .begin = begin,
                           .end = end,
                         });
}

static void
complete (Fixture *f,
          GError  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&f->task);

  g_assert_nonnull (task);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  cb_test_app_spin (50);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->owner = g_object_ref_sink (gtk_label_new ("owner"));
  f->toasts = g_ptr_array_new_with_free_func (g_free);
  current = f;
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->task);
  g_clear_object (&f->owner);
  g_ptr_array_unref (f->toasts);
  current = NULL;
}

static void
test_confirmed (Fixture       *f,
                gconstpointer  data)
{
  CbConfirmDialog *dialog = ask (f, "Also _more");

  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Delete thing-1?");
  g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), ==, "It goes.");
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (dialog));
  g_assert_cmpuint (f->n_started, ==, 0);

  gtk_editable_set_text (cb_confirm_dialog_get_name_entry (dialog), "thing-1");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpuint (f->n_started, ==, 1);
  g_assert_true (f->option);
  g_assert_cmpuint (f->n_begun, ==, 1);
  g_assert_cmpuint (f->n_ended, ==, 0);
  g_assert_cmpuint (f->toasts->len, ==, 0);

  complete (f, NULL);
  g_assert_cmpuint (f->n_ended, ==, 1);
  g_assert_cmpuint (f->toasts->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->toasts, 0), ==, "Deleted thing-1 and more");
}

static void
test_cancelled_response (Fixture       *f,
                         gconstpointer  data)
{
  CbConfirmDialog *dialog = ask (f, NULL);

  g_assert_null (cb_confirm_dialog_get_option (dialog));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpuint (f->n_started, ==, 0);
  g_assert_cmpuint (f->n_begun, ==, 0);
  g_assert_cmpuint (f->toasts->len, ==, 0);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  CbConfirmDialog *dialog;

  /* The run's failure text, with the reason; no option: FALSE. */
  dialog = ask (f, NULL);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_false (f->option);
  complete (f, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "it broke"));
  g_assert_cmpstr (g_ptr_array_index (f->toasts, 0), ==, "Thing not deleted: it broke");

  /* The finish function's own failure text. */
  dialog = ask (f, NULL);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  complete (f, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "no"));
  g_assert_cmpstr (g_ptr_array_index (f->toasts, 1), ==, "Not allowed: no");

  /* Cancelled: nothing to say. */
  dialog = ask (f, NULL);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  complete (f, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  g_assert_cmpuint (f->toasts->len, ==, 2);

  g_assert_cmpuint (f->n_begun, ==, 3);
  g_assert_cmpuint (f->n_ended, ==, 3);
}

/* The owner cannot run it now: the entry it began ends at once, nothing else happens. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  CbConfirmDialog *dialog = ask (f, NULL);

  f->refuse = TRUE;
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpuint (f->n_started, ==, 0);
  g_assert_cmpuint (f->n_begun, ==, f->n_ended);
  g_assert_cmpuint (f->toasts->len, ==, 0);
}

/* A dialog answered after its owner is gone does nothing. */
static void
test_owner_gone (Fixture       *f,
                 gconstpointer  data)
{
  CbConfirmDialog *dialog = g_object_ref (ask (f, NULL));

  g_clear_object (&f->owner);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_assert_cmpuint (f->n_begun, ==, 0);
  g_assert_null (f->task);
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app-confirm-run/confirmed", Fixture, NULL, fixture_set_up, test_confirmed,
              fixture_tear_down);
  g_test_add ("/cb/app-confirm-run/cancelled-response", Fixture, NULL, fixture_set_up,
              test_cancelled_response, fixture_tear_down);
  g_test_add ("/cb/app-confirm-run/errors", Fixture, NULL, fixture_set_up, test_errors,
              fixture_tear_down);
  g_test_add ("/cb/app-confirm-run/refused", Fixture, NULL, fixture_set_up, test_refused,
              fixture_tear_down);
  g_test_add ("/cb/app-confirm-run/owner-gone", Fixture, NULL, fixture_set_up, test_owner_gone,
              fixture_tear_down);

  return g_test_run ();
}
