/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-ca-certificate-store"

/* The CA certificates the station has seen (cb-ca-certificate-store.h): one PEM file, read
 * once, rewritten whole (atomically) when a chain brings a new one; and the lookup that finds
 * an ADR certificate authority's certificate, and the chain above it, among them. */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "cb-ca-certificate-store.h"

#define STORE_FILE_NAME "ca-certificates.pem"
/* A station sees a handful of CAs; a bound keeps a runaway file from growing without end. */
#define MAX_CERTIFICATES 256

struct _CbCaCertificateStore
{
  GObject    parent_instance;

  char      *path;
  GPtrArray *certificates;   /* CbCertificate */
  gboolean   damaged;        /* the file did not parse: left alone */
};

G_DEFINE_FINAL_TYPE (CbCaCertificateStore, cb_ca_certificate_store, G_TYPE_OBJECT)

static void
cb_ca_certificate_store_finalize (GObject *object)
{
  CbCaCertificateStore *self = CB_CA_CERTIFICATE_STORE (object);

  g_free (self->path);
  g_ptr_array_unref (self->certificates);

  G_OBJECT_CLASS (cb_ca_certificate_store_parent_class)->finalize (object);
}

static void
cb_ca_certificate_store_class_init (CbCaCertificateStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_ca_certificate_store_finalize;
}

static void
cb_ca_certificate_store_init (CbCaCertificateStore *self)
{
  self->certificates = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
load (CbCaCertificateStore *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (self->path, &contents, &len, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_warning ("The station's CA certificates in %s could not be read: %s", self->path,
                     error->message);
          self->damaged = TRUE;
        }
      return;
    }
  if (len == 0)
    return;
  list = cb_certificate_list_new_from_data ((const guint8 *) contents, len, &error);
  if (list == NULL)
    {
      g_warning ("The station's CA certificates in %s do not parse, so they are left as they "
                 "are: %s", self->path, error->message);
      self->damaged = TRUE;
      return;
    }
  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (self->certificates, g_object_ref (g_ptr_array_index (list, i)));
}

CbCaCertificateStore *
cb_ca_certificate_store_new (const char *path)
{
  CbCaCertificateStore *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (CB_TYPE_CA_CERTIFICATE_STORE, NULL);
  self->path = g_strdup (path);
  load (self);
  return self;
}

CbCaCertificateStore *
cb_ca_certificate_store_get_for_context (CbContext *context)
{
  CbCaCertificateStore *self;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_get_data (G_OBJECT (context), "cb-ca-certificate-store");
  if (self == NULL)
    {
      g_autofree char *path = g_build_filename (cb_context_get_data_dir (context),
                                                STORE_FILE_NAME, NULL);

      self = cb_ca_certificate_store_new (path);
      g_object_set_data_full (G_OBJECT (context), "cb-ca-certificate-store", self,
                              g_object_unref);
    }
  return self;
}

const char *
cb_ca_certificate_store_get_path (CbCaCertificateStore *self)
{
  g_return_val_if_fail (CB_IS_CA_CERTIFICATE_STORE (self), NULL);
  return self->path;
}

GPtrArray *
cb_ca_certificate_store_get_certificates (CbCaCertificateStore *self)
{
  g_return_val_if_fail (CB_IS_CA_CERTIFICATE_STORE (self), NULL);
  return self->certificates;
}

static gboolean
known (GPtrArray     *certificates,
       CbCertificate *cert)
{
  for (guint i = 0; i < certificates->len; i++)
    if (cb_certificate_equal (g_ptr_array_index (certificates, i), cert))
      return TRUE;
  return FALSE;
}

gboolean
cb_ca_certificate_store_add_chain (CbCaCertificateStore  *self,
                                   GPtrArray             *chain,
                                   GError               **error)
{
  g_autofree char *pem = NULL;
  g_autofree char *dir = NULL;
  gboolean added = FALSE;

  g_return_val_if_fail (CB_IS_CA_CERTIFICATE_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; chain != NULL && i < chain->len; i++)
    {
      CbCertificate *cert = g_ptr_array_index (chain, i);

      if (!cb_certificate_is_ca (cert) || known (self->certificates, cert))
        continue;
      /* Full: the oldest goes. */
      if (self->certificates->len >= MAX_CERTIFICATES)
        g_ptr_array_remove_index (self->certificates, 0);
      g_ptr_array_add (self->certificates, g_object_ref (cert));
      added = TRUE;
    }
  if (!added || self->damaged)
    return TRUE;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  pem = cb_certificate_list_to_pem (self->certificates);
  /* Certificates are public: ordinary permissions. */
  return g_file_set_contents_full (self->path, pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                   error);
}

/* ---- lookup ------------------------------------------------------------------------------- */

/* Hex digits only, upper case: "ab:cd" and "ABCD" are one thumbprint. */
static char *
normalize_thumbprint (const char *thumbprint)
{
  GString *out = g_string_new (NULL);

  for (const char *p = thumbprint; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      g_string_append_c (out, g_ascii_toupper (*p));
  return g_string_free (out, FALSE);
}

static gboolean
same_thumbprint (CbCertificate *cert,
                 const char    *wanted)
{
  g_autofree char *have = normalize_thumbprint (cb_certificate_get_sha1_fingerprint (cert));

  return g_strcmp0 (have, wanted) == 0;
}

/* ADR writes a subject as "CN=a, O=b" or "CN=a,O=b", GnuTLS as RFC 4514 does ("CN=a,O=b",
 * most specific first); some services write the RDNs the other way round. */
static char **
split_rdns (const char *subject)
{
  char **rdns = g_strsplit (subject, ",", -1);

  for (guint i = 0; rdns[i] != NULL; i++)
    g_strstrip (rdns[i]);
  return rdns;
}

static gboolean
same_subject (const char *a,
              const char *b)
{
  g_auto(GStrv) ra = NULL;
  g_auto(GStrv) rb = NULL;
  guint na;
  gboolean forward = TRUE;
  gboolean backward = TRUE;

  if (a == NULL || b == NULL)
    return FALSE;
  if (strcmp (a, b) == 0)
    return TRUE;
  ra = split_rdns (a);
  rb = split_rdns (b);
  na = g_strv_length (ra);
  if (na != g_strv_length (rb))
    return FALSE;
  for (guint i = 0; i < na; i++)
    {
      forward &= strcmp (ra[i], rb[i]) == 0;
      backward &= strcmp (ra[i], rb[na - 1 - i]) == 0;
    }
  return forward || backward;
}

static gboolean
matches (CbCertificate *cert,
         const char    *subject,
         gint64         not_before,
         gint64         not_after,
         const char    *thumbprint)
{
  if (thumbprint != NULL)
    return same_thumbprint (cert, thumbprint);
  return same_subject (cb_certificate_get_subject (cert), subject) &&
         (not_before == 0 || cb_certificate_get_not_before (cert) == not_before) &&
         (not_after == 0 || cb_certificate_get_not_after (cert) == not_after);
}

static CbCertificate *
find_issuer (GPtrArray     *pool,
             CbCertificate *cert)
{
  for (guint i = 0; i < pool->len; i++)
    {
      CbCertificate *candidate = g_ptr_array_index (pool, i);

      if (!cb_certificate_equal (candidate, cert) &&
          same_subject (cb_certificate_get_subject (candidate), cb_certificate_get_issuer (cert)) &&
          cb_certificate_is_issued_by (cert, candidate))
        return candidate;
    }
  return NULL;
}

GPtrArray *
cb_ca_certificate_find_chain (GPtrArray  *pool,
                              const char *subject,
                              gint64      not_before,
                              gint64      not_after,
                              const char *thumbprint)
{
  g_autofree char *wanted = thumbprint != NULL ? normalize_thumbprint (thumbprint) : NULL;
  g_autoptr(GPtrArray) chain = NULL;
  CbCertificate *cert = NULL;

  g_return_val_if_fail (pool != NULL, NULL);

  if (wanted != NULL && *wanted == '\0')
    g_clear_pointer (&wanted, g_free);
  if (wanted == NULL && (subject == NULL || *subject == '\0'))
    return NULL;

  for (guint i = 0; i < pool->len && cert == NULL; i++)
    if (matches (g_ptr_array_index (pool, i), subject, not_before, not_after, wanted))
      cert = g_ptr_array_index (pool, i);
  if (cert == NULL)
    return NULL;

  chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (chain, g_object_ref (cert));
  /* Up to the root; bounded, in case two certificates sign each other. */
  while (!cb_certificate_is_issued_by (cert, cert) && chain->len < 8)
    {
      CbCertificate *issuer = find_issuer (pool, cert);

      if (issuer == NULL)
        break;
      g_ptr_array_add (chain, g_object_ref (issuer));
      cert = issuer;
    }
  return g_steal_pointer (&chain);
}
