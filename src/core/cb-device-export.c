/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-export"

/* Devices written out as CSV or JSON (cb-device-export.h): one row per CbDeviceItem, the
 * same fields in both, so a spreadsheet and a script read the same thing. */

#include "config.h"

#include <json-glib/json-glib.h>

#include "cb-csv-writer.h"
#include "cb-device-export.h"
#include "cb-util.h"

static const char *const fields[] = {
  "device_id", "enabled", "state", "reason", "certificate_valid_until", "last_activity",
};

/* A row's values in the order of fields[]; NULL for unknown. */
static void
row_values (CbDeviceItem *item,
            char         *values[G_N_ELEMENTS (fields)])
{
  values[0] = g_strdup (cb_device_item_get_device_id (item));
  values[1] = g_strdup (cb_device_item_get_enabled (item) ? "true" : "false");
  values[2] = g_strdup (cb_device_item_get_state_label (item));
  values[3] = g_strdup (cb_device_item_get_state_reason (item));
  values[4] = cb_device_item_get_has_dates (item)
              ? cb_time_format_fixed (cb_device_item_get_valid_until (item)) : NULL;
  values[5] = cb_device_item_get_last_activity (item) > 0
              ? cb_time_format_fixed (cb_device_item_get_last_activity (item)) : NULL;
}

static char *
export_csv (GPtrArray *items)
{
  GString *out = g_string_new (NULL);

  cb_csv_append_row (out, fields, G_N_ELEMENTS (fields));
  for (guint r = 0; r < items->len; r++)
    {
      char *values[G_N_ELEMENTS (fields)];

      row_values (g_ptr_array_index (items, r), values);
      cb_csv_append_row (out, (const char * const *) values, G_N_ELEMENTS (fields));
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        g_free (values[i]);
    }
  return g_string_free (out, FALSE);
}

static char *
export_json (GPtrArray *items)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint r = 0; r < items->len; r++)
    {
      CbDeviceItem *item = g_ptr_array_index (items, r);
      char *values[G_N_ELEMENTS (fields)];

      row_values (item, values);
      json_builder_begin_object (builder);
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        {
          json_builder_set_member_name (builder, fields[i]);
          if (i == 1)
            json_builder_add_boolean_value (builder, cb_device_item_get_enabled (item));
          else if (values[i] == NULL)
            json_builder_add_null_value (builder);
          else
            json_builder_add_string_value (builder, values[i]);
          g_free (values[i]);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

char *
cb_device_export (GPtrArray            *items,
                  CbDeviceExportFormat  format)
{
  g_return_val_if_fail (items != NULL, NULL);

  if (format == CB_DEVICE_EXPORT_JSON)
    return export_json (items);
  return export_csv (items);
}
