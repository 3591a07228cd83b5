/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Twin report and renewal over the hub connection (cbd-renewal.c). */
#pragma once

#include "cbd-device-private.h"

int64_t cbd_dev_renew_point (cbd_device *dev);
void    cbd_dev_renew_set   (cbd_device *dev, cbd_renew_state state, const char *error);
void    cbd_dev_twin_report (cbd_device *dev);
void    cbd_dev_renew_send  (cbd_device *dev, bool replace);
void    cbd_dev_renew_start (cbd_device *dev);
