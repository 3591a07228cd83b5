/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The station's settings that the app and the CLI both read (GSettings, with the defaults
 * when the schema is not installed). */
#define G_LOG_DOMAIN "cb-app-settings"

#include "config.h"

#include <gio/gio.h>

#include "cb-app-settings.h"
#include "cb-device-drivers.h"
#include "cb-x509.h"

double
cb_app_settings_get_renewal_fraction (void)
{
  GSettingsSchema *schema;
  double fraction = CB_DEFAULT_RENEWAL_FRACTION;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "io.github.certbench.Certbench", TRUE);
  if (schema != NULL)
    {
      g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");

      fraction = g_settings_get_double (settings, "renewal-fraction");
      g_settings_schema_unref (schema);
    }
  return fraction;
}

static GSettings *
app_settings (void)
{
  GSettingsSchema *schema;
  GSettings *settings = NULL;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "io.github.certbench.Certbench", TRUE);
  if (schema != NULL && g_settings_schema_has_key (schema, "port-drivers"))
    settings = g_settings_new ("io.github.certbench.Certbench");
  if (schema != NULL)
    g_settings_schema_unref (schema);
  return settings;
}

char *
cb_app_settings_dup_port_driver (const char *path)
{
  g_autoptr(GSettings) settings = app_settings ();
  g_autoptr(GVariant) map = NULL;
  const char *name = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (settings != NULL)
    {
      map = g_settings_get_value (settings, "port-drivers");
      if (g_variant_lookup (map, path, "&s", &name) && cb_device_drivers_is_known (name))
        return g_strdup (name);
    }
  return g_strdup (CB_DEVICE_DRIVER_AUTO);
}

gboolean
cb_app_settings_set_port_driver (const char  *path,
                                 const char  *name,
                                 GError     **error)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GVariant) map = NULL;
  GVariantBuilder builder;
  GVariantIter iter;
  const char *key, *value;

  g_return_val_if_fail (path != NULL, FALSE);

  if (name != NULL && !cb_device_drivers_is_known (name))
    {
      g_set_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE,
                   "There is no device driver “%s” (use one of: auto, smp, nrf91)", name);
      return FALSE;
    }
  settings = app_settings ();
  if (settings == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "The settings schema is not installed");
      return FALSE;
    }

  map = g_settings_get_value (settings, "port-drivers");
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_variant_iter_init (&iter, map);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    if (g_strcmp0 (key, path) != 0)
      g_variant_builder_add (&builder, "{ss}", key, value);
  if (name != NULL && g_strcmp0 (name, CB_DEVICE_DRIVER_AUTO) != 0)
    g_variant_builder_add (&builder, "{ss}", path, name);
  return g_settings_set_value (settings, "port-drivers", g_variant_builder_end (&builder));
}
