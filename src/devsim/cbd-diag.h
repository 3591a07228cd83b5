/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portable device's info, diag and status (cbd-diag.c). */
#pragma once

#include "cbd-device-private.h"

int cbd_dev_handle_info (cbd_device *dev, const void *req_, void *rsp_);
int cbd_dev_handle_diag (cbd_device *dev, const void *req_, void *rsp_);
