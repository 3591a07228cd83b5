/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The interface through which the context starts, uses and stops the services of the sandbox
 * profile when they run inside this process, so core depends on no sandbox code: the sandbox
 * library implements it (cb-sandbox-service.c). */

#define G_LOG_DOMAIN "cb-local-service"

#include "config.h"

#include "cb-local-service.h"

G_DEFINE_INTERFACE (CbLocalService, cb_local_service, G_TYPE_OBJECT)

static void
cb_local_service_default_init (CbLocalServiceInterface *iface)
{
}

CbProfile *
cb_local_service_create_profile (CbLocalService *self)
{
  g_return_val_if_fail (CB_IS_LOCAL_SERVICE (self), NULL);
  return CB_LOCAL_SERVICE_GET_IFACE (self)->create_profile (self);
}

char *
cb_local_service_dup_enrollment_group_key (CbLocalService *self,
                                           const char     *dps_name,
                                           const char     *group_id)
{
  g_return_val_if_fail (CB_IS_LOCAL_SERVICE (self), NULL);
  return CB_LOCAL_SERVICE_GET_IFACE (self)->dup_enrollment_group_key (self, dps_name, group_id);
}

void
cb_local_service_stop (CbLocalService *self)
{
  g_return_if_fail (CB_IS_LOCAL_SERVICE (self));
  CB_LOCAL_SERVICE_GET_IFACE (self)->stop (self);
}
