/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Key generation and the key store of the portable device (cbd-keystore.c). */
#pragma once

#include "cbd-device-private.h"

void         cbd_dev_key_slot_clear     (cbd_key_slot *k);
bool         cbd_dev_key_type_supported (cbd_device *dev, const char *type);
cbd_key_slot *cbd_dev_working_key       (cbd_device *dev);
int          cbd_dev_key_slot_load      (cbd_device *dev, const char *name, cbd_key_slot *k);
int          cbd_dev_key_slot_save      (cbd_device *dev, const char *name, const cbd_key_slot *k);
int          cbd_dev_make_key           (cbd_device *dev, const char *type, cbd_key_slot *out);
int          cbd_dev_install_fresh_key  (cbd_device *dev, cbd_key_slot *fresh);
int          cbd_dev_handle_keygen      (cbd_device *dev, const void *req_, void *rsp_);
