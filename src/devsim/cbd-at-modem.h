/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated nRF91 modem (cbd-at-modem.c) and what its command handlers share. */
#pragma once

#include <glib.h>

#include "cbd-at-line.h"
#include "cbd-at-parser.h"
#include "cbd-host.h"

G_BEGIN_DECLS

typedef struct
{
  CbdStorage     *storage;          /* borrowed: the state directory */
  CbdAtWriteFunc  write;            /* bytes to the host */
  void          (*unplug) (void *ctx);
  void           *ctx;
  int             cfun;             /* functional mode at power-on */
  gboolean        urc;              /* +CEREG notifications subscribed at power-on */
  int             slow_keygen_ms;
  /* faults, as the SMP personality's */
  gboolean        wrong_cn;         /* the CSR's CN is not the one asked for */
  gboolean        csr_other_key;    /* the CSR is signed by another key than the stored one */
  gboolean        refuse_commit;    /* writing a client certificate answers +CME ERROR: 514 */
  gboolean        unplug_at_commit; /* a client certificate is stored, then the modem unplugs */
} CbdAtConfig;

typedef struct _CbdAtModem CbdAtModem;
typedef struct _CbdAtIdentity CbdAtIdentity;   /* cbd-at-identity.h */

CbdAtModem        *cbd_at_modem_new          (const CbdAtConfig  *config,
                                              GError            **error);
void               cbd_at_modem_free         (CbdAtModem         *modem);
void               cbd_at_modem_feed         (CbdAtModem         *modem,
                                              const guint8       *data,
                                              gsize               len);

/* For the command handlers. A handler answers its information lines itself and returns
 * the final result: CBD_AT_OK, CBD_AT_ERROR or a +CME ERROR code (> 0). */
#define CBD_AT_OK     0
#define CBD_AT_ERROR  (-1)
#define CBD_AT_NO_RESULT (-2)   /* the handler wrote nothing and never will (an unplug) */

typedef int (*CbdAtHandler) (CbdAtModem *modem, const CbdAtCommand *cmd);

CbdAtLine         *cbd_at_modem_get_line     (CbdAtModem         *modem);
const CbdAtConfig *cbd_at_modem_get_config   (CbdAtModem         *modem);
/* Normal mode (+CFUN 1, 2 or 21): credential writes and key generation are refused. */
gboolean           cbd_at_modem_is_active    (CbdAtModem         *modem);
CbdAtIdentity     *cbd_at_modem_get_identity (CbdAtModem         *modem);

G_END_DECLS
