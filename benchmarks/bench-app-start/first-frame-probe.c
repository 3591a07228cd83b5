/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The first-frame probe, loaded with LD_PRELOAD into the program under test: it wraps
 * gtk_window_present(), and when the frame clock of the first window presented finishes its
 * first paint it writes CLOCK_MONOTONIC (microseconds) to $BENCH_FIRST_FRAME_FILE and ends the
 * process. The same probe measures Certbench and the bare window, so both are timed to the
 * same event without either knowing. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <gtk/gtk.h>

void gtk_window_present (GtkWindow *window);

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  struct timespec ts;
  const char *path = g_getenv ("BENCH_FIRST_FRAME_FILE");
  FILE *out;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  if (path != NULL && (out = fopen (path, "w")) != NULL)
    {
      fprintf (out, "%" G_GINT64_FORMAT "\n",
               (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000);
      fclose (out);
    }
  _exit (0);
}

void
gtk_window_present (GtkWindow *window)
{
  static void (*real_present) (GtkWindow *) = NULL;
  static gboolean armed = TRUE;
  GdkSurface *surface;

  if (real_present == NULL)
    real_present = (void (*) (GtkWindow *)) dlsym (RTLD_NEXT, "gtk_window_present");
  real_present (window);

  if (!armed)
    return;
  armed = FALSE;
  surface = gtk_native_get_surface (GTK_NATIVE (window));
  if (surface != NULL)
    g_signal_connect (gdk_surface_get_frame_clock (surface), "after-paint",
                      G_CALLBACK (after_paint_cb), NULL);
}
