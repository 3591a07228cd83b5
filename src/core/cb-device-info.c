/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-client"

/* CbDeviceInfo: what a device says about itself in answer to the bench group's `info` (identity,
 * key types and key, frame and buffer sizes, chain slots). Immutable. */

#include "config.h"

#include "cb-device-info-private.h"

struct _CbDeviceInfo
{
  GObject   parent_instance;

  /* Owned */
  char     *serial;
  char     *model;
  char     *firmware;
  char    **key_types;
  char     *key_type;

  guint     protocol_version;
  guint     frame_size;
  guint     buffer_size;
  guint     slot_size;
  guint     slots;
  guint     staged_bytes;
  gboolean  has_next_key;
  gboolean  has_active_chain;
  GHashTable *facts;   /* name → value */
};

G_DEFINE_FINAL_TYPE (CbDeviceInfo, cb_device_info, G_TYPE_OBJECT)

enum {
  INFO_PROP_0,
  INFO_PROP_SERIAL,
  INFO_PROP_MODEL,
  INFO_PROP_FIRMWARE,
  INFO_PROP_PROTOCOL_VERSION,
  INFO_PROP_KEY_TYPES,
  INFO_PROP_KEY_TYPE,
  INFO_PROP_HAS_NEXT_KEY,
  INFO_PROP_FRAME_SIZE,
  INFO_PROP_BUFFER_SIZE,
  INFO_PROP_SLOT_SIZE,
  INFO_PROP_SLOTS,
  INFO_PROP_HAS_ACTIVE_CHAIN,
  INFO_PROP_STAGED_BYTES,
  INFO_N_PROPS
};

static GParamSpec *info_properties[INFO_N_PROPS];

static void
cb_device_info_finalize (GObject *object)
{
  CbDeviceInfo *self = (CbDeviceInfo *)object;

  g_clear_pointer (&self->serial, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->firmware, g_free);
  g_clear_pointer (&self->key_types, g_strfreev);
  g_clear_pointer (&self->key_type, g_free);
  g_clear_pointer (&self->facts, g_hash_table_unref);

  G_OBJECT_CLASS (cb_device_info_parent_class)->finalize (object);
}

static void
cb_device_info_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CbDeviceInfo *self = CB_DEVICE_INFO (object);

  switch (prop_id)
    {
    case INFO_PROP_SERIAL: g_value_set_string (value, self->serial); break;
    case INFO_PROP_MODEL: g_value_set_string (value, self->model); break;
    case INFO_PROP_FIRMWARE: g_value_set_string (value, self->firmware); break;
    case INFO_PROP_PROTOCOL_VERSION: g_value_set_uint (value, self->protocol_version); break;
    case INFO_PROP_KEY_TYPES: g_value_set_boxed (value, self->key_types); break;
    case INFO_PROP_KEY_TYPE: g_value_set_string (value, self->key_type); break;
    case INFO_PROP_HAS_NEXT_KEY: g_value_set_boolean (value, self->has_next_key); break;
    case INFO_PROP_FRAME_SIZE: g_value_set_uint (value, self->frame_size); break;
    case INFO_PROP_BUFFER_SIZE: g_value_set_uint (value, self->buffer_size); break;
    case INFO_PROP_SLOT_SIZE: g_value_set_uint (value, self->slot_size); break;
    case INFO_PROP_SLOTS: g_value_set_uint (value, self->slots); break;
    case INFO_PROP_HAS_ACTIVE_CHAIN: g_value_set_boolean (value, self->has_active_chain); break;
    case INFO_PROP_STAGED_BYTES: g_value_set_uint (value, self->staged_bytes); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_device_info_class_init (CbDeviceInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_device_info_finalize;
  object_class->get_property = cb_device_info_get_property;

  info_properties[INFO_PROP_SERIAL] = g_param_spec_string ("serial", NULL, NULL, NULL, flags);
  info_properties[INFO_PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, flags);
  info_properties[INFO_PROP_FIRMWARE] = g_param_spec_string ("firmware", NULL, NULL, NULL, flags);
  info_properties[INFO_PROP_PROTOCOL_VERSION] =
    g_param_spec_uint ("protocol-version", NULL, NULL, 0, G_MAXUINT, 0, flags);
  info_properties[INFO_PROP_KEY_TYPES] =
    g_param_spec_boxed ("key-types", NULL, NULL, G_TYPE_STRV, flags);
  info_properties[INFO_PROP_KEY_TYPE] = g_param_spec_string ("key-type", NULL, NULL, NULL, flags);
  info_properties[INFO_PROP_HAS_NEXT_KEY] =
    g_param_spec_boolean ("has-next-key", NULL, NULL, FALSE, flags);
  info_properties[INFO_PROP_FRAME_SIZE] =
    g_param_spec_uint ("frame-size", NULL, NULL, 0, G_MAXUINT, 0, flags);
  info_properties[INFO_PROP_BUFFER_SIZE] =
    g_param_spec_uint ("buffer-size", NULL, NULL, 0, G_MAXUINT, 0, flags);
  info_properties[INFO_PROP_SLOT_SIZE] =
    g_param_spec_uint ("slot-size", NULL, NULL, 0, G_MAXUINT, 0, flags);
  info_properties[INFO_PROP_SLOTS] = g_param_spec_uint ("slots", NULL, NULL, 0, G_MAXUINT, 0, flags);
  info_properties[INFO_PROP_HAS_ACTIVE_CHAIN] =
    g_param_spec_boolean ("has-active-chain", NULL, NULL, FALSE, flags);
  info_properties[INFO_PROP_STAGED_BYTES] =
    g_param_spec_uint ("staged-bytes", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, INFO_N_PROPS, info_properties);
}

static void
cb_device_info_init (CbDeviceInfo *self)
{
}

CbDeviceInfo *
cb_device_info_new_from_rsp (const cbp_info_rsp *rsp)
{
  CbDeviceInfo *self = g_object_new (CB_TYPE_DEVICE_INFO, NULL);

  self->serial = g_strdup (rsp->serial);
  self->model = g_strdup (rsp->model);
  self->firmware = g_strdup (rsp->fw);
  self->protocol_version = cb_bench_clamp_uint (rsp->proto);
  self->key_types = g_new0 (char *, rsp->key_types.n + 1);
  for (gsize i = 0; i < rsp->key_types.n; i++)
    self->key_types[i] = g_strdup (rsp->key_types.items[i]);
  self->key_type = g_strdup (rsp->key);
  self->has_next_key = rsp->next_key;
  self->frame_size = cb_bench_clamp_uint (rsp->frame_size);
  self->buffer_size = cb_bench_clamp_uint (rsp->buf_size);
  self->slot_size = cb_bench_clamp_uint (rsp->slot_size);
  self->slots = cb_bench_clamp_uint (rsp->slots);
  self->has_active_chain = rsp->active;
  self->staged_bytes = cb_bench_clamp_uint (rsp->staged);
  cb_device_info_set_fact (self, "serial", self->serial);
  cb_device_info_set_fact (self, "model", self->model);
  cb_device_info_set_fact (self, "firmware", self->firmware);

  return self;
}

CbDeviceInfo *
cb_device_info_new (const char         *serial,
                    const char         *model,
                    const char         *firmware,
                    const char * const *key_types)
{
  CbDeviceInfo *self = g_object_new (CB_TYPE_DEVICE_INFO, NULL);

  self->serial = g_strdup (serial);
  self->model = g_strdup (model);
  self->firmware = g_strdup (firmware);
  self->key_types = key_types != NULL ? g_strdupv ((char **) key_types) : g_new0 (char *, 1);
  cb_device_info_set_fact (self, "serial", serial);
  cb_device_info_set_fact (self, "model", model);
  cb_device_info_set_fact (self, "firmware", firmware);

  return self;
}

void
cb_device_info_set_fact (CbDeviceInfo *self,
                         const char   *name,
                         const char   *value)
{
  g_return_if_fail (CB_IS_DEVICE_INFO (self));
  g_return_if_fail (name != NULL);

  if (self->facts == NULL)
    self->facts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (value == NULL)
    g_hash_table_remove (self->facts, name);
  else
    g_hash_table_replace (self->facts, g_strdup (name), g_strdup (value));
}

const char *
cb_device_info_get_fact (CbDeviceInfo *self,
                         const char   *name)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return self->facts != NULL ? g_hash_table_lookup (self->facts, name) : NULL;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

char **
cb_device_info_dup_fact_names (CbDeviceInfo *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), NULL);

  if (self->facts != NULL)
    {
      g_hash_table_iter_init (&iter, self->facts);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (names, g_strdup (key));
    }
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

void
cb_device_info_set_key_type (CbDeviceInfo *self,
                             const char   *key_type)
{
  g_return_if_fail (CB_IS_DEVICE_INFO (self));
  g_free (self->key_type);
  self->key_type = g_strdup (key_type);
}

void
cb_device_info_set_has_active_chain (CbDeviceInfo *self,
                                     gboolean      has_active_chain)
{
  g_return_if_fail (CB_IS_DEVICE_INFO (self));
  self->has_active_chain = has_active_chain;
}

const char *
cb_device_info_get_serial (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), NULL);
  return self->serial;
}

const char *
cb_device_info_get_model (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), NULL);
  return self->model;
}

const char *
cb_device_info_get_firmware (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), NULL);
  return self->firmware;
}

guint
cb_device_info_get_protocol_version (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), 0);
  return self->protocol_version;
}

const char * const *
cb_device_info_get_key_types (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), NULL);
  return (const char * const *)self->key_types;
}

gboolean
cb_device_info_supports_key_type (CbDeviceInfo *self,
                                  const char   *key_type)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), FALSE);
  g_return_val_if_fail (key_type != NULL, FALSE);
  return g_strv_contains ((const char * const *)self->key_types, key_type);
}

const char *
cb_device_info_get_key_type (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), NULL);
  return self->key_type;
}

gboolean
cb_device_info_get_has_next_key (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), FALSE);
  return self->has_next_key;
}

guint
cb_device_info_get_frame_size (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), 0);
  return self->frame_size;
}

guint
cb_device_info_get_buffer_size (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), 0);
  return self->buffer_size;
}

guint
cb_device_info_get_slot_size (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), 0);
  return self->slot_size;
}

guint
cb_device_info_get_slots (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), 0);
  return self->slots;
}

gboolean
cb_device_info_get_has_active_chain (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), FALSE);
  return self->has_active_chain;
}

guint
cb_device_info_get_staged_bytes (CbDeviceInfo *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_INFO (self), 0);
  return self->staged_bytes;
}
