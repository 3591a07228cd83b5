/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-smp-transport"

/* CB_SMP_ERROR: how an SMP request failed (a device's rc, a timeout, a malformed or too large
 * packet), an extended GError domain that carries the group, command and rc. */

#include "config.h"

#include "cb-smp-error-private.h"

typedef struct
{
  guint group;
  guint command;
  int   rc;
} CbSmpErrorPrivate;

static void
cb_smp_error_private_init (CbSmpErrorPrivate *priv)
{
  priv->group = 0;
  priv->command = 0;
  priv->rc = 0;
}

static void
cb_smp_error_private_copy (const CbSmpErrorPrivate *src,
                           CbSmpErrorPrivate       *dest)
{
  *dest = *src;
}

static void
cb_smp_error_private_clear (CbSmpErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (CbSmpError, cb_smp_error)

GError *
cb_smp_error_new_full (CbSmpError  code,
                       guint       group,
                       guint       command,
                       int         rc,
                       const char *format,
                       ...)
{
  CbSmpErrorPrivate *priv;
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (CB_SMP_ERROR, code, format, args);
  va_end (args);

  priv = cb_smp_error_get_private (error);
  g_assert (priv != NULL);
  priv->group = group;
  priv->command = command;
  priv->rc = rc;

  return error;
}

guint
cb_smp_error_get_group (const GError *error)
{
  CbSmpErrorPrivate *priv = cb_smp_error_get_private (error);

  return priv != NULL ? priv->group : 0;
}

int
cb_smp_error_get_rc (const GError *error)
{
  CbSmpErrorPrivate *priv = cb_smp_error_get_private (error);

  return priv != NULL ? priv->rc : 0;
}

guint
cb_smp_error_get_command (const GError *error)
{
  CbSmpErrorPrivate *priv = cb_smp_error_get_private (error);

  return priv != NULL ? priv->command : 0;
}
