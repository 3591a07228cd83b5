/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CB_TYPE_SANDBOX (cb_sandbox_get_type ())
G_DECLARE_FINAL_TYPE (CbSandbox, cb_sandbox, CB, SANDBOX, GObject)

typedef enum
{
  CB_SANDBOX_ERROR_FAILED,
  CB_SANDBOX_ERROR_REFUSED_ADDRESS,   /* a non-loopback bind address without allow-remote */
  CB_SANDBOX_ERROR_STORE,             /* the database could not be opened or migrated */
  CB_SANDBOX_ERROR_CONFIG,            /* a bad fault file or option */
  CB_SANDBOX_ERROR_IN_USE,            /* another sandbox serves the data folder */
} CbSandboxError;

#define CB_SANDBOX_ERROR (cb_sandbox_error_quark ())
GQuark      cb_sandbox_error_quark          (void);

CbSandbox  *cb_sandbox_new                  (const char   *data_dir);

/* Settings, before start. */
void        cb_sandbox_set_port             (CbSandbox    *self,
                                             guint16       port);      /* 0: any free port */
/* The hub device endpoint's port (MQTT over TLS); default 0: any free port. */
void        cb_sandbox_set_mqtt_port        (CbSandbox    *self,
                                             guint16       port);
/* HTTPS on port too, beside cb_sandbox_set_port()'s (443 for Microsoft's SDKs, which call
 * https://{host}/ on the Azure host names; 0, the default: no second port). Ports below the
 * system's unprivileged start need root or CAP_NET_BIND_SERVICE; the start's error says so. */
void        cb_sandbox_set_azure_https_port (CbSandbox    *self,
                                             guint16       port);
void        cb_sandbox_set_bind_address     (CbSandbox    *self,
                                             const char   *address,
                                             gboolean      allow_remote);
void        cb_sandbox_set_page_size        (CbSandbox    *self,
                                             guint         page_size);
void        cb_sandbox_set_lro_delay_ms     (CbSandbox    *self,
                                             guint         delay_ms);
void        cb_sandbox_set_auto_approve     (CbSandbox    *self,
                                             gboolean      auto_approve);
void        cb_sandbox_set_max_policies     (CbSandbox    *self,
                                             guint         max_policies);
/* Seconds between device-code polls the sandbox asks for (default 5, as Entra); 0 lets an
 * auto-approving in-process sandbox answer the first poll at once. */
void        cb_sandbox_set_device_code_interval (CbSandbox *self,
                                             guint         seconds);

/* Connection deadlines of the HTTPS endpoint (defaults 10 s and 60 s; 0: none): a TLS
 * handshake must finish within handshake_ms of the connection, and a connection carrying no
 * request for idle_ms is closed. */
void        cb_sandbox_set_connection_timeouts (CbSandbox *self,
                                             guint         handshake_ms,
                                             guint         idle_ms);

/* Starts serving in the thread-default main context of the caller. */
gboolean    cb_sandbox_start                (CbSandbox    *self,
                                             GError      **error);
/* Starts serving in a thread of its own (for the app and for tests whose clients run on the
 * main thread). Blocks until the server listens or failed. */
gboolean    cb_sandbox_start_in_thread      (CbSandbox    *self,
                                             GError      **error);
void        cb_sandbox_stop                 (CbSandbox    *self);

/* Creates the demo namespace, credential, policy, hub, DPS with an enrollment group and a few
 * hundred devices. Does nothing when the demo seed exists already. Call after start. */
gboolean    cb_sandbox_seed_demo            (CbSandbox    *self,
                                             GError      **error);
gboolean    cb_sandbox_load_faults          (CbSandbox    *self,
                                             const char   *path,
                                             GError      **error);

const char *cb_sandbox_get_data_dir         (CbSandbox    *self);
guint16     cb_sandbox_get_port             (CbSandbox    *self);
/* The port the hub device endpoint listens on, once started. */
guint16     cb_sandbox_get_mqtt_port        (CbSandbox    *self);
/* https://127.0.0.1:PORT */
const char *cb_sandbox_get_base_url         (CbSandbox    *self);
/* Absolute path of the PEM that clients pin instead of the system trust store. */
const char *cb_sandbox_get_ca_file          (CbSandbox    *self);

G_END_DECLS
