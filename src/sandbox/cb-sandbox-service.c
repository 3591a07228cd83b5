/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The sandbox as the context's local service: core's CbContext starts, asks and stops it
 * through CbLocalService and never calls the sandbox itself. Also the constructors of the
 * context the app and the CLI use, with this sandbox. */

#define G_LOG_DOMAIN "cb-sandbox-service"

#include "config.h"

#include "cb-sandbox-profile.h"
#include "cb-sandbox-service.h"

struct _CbSandboxService
{
  GObject    parent_instance;

  CbSandbox *sandbox;
};

static void local_service_iface_init (CbLocalServiceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CbSandboxService, cb_sandbox_service, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CB_TYPE_LOCAL_SERVICE,
                                                      local_service_iface_init))

static CbProfile *
sandbox_service_create_profile (CbLocalService *service)
{
  return cb_sandbox_create_profile (CB_SANDBOX_SERVICE (service)->sandbox);
}

static char *
sandbox_service_dup_enrollment_group_key (CbLocalService *service,
                                          const char     *dps_name,
                                          const char     *group_id)
{
  return cb_sandbox_dup_enrollment_group_key (CB_SANDBOX_SERVICE (service)->sandbox, dps_name,
                                              group_id);
}

static void
sandbox_service_stop (CbLocalService *service)
{
  cb_sandbox_stop (CB_SANDBOX_SERVICE (service)->sandbox);
}

static void
local_service_iface_init (CbLocalServiceInterface *iface)
{
  iface->create_profile = sandbox_service_create_profile;
  iface->dup_enrollment_group_key = sandbox_service_dup_enrollment_group_key;
  iface->stop = sandbox_service_stop;
}

static void
cb_sandbox_service_dispose (GObject *object)
{
  CbSandboxService *self = CB_SANDBOX_SERVICE (object);

  g_clear_object (&self->sandbox);

  G_OBJECT_CLASS (cb_sandbox_service_parent_class)->dispose (object);
}

static void
cb_sandbox_service_class_init (CbSandboxServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cb_sandbox_service_dispose;
}

static void
cb_sandbox_service_init (CbSandboxService *self)
{
}

CbLocalService *
cb_sandbox_service_new (CbSandbox *sandbox)
{
  CbSandboxService *self;

  g_return_val_if_fail (CB_IS_SANDBOX (sandbox), NULL);

  self = g_object_new (CB_TYPE_SANDBOX_SERVICE, NULL);
  self->sandbox = g_object_ref (sandbox);
  return CB_LOCAL_SERVICE (self);
}

CbSandbox *
cb_sandbox_service_get_sandbox (CbSandboxService *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX_SERVICE (self), NULL);
  return self->sandbox;
}

CbLocalService *
cb_sandbox_service_start (const char  *dir,
                          GError     **error)
{
  g_autoptr(CbSandbox) sandbox = cb_sandbox_new (dir);
  gint64 begin, started;

  cb_sandbox_set_port (sandbox, 0);
  /* Its codes approve themselves, so the first poll may come at once: the real device-code flow
   * without a second of waiting on first start. */
  cb_sandbox_set_device_code_interval (sandbox, 0);
  cb_sandbox_set_auto_approve (sandbox, TRUE);

  begin = g_get_monotonic_time ();
  if (!cb_sandbox_start_in_thread (sandbox, error))
    return NULL;
  started = g_get_monotonic_time ();
  if (!cb_sandbox_seed_demo (sandbox, error))
    {
      cb_sandbox_stop (sandbox);
      return NULL;
    }

  g_debug ("Sandbox on port %u: started in %d ms, seed checked in %d ms",
           cb_sandbox_get_port (sandbox), (int) ((started - begin) / 1000),
           (int) ((g_get_monotonic_time () - started) / 1000));
  return cb_sandbox_service_new (sandbox);
}

CbContext *
cb_context_new (void)
{
  return cb_context_new_full (NULL, NULL, NULL, NULL, NULL, NULL);
}

CbContext *
cb_context_new_full (CbSandbox     *sandbox,
                     CbSecrets     *secrets,
                     CbPortMonitor *port_monitor,
                     const char    *data_dir,
                     const char    *profiles_path,
                     const char    *journal_path)
{
  g_autoptr(CbLocalService) service = NULL;

  g_return_val_if_fail (sandbox == NULL || CB_IS_SANDBOX (sandbox), NULL);

  if (sandbox != NULL)
    service = cb_sandbox_service_new (sandbox);
  return cb_context_new_for_service (service, cb_sandbox_service_start, secrets, port_monitor,
                                     data_dir, profiles_path, journal_path);
}

CbSandbox *
cb_context_get_sandbox (CbContext *self)
{
  CbLocalService *service = cb_context_get_local_service (self);

  if (!CB_IS_SANDBOX_SERVICE (service))
    return NULL;
  return CB_SANDBOX_SERVICE (service)->sandbox;
}
