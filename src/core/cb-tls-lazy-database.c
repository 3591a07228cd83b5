/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-tls"

/* The system trust store, read once per process and only when a connection needs it.
 *
 * libsoup 3.2 makes each GTlsClientConnection without a database and sets the session's own
 * (a pinned CA) only afterwards; glib-networking 2.74 builds the new connection's GnuTLS
 * credentials from whatever database it has at that moment, so every HTTPS connection parsed
 * the whole system store (about 140 certificates, 9 ms of CPU, far more under a sanitizer)
 * before switching to the pinned CA, and GTlsClientConnection made by hand did the same.
 *
 * This database stands in as the TLS backend's default. glib-networking gives a database that
 * is not its own plain credentials, so making a connection reads nothing; verifying a peer
 * against the default asks the backend's real system database, fetched on the first
 * verification (in glib-networking's handshake thread, not the main loop) and kept. A
 * connection with a pinned CA never reads the system store at all. */

#include "config.h"

#include "cb-tls-lazy-database.h"

struct _CbTlsLazyDatabase
{
  GTlsDatabase  parent_instance;
};

G_DEFINE_FINAL_TYPE (CbTlsLazyDatabase, cb_tls_lazy_database, G_TYPE_TLS_DATABASE)

static GMutex        system_lock;
static GTlsDatabase *system_database;   /* under system_lock; kept for the process */
static gboolean      system_tried;      /* under system_lock */

/* (transfer full) the backend's own default database (the system store), or NULL */
static GTlsDatabase *
get_system_database (void)
{
  GTlsDatabase *database;

  g_mutex_lock (&system_lock);
  if (!system_tried)
    {
      GTlsBackend *backend = g_tls_backend_get_default ();
      GTlsBackendInterface *iface = G_TLS_BACKEND_GET_INTERFACE (backend);

      system_tried = TRUE;
      /* The vfunc, not g_tls_backend_get_default_database(): that would return this object. */
      if (iface->get_default_database != NULL)
        system_database = iface->get_default_database (backend);
      g_debug ("Read the system trust store");
    }
  database = system_database != NULL ? g_object_ref (system_database) : NULL;
  g_mutex_unlock (&system_lock);

  return database;
}

static gboolean
no_system_database (GError **error)
{
  g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE,
                       "The system trust store is not available");
  return FALSE;
}

static GTlsCertificateFlags
cb_tls_lazy_database_verify_chain (GTlsDatabase             *self,
                                   GTlsCertificate          *chain,
                                   const char               *purpose,
                                   GSocketConnectable       *identity,
                                   GTlsInteraction          *interaction,
                                   GTlsDatabaseVerifyFlags   flags,
                                   GCancellable             *cancellable,
                                   GError                  **error)
{
  g_autoptr(GTlsDatabase) system = get_system_database ();

  if (system == NULL)
    {
      no_system_database (error);
      return G_TLS_CERTIFICATE_UNKNOWN_CA;
    }
  return g_tls_database_verify_chain (system, chain, purpose, identity, interaction, flags,
                                      cancellable, error);
}

static char *
cb_tls_lazy_database_create_certificate_handle (GTlsDatabase    *self,
                                                GTlsCertificate *certificate)
{
  g_autoptr(GTlsDatabase) system = get_system_database ();

  return system != NULL ? g_tls_database_create_certificate_handle (system, certificate) : NULL;
}

static GTlsCertificate *
cb_tls_lazy_database_lookup_certificate_for_handle (GTlsDatabase             *self,
                                                    const char               *handle,
                                                    GTlsInteraction          *interaction,
                                                    GTlsDatabaseLookupFlags   flags,
                                                    GCancellable             *cancellable,
                                                    GError                  **error)
{
  g_autoptr(GTlsDatabase) system = get_system_database ();

  if (system == NULL)
    return NULL;
  return g_tls_database_lookup_certificate_for_handle (system, handle, interaction, flags,
                                                       cancellable, error);
}

static GTlsCertificate *
cb_tls_lazy_database_lookup_certificate_issuer (GTlsDatabase             *self,
                                                GTlsCertificate          *certificate,
                                                GTlsInteraction          *interaction,
                                                GTlsDatabaseLookupFlags   flags,
                                                GCancellable             *cancellable,
                                                GError                  **error)
{
  g_autoptr(GTlsDatabase) system = get_system_database ();

  if (system == NULL)
    return NULL;
  return g_tls_database_lookup_certificate_issuer (system, certificate, interaction, flags,
                                                   cancellable, error);
}

static GList *
cb_tls_lazy_database_lookup_certificates_issued_by (GTlsDatabase             *self,
                                                    GByteArray               *issuer_raw_dn,
                                                    GTlsInteraction          *interaction,
                                                    GTlsDatabaseLookupFlags   flags,
                                                    GCancellable             *cancellable,
                                                    GError                  **error)
{
  g_autoptr(GTlsDatabase) system = get_system_database ();

  if (system == NULL)
    return NULL;
  return g_tls_database_lookup_certificates_issued_by (system, issuer_raw_dn, interaction,
                                                       flags, cancellable, error);
}

static void
cb_tls_lazy_database_class_init (CbTlsLazyDatabaseClass *klass)
{
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  /* The async variants are GTlsDatabase's: these, in a thread. */
  database_class->verify_chain = cb_tls_lazy_database_verify_chain;
  database_class->create_certificate_handle = cb_tls_lazy_database_create_certificate_handle;
  database_class->lookup_certificate_for_handle = cb_tls_lazy_database_lookup_certificate_for_handle;
  database_class->lookup_certificate_issuer = cb_tls_lazy_database_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = cb_tls_lazy_database_lookup_certificates_issued_by;
}

static void
cb_tls_lazy_database_init (CbTlsLazyDatabase *self)
{
}

void
cb_tls_lazy_database_install (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      g_autoptr(GTlsDatabase) lazy = g_object_new (CB_TYPE_TLS_LAZY_DATABASE, NULL);

      g_tls_backend_set_default_database (g_tls_backend_get_default (), lazy);
      g_once_init_leave (&installed, 1);
    }
}

gboolean
cb_tls_lazy_database_system_loaded (void)
{
  gboolean loaded;

  g_mutex_lock (&system_lock);
  loaded = system_database != NULL;
  g_mutex_unlock (&system_lock);

  return loaded;
}
