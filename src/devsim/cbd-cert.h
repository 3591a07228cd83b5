/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bench certificate commands of the portable device (cbd-cert.c). */
#pragma once

#include "cbd-device-private.h"

int cbd_dev_handle_cert_put    (cbd_device *dev, const void *req_, void *rsp_);
int cbd_dev_handle_cert_commit (cbd_device *dev, const void *req_, void *rsp_, uint8_t *sha_buf);
int cbd_dev_handle_cert_get    (cbd_device *dev, const void *req_, void *rsp_, uint8_t *sha_buf);
int cbd_dev_handle_pop         (cbd_device *dev, const void *req_, void *rsp_);
