/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portable device's small services (cbd-util.c). */
#pragma once

#include "cbd-device-private.h"

char    *cbd_dev_str_dup (const char *s);
void    cbd_dev_set_str  (char **ptr, const char *s);
void    cbd_dev_write    (cbd_device *dev, const uint8_t *data, size_t len);
void    cbd_dev_log2     (cbd_device *dev, const char *prefix, const char *arg);
void    cbd_dev_notify   (cbd_device *dev);
int64_t cbd_dev_mono_ms  (cbd_device *dev);
