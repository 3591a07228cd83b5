/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated nRF91 modem (cbd-at-modem.c). */
#pragma once

#include <glib.h>

#include "cbd-at-context.h"

G_BEGIN_DECLS

typedef struct _CbdAtModem CbdAtModem;

CbdAtModem *cbd_at_modem_new   (const CbdAtConfig  *config,
                                GError            **error);
void        cbd_at_modem_free  (CbdAtModem         *modem);
void        cbd_at_modem_feed  (CbdAtModem         *modem,
                                const guint8       *data,
                                gsize               len);

G_END_DECLS
