/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Registry's device list scrolled from its first to its last device at fleet scale.
 *
 * A sandbox in this process is seeded with a fleet through its own code (cb-sandbox-seed-fleet,
 * as `certbench-sandbox --seed fleet --devices N`); then, each in a child process of its own so
 * that its peak memory is its own:
 *  - the app's part: the Registry's device model (CbDeviceListModel, its real paging) in the
 *    Registry's device table (CbDeviceTable: a GtkColumnView, a GtkListView inside) in a
 *    1280x800 window, scrolled to the end on every frame as a scrollbar dragged down and held,
 *    until the last device is in and shown: the time to get there, the longest gap between
 *    two frames while scrolling (the longest stall of the main loop), the peak RSS and the
 *    peak of the memory GNOME System Monitor shows for a process (resident - shared);
 *  - the reference: the same hub queries, page after page of the same sizes, over HTTPS with
 *    the same client and no UI (the raw walk), its time and peak RSS.
 * Repeated, min/median/max, and the ratios app/raw.
 *
 * Run (needs a display; Xvfb does): xvfb-run -a bench-registry-scroll [devices] [repeats]
 * CB_BENCH_WRAP="heaptrack -o /tmp/x" (say) runs the window children under a tool.
 * CB_BENCH_VARIANTS="MALLOC_ARENA_MAX=2;CB_BENCH_TRIM=1" (say): run r sets the variables of
 * variant r (count the runs so), one line a run, on one seeded sandbox walked once. */
#include "config.h"

#include <adwaita.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"
#include "cb-device-item.h"
#include "cb-device-list-model.h"
#include "cb-device-table.h"
#include "cb-hub-client.h"
#include "cb-http.h"
#include "cb-sandbox-client.h"
#include "cb-sandbox-private.h"
#include "cb-sandbox-seed-fleet.h"
#include "cb-sb-info.h"
#include "cb-sb-topology.h"

#define HUB_KEY_ENV "CB_BENCH_HUB_KEY"
/* The walk's pages: the sizes the model asks for as a view keeps reaching the end. */
#define FIRST_PAGE  50
#define LAST_PAGE   1000

/* Peak resident memory of this process so far, in MiB. */
static double
peak_rss_mib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    return -1;
  return g_ascii_strtod (line + strlen ("VmHWM:"), NULL) / 1024.0;
}

/* What GNOME System Monitor shows as a process's memory: resident minus shared (libgtop's
 * proc_mem, statm's resident - share; the share being the resident pages of files and shared
 * memory: libraries' code, the X server's shared images), i.e. the pages only this process
 * holds, in MiB. VmHWM counts the libraries' pages too: llvmpipe's libLLVM alone is 54 MiB of
 * them, shared with every other GL client on the machine. */
static double
private_resident_mib (void)
{
  char buf[128];
  unsigned long size, resident, share;
  FILE *statm = fopen ("/proc/self/statm", "re");
  gboolean ok;

  if (statm == NULL)
    return -1;
  ok = fgets (buf, sizeof buf, statm) != NULL &&
       sscanf (buf, "%lu %lu %lu", &size, &resident, &share) == 3;
  fclose (statm);
  if (!ok)
    return -1;
  return (double) (resident - share) * sysconf (_SC_PAGESIZE) / 1048576.0;
}

/* The kernel keeps no peak of that figure: a thread samples it every 5 ms (a page of twins
 * parsed in a worker thread, the renderer's frame: what lasts less goes unseen). */
#define SAMPLE_MS 5

static gint private_sampling;
static double private_peak;   /* written by the sampler only; read after it stopped */

static gpointer
private_sampler (gpointer user_data)
{
  while (g_atomic_int_get (&private_sampling))
    {
      private_peak = MAX (private_peak, private_resident_mib ());
      g_usleep (SAMPLE_MS * 1000);
    }
  return NULL;
}

static GThread *
private_sampler_start (void)
{
  g_atomic_int_set (&private_sampling, TRUE);
  return g_thread_new ("private-sampler", private_sampler, NULL);
}

/* Stops the sampler and returns the peak it saw, in MiB. */
static double
private_sampler_stop (GThread *sampler)
{
  g_atomic_int_set (&private_sampling, FALSE);
  g_thread_join (sampler);
  return MAX (private_peak, private_resident_mib ());
}

static int
compare_rss (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  gsize ra = GPOINTER_TO_SIZE (g_hash_table_lookup (user_data, a));
  gsize rb = GPOINTER_TO_SIZE (g_hash_table_lookup (user_data, b));

  return ra < rb ? 1 : ra > rb ? -1 : 0;
}

/* Where the resident memory is, to stderr: the largest mappings by Rss (anonymous ones, the
 * heap, each library and device file), and malloc's own count of what is in use. */
static void
print_memory_map (const char *when)
{
  g_autofree char *smaps = NULL;
  g_autoptr(GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GList) names = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *current = NULL;
  struct mallinfo2 info = mallinfo2 ();
  guint shown = 0;

  if (!g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL))
    return;
  lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_ascii_isxdigit (line[0]) && strchr (line, '-') != NULL && strchr (line, ' ') != NULL)
        {
          /* "start-end perms offset dev inode   path" */
          g_auto(GStrv) fields = g_strsplit_set (line, " ", 6);
          const char *path = g_strv_length (fields) == 6 ? g_strstrip (fields[5]) : "";

          g_free (current);
          current = g_strdup (*path != '\0' ? path : "[anonymous]");
        }
      else if (current != NULL && g_str_has_prefix (line, "Rss:"))
        {
          guint64 kib = g_ascii_strtoull (line + strlen ("Rss:"), NULL, 10);
          gpointer old = g_hash_table_lookup (by_name, current);

          g_hash_table_insert (by_name, g_strdup (current),
                               GSIZE_TO_POINTER (GPOINTER_TO_SIZE (old) + kib));
        }
    }

  names = g_hash_table_get_keys (by_name);
  names = g_list_sort_with_data (names, (GCompareDataFunc) compare_rss, by_name);
  g_printerr ("memory %s: VmHWM %.1f MiB; resident - shared %.1f MiB; malloc in use %.1f MiB "
              "of %.1f MiB arena+mmap\n", when, peak_rss_mib (), private_resident_mib (),
              info.uordblks / 1048576.0,
              (info.arena + info.hblkhd) / 1048576.0);
  for (GList *l = names; l != NULL && shown < 8; l = l->next, shown++)
    g_printerr ("  %8.1f MiB  %s\n",
                GPOINTER_TO_SIZE (g_hash_table_lookup (by_name, l->data)) / 1024.0,
                (const char *) l->data);
}

/* The CPU time this thread has used, in µs: a stall's own cost, whatever else the machine's
 * cores are doing (on a loaded machine a gap's wall time is many times its CPU time). */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- in a child: the hub client the app would have ------------------------------------- */

static CbHubClient *
child_hub (const char *info_path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(GError) error = NULL;
  CbHubClient *hub;

  if (!json_parser_load_from_file (parser, info_path, &error))
    g_error ("%s: %s", info_path, error->message);
  profile = cb_profile_new_from_sandbox_info (json_node_get_object (json_parser_get_root (parser)),
                                              NULL);
  http = cb_http_client_new (profile, &error);
  if (http == NULL)
    g_error ("http: %s", error->message);
  hub = cb_hub_client_new (profile, http, NULL);
  cb_hub_client_set_sas_key (hub, "iothubowner", g_getenv (HUB_KEY_ENV));
  return hub;
}

/* The reference: every page of the model's query (CB_DEVICE_ROW_SELECT), of its sizes, read
 * and dropped. Prints "RESULT ms stall_ms rss_mib n". */
static int
child_walk (const char *info_path)
{
  g_autoptr(CbHubClient) hub = child_hub (info_path);
  g_autofree char *continuation = NULL;
  guint size = FIRST_PAGE;
  guint n = 0;
  double start = bench_now_ms ();

  do
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(CbHubQueryPage) page = NULL;
      g_autoptr(GError) error = NULL;

      cb_hub_client_query_async (hub, CB_DEVICE_ROW_SELECT " FROM devices", size, continuation,
                                 NULL, bench_store_result, &result);
      page = cb_hub_client_query_finish (hub, bench_wait (&result), &error);
      if (page == NULL)
        g_error ("query: %s", error->message);
      n += page->items != NULL ? json_array_get_length (page->items) : 0;
      g_free (continuation);
      continuation = g_strdup (page->continuation);
      size = MIN (size * 2, LAST_PAGE);
    }
  while (continuation != NULL);

  printf ("RESULT %.1f %.1f %.1f %u\n", bench_now_ms () - start, 0.0, peak_rss_mib (), n);
  return 0;
}

typedef struct
{
  CbDeviceListModel *model;         /* NULL: the bare reference's string list, all there */
  GListModel        *list;
  GtkAdjustment     *vadjustment;
  GMainLoop         *loop;
  guint              expected;
  gint64             last_frame;
  gint64             longest_gap;
  gint64             last_frame_cpu;
  gint64             most_cpu;           /* main-thread CPU between two frames */
  guint              frames;
  double             start;
  double             reached;
  double             rss_before;
  double             private_before;
  gint64             emission_start;
  gint64             longest_emission;   /* the views' handling of one items-changed */
  gint64             emission_cpu_start;
  gint64             most_emission_cpu;
  gboolean           trim;
  guint              emissions;
  GtkStringList     *grow;               /* the bare reference's rows, added as frames go */
  guint              grow_per_frame;
} Scroll;

static void
emission_start_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Scroll     *scroll)
{
  scroll->emission_start = g_get_monotonic_time ();
  scroll->emission_cpu_start = thread_cpu_us ();
}

static void
emission_end_cb (GListModel *model,
                 guint       position,
                 guint       removed,
                 guint       added,
                 Scroll     *scroll)
{
  scroll->longest_emission = MAX (scroll->longest_emission,
                                  g_get_monotonic_time () - scroll->emission_start);
  scroll->most_emission_cpu = MAX (scroll->most_emission_cpu,
                                   thread_cpu_us () - scroll->emission_cpu_start);
  /* CB_BENCH_TRIM=1: malloc's free pages handed back every ten slices (a measurement of
   * what glibc keeps, docs/performance.md), inside the timed handling. */
  if (scroll->trim && ++scroll->emissions % 10 == 0)
    malloc_trim (0);
}

/* Frames drawn before the clock starts: the first ones build the renderer's caches. */
#define WARM_UP_FRAMES 10

/* Every frame: the gap since the one before, then the scrollbar held at the end. Done when
 * the last device is in and the view shows the end of the list. */
static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  Scroll *scroll = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();
  double upper = gtk_adjustment_get_upper (scroll->vadjustment);
  double page = gtk_adjustment_get_page_size (scroll->vadjustment);

  if (++scroll->frames <= WARM_UP_FRAMES)
    {
      scroll->start = bench_now_ms ();
      scroll->rss_before = peak_rss_mib ();
      scroll->private_before = private_peak;
      scroll->last_frame = now;
      scroll->last_frame_cpu = cpu;
      return G_SOURCE_CONTINUE;
    }
  scroll->longest_gap = MAX (scroll->longest_gap, now - scroll->last_frame);
  scroll->last_frame = now;
  scroll->most_cpu = MAX (scroll->most_cpu, cpu - scroll->last_frame_cpu);
  scroll->last_frame_cpu = cpu;

  if (g_list_model_get_n_items (scroll->list) == scroll->expected &&
      (scroll->model == NULL || cb_device_list_model_get_complete (scroll->model)) &&
      gtk_adjustment_get_value (scroll->vadjustment) >= upper - page - 1)
    {
      scroll->reached = bench_now_ms ();
      g_main_loop_quit (scroll->loop);
      return G_SOURCE_REMOVE;
    }
  /* The bare reference takes in its rows at the pace certbench's list got them, frame by
   * frame, so that it draws as many frames of a growing list as certbench did. */
  if (scroll->grow != NULL)
    {
      guint have = g_list_model_get_n_items (G_LIST_MODEL (scroll->grow));
      guint n = MIN (scroll->grow_per_frame, scroll->expected - have);
      g_autoptr(GPtrArray) add = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < n; i++)
        g_ptr_array_add (add, g_strdup_printf ("fleet-%06u", have + i));
      g_ptr_array_add (add, NULL);
      gtk_string_list_splice (scroll->grow, have, 0, (const char * const *) add->pdata);
    }
  gtk_adjustment_set_value (scroll->vadjustment, upper - page);
  return G_SOURCE_CONTINUE;
}

static gboolean
give_up_cb (gpointer user_data)
{
  Scroll *scroll = user_data;

  g_printerr ("The list stopped at %u of %u devices\n",
              g_list_model_get_n_items (scroll->list), scroll->expected);
  exit (1);
}

/* The app's part. Prints "RESULT ms stall_ms rss_mib n". */
static int
child_ui (const char *info_path,
          guint       expected)
{
  g_autoptr(CbHubClient) hub = NULL;
  g_autoptr(CbDeviceListModel) model = NULL;
  g_autoptr(GtkSingleSelection) selection = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  GtkWidget *window;
  GtkWidget *table;
  GtkWidget *scrolled;
  Scroll scroll = { 0 };
  GThread *sampler = private_sampler_start ();
  double private_max;

  gtk_init ();
  adw_init ();
  hub = child_hub (info_path);
  loop = g_main_loop_new (NULL, FALSE);

  /* As the Registry page sets it up (cb-registry-page.c). */
  model = cb_device_list_model_new ();
  cb_device_list_model_set_hub (model, hub);
  /* Around the selection's and the view's handlers: what taking in a page costs the view. */
  g_signal_connect (model, "items-changed", G_CALLBACK (emission_start_cb), &scroll);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (model)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  table = cb_device_table_new ();
  cb_device_table_set_model (CB_DEVICE_TABLE (table), GTK_SELECTION_MODEL (selection));
  g_signal_connect_after (model, "items-changed", G_CALLBACK (emission_end_cb), &scroll);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), table);
  gtk_window_present (GTK_WINDOW (window));

  /* The first page shown, then the clock starts and the scrollbar goes down. */
  cb_device_list_model_reload (model);
  while (g_list_model_get_n_items (G_LIST_MODEL (model)) == 0 ||
         !gtk_widget_get_mapped (window))
    g_main_context_iteration (NULL, TRUE);

  scrolled = gtk_widget_get_first_child (table);
  while (scrolled != NULL && !GTK_IS_SCROLLED_WINDOW (scrolled))
    scrolled = gtk_widget_get_first_child (scrolled);
  g_assert (scrolled != NULL);
  print_memory_map ("certbench with its first page");
  scroll.model = model;
  scroll.trim = g_strcmp0 (g_getenv ("CB_BENCH_TRIM"), "1") == 0;
  scroll.list = G_LIST_MODEL (model);
  scroll.vadjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  scroll.loop = loop;
  scroll.expected = expected;
  gtk_widget_add_tick_callback (table, tick_cb, &scroll, NULL);
  g_timeout_add_seconds (600, give_up_cb, &scroll);
  g_main_loop_run (loop);

  private_max = private_sampler_stop (sampler);
  print_memory_map ("certbench at the end");
  printf ("RESULT %.1f %.1f %.1f %u %.1f %.1f %.1f %.1f %u %.1f %.1f\n",
          scroll.reached - scroll.start, scroll.longest_gap / 1000.0, peak_rss_mib (),
          g_list_model_get_n_items (G_LIST_MODEL (model)), scroll.rss_before,
          scroll.longest_emission / 1000.0, scroll.most_cpu / 1000.0,
          scroll.most_emission_cpu / 1000.0, scroll.frames - WARM_UP_FRAMES, private_max,
          scroll.private_before);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

/* The toolkit's own share: a bare GtkColumnView of the same six columns (one label a cell)
 * over a GtkStringList of as many device names, in the same window, scrolled to the end the
 * same way while its rows arrive as certbench's did: 50 first, then as many a frame as make
 * it reach the end in the same number of frames certbench's run drew (the window redrawn as
 * often over a list as long), but with no network, JSON or items of ours. What this costs,
 * certbench's list cannot do without. */
static void
bare_setup_cb (GtkSignalListItemFactory *factory,
               GObject                  *object,
               gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (GTK_LIST_ITEM (object), label);
}

static void
bare_bind_cb (GtkSignalListItemFactory *factory,
              GObject                  *object,
              gpointer                  user_data)
{
  GtkListItem *list_item = GTK_LIST_ITEM (object);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (list_item)),
                      gtk_string_object_get_string (gtk_list_item_get_item (list_item)));
}

static int
child_bare (guint expected,
            guint frames)
{
  static const char * const titles[] = {
    "Device", "Enabled", "Policy", "Reported valid until", "Days left", "State",
  };
  g_autoptr(GtkStringList) strings = gtk_string_list_new (NULL);
  g_autoptr(GtkSingleSelection) selection = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  GtkWidget *window;
  GtkWidget *view;
  GtkWidget *scrolled;
  Scroll scroll = { 0 };
  GThread *sampler = private_sampler_start ();
  double private_max;

  gtk_init ();
  adw_init ();
  loop = g_main_loop_new (NULL, FALSE);
  for (guint i = 0; i < 50; i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "fleet-%06u", i);
      gtk_string_list_append (strings, name);
    }
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (strings)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  view = gtk_column_view_new (GTK_SELECTION_MODEL (g_object_ref (selection)));
  gtk_column_view_set_show_row_separators (GTK_COLUMN_VIEW (view), TRUE);
  gtk_widget_add_css_class (view, "data-table");
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      g_signal_connect (factory, "setup", G_CALLBACK (bare_setup_cb), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bare_bind_cb), NULL);
      column = gtk_column_view_column_new (titles[i], factory);
      gtk_column_view_column_set_expand (column, i == 0);
      if (i > 0)
        gtk_column_view_column_set_fixed_width (column, 150);
      gtk_column_view_append_column (GTK_COLUMN_VIEW (view), column);
    }
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), scrolled);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (window))
    g_main_context_iteration (NULL, TRUE);

  scroll.list = G_LIST_MODEL (strings);
  scroll.vadjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  scroll.loop = loop;
  scroll.expected = expected;
  scroll.grow = strings;
  scroll.grow_per_frame = (expected - 50 + MAX (frames, 1) - 1) / MAX (frames, 1);
  gtk_widget_add_tick_callback (view, tick_cb, &scroll, NULL);
  g_timeout_add_seconds (600, give_up_cb, &scroll);
  print_memory_map ("bare column view at the top");
  g_main_loop_run (loop);

  private_max = private_sampler_stop (sampler);
  print_memory_map ("bare column view at the end");
  printf ("RESULT %.1f %.1f %.1f %u %.1f %.1f %.1f %.1f %u %.1f %.1f\n",
          scroll.reached - scroll.start, scroll.longest_gap / 1000.0, peak_rss_mib (), expected,
          scroll.rss_before, 0.0, scroll.most_cpu / 1000.0, 0.0, scroll.frames - WARM_UP_FRAMES,
          private_max, scroll.private_before);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

/* ---- the parent: the sandbox, the runs, the figures ------------------------------------ */

typedef struct
{
  double ms;
  double stall_ms;
  double rss_mib;
  guint  n;
  double rss_before_mib;   /* the window with its first page, before scrolling */
  double emission_ms;      /* the longest items-changed handling */
  double cpu_ms;           /* the most main-thread CPU between two frames */
  double emission_cpu_ms;  /* the most main-thread CPU in one items-changed handling */
  guint  frames;           /* drawn after the warm-up, to the end */
  double private_mib;      /* peak resident - shared: the memory System Monitor shows */
  double private_before_mib;
} Run;

static Run
run_child (const char *self_exe,
           const char *mode,
           const char *info_path,
           const char *hub_key,
           guint       devices,
           guint       frames,
           const char *variant)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *n = g_strdup_printf ("%u", devices);
  g_autofree char *f = g_strdup_printf ("%u", frames);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) wrap = NULL;
  const char *wrap_env = g_getenv ("CB_BENCH_WRAP");
  const char *line;
  Run run = { 0 };

  /* A tool to run the window children under (heaptrack, valgrind --tool=massif ...). */
  if (wrap_env != NULL && strcmp (mode, "walk") != 0 &&
      !g_shell_parse_argv (wrap_env, NULL, &wrap, &error))
    g_error ("CB_BENCH_WRAP: %s", error->message);
  for (guint i = 0; wrap != NULL && wrap[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (wrap[i]));
  g_ptr_array_add (argv, g_strdup (self_exe));
  g_ptr_array_add (argv, g_strdup ("--child"));
  g_ptr_array_add (argv, g_strdup (mode));
  g_ptr_array_add (argv, g_strdup (info_path));
  g_ptr_array_add (argv, g_strdup (n));
  g_ptr_array_add (argv, g_strdup (f));
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, HUB_KEY_ENV, hub_key, TRUE);
  if (variant != NULL)
    {
      g_auto(GStrv) vars = g_strsplit (variant, " ", -1);

      for (guint i = 0; vars[i] != NULL; i++)
        {
          g_auto(GStrv) kv = g_strsplit (vars[i], "=", 2);

          if (kv[0] != NULL && kv[1] != NULL)
            g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
        }
    }
  child = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  if (child == NULL || !g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, &error))
    g_error ("%s: %s", mode, error->message);
  if (!g_subprocess_get_successful (child) || (line = strstr (out, "RESULT ")) == NULL ||
      sscanf (line, "RESULT %lf %lf %lf %u %lf %lf %lf %lf %u %lf %lf", &run.ms, &run.stall_ms,
              &run.rss_mib, &run.n, &run.rss_before_mib, &run.emission_ms, &run.cpu_ms,
              &run.emission_cpu_ms, &run.frames, &run.private_mib,
              &run.private_before_mib) < 4)
    g_error ("The %s run failed: %s", mode, out);
  return run;
}

int
main (int   argc,
      char *argv[])
{
  guint devices;
  guint repeats;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *info_path = NULL;
  g_autofree char *info_json = NULL;
  g_autofree char *hub_key = NULL;
  g_autofree char *self_exe = NULL;
  g_autoptr(CbSandbox) sandbox = NULL;
  g_autoptr(JsonNode) info = NULL;
  g_autofree double *ui_ms = NULL, *ui_stall = NULL, *ui_rss = NULL, *ui_rss0 = NULL;
  g_autofree double *ui_emission = NULL, *ui_cpu = NULL, *ui_emission_cpu = NULL;
  g_autofree double *bare_cpu = NULL;
  g_autofree double *ui_frames = NULL, *bare_frames = NULL, *ui_minus_bare = NULL;
  g_autofree double *raw_ms = NULL, *raw_rss = NULL;
  g_autofree double *bare_ms = NULL, *bare_stall = NULL, *bare_rss = NULL, *bare_rss0 = NULL;
  g_autofree double *ui_priv = NULL, *ui_priv0 = NULL, *bare_priv = NULL, *bare_priv0 = NULL;
  g_autofree double *ui_minus_bare_priv = NULL;
  double ui_med, raw_med, ui_rss_med, raw_rss_med, stall_med, ui_priv_med;
  CbSandboxFleetSpec spec;
  double t0;
  g_auto(GStrv) variants = NULL;
  Run last_raw = { 0 };

  if (argc == 6 && strcmp (argv[1], "--child") == 0)
    {
      if (strcmp (argv[2], "ui") == 0)
        return child_ui (argv[3], (guint) atoi (argv[4]));
      if (strcmp (argv[2], "bare") == 0)
        return child_bare ((guint) atoi (argv[4]), (guint) atoi (argv[5]));
      return child_walk (argv[3]);
    }

  devices = argc > 1 ? (guint) atoi (argv[1]) : 100000;
  repeats = argc > 2 ? (guint) atoi (argv[2]) : 3;
  if (devices < 100 || repeats < 1)
    {
      fprintf (stderr, "usage: %s [devices ≥ 100] [repeats ≥ 1]\n", argv[0]);
      return 2;
    }
  if (g_getenv ("CB_BENCH_VARIANTS") != NULL)
    variants = g_strsplit (g_getenv ("CB_BENCH_VARIANTS"), ";", -1);
  self_exe = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  dir = g_dir_make_tmp ("bench-registry-scroll-XXXXXX", &error);
  g_assert_no_error (error);

  sandbox = cb_sandbox_new (dir);
  cb_sandbox_set_port (sandbox, 0);
  cb_sandbox_set_mqtt_port (sandbox, 0);
  if (!cb_sandbox_start_in_thread (sandbox, &error))
    g_error ("start: %s", error->message);
  spec = (CbSandboxFleetSpec) { devices, devices / 50, 20, devices / 10 };
  t0 = bench_now_ms ();
  if (!cb_sandbox_seed_fleet (sandbox, &spec, &error))
    g_error ("seed: %s", error->message);

  cb_sb_lock (sandbox);
  info = cb_sb_build_info (sandbox);
  hub_key = cb_sb_dup_hub_key (sandbox, "demo-hub", "iothubowner");
  cb_sb_unlock (sandbox);
  info_json = json_to_string (info, FALSE);
  info_path = g_build_filename (dir, "info.json", NULL);
  if (!g_file_set_contents (info_path, info_json, -1, &error))
    g_error ("%s", error->message);

  printf ("bench-registry-scroll: %u fleet devices in demo-hub (seeded in %.1f s), %u runs each\n",
          devices, (bench_now_ms () - t0) / 1000.0, repeats);
  ui_ms = g_new0 (double, repeats);
  ui_stall = g_new0 (double, repeats);
  ui_rss = g_new0 (double, repeats);
  ui_rss0 = g_new0 (double, repeats);
  ui_emission = g_new0 (double, repeats);
  ui_cpu = g_new0 (double, repeats);
  ui_emission_cpu = g_new0 (double, repeats);
  bare_cpu = g_new0 (double, repeats);
  ui_frames = g_new0 (double, repeats);
  bare_frames = g_new0 (double, repeats);
  ui_minus_bare = g_new0 (double, repeats);
  raw_ms = g_new0 (double, repeats);
  raw_rss = g_new0 (double, repeats);
  bare_ms = g_new0 (double, repeats);
  bare_stall = g_new0 (double, repeats);
  bare_rss = g_new0 (double, repeats);
  bare_rss0 = g_new0 (double, repeats);
  ui_priv = g_new0 (double, repeats);
  ui_priv0 = g_new0 (double, repeats);
  bare_priv = g_new0 (double, repeats);
  bare_priv0 = g_new0 (double, repeats);
  ui_minus_bare_priv = g_new0 (double, repeats);
  for (guint r = 0; r < repeats; r++)
    {
      /* The fleet and the demo seed's devices: the walk says how many the list must reach. */
      const char *variant = variants != NULL ? variants[r % g_strv_length (variants)] : NULL;
      Run raw = variants != NULL && r > 0 ? last_raw
                                          : run_child (self_exe, "walk", info_path, hub_key, 0, 0,
                                                       NULL);
      Run ui = run_child (self_exe, "ui", info_path, hub_key, raw.n, 0, variant);
      Run bare = run_child (self_exe, "bare", info_path, hub_key, raw.n, ui.frames, variant);

      last_raw = raw;
      if (variants != NULL)
        printf ("run %u [%s]: peak RSS %.1f MiB (first page %.1f), resident - shared %.1f MiB, "
                "%u frames, longest gap %.1f ms, most CPU between frames %.1f ms; bare: peak "
                "%.1f MiB, resident - shared %.1f MiB, %u frames, most CPU %.1f ms; certbench "
                "- bare %.1f MiB\n", r, variant, ui.rss_mib, ui.rss_before_mib, ui.private_mib,
                ui.frames, ui.stall_ms, ui.cpu_ms, bare.rss_mib, bare.private_mib, bare.frames,
                bare.cpu_ms, ui.rss_mib - bare.rss_mib);
      fflush (stdout);

      if (raw.n < devices || ui.n != raw.n)
        g_error ("The walk read %u devices and the list %u, of %u seeded", raw.n, ui.n, devices);

      raw_ms[r] = raw.ms;
      raw_rss[r] = raw.rss_mib;
      ui_ms[r] = ui.ms;
      ui_stall[r] = ui.stall_ms;
      ui_rss[r] = ui.rss_mib;
      ui_rss0[r] = ui.rss_before_mib;
      ui_emission[r] = ui.emission_ms;
      ui_cpu[r] = ui.cpu_ms;
      ui_emission_cpu[r] = ui.emission_cpu_ms;
      bare_cpu[r] = bare.cpu_ms;
      bare_ms[r] = bare.ms;
      bare_stall[r] = bare.stall_ms;
      bare_rss[r] = bare.rss_mib;
      bare_rss0[r] = bare.rss_before_mib;
      ui_frames[r] = ui.frames;
      bare_frames[r] = bare.frames;
      ui_minus_bare[r] = ui.rss_mib - bare.rss_mib;
      ui_priv[r] = ui.private_mib;
      ui_priv0[r] = ui.private_before_mib;
      bare_priv[r] = bare.private_mib;
      bare_priv0[r] = bare.private_before_mib;
      ui_minus_bare_priv[r] = ui.private_mib - bare.private_mib;
    }

  printf ("%-52s %10s %10s %10s\n", "", "min", "median", "max");
  bench_print_stats ("registry list scrolled to the last device, ms", "%10.0f", ui_ms, repeats,
                     &ui_med);
  bench_print_stats ("  longest gap between frames while scrolling, ms", "%10.1f", ui_stall,
                     repeats, &stall_med);
  bench_print_stats ("  most main-thread CPU between two frames, ms", "%10.1f", ui_cpu,
                     repeats, NULL);
  bench_print_stats ("  longest items-changed handling (view), ms", "%10.1f", ui_emission,
                     repeats, NULL);
  bench_print_stats ("  most CPU in one items-changed handling, ms", "%10.1f", ui_emission_cpu,
                     repeats, NULL);
  bench_print_stats ("  peak RSS, MiB", "%10.1f", ui_rss, repeats, &ui_rss_med);
  bench_print_stats ("  peak RSS with the first page shown, MiB", "%10.1f", ui_rss0, repeats,
                     NULL);
  bench_print_stats ("  peak memory as System Monitor counts it, MiB", "%10.1f", ui_priv,
                     repeats, &ui_priv_med);
  bench_print_stats ("    with the first page shown, MiB", "%10.1f", ui_priv0, repeats, NULL);
  bench_print_stats ("  frames drawn while scrolling", "%10.0f", ui_frames, repeats, NULL);
  bench_print_stats ("reference: raw hub walk over HTTPS, no UI, ms", "%10.0f", raw_ms, repeats,
                     &raw_med);
  bench_print_stats ("  peak RSS, MiB", "%10.1f", raw_rss, repeats, &raw_rss_med);
  bench_print_stats ("reference: bare GtkColumnView, as many frames, ms", "%10.0f", bare_ms,
                     repeats, NULL);
  bench_print_stats ("  longest gap between frames while scrolling, ms", "%10.1f", bare_stall,
                     repeats, NULL);
  bench_print_stats ("  most main-thread CPU between two frames, ms", "%10.1f", bare_cpu,
                     repeats, NULL);
  bench_print_stats ("  peak RSS, MiB", "%10.1f", bare_rss, repeats, NULL);
  bench_print_stats ("  peak RSS at the top, MiB", "%10.1f", bare_rss0, repeats, NULL);
  bench_print_stats ("  peak memory as System Monitor counts it, MiB", "%10.1f", bare_priv,
                     repeats, NULL);
  bench_print_stats ("    at the top, MiB", "%10.1f", bare_priv0, repeats, NULL);
  bench_print_stats ("  frames drawn while scrolling", "%10.0f", bare_frames, repeats, NULL);
  bench_print_stats ("certbench's own share: its peak RSS - the bare one's, MiB", "%10.1f",
                     ui_minus_bare, repeats, NULL);
  bench_print_stats ("  the same in memory as System Monitor counts it, MiB", "%10.1f",
                     ui_minus_bare_priv, repeats, NULL);
  printf ("ratio time to the last device / raw walk (medians): %.2fx\n", ui_med / raw_med);
  printf ("ratio peak RSS / raw walk's (medians): %.2fx\n", ui_rss_med / raw_rss_med);
  /* The 200 MB are 10^6 bytes: 190.7 MiB, of a process's memory as the desktop's own
   * tool shows it (GNOME System Monitor's Memory column: resident - shared). The peak RSS
   * above adds the resident pages of every library the process maps. */
  printf ("peak memory as System Monitor counts it (resident - shared, sampled every %d ms), "
          "median %.1f MiB; target < 200 MB (190.7 MiB): %s\n", SAMPLE_MS, ui_priv_med,
          ui_priv_med < 200e6 / 1048576.0 ? "met" : "NOT met");

  cb_sandbox_stop (sandbox);
  g_clear_object (&sandbox);
  bench_remove_tree (dir);
  return 0;
}
