/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-http-response.h"

G_BEGIN_DECLS

/* For the HTTP client, which makes the responses. Takes its own references. */
CbHttpResponse *cb_http_response_new (guint               status,
                                      SoupMessageHeaders *headers,
                                      GBytes             *body,
                                      JsonNode           *json);

G_END_DECLS
