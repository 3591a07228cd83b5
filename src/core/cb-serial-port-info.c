/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-port-monitor"

/* CbSerialPortInfo: one serial port as the station lists it (path, USB ids and names, serial
 * number), built by hand or from udev properties. Immutable once built. */

#include "config.h"

#include <string.h>

#include "cb-serial-port-info.h"

struct _CbSerialPortInfo
{
  GObject   parent_instance;

  /* Owned */
  char     *path;
  char     *vendor_name;
  char     *product_name;
  char     *serial_number;

  guint     vendor_id;
  guint     product_id;
  gboolean  is_virtual;
};

G_DEFINE_FINAL_TYPE (CbSerialPortInfo, cb_serial_port_info, G_TYPE_OBJECT)

enum {
  INFO_PROP_0,
  INFO_PROP_PATH,
  INFO_PROP_VENDOR_ID,
  INFO_PROP_PRODUCT_ID,
  INFO_PROP_VENDOR_NAME,
  INFO_PROP_PRODUCT_NAME,
  INFO_PROP_SERIAL_NUMBER,
  INFO_PROP_IS_VIRTUAL,
  INFO_PROP_DISPLAY_NAME,
  INFO_N_PROPS
};

static GParamSpec *info_properties[INFO_N_PROPS];

static void
cb_serial_port_info_finalize (GObject *object)
{
  CbSerialPortInfo *self = (CbSerialPortInfo *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->vendor_name, g_free);
  g_clear_pointer (&self->product_name, g_free);
  g_clear_pointer (&self->serial_number, g_free);

  G_OBJECT_CLASS (cb_serial_port_info_parent_class)->finalize (object);
}

static void
cb_serial_port_info_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CbSerialPortInfo *self = CB_SERIAL_PORT_INFO (object);

  switch (prop_id)
    {
    case INFO_PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case INFO_PROP_VENDOR_ID:
      g_value_set_uint (value, self->vendor_id);
      break;
    case INFO_PROP_PRODUCT_ID:
      g_value_set_uint (value, self->product_id);
      break;
    case INFO_PROP_VENDOR_NAME:
      g_value_set_string (value, self->vendor_name);
      break;
    case INFO_PROP_PRODUCT_NAME:
      g_value_set_string (value, self->product_name);
      break;
    case INFO_PROP_SERIAL_NUMBER:
      g_value_set_string (value, self->serial_number);
      break;
    case INFO_PROP_IS_VIRTUAL:
      g_value_set_boolean (value, self->is_virtual);
      break;
    case INFO_PROP_DISPLAY_NAME:
      g_value_take_string (value, cb_serial_port_info_dup_display_name (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_serial_port_info_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CbSerialPortInfo *self = CB_SERIAL_PORT_INFO (object);

  switch (prop_id)
    {
    case INFO_PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case INFO_PROP_VENDOR_ID:
      self->vendor_id = g_value_get_uint (value);
      break;
    case INFO_PROP_PRODUCT_ID:
      self->product_id = g_value_get_uint (value);
      break;
    case INFO_PROP_VENDOR_NAME:
      self->vendor_name = g_value_dup_string (value);
      break;
    case INFO_PROP_PRODUCT_NAME:
      self->product_name = g_value_dup_string (value);
      break;
    case INFO_PROP_SERIAL_NUMBER:
      self->serial_number = g_value_dup_string (value);
      break;
    case INFO_PROP_IS_VIRTUAL:
      self->is_virtual = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_serial_port_info_class_init (CbSerialPortInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_serial_port_info_finalize;
  object_class->get_property = cb_serial_port_info_get_property;
  object_class->set_property = cb_serial_port_info_set_property;

  info_properties[INFO_PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, construct);
  info_properties[INFO_PROP_VENDOR_ID] =
    g_param_spec_uint ("vendor-id", NULL, NULL, 0, 0xffff, 0, construct);
  info_properties[INFO_PROP_PRODUCT_ID] =
    g_param_spec_uint ("product-id", NULL, NULL, 0, 0xffff, 0, construct);
  info_properties[INFO_PROP_VENDOR_NAME] =
    g_param_spec_string ("vendor-name", NULL, NULL, NULL, construct);
  info_properties[INFO_PROP_PRODUCT_NAME] =
    g_param_spec_string ("product-name", NULL, NULL, NULL, construct);
  info_properties[INFO_PROP_SERIAL_NUMBER] =
    g_param_spec_string ("serial-number", NULL, NULL, NULL, construct);
  info_properties[INFO_PROP_IS_VIRTUAL] =
    g_param_spec_boolean ("is-virtual", NULL, NULL, FALSE, construct);
  info_properties[INFO_PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, INFO_N_PROPS, info_properties);
}

static void
cb_serial_port_info_init (CbSerialPortInfo *self)
{
}

CbSerialPortInfo *
cb_serial_port_info_new (const char *path,
                         guint       vendor_id,
                         guint       product_id,
                         const char *vendor_name,
                         const char *product_name,
                         const char *serial_number,
                         gboolean    is_virtual)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (CB_TYPE_SERIAL_PORT_INFO,
                       "path", path,
                       "vendor-id", vendor_id & 0xffff,
                       "product-id", product_id & 0xffff,
                       "vendor-name", vendor_name,
                       "product-name", product_name,
                       "serial-number", serial_number,
                       "is-virtual", is_virtual,
                       NULL);
}

static const char *
lookup_nonempty (GHashTable *table,
                 const char *key)
{
  const char *value;

  if (table == NULL)
    return NULL;
  value = g_hash_table_lookup (table, key);
  return (value != NULL && *value != '\0') ? value : NULL;
}

/* udev's *_ENC values escape unsafe bytes as \xNN ("Silicon\x20Labs"). */
static char *
decode_udev_enc (const char *enc)
{
  GString *out = g_string_new (NULL);
  const char *p;

  for (p = enc; *p != '\0'; p++)
    {
      if (p[0] == '\\' && p[1] == 'x' && g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3]))
        {
          g_string_append_c (out, (char)(g_ascii_xdigit_value (p[2]) * 16 +
                                          g_ascii_xdigit_value (p[3])));
          p += 3;
        }
      else
        g_string_append_c (out, *p);
    }

  return g_strstrip (g_string_free (out, FALSE));
}

static char *
clean_name (const char *value,
            gboolean    underscores_are_spaces)
{
  g_autofree char *copy = NULL;

  if (value == NULL)
    return NULL;

  copy = g_strdup (value);
  if (underscores_are_spaces)
    g_strdelimit (copy, "_", ' ');
  g_strstrip (copy);

  if (*copy == '\0' || !g_utf8_validate (copy, -1, NULL))
    return NULL;

  return g_steal_pointer (&copy);
}

static char *
pick_name (GHashTable *props,
           const char *database_key,
           const char *enc_key,
           const char *plain_key,
           GHashTable *usb_attrs,
           const char *attr_key,
           gboolean    prefer_database)
{
  char *name = NULL;
  const char *value;

  if (prefer_database && (name = clean_name (lookup_nonempty (props, database_key), FALSE)))
    return name;

  if ((value = lookup_nonempty (props, enc_key)) != NULL)
    {
      g_autofree char *decoded = decode_udev_enc (value);

      if ((name = clean_name (decoded, FALSE)) != NULL)
        return name;
    }

  if ((name = clean_name (lookup_nonempty (props, plain_key), TRUE)) != NULL)
    return name;

  if ((name = clean_name (lookup_nonempty (usb_attrs, attr_key), FALSE)) != NULL)
    return name;

  if (!prefer_database)
    name = clean_name (lookup_nonempty (props, database_key), FALSE);

  return name;
}

static guint
parse_hex_id (const char *value)
{
  guint64 id;
  char *end = NULL;

  if (value == NULL)
    return 0;

  id = g_ascii_strtoull (value, &end, 16);
  if (end == value || *end != '\0' || id > 0xffff)
    return 0;

  return (guint)id;
}

CbSerialPortInfo *
cb_serial_port_info_new_from_udev (const char *device_file,
                                   GHashTable *props,
                                   GHashTable *usb_attrs)
{
  g_autofree char *vendor = NULL;
  g_autofree char *product = NULL;
  const char *vendor_id;
  const char *product_id;
  const char *serial;

  if (device_file == NULL || *device_file == '\0')
    return NULL;

  if (usb_attrs == NULL && g_strcmp0 (lookup_nonempty (props, "ID_BUS"), "usb") != 0)
    return NULL;

  vendor_id = lookup_nonempty (props, "ID_VENDOR_ID");
  if (vendor_id == NULL)
    vendor_id = lookup_nonempty (usb_attrs, "idVendor");
  product_id = lookup_nonempty (props, "ID_MODEL_ID");
  if (product_id == NULL)
    product_id = lookup_nonempty (usb_attrs, "idProduct");

  /* The vendor reads best from the USB ID database ("Silicon Labs"); the product is best from
   * the device's own string, which names the board rather than the bridge chip. */
  vendor = pick_name (props, "ID_VENDOR_FROM_DATABASE", "ID_VENDOR_ENC", "ID_VENDOR",
                      usb_attrs, "manufacturer", TRUE);
  product = pick_name (props, "ID_MODEL_FROM_DATABASE", "ID_MODEL_ENC", "ID_MODEL",
                       usb_attrs, "product", FALSE);

  serial = lookup_nonempty (props, "ID_SERIAL_SHORT");
  if (serial == NULL)
    serial = lookup_nonempty (usb_attrs, "serial");

  return cb_serial_port_info_new (device_file,
                                  parse_hex_id (vendor_id),
                                  parse_hex_id (product_id),
                                  vendor, product, serial, FALSE);
}

const char *
cb_serial_port_info_get_path (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), NULL);
  return self->path;
}

guint
cb_serial_port_info_get_vendor_id (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), 0);
  return self->vendor_id;
}

guint
cb_serial_port_info_get_product_id (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), 0);
  return self->product_id;
}

const char *
cb_serial_port_info_get_vendor_name (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), NULL);
  return self->vendor_name;
}

const char *
cb_serial_port_info_get_product_name (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), NULL);
  return self->product_name;
}

const char *
cb_serial_port_info_get_serial_number (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), NULL);
  return self->serial_number;
}

gboolean
cb_serial_port_info_get_is_virtual (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), FALSE);
  return self->is_virtual;
}

char *
cb_serial_port_info_dup_display_name (CbSerialPortInfo *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT_INFO (self), NULL);

  if (self->product_name != NULL && self->vendor_name != NULL)
    return g_strdup_printf ("%s (%s)", self->product_name, self->vendor_name);
  if (self->product_name != NULL)
    return g_strdup (self->product_name);
  if (self->vendor_name != NULL)
    return g_strdup (self->vendor_name);
  return g_strdup (self->path);
}
