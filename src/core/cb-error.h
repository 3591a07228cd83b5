/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * CbApiError:
 *
 * Errors from the service clients (ARM, DPS, IoT Hub, Entra). The HTTP status class decides the
 * code; the service's own error code (for example ARM's "AuthorizationFailed" or DPS's 400004),
 * the target and the Retry-After hint travel with the error as extended data.
 */
typedef enum
{
  CB_API_ERROR_FAILED,
  CB_API_ERROR_BAD_REQUEST,
  CB_API_ERROR_UNAUTHORIZED,
  CB_API_ERROR_FORBIDDEN,
  CB_API_ERROR_NOT_FOUND,
  CB_API_ERROR_CONFLICT,
  CB_API_ERROR_PRECONDITION_FAILED,
  CB_API_ERROR_THROTTLED,
  CB_API_ERROR_SERVER,
  CB_API_ERROR_PARSE,
  CB_API_ERROR_OPERATION_FAILED,
  CB_API_ERROR_TIMEOUT,
  CB_API_ERROR_AUTHORIZATION_PENDING,
  CB_API_ERROR_AUTHORIZATION_DECLINED,
  CB_API_ERROR_EXPIRED,
} CbApiError;

#define CB_API_ERROR (cb_api_error_quark ())
GQuark      cb_api_error_quark             (void);

CbApiError  cb_api_error_from_http_status  (guint          status);
GError     *cb_api_error_new_full          (CbApiError     code,
                                            guint          http_status,
                                            const char    *remote_code,
                                            const char    *target,
                                            guint          retry_after_seconds,
                                            const char    *format,
                                            ...) G_GNUC_PRINTF (6, 7);
guint       cb_api_error_get_http_status   (const GError  *error);
const char *cb_api_error_get_remote_code   (const GError  *error);
const char *cb_api_error_get_target        (const GError  *error);
guint       cb_api_error_get_retry_after   (const GError  *error);

G_END_DECLS
