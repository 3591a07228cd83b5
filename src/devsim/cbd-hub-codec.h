/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The codecs the portable device's hub side needs (cbd-hub-codec.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

char *cbd_dev_b64_encode          (const uint8_t *data, size_t len);
bool cbd_dev_parse_credentials    (const uint8_t *payload, size_t len, uint8_t **chain,
                                   size_t *chain_len, char **message, char **error_code);
void cbd_dev_format_utc           (int64_t t, char out[24]);
bool cbd_dev_parse_response_topic (const char *topic, const char *prefix, int *status,
                                   uint64_t *rid);
