/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Virtual device: the devsim host (cbd-host.h) on a pty, as a GObject the app's bench page
 * and the tests own. It keeps the device's state in a folder of its own, follows the sandbox's
 * clock when told to and lists its pty in a CbPortMonitor. No GTK: it lives with the devsim. The
 * type keeps its app-era name (CbVirtualDevice) until the lead renames across areas. */
#define G_LOG_DOMAIN "cb-virtual-device"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cbd-host.h"

#include "cbd-virtual-device.h"

struct _CbVirtualDevice
{
  GObject        parent_instance;

  /* Owned */
  CbdHost       *host;
  CbdClock      *clock;          /* the host borrows it: freed after the host */
  char          *state_dir;
  char          *serial;
  CbPortMonitor *monitor;
  CbVirtualDeviceKind kind;
};

G_DEFINE_FINAL_TYPE (CbVirtualDevice, cb_virtual_device, G_TYPE_OBJECT)

char *
cb_virtual_device_dup_default_state_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "certbench", "virtual-device", NULL);
}

static void
cb_virtual_device_dispose (GObject *object)
{
  CbVirtualDevice *self = CB_VIRTUAL_DEVICE (object);

  cb_virtual_device_set_monitor (self, NULL);
  /* Closing the pty master makes any station still holding the port see a hangup. */
  g_clear_pointer (&self->host, cbd_host_free);
  g_clear_pointer (&self->clock, cbd_clock_free);

  G_OBJECT_CLASS (cb_virtual_device_parent_class)->dispose (object);
}

static void
cb_virtual_device_finalize (GObject *object)
{
  CbVirtualDevice *self = CB_VIRTUAL_DEVICE (object);

  g_free (self->state_dir);
  g_free (self->serial);

  G_OBJECT_CLASS (cb_virtual_device_parent_class)->finalize (object);
}

static void
cb_virtual_device_class_init (CbVirtualDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_virtual_device_dispose;
  object_class->finalize = cb_virtual_device_finalize;
}

static void
cb_virtual_device_init (CbVirtualDevice *self)
{
}

CbVirtualDevice *
cb_virtual_device_new (const char  *state_dir,
                       guint        chatter_ms,
                       GError     **error)
{
  return cb_virtual_device_new_with_faults (state_dir, chatter_ms, CB_VIRTUAL_DEVICE_FAULT_NONE,
                                            error);
}

CbVirtualDeviceKind
cb_virtual_device_kind_from_string (const char *name)
{
  return g_strcmp0 (name, "nrf91") == 0 ? CB_VIRTUAL_DEVICE_NRF91 : CB_VIRTUAL_DEVICE_SMP;
}

static CbVirtualDevice *
new_device (const char             *state_dir,
            guint                   chatter_ms,
            CbVirtualDeviceFaults   faults,
            CbVirtualDeviceKind     kind,
            GError                **error);

CbVirtualDevice *
cb_virtual_device_new_with_faults (const char             *state_dir,
                                   guint                   chatter_ms,
                                   CbVirtualDeviceFaults   faults,
                                   GError                **error)
{
  return new_device (state_dir, chatter_ms, faults, CB_VIRTUAL_DEVICE_SMP, error);
}

CbVirtualDevice *
cb_virtual_device_new_kind (const char           *state_dir,
                            guint                 chatter_ms,
                            CbVirtualDeviceKind   kind,
                            GError              **error)
{
  return new_device (state_dir, chatter_ms, CB_VIRTUAL_DEVICE_FAULT_NONE, kind, error);
}

CbVirtualDeviceKind
cb_virtual_device_get_kind (CbVirtualDevice *self)
{
  g_return_val_if_fail (CB_IS_VIRTUAL_DEVICE (self), CB_VIRTUAL_DEVICE_SMP);

  return self->kind;
}

static CbVirtualDevice *
new_device (const char             *state_dir,
            guint                   chatter_ms,
            CbVirtualDeviceFaults   faults,
            CbVirtualDeviceKind     kind,
            GError                **error)
{
  g_autoptr(CbVirtualDevice) self = NULL;
  g_autofree char *serial_path = NULL;
  g_autofree char *serial = NULL;
  CbdOptions opts = { 0 };

  g_return_val_if_fail (state_dir != NULL, NULL);

  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the virtual device’s folder %s: %s"), state_dir,
                   g_strerror (saved));
      return NULL;
    }

  self = g_object_new (CB_TYPE_VIRTUAL_DEVICE, NULL);
  self->state_dir = g_strdup (state_dir);
  self->kind = kind;

  opts.state_dir = self->state_dir;
  opts.model = (char *) "certbench-virtual";
  opts.group = 64;
  opts.frame_size = 127;
  opts.buf_size = 1024;
  opts.slot_size = 8192;
  opts.chatter_ms = (int) chatter_ms;
  opts.wrong_cn = (faults & CB_VIRTUAL_DEVICE_FAULT_WRONG_CN) != 0;
  opts.refuse_commit = (faults & CB_VIRTUAL_DEVICE_FAULT_REFUSE_COMMIT) != 0;
  /* Real time until cb_virtual_device_follow_clock() says which service's clock to keep. */
  self->clock = cbd_clock_new (NULL, NULL, NULL);
  opts.clock = self->clock;
  opts.personality = kind == CB_VIRTUAL_DEVICE_NRF91 ? CBD_PERSONALITY_NRF91 : CBD_PERSONALITY_SMP;

  /* The host puts its sources on the default main context and is driven by the app's loop:
   * no thread, no nested loop (cbd_host_run would also take over SIGTERM). */
  self->host = cbd_host_new (&opts, error);
  if (self->host == NULL)
    return NULL;

  /* The device keeps its serial in its state folder (made up on first start); the modem's is
   * its IMEI, in its identity file. */
  if (kind == CB_VIRTUAL_DEVICE_NRF91)
    {
      g_autoptr(GKeyFile) identity = g_key_file_new ();

      serial_path = g_build_filename (self->state_dir, "at-identity", NULL);
      if (g_key_file_load_from_file (identity, serial_path, G_KEY_FILE_NONE, NULL))
        self->serial = g_key_file_get_string (identity, "modem", "imei", NULL);
    }
  else
    {
      serial_path = g_build_filename (self->state_dir, "serial", NULL);
      if (g_file_get_contents (serial_path, &serial, NULL, NULL))
        self->serial = g_strstrip (g_steal_pointer (&serial));
    }

  g_debug ("Virtual device %s on %s", self->serial, cbd_host_get_pty_path (self->host));
  return g_steal_pointer (&self);
}

/**
 * cb_virtual_device_follow_clock:
 * @clock_url: (nullable): a sandbox's /sandbox/clock URL; NULL: real time
 * @ca_file: (nullable): the CA to pin for it
 *
 * The virtual device lives in the sandbox's world: on its clock, which may run fast, its
 * certificate ages, comes up for renewal and expires as the hub sees it.
 */
void
cb_virtual_device_follow_clock (CbVirtualDevice *self,
                                const char      *clock_url,
                                const char      *ca_file)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CB_IS_VIRTUAL_DEVICE (self));

  if (!cbd_clock_follow (self->clock, clock_url, ca_file, &error))
    g_message ("The virtual device keeps real time: %s", error->message);
}

const char *
cb_virtual_device_get_path (CbVirtualDevice *self)
{
  g_return_val_if_fail (CB_IS_VIRTUAL_DEVICE (self), NULL);

  return self->host != NULL ? cbd_host_get_pty_path (self->host) : NULL;
}

const char *
cb_virtual_device_get_serial (CbVirtualDevice *self)
{
  g_return_val_if_fail (CB_IS_VIRTUAL_DEVICE (self), NULL);

  return self->serial;
}

const char *
cb_virtual_device_get_state_dir (CbVirtualDevice *self)
{
  g_return_val_if_fail (CB_IS_VIRTUAL_DEVICE (self), NULL);

  return self->state_dir;
}

void
cb_virtual_device_set_monitor (CbVirtualDevice *self,
                               CbPortMonitor   *monitor)
{
  g_return_if_fail (CB_IS_VIRTUAL_DEVICE (self));
  g_return_if_fail (monitor == NULL || CB_IS_PORT_MONITOR (monitor));

  if (self->monitor == monitor)
    return;

  if (self->monitor != NULL && self->host != NULL)
    cb_port_monitor_remove_port (self->monitor, cbd_host_get_pty_path (self->host));
  g_clear_object (&self->monitor);

  if (monitor != NULL && self->host != NULL)
    {
      g_autoptr(CbSerialPortInfo) info = NULL;

      self->monitor = g_object_ref (monitor);
      info = cb_serial_port_info_new (cbd_host_get_pty_path (self->host), 0, 0,
                                      "Certbench",
                                      self->kind == CB_VIRTUAL_DEVICE_NRF91
                                        ? _("Virtual nRF91 modem") : _("Virtual device"),
                                      self->serial, TRUE);
      cb_port_monitor_add_port (self->monitor, info);
    }
}
