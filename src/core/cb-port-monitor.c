/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-port-monitor"

/* CbPortMonitor: the ports the station can use as a GListModel sorted by path, with port-added
 * and port-removed; fed by hand or by a backend subclass. `scanned` tells the ports that were
 * there when the monitor started (listed before or during its first scan) from the ones that
 * came afterwards, whenever that scan runs. */

#include "config.h"

#include <string.h>

#include "cb-port-monitor.h"

typedef struct
{
  /* Owned */
  GListStore *ports;

  gboolean    started;
  gboolean    scanned;
} CbPortMonitorPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (CbPortMonitor, cb_port_monitor, G_TYPE_OBJECT)

enum {
  SIGNAL_PORT_ADDED,
  SIGNAL_PORT_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_SCANNED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cb_port_monitor_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CbPortMonitor *self = CB_PORT_MONITOR (object);

  switch (prop_id)
    {
    case PROP_SCANNED:
      g_value_set_boolean (value, cb_port_monitor_get_scanned (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_port_monitor_dispose (GObject *object)
{
  CbPortMonitor *self = (CbPortMonitor *)object;
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);

  g_clear_object (&priv->ports);

  G_OBJECT_CLASS (cb_port_monitor_parent_class)->dispose (object);
}

static void
cb_port_monitor_real_start (CbPortMonitor *self)
{
}

static void
cb_port_monitor_class_init (CbPortMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_port_monitor_dispose;
  object_class->get_property = cb_port_monitor_get_property;
  klass->start = cb_port_monitor_real_start;

  /**
   * CbPortMonitor:scanned:
   *
   * TRUE once the first scan (the backend's start) has listed the ports that were there.
   */
  properties[PROP_SCANNED] =
    g_param_spec_boolean ("scanned", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CbPortMonitor::port-added:
   * @info: the new port, already in the list
   */
  signals[SIGNAL_PORT_ADDED] =
    g_signal_new ("port-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CB_TYPE_SERIAL_PORT_INFO);

  /**
   * CbPortMonitor::port-removed:
   * @info: the port, already gone from the list
   */
  signals[SIGNAL_PORT_REMOVED] =
    g_signal_new ("port-removed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CB_TYPE_SERIAL_PORT_INFO);
}

static void
cb_port_monitor_init (CbPortMonitor *self)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);

  priv->ports = g_list_store_new (CB_TYPE_SERIAL_PORT_INFO);
}

CbPortMonitor *
cb_port_monitor_new (void)
{
  return g_object_new (CB_TYPE_PORT_MONITOR, NULL);
}

void
cb_port_monitor_start (CbPortMonitor *self)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);

  g_return_if_fail (CB_IS_PORT_MONITOR (self));

  if (priv->started)
    return;

  priv->started = TRUE;
  CB_PORT_MONITOR_GET_CLASS (self)->start (self);
  priv->scanned = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCANNED]);
}

gboolean
cb_port_monitor_get_scanned (CbPortMonitor *self)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);

  g_return_val_if_fail (CB_IS_PORT_MONITOR (self), FALSE);

  return priv->scanned;
}

GListModel *
cb_port_monitor_get_ports (CbPortMonitor *self)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);

  g_return_val_if_fail (CB_IS_PORT_MONITOR (self), NULL);

  return G_LIST_MODEL (priv->ports);
}

static gboolean
find_port (CbPortMonitor *self,
           const char    *path,
           guint         *position)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (priv->ports));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (G_LIST_MODEL (priv->ports), i);

      if (g_strcmp0 (cb_serial_port_info_get_path (info), path) == 0)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

CbSerialPortInfo *
cb_port_monitor_lookup (CbPortMonitor *self,
                        const char    *path)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);
  g_autoptr(CbSerialPortInfo) info = NULL;
  guint position;

  g_return_val_if_fail (CB_IS_PORT_MONITOR (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (!find_port (self, path, &position))
    return NULL;

  /* The store keeps its own reference, so the borrowed pointer stays valid. */
  info = g_list_model_get_item (G_LIST_MODEL (priv->ports), position);
  return info;
}

static int
compare_by_path (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const char *pa = cb_serial_port_info_get_path ((CbSerialPortInfo *) a);
  const char *pb = cb_serial_port_info_get_path ((CbSerialPortInfo *) b);

  /* Natural-ish order: ttyACM2 before ttyACM10. */
  if (strlen (pa) != strlen (pb))
    return strlen (pa) < strlen (pb) ? -1 : 1;
  return strcmp (pa, pb);
}

void
cb_port_monitor_add_port (CbPortMonitor    *self,
                          CbSerialPortInfo *info)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);

  g_return_if_fail (CB_IS_PORT_MONITOR (self));
  g_return_if_fail (CB_IS_SERIAL_PORT_INFO (info));

  g_object_ref (info);
  cb_port_monitor_remove_port (self, cb_serial_port_info_get_path (info));
  g_list_store_insert_sorted (priv->ports, info, compare_by_path, NULL);
  g_debug ("Port added: %s", cb_serial_port_info_get_path (info));
  g_signal_emit (self, signals[SIGNAL_PORT_ADDED], 0, info);
  g_object_unref (info);
}

gboolean
cb_port_monitor_remove_port (CbPortMonitor *self,
                             const char    *path)
{
  CbPortMonitorPrivate *priv = cb_port_monitor_get_instance_private (self);
  g_autoptr(CbSerialPortInfo) info = NULL;
  guint position;

  g_return_val_if_fail (CB_IS_PORT_MONITOR (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!find_port (self, path, &position))
    return FALSE;

  info = g_list_model_get_item (G_LIST_MODEL (priv->ports), position);
  g_list_store_remove (priv->ports, position);
  g_debug ("Port removed: %s", path);
  g_signal_emit (self, signals[SIGNAL_PORT_REMOVED], 0, info);

  return TRUE;
}
