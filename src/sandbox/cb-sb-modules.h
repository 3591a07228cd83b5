/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Assembly: each module's init (tables and routes), called once by cb_sandbox_start in this
 * order. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* ---- Module registration (called once by cb_sandbox_start) ---------------------------- */

/* Each module creates its tables (CREATE TABLE IF NOT EXISTS ...) and adds its routes. */
gboolean      cb_sb_routes_sandbox_init   (CbSandbox *self, GError **error);
gboolean      cb_sb_routes_entra_init     (CbSandbox *self, GError **error);
gboolean      cb_sb_arm_init         (CbSandbox *self, GError **error);
gboolean      cb_sb_ca_init          (CbSandbox *self, GError **error);
gboolean      cb_sb_activity_init    (CbSandbox *self, GError **error);
gboolean      cb_sb_dps_init         (CbSandbox *self, GError **error);
gboolean      cb_sb_hub_init         (CbSandbox *self, GError **error);
gboolean      cb_sb_mqtt_init        (CbSandbox *self, GError **error);

G_END_DECLS
