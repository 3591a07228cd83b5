/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-serial-port.h"

G_BEGIN_DECLS

/* An AT command channel (ITU-T V.250 as Nordic's nRF91 AT command reference uses it) on a
 * CbSerialPort: one command line at a time, its information lines collected until the final
 * result (OK, ERROR, +CME ERROR: <n>). Lines end at CR or LF outside double quotes, so a quoted
 * PEM keeps its line breaks; the command's echo (ATE1) is dropped; unsolicited result codes
 * (+CEREG: ..., %XSIM: ... and the like, named differently from the command in flight) are
 * emitted as `unsolicited`, never taken as an answer. A line over the limit or with binary
 * bytes fails the command in flight with CB_AT_ERROR_PROTOCOL; no final result in time fails
 * it with CB_AT_ERROR_TIMEOUT; a port that goes away fails it with G_IO_ERROR_BROKEN_PIPE.
 * Lines that come while no command is in flight are unsolicited ("+..."/"%..." lines) or
 * dropped; Zephyr log lines ("I: ...", "<inf> ...") sharing the UART are dropped always. Every
 * line written and read is told as `traffic`, for a protocol log. After
 * a timeout the device's state is unknown: a caller that goes on should send "AT" first. */

typedef enum
{
  CB_AT_ERROR_FAILED,     /* the plain final result "ERROR" */
  CB_AT_ERROR_TIMEOUT,    /* no final result within the command's time */
  CB_AT_ERROR_PROTOCOL,   /* an over-long line, binary bytes, an answer that is not AT text */
} CbAtError;

#define CB_AT_ERROR (cb_at_error_quark ())
GQuark cb_at_error_quark (void);

/* "+CME ERROR: <n>": the error code is n. */
#define CB_AT_CME_ERROR (cb_at_cme_error_quark ())
GQuark cb_at_cme_error_quark (void);

/* The longest line accepted from the device (a %CMNG read of a chain fits). */
#define CB_AT_CHANNEL_MAX_LINE (64 * 1024)
#define CB_AT_CHANNEL_DEFAULT_TIMEOUT_MS 5000

#define CB_TYPE_AT_CHANNEL (cb_at_channel_get_type ())
G_DECLARE_FINAL_TYPE (CbAtChannel, cb_at_channel, CB, AT_CHANNEL, GObject)

CbAtChannel  *cb_at_channel_new             (CbSerialPort         *port);
/* Returns: (transfer none) */
CbSerialPort *cb_at_channel_get_port        (CbAtChannel          *self);
void          cb_at_channel_set_max_line    (CbAtChannel          *self,
                                             gsize                 max_line);

/* Sends command (without its line end; "AT+CGSN") followed by CR LF once the commands before
 * it are answered. timeout_ms 0 means CB_AT_CHANNEL_DEFAULT_TIMEOUT_MS. */
void          cb_at_channel_command_async   (CbAtChannel          *self,
                                             const char           *command,
                                             guint                 timeout_ms,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
/* Returns: (transfer full): the information lines, without line ends (a quoted value keeps the
 * CR/LF inside its quotes), NULL-terminated; NULL with error on anything but OK. */
char        **cb_at_channel_command_finish  (CbAtChannel          *self,
                                             GAsyncResult         *result,
                                             GError              **error);

/* The command's name as a result line carries it: "AT+CEREG?" -> "+CEREG", "AT%CMNG=1" ->
 * "%CMNG", "AT" -> "". Returns: (transfer full) */
char         *cb_at_command_name            (const char           *command);

/* @line as a protocol log shows it: a quoted value over 32 characters is cut, with its size
 * ("\"-----BEGIN CERTIFICATE-----\nMIIB…\" (1234 bytes)"), and control bytes become '.'.
 * Nothing the modem sends or is sent is secret (a private key never leaves it); the log
 * scrubs its lines anyway. Returns: (transfer full) */
char         *cb_at_line_for_log            (const char           *line);

/* The parameters of an information line "<name>: <p1>,<p2>,...", split at commas outside
 * quotes and unquoted ("%CMNG: 16842753,0,\"AB..\"" -> {"16842753", "0", "AB.."}).
 * CB_AT_ERROR_PROTOCOL when the line does not start with "<name>:" or a quote is open.
 * Returns: (transfer full) */
char        **cb_at_result_params           (const char           *line,
                                             const char           *name,
                                             GError              **error);

G_END_DECLS
