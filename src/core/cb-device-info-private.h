/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cbp-group.h"

#include "cb-device-info.h"

G_BEGIN_DECLS

/* A device's 64-bit count as a guint, saturated. */
static inline guint
cb_bench_clamp_uint (guint64 value)
{
  return value > G_MAXUINT ? G_MAXUINT : (guint) value;
}

/* For the bench client: the object for a decoded `info` answer. */
CbDeviceInfo *cb_device_info_new_from_rsp (const cbp_info_rsp *rsp);

G_END_DECLS
