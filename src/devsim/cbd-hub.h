/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portable device's hub configuration and connection (cbd-hub.c). */
#pragma once

#include "cbd-device-private.h"

void cbd_dev_hub_load          (cbd_device *dev);
int  cbd_dev_handle_hub_config (cbd_device *dev, const void *req_, void *rsp_);
bool cbd_dev_hub_ready         (cbd_device *dev);
void cbd_dev_hub_set_state     (cbd_device *dev, cbd_hub_state state, const char *error);
void cbd_dev_hub_stop          (cbd_device *dev);
void cbd_dev_hub_connect       (cbd_device *dev);
void cbd_dev_hub_restart       (cbd_device *dev);
int  cbd_dev_hub_configure     (cbd_device *dev, const char *host, const char *device_id,
                                const char *endpoint, const char *ca_path);
