/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A USB serial port (or a pty) opened raw 8N1, exclusively locked, with non-blocking reads
 * delivered as `bytes-received` on the thread-default main context of the opener and queued
 * writes that wait for the fd to become writable.
 *
 * Errors are in the G_IO_ERROR domain: G_IO_ERROR_BUSY when another program holds the port,
 * G_IO_ERROR_NOT_FOUND / G_IO_ERROR_PERMISSION_DENIED from open(2), G_IO_ERROR_NOT_SUPPORTED
 * for a baud rate termios cannot express, G_IO_ERROR_BROKEN_PIPE when the device vanished
 * (EIO/HUP) and G_IO_ERROR_CLOSED when the port was closed by us. */

#define CB_TYPE_SERIAL_PORT (cb_serial_port_get_type ())
G_DECLARE_FINAL_TYPE (CbSerialPort, cb_serial_port, CB, SERIAL_PORT, GObject)

#define CB_SERIAL_PORT_DEFAULT_BAUD 115200

CbSerialPort *cb_serial_port_open            (const char           *path,
                                              guint                 baud_rate,
                                              GError              **error);
const char   *cb_serial_port_get_path        (CbSerialPort         *self);
guint         cb_serial_port_get_baud_rate   (CbSerialPort         *self);
gboolean      cb_serial_port_set_baud_rate   (CbSerialPort         *self,
                                              guint                 baud_rate,
                                              GError              **error);
/* TRUE from a successful open until close or disconnect. */
gboolean      cb_serial_port_is_open         (CbSerialPort         *self);
/* Wake the reader only once this many bytes wait (a lower bound of what it needs; given up
 * after twice their wire time; on a line measured to be paced at its baud, read once their
 * wire time is past). A wake-up where it is not said again goes back to 1. */
void          cb_serial_port_set_read_min    (CbSerialPort         *self,
                                              gsize                 bytes);
/* More bytes are likely soon but not certain (a log line half read): on a line measured paced,
 * read at their wire time instead of at each delivery; elsewhere nothing changes. */
void          cb_serial_port_set_read_soon   (CbSerialPort         *self,
                                              gsize                 bytes);
/* Bytes queued by write_async() or write() and not yet accepted by the kernel. */
gsize         cb_serial_port_get_pending     (CbSerialPort         *self);
/* The error that ended the connection (G_IO_ERROR_BROKEN_PIPE or G_IO_ERROR_CLOSED), or
 * NULL while open. */
const GError *cb_serial_port_get_close_error (CbSerialPort         *self);

/* Queues data (in order with other writes) and writes what the kernel takes now, with no
 * completion to wait for: a caller that learns of failures from `disconnected` (a write error
 * closes the port) and needs no callback per write saves the main loop the extra turn in
 * which a GTask made in the same turn completes. cb_serial_port_get_pending() says what is
 * still queued; an empty write_async() queued after it completes once it is all written.
 * FALSE with @error when the port is closed. */
gboolean      cb_serial_port_write           (CbSerialPort         *self,
                                              GBytes               *data,
                                              GError              **error);
/* Queues data; completes once every byte has been written (in order with other writes). */
void          cb_serial_port_write_async     (CbSerialPort         *self,
                                              GBytes               *data,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean      cb_serial_port_write_finish    (CbSerialPort         *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* Drops the lock and closes the fd. Pending writes fail with G_IO_ERROR_CLOSED; `disconnected`
 * is not emitted for a close we asked for. Safe to call twice. */
void          cb_serial_port_close           (CbSerialPort         *self);

/* Termios speed constant for a baud rate, or 0 when there is none. */
guint         cb_serial_port_baud_to_speed   (guint                 baud_rate);

G_END_DECLS
