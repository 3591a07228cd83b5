/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the simulated nRF91 modem's command handlers share (the modem, cbd-at-modem.c, owns
 * it): the configuration, the line to answer on, the identity, the functional mode and the
 * error reporting mode, and the result codes a handler returns. Header only, so the handler
 * files (cbd-at-cmng.c, cbd-at-identity.c) sit below the modem that dispatches to them. */
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

typedef struct _CbdAtIdentity CbdAtIdentity;   /* cbd-at-identity.h */

typedef struct
{
  CbdAtConfig     config;
  CbdAtLine      *line;
  CbdAtIdentity  *identity;
  int             cfun;             /* +CFUN */
  int             cmee;             /* +CMEE: 0 plain ERROR, 1 +CME ERROR: <n> */
  int             cereg;            /* +CEREG subscription level */
} CbdAtContext;

/* A handler answers its information lines itself and returns the final result: CBD_AT_OK,
 * CBD_AT_ERROR or a +CME ERROR code (> 0). */
#define CBD_AT_OK         0
#define CBD_AT_ERROR      (-1)
#define CBD_AT_NO_RESULT  (-2)   /* the handler sent its final result itself, or never will */

typedef int (*CbdAtHandler) (CbdAtContext *ctx, const CbdAtCommand *cmd);

/* Normal mode (+CFUN 1, 2 or 21): credential writes and key generation are refused. */
static inline gboolean
cbd_at_context_is_active (const CbdAtContext *ctx)
{
  return ctx->cfun == 1 || ctx->cfun == 2 || ctx->cfun == 21;
}

G_END_DECLS
