/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* CbDeviceDiag: the answer to `diag`. Absent optional times are 0 (has_validity tells). */

#define CB_TYPE_DEVICE_DIAG (cb_device_diag_get_type ())
G_DECLARE_FINAL_TYPE (CbDeviceDiag, cb_device_diag, CB, DEVICE_DIAG, GObject)

gint64              cb_device_diag_get_time             (CbDeviceDiag *self);
guint64             cb_device_diag_get_uptime           (CbDeviceDiag *self);
const char         *cb_device_diag_get_tls_error        (CbDeviceDiag *self);
const char         *cb_device_diag_get_dps_error        (CbDeviceDiag *self);
/* TRUE when the device reported the active leaf's validity and renewal point. */
gboolean            cb_device_diag_get_has_validity     (CbDeviceDiag *self);
gint64              cb_device_diag_get_not_before       (CbDeviceDiag *self);
gint64              cb_device_diag_get_not_after        (CbDeviceDiag *self);
gint64              cb_device_diag_get_renew_at         (CbDeviceDiag *self);
/* The device's hub connection (issue 5; docs/bench-protocol.md, diag). NULL when the device
 * did not report it (an older firmware). hub_state: "off" (no hub configured or no active
 * certificate), "connecting", "connected", "refused" (CONNACK refused; hub_error says why),
 * "unreachable" (TCP/TLS failed), "disconnected". hub_time: when the state last changed. */
const char         *cb_device_diag_get_hub                (CbDeviceDiag *self);
const char         *cb_device_diag_get_hub_state          (CbDeviceDiag *self);
const char         *cb_device_diag_get_hub_error          (CbDeviceDiag *self);
gint64              cb_device_diag_get_hub_time           (CbDeviceDiag *self);
/* The last renewal: NULL state when none was tried. renew_state: "requested", "renewed",
 * "failed", "reregistered" (the certificate had expired and DPS issued a new one). */
const char         *cb_device_diag_get_renew_state        (CbDeviceDiag *self);
const char         *cb_device_diag_get_renew_error        (CbDeviceDiag *self);
gint64              cb_device_diag_get_renew_time         (CbDeviceDiag *self);

G_END_DECLS
