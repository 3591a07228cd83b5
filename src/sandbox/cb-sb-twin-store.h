/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: a hub device's twin as the service shows it (deviceId, etags, status, tags and the
 * properties with their $metadata). The twin functions other modules call (reported patches,
 * the twin a device GETs) are in cb-sb-hub.h. */

#include <json-glib/json-glib.h>
#include "cb-sb-hub-store.h"

G_BEGIN_DECLS

JsonObject   *cb_sb_hub_twin_to_object   (CbSbHubDevice *dev);
JsonNode     *cb_sb_hub_twin_to_json     (CbSbHubDevice *dev);

G_END_DECLS
