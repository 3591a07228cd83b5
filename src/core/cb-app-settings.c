/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The station's settings that the app and the CLI both read (GSettings, with the defaults
 * when the schema is not installed). */
#define G_LOG_DOMAIN "cb-app-settings"

#include "config.h"

#include <gio/gio.h>

#include "cb-app-settings.h"
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
