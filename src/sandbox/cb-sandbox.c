/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Assembly: the CbSandbox object. Its settings, and start and stop: the data folder's lock,
 * the store and each table owner's tables, the world clock, the TLS identity, the HTTPS
 * server with the router and the listener, and every surface's init in order; or all of that
 * in a thread of its own (the app, tests). Each layer lives in its own cb-sb-*.c file
 * (docs/DESIGN.md, "Inside the sandbox"); this file only wires them. */

#include "config.h"

#include <unistd.h>

#include "cb-sb-clock.h"
#include "cb-sb-directory.h"
#include "cb-sb-events.h"
#include "cb-sb-faults.h"
#include "cb-sb-folder-lock.h"
#include "cb-sb-listener.h"
#include "cb-sb-modules.h"
#include "cb-sb-router.h"
#include "cb-sb-store.h"
#include "cb-sb-tls.h"
#include "cb-sb-topology.h"
#include "cb-util.h"

G_DEFINE_FINAL_TYPE (CbSandbox, cb_sandbox, G_TYPE_OBJECT)

static void
cb_sandbox_finalize (GObject *object)
{
  CbSandbox *self = (CbSandbox *)object;

  cb_sandbox_stop (self);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->bind_address, g_free);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->module_data, g_hash_table_unref);
  g_clear_object (&self->events);
  g_rec_mutex_clear (&self->lock);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (cb_sandbox_parent_class)->finalize (object);
}

static void
cb_sandbox_class_init (CbSandboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_sandbox_finalize;
}

static void
cb_sandbox_init (CbSandbox *self)
{
  self->bind_address = g_strdup ("127.0.0.1");
  self->page_size = 100;
  self->lro_delay_ms = 1000;
  self->max_policies = 1;
  self->clock_rate = 1.0;
  self->auto_approve = TRUE;
  self->device_code_interval = 5;
  self->handshake_timeout_ms = 10000;
  self->idle_timeout_ms = 60000;
  self->lock_fd = -1;
  self->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_route_free);
  self->faults = cb_sb_faults_new ();
  self->events = cb_sb_events_new ();
  self->module_data = cb_sb_module_data_new ();
  g_rec_mutex_init (&self->lock);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

CbSandbox *
cb_sandbox_new (const char *data_dir)
{
  CbSandbox *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (CB_TYPE_SANDBOX, NULL);
  if (g_path_is_absolute (data_dir))
    self->data_dir = g_strdup (data_dir);
  else
    {
      g_autofree char *cwd = g_get_current_dir ();
      self->data_dir = g_build_filename (cwd, data_dir, NULL);
    }

  return self;
}

void
cb_sandbox_set_port (CbSandbox *self,
                     guint16    port)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->port = port;
}

void
cb_sandbox_set_bind_address (CbSandbox  *self,
                             const char *address,
                             gboolean    allow_remote)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  cb_set_str (&self->bind_address, address != NULL ? address : "127.0.0.1");
  self->allow_remote = allow_remote;
}

void
cb_sandbox_set_page_size (CbSandbox *self,
                          guint      page_size)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->page_size = MAX (page_size, 1);
}

void
cb_sandbox_set_lro_delay_ms (CbSandbox *self,
                             guint      delay_ms)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->lro_delay_ms = delay_ms;
}

void
cb_sandbox_set_auto_approve (CbSandbox *self,
                             gboolean   auto_approve)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->auto_approve = !!auto_approve;
}

void
cb_sandbox_set_max_policies (CbSandbox *self,
                             guint      max_policies)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->max_policies = MAX (max_policies, 1);
}

void
cb_sandbox_set_connection_timeouts (CbSandbox *self,
                                    guint      handshake_ms,
                                    guint      idle_ms)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->handshake_timeout_ms = handshake_ms;
  self->idle_timeout_ms = idle_ms;
}

void
cb_sandbox_set_device_code_interval (CbSandbox *self,
                                     guint      seconds)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  /* 0 lets a client poll at once: only sensible with auto-approval, for an in-process sandbox
   * whose codes approve themselves (the app's first run); Entra itself says 5. */
  self->device_code_interval = seconds;
}

const char *
cb_sandbox_get_data_dir (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  return self->data_dir;
}

void
cb_sandbox_set_mqtt_port (CbSandbox *self,
                          guint16    port)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->mqtt_port = port;
}

void
cb_sandbox_set_azure_https_port (CbSandbox *self,
                                 guint16    port)
{
  g_return_if_fail (CB_IS_SANDBOX (self));
  self->azure_https_port = port;
}

guint16
cb_sandbox_get_mqtt_port (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), 0);
  return self->mqtt_port;
}

guint16
cb_sandbox_get_port (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), 0);
  return self->port;
}

const char *
cb_sandbox_get_base_url (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  return self->base_url;
}

const char *
cb_sandbox_get_ca_file (CbSandbox *self)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  return self->ca_file;
}

/* ---- Faults ---------------------------------------------------------------------------- */

gboolean
cb_sandbox_load_faults (CbSandbox   *self,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gboolean ret;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;

  cb_sb_lock (self);
  ret = cb_sb_faults_set_from_json (self, json_parser_get_root (parser), error);
  cb_sb_unlock (self);

  return ret;
}

/* ---- Start and stop -------------------------------------------------------------------- */

static gboolean
check_bind_address (CbSandbox   *self,
                    GError     **error)
{
  g_autoptr(GInetAddress) addr = NULL;

  if (g_ascii_strcasecmp (self->bind_address, "localhost") == 0)
    cb_set_str (&self->bind_address, "127.0.0.1");

  addr = g_inet_address_new_from_string (self->bind_address);
  if (addr == NULL)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "“%s” is not an IP address", self->bind_address);
      return FALSE;
    }

  if (!g_inet_address_get_is_loopback (addr) && !self->allow_remote)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_REFUSED_ADDRESS,
                   "Refusing to listen on %s: the sandbox serves loopback only unless "
                   "remote access is allowed explicitly (--allow-remote)", self->bind_address);
      return FALSE;
    }

  return TRUE;
}

static void
teardown (CbSandbox *self)
{
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_pointer (&self->listener, cb_sb_listener_free);
  g_clear_object (&self->server);
  g_ptr_array_set_size (self->routes, 0);
  g_hash_table_remove_all (self->module_data);
  cb_sb_store_close (self);
  if (self->lock_fd >= 0)
    {
      close (self->lock_fd);
      self->lock_fd = -1;
    }
}

gboolean
cb_sandbox_start (CbSandbox  *self,
                  GError    **error)
{
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *tenant = NULL;
  gboolean ret = FALSE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);

  cb_sb_lock (self);

  if (!check_bind_address (self, error) ||
      !cb_mkdir_private (self->data_dir, error) ||
      (self->lock_fd = cb_sb_lock_data_dir (self->data_dir, error)) < 0 ||
      !cb_sb_store_open (self, error) ||
      !cb_sb_directory_init (self, error) ||
      !cb_sb_topology_init (self, error))
    goto out;

  tenant = cb_sb_dup_meta (self, "tenant_id");
  if (tenant == NULL)
    {
      tenant = g_uuid_string_random ();
      cb_sb_set_meta (self, "tenant_id", tenant);
    }
  cb_sb_clock_load (self);

  if (!cb_sb_ensure_tls_identity (self, &cert_file, &key_file, error) ||
      !(cert = g_tls_certificate_new_from_files (cert_file, key_file, error)))
    goto out;

  self->server = soup_server_new ("tls-certificate", cert,
                                  "server-header", "certbench-sandbox/" PACKAGE_VERSION " ",
                                  NULL);

  if (!cb_sb_routes_sandbox_init (self, error) ||
      !cb_sb_routes_entra_init (self, error) ||
      !cb_sb_ca_init (self, error) ||
      !cb_sb_activity_init (self, error) ||
      !cb_sb_arm_init (self, error) ||
      !cb_sb_hub_init (self, error) ||
      !cb_sb_dps_init (self, error) ||
      !cb_sb_mqtt_init (self, error))
    goto out;

  soup_server_add_handler (self->server, NULL, cb_sb_router_handle, self, NULL);

  addr = g_inet_address_new_from_string (self->bind_address);
  sockaddr = g_inet_socket_address_new (addr, self->port);
  self->listener = cb_sb_listener_new (self, self->server, cert, sockaddr, &self->port, error);
  if (self->listener == NULL)
    goto out;
  if (self->azure_https_port != 0 && self->azure_https_port != self->port)
    {
      g_autoptr(GSocketAddress) azure = g_inet_socket_address_new (addr, self->azure_https_port);

      if (!cb_sb_listener_add_address (self->listener, azure, NULL, error))
        goto out;
    }

  g_free (self->base_url);
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6)
    self->base_url = g_strdup_printf ("https://[%s]:%u", self->bind_address, self->port);
  else
    self->base_url = g_strdup_printf ("https://%s:%u", self->bind_address, self->port);

  ret = TRUE;

out:
  if (!ret)
    teardown (self);
  cb_sb_unlock (self);
  return ret;
}

static gpointer
sandbox_thread (gpointer data)
{
  CbSandbox *self = data;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);

  ok = cb_sandbox_start (self, &error);

  g_mutex_lock (&self->mutex);
  self->thread_ready = TRUE;
  self->thread_error = error;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (ok)
    {
      g_main_loop_run (self->loop);
      cb_sb_lock (self);
      teardown (self);
      cb_sb_unlock (self);

      /* Let closed connections finish their own cleanup before the context goes away. */
      while (g_main_context_iteration (self->context, FALSE))
        ;
    }

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

gboolean
cb_sandbox_start_in_thread (CbSandbox  *self,
                            GError    **error)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (self->thread == NULL && self->server == NULL, FALSE);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread_ready = FALSE;
  self->thread_error = NULL;
  self->thread = g_thread_new ("cb-sandbox", sandbox_thread, self);

  g_mutex_lock (&self->mutex);
  while (!self->thread_ready)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  if (self->thread_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->thread_error));
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->loop, g_main_loop_unref);
      g_clear_pointer (&self->context, g_main_context_unref);
      return FALSE;
    }

  return TRUE;
}

static gboolean
quit_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
cb_sandbox_stop (CbSandbox *self)
{
  g_return_if_fail (CB_IS_SANDBOX (self));

  if (self->thread != NULL)
    {
      /* Quit from inside the loop: a g_main_loop_quit() that came before the thread reached
       * g_main_loop_run() (a stop right after the start) would be forgotten, and the join
       * would wait forever. */
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, quit_loop_cb, self->loop, NULL);
      g_source_attach (source, self->context);
      g_source_unref (source);
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->loop, g_main_loop_unref);
      g_clear_pointer (&self->context, g_main_context_unref);
      return;
    }

  cb_sb_lock (self);
  teardown (self);
  cb_sb_unlock (self);
}
