/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* After a provisioning run on a simulated nRF91 modem: asks the modem on @pty `AT%CMNG=1`
 * itself and asserts that its security tag @sec_tag lists the client certificate (and the root
 * CA) with the SHA-256 digests of the PEM text Certbench wrote for @chain_pem (the chain the run
 * printed, leaf first). */
void cb_test_nrf91_assert_cmng (const char *pty,
                                guint32     sec_tag,
                                const char *chain_pem);

G_END_DECLS
