/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: the sandbox's events. A lower layer that changes what a higher one must act
 * on (a device revoked, disabled or deleted; an issuing CA revoked; a twin's desired
 * properties patched) emits a signal here; the surface that cares (the MQTT endpoint)
 * connects to it. So state and domain never call up into a surface. Signals are emitted on
 * the thread that changed the state, with the sandbox's lock held. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CB_TYPE_SB_EVENTS (cb_sb_events_get_type ())
G_DECLARE_FINAL_TYPE (CbSbEvents, cb_sb_events, CB, SB_EVENTS, GObject)

CbSbEvents   *cb_sb_events_new                (void);

/* "device-dropped" (hub or NULL for every hub, device id, reason): the device's live
 * connections must end now, so its next attempt meets the new verdict. */
void          cb_sb_events_drop_device        (CbSbEvents  *self,
                                               const char  *hub,
                                               const char  *device_id,
                                               const char  *reason);
/* "recheck-all" (reason): every live connection must be judged again (an issuer was revoked). */
void          cb_sb_events_recheck_all        (CbSbEvents  *self,
                                               const char  *reason);
/* "desired-patched" (hub, device id, patch as a JsonObject, the desired properties' new
 * $version): a connected device that subscribed gets the patch. */
void          cb_sb_events_desired_patched    (CbSbEvents  *self,
                                               const char  *hub,
                                               const char  *device_id,
                                               JsonObject  *patch,
                                               gint64       version);
/* "issuer-published" (namespace id, issuer id: the CA engine's ca_issuers.id): an
 * intermediate CA of the 2026-11-01 model became usable (created by Microsoft, activated,
 * rotated), so the hubs linked to the namespace must trust it. */
void          cb_sb_events_issuer_published   (CbSbEvents  *self,
                                               const char  *namespace_id,
                                               const char  *issuer_id);

G_END_DECLS
