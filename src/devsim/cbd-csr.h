/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CSR building of the portable device (cbd-csr.c). */
#pragma once

#include "cbd-device-private.h"

bool cbd_dev_cn_valid   (const char *cn);
int  cbd_dev_make_csr   (cbd_device *dev, const char *cn, uint8_t **der, size_t *der_len);
int  cbd_dev_handle_csr (cbd_device *dev, const void *req_, void *rsp_);
