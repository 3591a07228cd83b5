/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of the IoT Hub resource provider's CA certificates, Microsoft.Devices/IotHubs/certificates (cb-sb-routes-hub-certificates.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_hub_certificates_add (CbSandbox *self);

G_END_DECLS
