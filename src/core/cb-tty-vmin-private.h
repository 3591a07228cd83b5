/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A terminal's settings as the kernel holds them (Linux's struct termios of <asm/termbits.h>,
 * which <termios.h>'s own struct differs from), kept so that a reader changing VMIN many times
 * a frame does it with one TCSETS ioctl. glibc's tcsetattr() on Debian and Fedora reads the
 * settings back after setting them (a distribution patch checking c_cflag on ptys), and the
 * caller's tcgetattr() was one more: three ioctls per change. The port's raw mode is set the
 * same way (cb_tty_vmin_make_raw), from the settings that cb_tty_vmin_new read, which also
 * tell that the fd is a terminal: a TCGETS, a TCSETS and a TCGETS a port, where isatty(),
 * tcgetattr(), tcsetattr() and the copy's own read were six. */
typedef struct _CbTtyVmin CbTtyVmin;

CbTtyVmin *cb_tty_vmin_new  (int        fd,
                             GError   **error);
gboolean   cb_tty_vmin_make_raw (CbTtyVmin *self,
                                 int        fd,
                                 guint      baud_rate);
gboolean   cb_tty_vmin_set  (CbTtyVmin *self,
                             int        fd,
                             guint8     vmin);
void       cb_tty_vmin_free (CbTtyVmin *self);
guint      cb_tty_vmin_speed (guint     baud_rate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbTtyVmin, cb_tty_vmin_free)

G_END_DECLS
