/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replays every seed (fuzz/corpus/<harness>/) and every input that once crashed
 * (fuzz/crashes/<harness>/) through the harnesses' entry points, built as ordinary code with
 * any compiler: the normal test suite keeps what the fuzzers found fixed. */
#include "config.h"

#include <glib.h>

#include "fuzz-harness.h"

#define DECLARE(sym) int sym (const uint8_t *data, size_t size);
DECLARE (cb_fuzz_frame)
DECLARE (cb_fuzz_smp)
DECLARE (cb_fuzz_bench_cbor)
DECLARE (cb_fuzz_mqtt_packet)
DECLARE (cb_fuzz_hub_query)
DECLARE (cb_fuzz_http_json)
DECLARE (cb_fuzz_x509)
DECLARE (cb_fuzz_sas)
DECLARE (cb_fuzz_sandbox_body)

typedef struct
{
  const char *name;
  int       (*one_input) (const uint8_t *data, size_t size);
} Harness;

/* Keep in step with fuzz/meson.build: test_every_folder_has_a_harness checks the folders. */
static const Harness harnesses[] = {
  { "frame", cb_fuzz_frame },
  { "smp", cb_fuzz_smp },
  { "bench-cbor", cb_fuzz_bench_cbor },
  { "mqtt-packet", cb_fuzz_mqtt_packet },
  { "hub-query", cb_fuzz_hub_query },
  { "http-json", cb_fuzz_http_json },
  { "x509", cb_fuzz_x509 },
  { "sas", cb_fuzz_sas },
  { "sandbox-body", cb_fuzz_sandbox_body },
};

static const char *
fuzz_dir (void)
{
  const char *dir = g_getenv ("CB_FUZZ_DIR");

  g_assert_nonnull (dir);
  return dir;
}

/* Runs every file in <fuzz>/<kind>/<harness>/; returns how many there were. */
static guint
replay (const Harness *h,
        const char    *kind)
{
  g_autofree char *path = g_build_filename (fuzz_dir (), kind, h->name, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *file;
  guint n = 0;

  if (dir == NULL)
    return 0;

  while ((file = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *input = g_build_filename (path, file, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (input, &contents, &len, &error));
      g_assert_no_error (error);
      g_test_message ("%s: %s/%s (%" G_GSIZE_FORMAT " bytes)", h->name, kind, file, len);
      g_assert_cmpint (h->one_input ((const uint8_t *) contents, len), ==, 0);
      n++;
    }

  return n;
}

static void
test_harness (gconstpointer data)
{
  const Harness *h = data;

  /* a harness without seeds would test nothing */
  g_assert_cmpuint (replay (h, "corpus"), >, 0);
  replay (h, "crashes");
  /* and the empty input */
  g_assert_cmpint (h->one_input ((const uint8_t *) "", 0), ==, 0);
}

static void
test_every_folder_has_a_harness (void)
{
  static const char * const kinds[] = { "corpus", "crashes" };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *path = g_build_filename (fuzz_dir (), kinds[k], NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          gboolean known = FALSE;

          for (guint i = 0; i < G_N_ELEMENTS (harnesses); i++)
            known = known || g_str_equal (harnesses[i].name, name);
          if (!known)
            g_error ("fuzz/%s/%s has no harness in fuzz-regress-main.c", kinds[k], name);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (harnesses); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cb/fuzz-regress/%s", harnesses[i].name);

      g_test_add_data_func (path, &harnesses[i], test_harness);
    }
  g_test_add_func ("/cb/fuzz-regress/every-folder-has-a-harness", test_every_folder_has_a_harness);

  return g_test_run ();
}
