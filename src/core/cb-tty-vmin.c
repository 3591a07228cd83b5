/* SPDX-License-Identifier: GPL-3.0-or-later */

/* CbTtyVmin: a terminal's VMIN set with one ioctl (see cb-tty-vmin-private.h). This file uses
 * the kernel's struct termios and so must not include <termios.h>. */

#include "config.h"

#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <errno.h>
#include <gio/gio.h>
#include <sys/ioctl.h>

#include "cb-tty-vmin-private.h"

struct _CbTtyVmin
{
  struct termios kernel;    /* the settings in force, as TCGETS gave them */
};

/* Reads the settings in force now (after the port was configured). */
CbTtyVmin *
cb_tty_vmin_new (int      fd,
                 GError **error)
{
  g_autoptr(CbTtyVmin) self = g_new0 (CbTtyVmin, 1);

  if (ioctl (fd, TCGETS, &self->kernel) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot read terminal settings: %s", g_strerror (saved_errno));
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* VMIN to vmin and VTIME to 0, everything else as it was: one TCSETS (TCSANOW). On failure
 * errno says why and the kept settings are unchanged. */
gboolean
cb_tty_vmin_set (CbTtyVmin *self,
                 int        fd,
                 guint8     vmin)
{
  struct termios next = self->kernel;

  next.c_cc[VMIN] = vmin;
  next.c_cc[VTIME] = 0;
  if (ioctl (fd, TCSETS, &next) != 0)
    return FALSE;
  self->kernel = next;
  return TRUE;
}

void
cb_tty_vmin_free (CbTtyVmin *self)
{
  g_free (self);
}
