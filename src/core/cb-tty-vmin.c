/* SPDX-License-Identifier: GPL-3.0-or-later */

/* CbTtyVmin: a terminal put in raw mode and its VMIN set, each with the fewest ioctls (see
 * cb-tty-vmin-private.h). This file uses the kernel's struct termios and so must not include
 * <termios.h>. */

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

/* The kernel's CBAUD bits for a baud rate (asm/termbits.h's own B* values, which glibc's
 * <termios.h> has the same on Linux), or 0: the one table of the rates a port takes. */
guint
cb_tty_vmin_speed (guint baud_rate)
{
  switch (baud_rate)
    {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 576000: return B576000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1152000: return B1152000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    case 4000000: return B4000000;
    default: return 0;
    }
}

/* Raw 8N1 at baud_rate (what cfmakeraw does, then no flow control, no modem-control hangup on
 * close, input speed as output), VMIN 1 and VTIME 0, everything else as the kept settings
 * were: one TCSETS, then one TCGETS so that the kept settings are what the driver made of
 * them (a later VMIN change must not ask it for a baud it rounded). tcgetattr, glibc's
 * tcsetattr and a TCGETS after them were five ioctls. Fails, as glibc's tcsetattr on Debian
 * does, when the terminal did not take CREAD, PARENB or the character size (a pty ignores
 * what it cannot apply). On failure errno says why. */
gboolean
cb_tty_vmin_make_raw (CbTtyVmin *self,
                      int        fd,
                      guint      baud_rate)
{
  struct termios next = self->kernel;
  struct termios now;
  tcflag_t speed = cb_tty_vmin_speed (baud_rate);

  if (speed == 0)
    {
      errno = EINVAL;
      return FALSE;
    }

  next.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF |
                    IXANY);
  next.c_oflag &= ~OPOST;
  next.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  next.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS | HUPCL | CBAUD | CIBAUD);
  next.c_cflag |= CS8 | CLOCAL | CREAD | speed;
  /* VMIN 1: with VMIN 0 an empty non-blocking read returns 0, which is indistinguishable
   * from the EOF of a hangup; with 1 it is EAGAIN. */
  next.c_cc[VMIN] = 1;
  next.c_cc[VTIME] = 0;

  if (ioctl (fd, TCSETS, &next) != 0)
    return FALSE;
  if (ioctl (fd, TCGETS, &now) != 0)
    now = next;
  self->kernel = now;
  if ((now.c_cflag & (PARENB | CREAD | CSIZE)) != (next.c_cflag & (PARENB | CREAD | CSIZE)))
    {
      errno = EINVAL;
      return FALSE;
    }
  return TRUE;
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
