/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-device-driver.h"
#include "cb-nrf91-modem.h"

G_BEGIN_DECLS

/* CbNrf91Driver: a Nordic nRF91 modem (AT commands, cb-nrf91-modem.h) as a CbDeviceDriver, the
 * registry's "nrf91". The modem makes its key and CSR with %KEYGEN into one security tag and
 * keeps the issued chain there with %CMNG (the client certificate with its intermediates as
 * type 1, the chain's root as type 0 when the tag holds no root CA yet), offline (+CFUN=4) while it writes and in the mode it
 * was in afterwards; read-back compares the SHA-256 digests %CMNG list reports with those of
 * the text written. docs/devices.md says what each step does. */

/* The security tag used unless set otherwise. */
#define CB_NRF91_DRIVER_DEFAULT_SEC_TAG 11

#define CB_TYPE_NRF91_DRIVER (cb_nrf91_driver_get_type ())
G_DECLARE_FINAL_TYPE (CbNrf91Driver, cb_nrf91_driver, CB, NRF91_DRIVER, GObject)

CbNrf91Driver *cb_nrf91_driver_new         (CbNrf91Modem  *modem);
/* A driver on an open port (the registry's constructor). */
CbDeviceDriver *cb_nrf91_driver_new_on_port (CbSerialPort  *port);
/* Returns: (transfer none) */
CbNrf91Modem  *cb_nrf91_driver_get_modem   (CbNrf91Driver *self);
guint32        cb_nrf91_driver_get_sec_tag (CbNrf91Driver *self);
void           cb_nrf91_driver_set_sec_tag (CbNrf91Driver *self,
                                            guint32        sec_tag);

/* The texts written for a chain (leaf first, CbCertificate): type 1 the leaf and its
 * intermediates as PEM, type 0 the root (a self-signed last certificate) or NULL. */
void           cb_nrf91_driver_chain_texts (GPtrArray     *certificates,
                                            char         **client_pem,
                                            char         **root_pem);

G_END_DECLS
