/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cbp-group.h"

#include "cb-device-diag.h"

G_BEGIN_DECLS

/* For the bench client: the object for a decoded `diag` answer. */
CbDeviceDiag *cb_device_diag_new_from_rsp (const cbp_diag_rsp *rsp);

G_END_DECLS
