/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-port-monitor"

/* CbUdevPortMonitor: USB serial ports from libgudev, enumerated at start and then followed by
 * hotplug events. */

#include "config.h"

#include <string.h>

#include <gudev/gudev.h>

#include "cb-udev-port-monitor.h"

struct _CbUdevPortMonitor
{
  CbPortMonitor  parent_instance;

  /* Owned */
  GUdevClient   *client;
  /* sysfs path -> device file, so a "remove" whose device node is gone still finds the port */
  GHashTable    *sysfs_to_path;
};

G_DEFINE_FINAL_TYPE (CbUdevPortMonitor, cb_udev_port_monitor, CB_TYPE_PORT_MONITOR)

static CbSerialPortInfo *
info_from_udev_device (GUdevDevice *device)
{
  g_autoptr(GHashTable) props = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) usb_attrs = NULL;
  g_autoptr(GUdevDevice) usb = NULL;
  const char * const *keys;
  const char *device_file;

  device_file = g_udev_device_get_device_file (device);
  if (device_file == NULL)
    return NULL;

  keys = g_udev_device_get_property_keys (device);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    g_hash_table_insert (props, g_strdup (keys[i]),
                         g_strdup (g_udev_device_get_property (device, keys[i])));

  usb = g_udev_device_get_parent_with_subsystem (device, "usb", "usb_device");
  if (usb != NULL)
    {
      static const char * const attrs[] = {
        "idVendor", "idProduct", "manufacturer", "product", "serial",
      };

      usb_attrs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
        {
          const char *value = g_udev_device_get_sysfs_attr (usb, attrs[i]);

          if (value != NULL)
            g_hash_table_insert (usb_attrs, (gpointer)attrs[i], g_strdup (value));
        }
    }

  return cb_serial_port_info_new_from_udev (device_file, props, usb_attrs);
}

static void
cb_udev_port_monitor_add_device (CbUdevPortMonitor *self,
                                 GUdevDevice       *device)
{
  g_autoptr(CbSerialPortInfo) info = info_from_udev_device (device);
  const char *sysfs;

  if (info == NULL)
    return;

  sysfs = g_udev_device_get_sysfs_path (device);
  if (sysfs != NULL)
    g_hash_table_replace (self->sysfs_to_path, g_strdup (sysfs),
                          g_strdup (cb_serial_port_info_get_path (info)));

  cb_port_monitor_add_port (CB_PORT_MONITOR (self), info);
}

static void
on_uevent (GUdevClient       *client,
           const char        *action,
           GUdevDevice       *device,
           CbUdevPortMonitor *self)
{
  g_assert (CB_IS_UDEV_PORT_MONITOR (self));

  if (g_strcmp0 (action, "remove") == 0)
    {
      const char *sysfs = g_udev_device_get_sysfs_path (device);
      const char *path = sysfs ? g_hash_table_lookup (self->sysfs_to_path, sysfs) : NULL;
      g_autofree char *owned = NULL;

      if (path == NULL)
        path = g_udev_device_get_device_file (device);
      else
        {
          owned = g_strdup (path);
          path = owned;
          g_hash_table_remove (self->sysfs_to_path, sysfs);
        }

      if (path != NULL)
        cb_port_monitor_remove_port (CB_PORT_MONITOR (self), path);
    }
  else if (g_strcmp0 (action, "add") == 0 || g_strcmp0 (action, "change") == 0)
    {
      cb_udev_port_monitor_add_device (self, device);
    }
}

static void
cb_udev_port_monitor_start (CbPortMonitor *monitor)
{
  CbUdevPortMonitor *self = CB_UDEV_PORT_MONITOR (monitor);
  static const char * const subsystems[] = { "tty", NULL };
  GList *devices;

  self->client = g_udev_client_new (subsystems);
  g_signal_connect_object (self->client, "uevent", G_CALLBACK (on_uevent), self, 0);

  devices = g_udev_client_query_by_subsystem (self->client, "tty");
  for (GList *l = devices; l != NULL; l = l->next)
    cb_udev_port_monitor_add_device (self, l->data);
  g_list_free_full (devices, g_object_unref);
}

static void
cb_udev_port_monitor_dispose (GObject *object)
{
  CbUdevPortMonitor *self = (CbUdevPortMonitor *)object;

  g_clear_object (&self->client);
  g_clear_pointer (&self->sysfs_to_path, g_hash_table_unref);

  G_OBJECT_CLASS (cb_udev_port_monitor_parent_class)->dispose (object);
}

static void
cb_udev_port_monitor_class_init (CbUdevPortMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CbPortMonitorClass *monitor_class = CB_PORT_MONITOR_CLASS (klass);

  object_class->dispose = cb_udev_port_monitor_dispose;
  monitor_class->start = cb_udev_port_monitor_start;
}

static void
cb_udev_port_monitor_init (CbUdevPortMonitor *self)
{
  self->sysfs_to_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

CbPortMonitor *
cb_udev_port_monitor_new (void)
{
  return g_object_new (CB_TYPE_UDEV_PORT_MONITOR, NULL);
}
