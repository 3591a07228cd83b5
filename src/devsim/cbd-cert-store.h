/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portable device's certificate store: staging, chain parsing, activation
 * (cbd-cert-store.c). */
#pragma once

#include "cbd-device-private.h"

int  cbd_dev_staging_save       (cbd_device *dev);
void cbd_dev_staging_reset      (cbd_device *dev);
bool cbd_dev_staging_check_hash (cbd_device *dev);
void cbd_dev_staging_load       (cbd_device *dev);
bool cbd_dev_parse_chain        (cbd_device *dev, const uint8_t *chain, size_t len,
                                 uint8_t **leaf_spki, size_t *leaf_spki_len, int64_t *not_before,
                                 int64_t *not_after);
void cbd_dev_active_refresh     (cbd_device *dev);
bool cbd_dev_leaf_matches       (cbd_device *dev, const uint8_t *chain, size_t len,
                                 const cbd_key_slot *k);
int  cbd_dev_activate_chain     (cbd_device *dev, uint8_t *chain, size_t len);
