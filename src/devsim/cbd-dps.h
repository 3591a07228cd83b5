/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DPS registration of the portable device (cbd-dps.c). */
#pragma once

#include "cbd-device-private.h"

void cbd_dev_dps_load            (cbd_device *dev);
int  cbd_dev_handle_dps_config   (cbd_device *dev, const void *req_, void *rsp_);
int  cbd_dev_handle_dps_register (cbd_device *dev, const void *req_, void *rsp_);
int  cbd_dev_handle_dps_status   (cbd_device *dev, const void *req_, void *rsp_);
int  cbd_dev_start_registration  (cbd_device *dev, const char *key_type, bool rereg);
