/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the benchmarks that print a ratio share: CPU clocks of a process and of this thread,
 * min/median/max of a series, a certbench-sandbox process to measure against, and waiting
 * for an asynchronous result on the main loop. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* utime + stime of process pid so far, in ms (10 ms resolution on Linux). */
double  bench_process_cpu_ms (GPid          pid);
/* CPU of the calling thread so far, in ms. */
double  bench_thread_cpu_ms  (void);
/* CPU of the reaped children of this process so far (getrusage), in ms. */
double  bench_children_cpu_ms (void);
double  bench_now_ms         (void);

/* Sorts v and gives its min, median and max. */
void    bench_stats          (double       *v,
                              guint         n,
                              double       *min,
                              double       *median,
                              double       *max);
/* Prints "label  min  median  max" with format fmt ("%.1f"…) for each value. */
void    bench_print_stats    (const char   *label,
                              const char   *fmt,
                              double       *v,
                              guint         n,
                              double       *median);

/* Starts `sandbox_exe --data-dir data_dir --port 0 --lro-delay-ms 0 [--seed demo]` with its
 * output (stdout and stderr) in out_path, ended when this process ends, and returns its URL
 * once it listens (aborts if it does not within a minute). pid may be NULL. */
GSubprocess *bench_spawn_sandbox_full (const char  *sandbox_exe,
                                       const char  *data_dir,
                                       const char  *out_path,
                                       gboolean     seed,
                                       char       **url,
                                       GPid        *pid);
/* The same, seeded. */
GSubprocess *bench_spawn_sandbox (const char  *sandbox_exe,
                                  const char  *data_dir,
                                  const char  *out_path,
                                  char       **url,
                                  GPid        *pid);

/* A GAsyncReadyCallback that keeps the result in *user_data, and the loop that waits for it. */
void          bench_store_result (GObject       *object,
                                  GAsyncResult  *result,
                                  gpointer       user_data);
GAsyncResult *bench_wait         (GAsyncResult **slot);

/* rm -rf of a benchmark's own temporary folder. */
void          bench_remove_tree  (const char    *path);

G_END_DECLS
