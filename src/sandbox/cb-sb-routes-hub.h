/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the route files of IoT Hub's service REST surface: what they share
 * (cb-sb-routes-hub-auth.h) and each file's routes. */

#include "cb-sb-request.h"
#include "cb-sb-routes-hub-auth.h"
#include "cb-sb-routes-hub-c2d.h"
#include "cb-sb-routes-hub-methods.h"
#include "cb-sb-routes-hub-query.h"
#include "cb-sb-routes-hub-twins.h"
