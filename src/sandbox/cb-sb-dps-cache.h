/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-sb-dps-store.h"

G_BEGIN_DECLS

/* DPS rows every device request reads, kept in memory until the store's generation moves
 * (cb-sb-dps-cache.c). */

/* A copy of the instance with that ID scope (case-insensitive), or NULL. */
CbSbDpsInstance *cb_sb_dps_cache_instance        (CbSandbox            *self,
                                                  const char           *id_scope);
/* The instance's enrollment groups, in group id order; owned by the cache, valid until the
 * store is next written. */
GPtrArray       *cb_sb_dps_cache_groups          (CbSandbox            *self,
                                                  const char           *dps_name);
CbSbEnrollment  *cb_sb_dps_cache_enrollment_copy (const CbSbEnrollment *e);
/* Whether the instance has an individual enrollment for registration_id (case-insensitive):
 * the lookup of its row is skipped for the devices of a group. */
gboolean         cb_sb_dps_cache_has_individual  (CbSandbox            *self,
                                                  const char           *dps_name,
                                                  const char           *registration_id);
/* The device key derived from group's primary or secondary key for registration_id; owned by
 * the cache, valid until the store is next written. NULL when the group has no such key, or
 * with error when it is not base64. */
const char      *cb_sb_dps_cache_derived_key     (CbSandbox            *self,
                                                  const char           *dps_name,
                                                  const CbSbEnrollment *group,
                                                  gboolean              secondary,
                                                  const char           *registration_id,
                                                  GError              **error);
/* An operation a registration just finished, kept until its poll takes it (which falls back to
 * the row when it is not here); takes op. */
void             cb_sb_dps_cache_put_operation   (CbSandbox            *self,
                                                  const char           *dps_name,
                                                  CbSbDpsOperation     *op);
CbSbDpsOperation *cb_sb_dps_cache_take_operation (CbSandbox            *self,
                                                  const char           *dps_name,
                                                  const char           *registration_id,
                                                  const char           *operation_id);

G_END_DECLS
