/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The 49 bytes a device signs for pop: "certbench-pop-v1" 0x00 challenge. */
GBytes *cb_bench_pop_message        (GBytes       *challenge);
/* A chain as the device stores it (DER certificates, leaf first, concatenated) from either that
 * or PEM text with one or more CERTIFICATE blocks. NULL with G_IO_ERROR_INVALID_DATA if neither. */
GBytes *cb_bench_chain_to_der       (GBytes       *der_or_pem,
                                     GError      **error);

G_END_DECLS
