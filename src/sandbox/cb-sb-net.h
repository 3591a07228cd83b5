/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: connections, for the endpoints that accept them (the HTTPS listener and the
 * MQTT endpoint): the ClientHello wait and the HTTPS listener. Each has its own header; this
 * one gathers them for the files that include it. */

#include "cb-sb-client-hello.h"
#include "cb-sb-listener.h"
