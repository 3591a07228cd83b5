/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-entra-device-code.h"

G_BEGIN_DECLS

/* The code's fields, for the client that fills them in from the service's answer. */

#define CB_ENTRA_DEVICE_CODE_DEFAULT_INTERVAL 5

struct _CbEntraDeviceCode
{
  GObject  parent_instance;

  char    *device_code;
  char    *user_code;
  char    *verification_uri;
  char    *message;
  guint    interval;
  gint64   expires_at;
};

G_END_DECLS
