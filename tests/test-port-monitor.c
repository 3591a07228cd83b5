/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-port-monitor.h"
#include "cb-udev-port-monitor.h"

typedef struct
{
  GPtrArray *added;     /* paths */
  GPtrArray *removed;
  guint      items_changed;
} Events;

static void
on_port_added (CbPortMonitor    *monitor,
               CbSerialPortInfo *info,
               Events           *ev)
{
  /* The list already holds the port when the signal runs. */
  g_assert_nonnull (cb_port_monitor_lookup (monitor, cb_serial_port_info_get_path (info)));
  g_ptr_array_add (ev->added, g_strdup (cb_serial_port_info_get_path (info)));
}

static void
on_port_removed (CbPortMonitor    *monitor,
                 CbSerialPortInfo *info,
                 Events           *ev)
{
  g_assert_null (cb_port_monitor_lookup (monitor, cb_serial_port_info_get_path (info)));
  g_ptr_array_add (ev->removed, g_strdup (cb_serial_port_info_get_path (info)));
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Events     *ev)
{
  ev->items_changed++;
}

static const char *
path_at (GListModel *model,
         guint       i)
{
  g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (model, i);

  /* Borrowed from the store, which keeps its own reference. */
  return cb_serial_port_info_get_path (info);
}

static void
test_feed (void)
{
  g_autoptr(CbPortMonitor) monitor = cb_port_monitor_new ();
  g_autoptr(CbSerialPortInfo) acm0 = NULL;
  g_autoptr(CbSerialPortInfo) acm10 = NULL;
  g_autoptr(CbSerialPortInfo) acm2 = NULL;
  g_autoptr(CbSerialPortInfo) acm2b = NULL;
  g_autoptr(CbSerialPortInfo) virt = NULL;
  g_autofree char *display = NULL;
  Events ev = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free), 0 };
  GListModel *ports;

  /* Ports listed before the first scan is done were there, not plugged in. */
  g_assert_false (cb_port_monitor_get_scanned (monitor));
  cb_port_monitor_start (monitor);
  g_assert_true (cb_port_monitor_get_scanned (monitor));
  ports = cb_port_monitor_get_ports (monitor);
  g_assert_true (g_list_model_get_item_type (ports) == CB_TYPE_SERIAL_PORT_INFO);
  g_assert_cmpuint (g_list_model_get_n_items (ports), ==, 0);

  g_signal_connect (monitor, "port-added", G_CALLBACK (on_port_added), &ev);
  g_signal_connect (monitor, "port-removed", G_CALLBACK (on_port_removed), &ev);
  g_signal_connect (ports, "items-changed", G_CALLBACK (on_items_changed), &ev);

  acm0 = cb_serial_port_info_new ("/dev/ttyACM0", 0x2fe3, 0x0100, "Nordic Semiconductor",
                                  "Certbench Board", "E1A2B3", FALSE);
  acm10 = cb_serial_port_info_new ("/dev/ttyACM10", 0x10c4, 0xea60, "Silicon Labs", NULL,
                                   NULL, FALSE);
  acm2 = cb_serial_port_info_new ("/dev/ttyACM2", 0, 0, NULL, NULL, NULL, FALSE);
  virt = cb_serial_port_info_new ("/dev/pts/7", 0, 0, NULL, "Simulated device", "SIM-1", TRUE);

  cb_port_monitor_add_port (monitor, acm10);
  cb_port_monitor_add_port (monitor, acm0);
  cb_port_monitor_add_port (monitor, acm2);
  cb_port_monitor_add_port (monitor, virt);

  g_assert_cmpuint (g_list_model_get_n_items (ports), ==, 4);
  g_assert_cmpuint (ev.added->len, ==, 4);
  g_assert_cmpuint (ev.items_changed, ==, 4);
  /* Sorted by path, with ttyACM2 before ttyACM10. */
  g_assert_cmpstr (path_at (ports, 0), ==, "/dev/pts/7");
  g_assert_cmpstr (path_at (ports, 1), ==, "/dev/ttyACM0");
  g_assert_cmpstr (path_at (ports, 2), ==, "/dev/ttyACM2");
  g_assert_cmpstr (path_at (ports, 3), ==, "/dev/ttyACM10");

  g_assert_true (cb_port_monitor_lookup (monitor, "/dev/ttyACM0") == acm0);
  g_assert_null (cb_port_monitor_lookup (monitor, "/dev/ttyUSB0"));
  g_assert_cmpuint (cb_serial_port_info_get_vendor_id (acm0), ==, 0x2fe3);
  g_assert_cmpuint (cb_serial_port_info_get_product_id (acm0), ==, 0x0100);
  g_assert_cmpstr (cb_serial_port_info_get_serial_number (acm0), ==, "E1A2B3");
  g_assert_true (cb_serial_port_info_get_is_virtual (virt));
  g_assert_false (cb_serial_port_info_get_is_virtual (acm0));

  display = cb_serial_port_info_dup_display_name (acm0);
  g_assert_cmpstr (display, ==, "Certbench Board (Nordic Semiconductor)");
  g_clear_pointer (&display, g_free);
  display = cb_serial_port_info_dup_display_name (acm2);
  g_assert_cmpstr (display, ==, "/dev/ttyACM2");
  g_clear_pointer (&display, g_free);
  g_object_get (acm10, "display-name", &display, NULL);
  g_assert_cmpstr (display, ==, "Silicon Labs");

  /* Re-adding a known path replaces it: one removal, one addition, still four ports. */
  acm2b = cb_serial_port_info_new ("/dev/ttyACM2", 0x1366, 0x1015, "SEGGER", "J-Link", "000123",
                                   FALSE);
  cb_port_monitor_add_port (monitor, acm2b);
  g_assert_cmpuint (g_list_model_get_n_items (ports), ==, 4);
  g_assert_cmpuint (ev.removed->len, ==, 1);
  g_assert_cmpuint (ev.added->len, ==, 5);
  g_assert_true (cb_port_monitor_lookup (monitor, "/dev/ttyACM2") == acm2b);

  g_assert_true (cb_port_monitor_remove_port (monitor, "/dev/ttyACM0"));
  g_assert_false (cb_port_monitor_remove_port (monitor, "/dev/ttyACM0"));
  g_assert_cmpuint (g_list_model_get_n_items (ports), ==, 3);
  g_assert_cmpuint (ev.removed->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (ev.removed, 1), ==, "/dev/ttyACM0");
  g_assert_cmpstr (path_at (ports, 1), ==, "/dev/ttyACM2");

  g_signal_handlers_disconnect_by_data (ports, &ev);
  g_ptr_array_unref (ev.added);
  g_ptr_array_unref (ev.removed);
  g_assert_finalize_object (g_steal_pointer (&monitor));
}

static GHashTable *
table (const char *first_key,
       ...)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *key = first_key;
  va_list args;

  va_start (args, first_key);
  while (key != NULL)
    {
      const char *value = va_arg (args, const char *);

      g_hash_table_insert (t, g_strdup (key), g_strdup (value));
      key = va_arg (args, const char *);
    }
  va_end (args);

  return t;
}

static void
test_udev_mapping (void)
{
  g_autoptr(GHashTable) full = NULL;
  g_autoptr(GHashTable) bare = NULL;
  g_autoptr(GHashTable) attrs = NULL;
  g_autoptr(GHashTable) legacy = NULL;
  g_autoptr(CbSerialPortInfo) info = NULL;

  /* What udevd writes for a CP2102 bridge. */
  full = table ("ID_BUS", "usb",
                "ID_VENDOR_ID", "10c4",
                "ID_MODEL_ID", "ea60",
                "ID_VENDOR", "Silicon_Labs",
                "ID_VENDOR_ENC", "Silicon\\x20Labs",
                "ID_VENDOR_FROM_DATABASE", "Silicon Labs",
                "ID_MODEL", "CP2102_USB_to_UART_Bridge_Controller",
                "ID_MODEL_ENC", "CP2102\\x20USB\\x20to\\x20UART\\x20Bridge\\x20Controller",
                "ID_MODEL_FROM_DATABASE", "CP210x UART Bridge",
                "ID_SERIAL_SHORT", "0001",
                NULL);
  info = cb_serial_port_info_new_from_udev ("/dev/ttyUSB0", full, NULL);
  g_assert_nonnull (info);
  g_assert_cmpstr (cb_serial_port_info_get_path (info), ==, "/dev/ttyUSB0");
  g_assert_cmpuint (cb_serial_port_info_get_vendor_id (info), ==, 0x10c4);
  g_assert_cmpuint (cb_serial_port_info_get_product_id (info), ==, 0xea60);
  g_assert_cmpstr (cb_serial_port_info_get_vendor_name (info), ==, "Silicon Labs");
  g_assert_cmpstr (cb_serial_port_info_get_product_name (info), ==,
                   "CP2102 USB to UART Bridge Controller");
  g_assert_cmpstr (cb_serial_port_info_get_serial_number (info), ==, "0001");
  g_assert_false (cb_serial_port_info_get_is_virtual (info));
  g_clear_object (&info);

  /* Only the plain values: underscores become spaces. */
  bare = table ("ID_BUS", "usb", "ID_VENDOR", "ACME_Corp", "ID_MODEL", "Bench_Board",
                "ID_VENDOR_ID", "zz", NULL);
  info = cb_serial_port_info_new_from_udev ("/dev/ttyACM3", bare, NULL);
  g_assert_cmpstr (cb_serial_port_info_get_vendor_name (info), ==, "ACME Corp");
  g_assert_cmpstr (cb_serial_port_info_get_product_name (info), ==, "Bench Board");
  g_assert_cmpuint (cb_serial_port_info_get_vendor_id (info), ==, 0);
  g_assert_null (cb_serial_port_info_get_serial_number (info));
  g_clear_object (&info);

  /* No udev database (no daemon): the USB parent's sysfs attributes fill in. */
  attrs = table ("idVendor", "2fe3", "idProduct", "0100", "manufacturer", "ZEPHYR",
                 "product", "Certbench Board", "serial", "C0FFEE", NULL);
  info = cb_serial_port_info_new_from_udev ("/dev/ttyACM0", NULL, attrs);
  g_assert_nonnull (info);
  g_assert_cmpuint (cb_serial_port_info_get_vendor_id (info), ==, 0x2fe3);
  g_assert_cmpuint (cb_serial_port_info_get_product_id (info), ==, 0x0100);
  g_assert_cmpstr (cb_serial_port_info_get_vendor_name (info), ==, "ZEPHYR");
  g_assert_cmpstr (cb_serial_port_info_get_product_name (info), ==, "Certbench Board");
  g_assert_cmpstr (cb_serial_port_info_get_serial_number (info), ==, "C0FFEE");
  g_clear_object (&info);

  /* A legacy 8250 UART (no USB parent, no ID_BUS=usb) and a node-less device are skipped. */
  legacy = table ("DEVNAME", "/dev/ttyS0", NULL);
  g_assert_null (cb_serial_port_info_new_from_udev ("/dev/ttyS0", legacy, NULL));
  g_assert_null (cb_serial_port_info_new_from_udev ("/dev/ttyS0", NULL, NULL));
  g_assert_null (cb_serial_port_info_new_from_udev (NULL, full, NULL));
}

/* There is no udev daemon here: enumeration must still work (from sysfs) and list only USB
 * ports, and the monitor must stay usable for hand-fed ports. */
static void
test_udev_enumerate (void)
{
  g_autoptr(CbPortMonitor) monitor = cb_udev_port_monitor_new ();
  g_autoptr(CbSerialPortInfo) virt = NULL;
  GListModel *ports;
  guint n;

  g_assert_true (CB_IS_UDEV_PORT_MONITOR (monitor));
  cb_port_monitor_start (monitor);
  cb_port_monitor_start (monitor);
  ports = cb_port_monitor_get_ports (monitor);
  n = g_list_model_get_n_items (ports);
  g_test_message ("udev enumerated %u USB serial port(s)", n);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (ports, i);

      g_assert_true (g_str_has_prefix (cb_serial_port_info_get_path (info), "/dev/"));
      g_assert_false (cb_serial_port_info_get_is_virtual (info));
    }

  virt = cb_serial_port_info_new ("/dev/pts/99", 0, 0, NULL, "Simulated device", NULL, TRUE);
  cb_port_monitor_add_port (monitor, virt);
  g_assert_cmpuint (g_list_model_get_n_items (ports), ==, n + 1);
  g_assert_true (cb_port_monitor_remove_port (monitor, "/dev/pts/99"));
  g_assert_cmpuint (g_list_model_get_n_items (ports), ==, n);

  /* Let any (non-)events drain; nothing should change without a daemon. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (g_list_model_get_n_items (ports), ==, n);

  g_assert_finalize_object (g_steal_pointer (&monitor));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/port-monitor/feed", test_feed);
  g_test_add_func ("/cb/port-monitor/udev-mapping", test_udev_mapping);
  g_test_add_func ("/cb/port-monitor/udev-enumerate", test_udev_enumerate);

  return g_test_run ();
}
