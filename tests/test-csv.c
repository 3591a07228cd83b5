/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "cb-csv-reader.h"
#include "cb-csv-writer.h"
#include "cb-device-export.h"
#include "cb-device-item.h"

/* CSV as every export writes it (cb-csv-writer.c) and as the enrollment import reads it
 * (cb-csv-reader.c): RFC 4180 quoting, the spreadsheet formula guard, and a round trip of
 * hostile text through both. */

static void
test_field (void)
{
  const struct { const char *in, *out; } cases[] = {
    { "plain", "plain" },
    { "", "" },
    { NULL, "" },
    { "a,b", "\"a,b\"" },
    { "say \"hi\"", "\"say \"\"hi\"\"\"" },
    { "two\nlines", "\"two\nlines\"" },
    { "two\r\nlines", "\"two\r\nlines\"" },
    { "=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"" },
    { "+1", "\"'+1\"" },
    { "@SUM(A1)", "\"'@SUM(A1)\"" },
    { "-", "\"'-\"" },
    { "\tx", "\"'\tx\"" },
    { "\rx", "\"'\rx\"" },
    { "line1-sn-1", "line1-sn-1" },
    { "demo-0001", "demo-0001" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *field = cb_csv_field (cases[i].in);

      g_assert_cmpstr (field, ==, cases[i].out);
    }
}

/* What the writer writes, the reader reads back: the text as it was, except that a formula
 * keeps its guard quote (a spreadsheet shows that quote as the start of text). */
static void
test_round_trip (void)
{
  const char *row[] = { "SN-1", "a, \"quoted\"\r\nnext line", NULL, "=cmd|' /C calc'!A0", "ü" };
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  CbCsvRecord *r;

  cb_csv_append_row (out, (const char * const *) row, G_N_ELEMENTS (row));
  cb_csv_append_row (out, (const char * const *) row, 1);
  g_assert_true (g_str_has_suffix (out->str, "\r\n"));

  records = cb_csv_parse (out->str, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  r = g_ptr_array_index (records, 0);
  g_assert_cmpuint (g_strv_length (r->fields), ==, G_N_ELEMENTS (row));
  g_assert_cmpstr (r->fields[0], ==, "SN-1");
  g_assert_cmpstr (r->fields[1], ==, row[1]);
  g_assert_cmpstr (r->fields[2], ==, "");
  g_assert_cmpstr (r->fields[3], ==, "'=cmd|' /C calc'!A0");
  g_assert_cmpstr (r->fields[4], ==, "ü");
  r = g_ptr_array_index (records, 1);
  g_assert_cmpuint (r->line, ==, 3);
  g_assert_cmpstr (r->fields[0], ==, "SN-1");
  g_assert_null (r->fields[1]);
}

/* RFC 4180 as a spreadsheet writes it. */
static void
test_reader (void)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  CbCsvRecord *r;

  records = cb_csv_parse ("\xef\xbb\xbf" "a,\"b,c\"\r\n\r\n\"x\"\"y\",\"multi\nline\"\nlast,", -1,
                          &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 3);
  r = g_ptr_array_index (records, 0);
  g_assert_cmpuint (r->line, ==, 1);
  g_assert_cmpstr (r->fields[0], ==, "a");
  g_assert_cmpstr (r->fields[1], ==, "b,c");
  r = g_ptr_array_index (records, 1);
  g_assert_cmpuint (r->line, ==, 3);
  g_assert_cmpstr (r->fields[0], ==, "x\"y");
  g_assert_cmpstr (r->fields[1], ==, "multi\nline");
  r = g_ptr_array_index (records, 2);
  g_assert_cmpuint (r->line, ==, 5);
  g_assert_cmpstr (r->fields[0], ==, "last");
  g_assert_cmpstr (r->fields[1], ==, "");
  g_assert_null (r->fields[2]);
  g_clear_pointer (&records, g_ptr_array_unref);

  records = cb_csv_parse ("ok\n\"never closed,\n", -1, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "Line 2"));
  g_assert_null (records);
  g_clear_error (&error);
  records = cb_csv_parse ("\"quoted\"tail,x\n", -1, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (records);
}

/* A device id is the registry's, and a device id may start with "=" (IoT Hub allows
 * "= @ $ ' ( ) , : ! * ? . % _ -"): the devices export guards it as the journal does. */
static void
test_device_export (void)
{
  g_autoptr(JsonNode) twin = json_from_string ("{\"deviceId\": \"=1+1\", \"status\": \"enabled\"}",
                                               NULL);
  g_autoptr(CbDeviceItem) item = cb_device_item_new_from_twin (json_node_get_object (twin),
                                                               NULL, NULL);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  CbCsvRecord *r;

  g_ptr_array_add (items, item);
  csv = cb_device_export (items, CB_DEVICE_EXPORT_CSV);
  g_test_message ("%s", csv);
  records = cb_csv_parse (csv, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  r = g_ptr_array_index (records, 0);
  g_assert_cmpstr (r->fields[0], ==, "device_id");
  r = g_ptr_array_index (records, 1);
  g_assert_cmpstr (r->fields[0], ==, "'=1+1");
  g_assert_cmpstr (r->fields[1], ==, "true");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/csv/field", test_field);
  g_test_add_func ("/cb/csv/round-trip", test_round_trip);
  g_test_add_func ("/cb/csv/reader", test_reader);
  g_test_add_func ("/cb/csv/device-export", test_device_export);

  return g_test_run ();
}
