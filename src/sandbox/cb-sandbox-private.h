/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Every internal header of the sandbox, for tests, fuzz harnesses and main.c. Files inside
 * src/sandbox include only the small headers they use (docs/DESIGN.md, "Inside the sandbox"). */

#include "cb-sb-world.h"
#include "cb-sb-store.h"
#include "cb-sb-clock.h"
#include "cb-sb-tls.h"
#include "cb-sb-net.h"
#include "cb-sb-folder-lock.h"
#include "cb-sb-faults.h"
#include "cb-sb-events.h"
#include "cb-sb-json.h"
#include "cb-sb-request.h"
#include "cb-sb-router.h"
#include "cb-sb-directory.h"
#include "cb-sb-topology.h"
#include "cb-sb-activity.h"
#include "cb-sb-adr.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-ca.h"
#include "cb-sb-hub.h"
#include "cb-sb-dps.h"
#include "cb-sb-mqtt.h"
#include "cb-sb-info.h"
#include "cb-sb-modules.h"
