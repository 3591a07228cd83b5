/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-error"

#include "config.h"

#include "cb-error.h"

typedef struct
{
  guint  http_status;
  char  *remote_code;
  char  *target;
  guint  retry_after;
} CbApiErrorPrivate;

static void
cb_api_error_private_init (CbApiErrorPrivate *priv)
{
  priv->http_status = 0;
  priv->remote_code = NULL;
  priv->target = NULL;
  priv->retry_after = 0;
}

static void
cb_api_error_private_copy (const CbApiErrorPrivate *src,
                           CbApiErrorPrivate       *dest)
{
  dest->http_status = src->http_status;
  dest->remote_code = g_strdup (src->remote_code);
  dest->target = g_strdup (src->target);
  dest->retry_after = src->retry_after;
}

static void
cb_api_error_private_clear (CbApiErrorPrivate *priv)
{
  g_clear_pointer (&priv->remote_code, g_free);
  g_clear_pointer (&priv->target, g_free);
}

/* Extended errors (GLib 2.68) let the ARM code, the target and Retry-After travel with the
 * GError through GTask without a side channel. */
G_DEFINE_EXTENDED_ERROR (CbApiError, cb_api_error)

CbApiError
cb_api_error_from_http_status (guint status)
{
  switch (status)
    {
    case 400:
    case 405:
    case 413:
    case 415:
    case 422:
      return CB_API_ERROR_BAD_REQUEST;
    case 401:
      return CB_API_ERROR_UNAUTHORIZED;
    case 403:
      return CB_API_ERROR_FORBIDDEN;
    case 404:
    case 410:
      return CB_API_ERROR_NOT_FOUND;
    case 409:
      return CB_API_ERROR_CONFLICT;
    case 412:
      return CB_API_ERROR_PRECONDITION_FAILED;
    case 408:
    case 504:
      return CB_API_ERROR_TIMEOUT;
    case 429:
      return CB_API_ERROR_THROTTLED;
    default:
      if (status >= 500)
        return CB_API_ERROR_SERVER;
      return CB_API_ERROR_FAILED;
    }
}

GError *
cb_api_error_new_full (CbApiError  code,
                       guint       http_status,
                       const char *remote_code,
                       const char *target,
                       guint       retry_after_seconds,
                       const char *format,
                       ...)
{
  CbApiErrorPrivate *priv;
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (CB_API_ERROR, code, format, args);
  va_end (args);

  priv = cb_api_error_get_private (error);
  g_assert (priv != NULL);
  priv->http_status = http_status;
  priv->remote_code = g_strdup (remote_code);
  priv->target = g_strdup (target);
  priv->retry_after = retry_after_seconds;

  return error;
}

guint
cb_api_error_get_http_status (const GError *error)
{
  CbApiErrorPrivate *priv = cb_api_error_get_private (error);

  return priv != NULL ? priv->http_status : 0;
}

const char *
cb_api_error_get_remote_code (const GError *error)
{
  CbApiErrorPrivate *priv = cb_api_error_get_private (error);

  return priv != NULL ? priv->remote_code : NULL;
}

const char *
cb_api_error_get_target (const GError *error)
{
  CbApiErrorPrivate *priv = cb_api_error_get_private (error);

  return priv != NULL ? priv->target : NULL;
}

guint
cb_api_error_get_retry_after (const GError *error)
{
  CbApiErrorPrivate *priv = cb_api_error_get_private (error);

  return priv != NULL ? priv->retry_after : 0;
}
