/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated nRF91 modem: its state (functional mode, error reporting, notification
 * subscription, echo) and the table of the commands it knows, each answered as the nRF91 AT
 * command reference shows: information lines, then OK, ERROR, or +CME ERROR: <n> once +CMEE=1
 * asked for numbers (until then every error is a plain ERROR, as on the modem). Commands it
 * does not know are ERROR. It emulates the AT interface only: there is no network, so a modem
 * set to normal mode searches (+CEREG: 2) and never registers. */
#define G_LOG_DOMAIN "cbd-at"

#include "config.h"

#include <string.h>

#include "cbd-at-cmng.h"
#include "cbd-at-identity.h"
#include "cbd-at-modem.h"

#define MAX_LINE       16384   /* a root CA and a chain, quoted, fit */
#define OPEN_QUOTE_MS  3000

struct _CbdAtModem
{
  CbdAtContext  ctx;
};

typedef struct
{
  const char   *name;
  CbdAtHandler  handler;
} CbdAtEntry;

static gboolean
cfun_valid (gint64 fun)
{
  static const int modes[] = { 0, 1, 2, 4, 20, 21, 30, 31, 40, 41, 44 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (modes); i++)
    if (modes[i] == fun)
      return TRUE;
  return FALSE;
}

static gboolean
lte_on (int fun)
{
  return fun == 1 || fun == 21;
}

/* <stat>: 2 (searching) while LTE is on, as there is no network to find; else 0. */
static int
cereg_stat (CbdAtContext *ctx)
{
  return lte_on (ctx->cfun) ? 2 : 0;
}

static int
handle_at (CbdAtContext *ctx, const CbdAtCommand *cmd)
{
  return CBD_AT_OK;
}

/* ATE0 / ATE1 (V.250 echo). */
static int
handle_echo (CbdAtContext *ctx, const CbdAtCommand *cmd)
{
  gint64 on = 0;

  if (cmd->op == CBD_AT_SET && !cbd_at_command_get_int (cmd, 0, 0, 1, &on))
    return CBD_AT_ERROR;
  cbd_at_line_set_echo (ctx->line, on == 1);
  return CBD_AT_OK;
}

static int
handle_cfun (CbdAtContext *ctx, const CbdAtCommand *cmd)
{
  gint64 fun;
  int before = ctx->cfun;

  switch (cmd->op)
    {
    case CBD_AT_READ:
      cbd_at_line_sendf (ctx->line, "+CFUN: %d", ctx->cfun);
      return CBD_AT_OK;
    case CBD_AT_TEST:
      cbd_at_line_send (ctx->line, "+CFUN: (0,1,2,4,20,21,30,31,40,41,44)");
      return CBD_AT_OK;
    case CBD_AT_SET:
      if (cbd_at_command_n_params (cmd) != 1 || !cbd_at_command_get_int (cmd, 0, 0, 44, &fun) ||
          !cfun_valid (fun))
        return CBD_AT_ERROR;
      ctx->cfun = (int) fun;
      g_message ("Functional mode %d", ctx->cfun);
      /* The answer first; the notification follows it. */
      cbd_at_line_send (ctx->line, "OK");
      if (ctx->cereg > 0 && lte_on (before) != lte_on (ctx->cfun))
        cbd_at_line_sendf (ctx->line, "+CEREG: %d", cereg_stat (ctx));
      return CBD_AT_NO_RESULT;
    default:
      return CBD_AT_ERROR;
    }
}

/* A setting with one number, 0..max: set, test ("+NAME: (0-max)") and read ("+NAME: <n>",
 * and for +CEREG the registration state after it). */
static int
handle_setting (CbdAtContext *ctx, const CbdAtCommand *cmd, int max, int *value)
{
  gint64 n;

  switch (cmd->op)
    {
    case CBD_AT_READ:
      if (value == &ctx->cereg)
        cbd_at_line_sendf (ctx->line, "%s: %d,%d", cmd->name, *value, cereg_stat (ctx));
      else
        cbd_at_line_sendf (ctx->line, "%s: %d", cmd->name, *value);
      return CBD_AT_OK;
    case CBD_AT_TEST:
      cbd_at_line_sendf (ctx->line, "%s: (0-%d)", cmd->name, max);
      return CBD_AT_OK;
    case CBD_AT_SET:
      if (cbd_at_command_n_params (cmd) != 1 || !cbd_at_command_get_int (cmd, 0, 0, max, &n))
        return CBD_AT_ERROR;
      *value = (int) n;
      return CBD_AT_OK;
    default:
      return CBD_AT_ERROR;
    }
}

/* +CMEE: 0 plain ERROR, 1 +CME ERROR: <n>. */
static int
handle_cmee (CbdAtContext *ctx, const CbdAtCommand *cmd)
{
  return handle_setting (ctx, cmd, 1, &ctx->cmee);
}

/* +CEREG=<n> subscribes network registration notifications; +CEREG? reads <n>,<stat>. */
static int
handle_cereg (CbdAtContext *ctx, const CbdAtCommand *cmd)
{
  return handle_setting (ctx, cmd, 5, &ctx->cereg);
}

static const CbdAtEntry commands[] = {
  { "", handle_at },
  { "E", handle_echo },
  { "+CFUN", handle_cfun },
  { "+CMEE", handle_cmee },
  { "+CEREG", handle_cereg },
  { "+CGSN", cbd_at_identity_cgsn },
  { "+CGMI", cbd_at_identity_fixed },
  { "+CGMM", cbd_at_identity_fixed },
  { "+CGMR", cbd_at_identity_fixed },
  { "%XMODEMUUID", cbd_at_identity_fixed },
  { "%DEVICEUUID", cbd_at_identity_deviceuuid },
  { "%ATTESTTOKEN", cbd_at_identity_attesttoken },
  { "%KEYGEN", cbd_at_identity_keygen },
  { "%CMNG", cbd_at_cmng_handle },
};

static void
send_result (CbdAtContext *ctx, int rc)
{
  if (rc == CBD_AT_NO_RESULT)
    return;
  if (rc == CBD_AT_OK)
    cbd_at_line_send (ctx->line, "OK");
  else if (rc > 0 && ctx->cmee == 1)
    cbd_at_line_sendf (ctx->line, "+CME ERROR: %d", rc);
  else
    cbd_at_line_send (ctx->line, "ERROR");
}

static void
on_line (const char *text,
         gsize       len,
         gboolean    bad,
         gpointer    user_data)
{
  CbdAtModem *modem = user_data;
  g_autoptr(CbdAtCommand) cmd = NULL;
  guint i;

  if (bad || (cmd = cbd_at_command_parse (text)) == NULL)
    {
      send_result (&modem->ctx, CBD_AT_ERROR);
      return;
    }
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, cmd->name) == 0)
      {
        send_result (&modem->ctx, commands[i].handler (&modem->ctx, cmd));
        return;
      }
  send_result (&modem->ctx, CBD_AT_ERROR);
}

static void
line_write (void *ctx, const guint8 *data, gsize len)
{
  CbdAtModem *modem = ctx;

  modem->ctx.config.write (modem->ctx.config.ctx, data, len);
}

CbdAtModem *
cbd_at_modem_new (const CbdAtConfig  *config,
                  GError            **error)
{
  CbdAtModem *modem = g_new0 (CbdAtModem, 1);
  CbdAtContext *ctx = &modem->ctx;

  ctx->config = *config;
  ctx->identity = cbd_at_identity_load (config->storage, error);
  if (ctx->identity == NULL)
    {
      g_free (modem);
      return NULL;
    }
  ctx->line = cbd_at_line_new (MAX_LINE, OPEN_QUOTE_MS, on_line, line_write, modem);
  ctx->cfun = cfun_valid (config->cfun) ? config->cfun : 0;
  ctx->cereg = config->urc ? 1 : 0;
  if (ctx->cereg > 0 && lte_on (ctx->cfun))
    cbd_at_line_sendf (ctx->line, "+CEREG: %d", cereg_stat (ctx));
  return modem;
}

void
cbd_at_modem_free (CbdAtModem *modem)
{
  if (modem == NULL)
    return;
  cbd_at_line_free (modem->ctx.line);
  cbd_at_identity_free (modem->ctx.identity);
  g_free (modem);
}

void
cbd_at_modem_feed (CbdAtModem   *modem,
                   const guint8 *data,
                   gsize         len)
{
  cbd_at_line_feed (modem->ctx.line, data, len);
}
