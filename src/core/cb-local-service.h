/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-profile.h"

G_BEGIN_DECLS

/**
 * CbLocalService:
 *
 * The services of the sandbox profile, run inside this process: what the context needs of
 * them without knowing who provides them (the sandbox implements it; core never calls the
 * sandbox).
 */
#define CB_TYPE_LOCAL_SERVICE (cb_local_service_get_type ())
G_DECLARE_INTERFACE (CbLocalService, cb_local_service, CB, LOCAL_SERVICE, GObject)

struct _CbLocalServiceInterface
{
  GTypeInterface parent_iface;

  CbProfile *(*create_profile)           (CbLocalService  *self);
  char      *(*dup_enrollment_group_key) (CbLocalService  *self,
                                          const char      *dps_name,
                                          const char      *group_id);
  void       (*stop)                     (CbLocalService  *self);
};

/* Starts a local service on the data folder @dir, blocking: the context calls it in a worker
 * thread. Returns a running service (a new reference) or NULL with @error set. */
typedef CbLocalService *(*CbLocalServiceStartFunc) (const char  *dir,
                                                    GError     **error);

/* A profile that reaches the running service. */
CbProfile *cb_local_service_create_profile           (CbLocalService *self);
/* The enrollment group's key (a secret: free with cb_secrets_free_value()), or NULL. */
char      *cb_local_service_dup_enrollment_group_key (CbLocalService *self,
                                                      const char     *dps_name,
                                                      const char     *group_id);
void       cb_local_service_stop                     (CbLocalService *self);

G_END_DECLS
