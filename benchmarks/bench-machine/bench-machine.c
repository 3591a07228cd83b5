/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-machine: what this machine charges a process for the events a station's device costs,
 * so that the station's CPU per device (bench-station) can be read on another machine.
 *
 * A long-running station spends a device's CPU on a few hundred system calls, some tens of
 * main-loop wake-ups and its own code; on a virtual machine the first two, and the code that
 * runs just after a long sleep, can cost many times what they cost on hardware. This prints,
 * each the median of several rounds:
 *
 *   - a system call that does nothing (getppid), in ns;
 *   - a GLib main-context wake-up (an eventfd write, then poll and read), in ns;
 *   - the CPU charged to a thread for sleeping in poll() 1, 4 and 16 ms and waking up, in µs;
 *   - a fixed piece of work (touching a working set, default 1024 KiB, one byte a cache line)
 *     done warm, and done right after each of those sleeps: the ratio is what a wake-up after
 *     a device's answer costs the code that handles it, against the same code run warm.
 *
 * Run: ./build-opt/benchmarks/bench-machine/bench-machine [WORKING-SET-KIB [ROUNDS]]
 */

#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib.h>

#include "bench-common.h"

static guint8 *set;
static gsize set_size;
static volatile guint64 sink;

static void
touch_working_set (void)
{
  guint64 sum = 0;

  for (gsize i = 0; i < set_size; i += 64)
    sum += set[i]++;
  sink = sum;
}

static double
thread_cpu_ns (void)
{
  return bench_thread_cpu_ms () * 1e6;
}

static double
syscall_ns (guint n)
{
  double t0 = thread_cpu_ns ();

  for (guint i = 0; i < n; i++)
    syscall (SYS_getppid);
  return (thread_cpu_ns () - t0) / n;
}

static double
wakeup_ns (int  fd,
           guint n)
{
  struct pollfd p = { fd, POLLIN, 0 };
  guint64 value = 1;
  double t0 = thread_cpu_ns ();

  for (guint i = 0; i < n; i++)
    {
      if (write (fd, &value, sizeof value) != sizeof value ||
          poll (&p, 1, -1) != 1 ||
          read (fd, &value, sizeof value) != sizeof value)
        g_error ("eventfd: %s", g_strerror (errno));
      value = 1;
    }
  return (thread_cpu_ns () - t0) / n;
}

/* CPU charged for one sleep of ms and its wake-up, in µs. */
static double
sleep_us (guint ms,
          guint n)
{
  double t0 = thread_cpu_ns ();

  for (guint i = 0; i < n; i++)
    poll (NULL, 0, (int) ms);
  return (thread_cpu_ns () - t0) / n / 1000;
}

/* The work's CPU in µs, run right after a sleep of ms (0: warm, right after the same work). */
static double
work_us (guint ms,
         guint n)
{
  double total = 0;

  for (guint i = 0; i < n; i++)
    {
      double t0;

      if (ms > 0)
        poll (NULL, 0, (int) ms);
      else
        touch_working_set ();
      t0 = thread_cpu_ns ();
      touch_working_set ();
      total += thread_cpu_ns () - t0;
    }
  return total / n / 1000;
}

int
main (int   argc,
      char *argv[])
{
  guint kib = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1024;
  guint rounds = argc > 2 ? MAX ((guint) g_ascii_strtoull (argv[2], NULL, 10), 1) : 5;
  static const guint sleeps[] = { 1, 4, 16 };
  double *sys = g_new0 (double, rounds), *wake = g_new0 (double, rounds);
  double *slept[G_N_ELEMENTS (sleeps)], *after[G_N_ELEMENTS (sleeps)];
  double *warm = g_new0 (double, rounds);
  double med_sys, med_wake, med_warm, med_sleep, med_after;
  int fd = eventfd (0, EFD_CLOEXEC);

  if (fd < 0 || kib == 0)
    g_error ("usage: bench-machine [WORKING-SET-KIB [ROUNDS]]");
  set_size = (gsize) kib * 1024;
  set = g_malloc0 (set_size);
  for (guint s = 0; s < G_N_ELEMENTS (sleeps); s++)
    {
      slept[s] = g_new0 (double, rounds);
      after[s] = g_new0 (double, rounds);
    }

  for (guint r = 0; r < rounds; r++)
    {
      sys[r] = syscall_ns (100000);
      wake[r] = wakeup_ns (fd, 20000);
      warm[r] = work_us (0, 100);
      for (guint s = 0; s < G_N_ELEMENTS (sleeps); s++)
        {
          slept[s][r] = sleep_us (sleeps[s], 40);
          after[s][r] = work_us (sleeps[s], 40);
        }
    }

  printf ("This machine, %u rounds (min / median / max); working set %u KiB\n", rounds, kib);
  bench_print_stats ("a system call (getppid), ns", "%10.0f", sys, rounds, &med_sys);
  bench_print_stats ("a main-context wake-up (eventfd), ns", "%10.0f", wake, rounds, &med_wake);
  bench_print_stats ("the working set touched warm, µs", "%10.1f", warm, rounds, &med_warm);
  for (guint s = 0; s < G_N_ELEMENTS (sleeps); s++)
    {
      g_autofree char *l1 = g_strdup_printf ("a %u ms sleep and its wake-up, CPU µs", sleeps[s]);
      g_autofree char *l2 = g_strdup_printf ("the working set touched after it, µs");

      bench_print_stats (l1, "%10.1f", slept[s], rounds, &med_sleep);
      bench_print_stats (l2, "%10.1f", after[s], rounds, &med_after);
    }
  printf ("ratio, the working set after a 16 ms sleep / warm: %.2fx; a sleep and wake-up "
          "costs %.0f system calls\n", med_after / med_warm, med_sleep * 1000 / med_sys);

  close (fd);
  return 0;
}
