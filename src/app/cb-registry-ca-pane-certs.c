/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-ca-pane"

/* The certificate authorities pane's certificates to take away (docs/DESIGN.md "Where a CA's
 * certificate comes from"): ADR gives a CA's subject, dates and (an External one's)
 * thumbprint, never its certificate. Each CA's group gets a "Certificate" row: with the
 * certificate, found in its linked hubs' CA certificates or among those the station kept
 * (cb-ca-certificate-store.h), it has the "cert" actions (copy or save as PEM or DER, the CA
 * alone or its chain up to the root, the fingerprints, the details); without it, it says why
 * and how the station gets it. A part of CbRegistryCaPane (cb-registry-ca-pane-private.h). */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-ca-certificate-store.h"
#include "cb-certificate-actions.h"
#include "cb-hub-certificate.h"
#include "cb-registry-ca-pane-private.h"

static CbCaCertificateStore *
store (CbRegistryCaPane *self)
{
  return self->context != NULL ? cb_ca_certificate_store_get_for_context (self->context) : NULL;
}

static void
keep (CbRegistryCaPane *self,
      GPtrArray        *chain)
{
  g_autoptr(GError) error = NULL;

  if (store (self) != NULL && !cb_ca_certificate_store_add_chain (store (self), chain, &error))
    g_warning ("The CA certificates could not be kept in %s: %s",
               cb_ca_certificate_store_get_path (store (self)), error->message);
}

void
_cb_registry_ca_certs_keep_hub_certificates (CbRegistryCaPane *self,
                                             const char       *hub,
                                             GPtrArray        *hub_certificates)
{
  g_autoptr(GPtrArray) read = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < hub_certificates->len; i++)
    {
      CbHubCertificate *entry = g_ptr_array_index (hub_certificates, i);
      CbCertificate *cert = cb_certificate_new_from_text (cb_hub_certificate_get_certificate (entry));

      if (cert == NULL)
        {
          g_debug ("The hub %s's CA certificate %s does not parse", hub,
                   cb_hub_certificate_get_name (entry));
          continue;
        }
      g_ptr_array_add (read, cert);
      g_ptr_array_add (self->hub_certs, g_object_ref (cert));
      g_ptr_array_add (self->hub_cert_hubs, g_strdup (hub));
    }
  keep (self, read);
}

void
_cb_registry_ca_certs_keep_chain (CbRegistryCaPane *self,
                                  const char       *pem)
{
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;

  if (pem == NULL)
    return;
  chain = cb_certificate_list_new_from_data ((const guint8 *) pem, strlen (pem), &error);
  if (chain == NULL)
    {
      g_debug ("The activation chain is not kept: %s", error->message);
      return;
    }
  keep (self, chain);
}

/* Where @cert came from: a hub's name, or NULL when the station kept it. */
static const char *
hub_of (CbRegistryCaPane *self,
        CbCertificate    *cert)
{
  for (guint i = 0; i < self->hub_certs->len; i++)
    if (cb_certificate_equal (g_ptr_array_index (self->hub_certs, i), cert))
      return g_ptr_array_index (self->hub_cert_hubs, i);
  return NULL;
}

static GPtrArray *
find_chain (CbRegistryCaPane       *self,
            CbCertificateAuthority *ca)
{
  g_autoptr(GPtrArray) pool = g_ptr_array_new ();
  GPtrArray *kept = store (self) != NULL ? cb_ca_certificate_store_get_certificates (store (self))
                                         : NULL;
  const char *thumbprint = NULL;

  g_ptr_array_extend (pool, self->hub_certs, NULL, NULL);
  if (kept != NULL)
    g_ptr_array_extend (pool, kept, NULL, NULL);
  /* A pending External CA's thumbprint is not a certificate's: it has none yet. */
  if (cb_certificate_authority_get_issuer (ca) == CB_CA_ISSUER_EXTERNAL &&
      g_strcmp0 (cb_certificate_authority_get_status (ca), CB_CA_STATUS_PENDING_ACTIVATION) == 0)
    return NULL;
  thumbprint = cb_certificate_authority_get_thumbprint (ca);
  return cb_ca_certificate_find_chain (pool, cb_certificate_authority_get_subject (ca),
                                       cb_certificate_authority_get_not_before (ca),
                                       cb_certificate_authority_get_not_after (ca), thumbprint);
}

char *
_cb_registry_ca_certs_describe (GPtrArray  *chain,
                                const char *hub)
{
  CbCertificate *top = g_ptr_array_index (chain, chain->len - 1);
  gboolean to_root = cb_certificate_is_issued_by (top, top);
  g_autofree char *where = NULL;

  if (hub != NULL)
    /* Translators: %s is an IoT hub's name */
    where = g_strdup_printf (_("From the CA certificates of the hub “%s”"), hub);
  else
    where = g_strdup (_("Kept by this station from a chain it has seen"));
  if (chain->len == 1)
    return g_steal_pointer (&where);
  if (to_root)
    /* Translators: where the certificate came from, then how long its chain is */
    return g_strdup_printf (ngettext ("%s · chain of %u up to the root",
                                      "%s · chain of %u up to the root", chain->len),
                            where, chain->len);
  return g_strdup_printf (ngettext ("%s · chain of %u", "%s · chain of %u", chain->len),
                          where, chain->len);
}

static const char *
missing_text (CbCertificateAuthority *ca)
{
  if (cb_certificate_authority_get_issuer (ca) == CB_CA_ISSUER_EXTERNAL &&
      g_strcmp0 (cb_certificate_authority_get_status (ca), CB_CA_STATUS_PENDING_ACTIVATION) == 0)
    return _("None yet: your CA signs the request, then activating it gives this CA its "
             "certificate");
  if (cb_certificate_authority_get_kind (ca) == CB_CA_KIND_ROOT)
    return _("Not known here yet: Azure gives a CA's subject and dates, not its certificate. "
             "Provision one device through a policy under this root and Certbench keeps it "
             "from the device's chain.");
  return _("Not known here yet: Azure gives a CA's subject and dates, not its certificate. "
           "Give it a policy on a linked hub, or provision one device through its policy, and "
           "Certbench keeps it.");
}

void
_cb_registry_ca_certs_add_row (CbRegistryCaPane       *self,
                               AdwPreferencesGroup    *group,
                               CbCertificateAuthority *ca)
{
  g_autoptr(GPtrArray) chain = find_chain (self, ca);
  g_autofree char *subtitle = NULL;
  g_autofree char *a11y = g_strdup_printf (_("Copy, save or inspect the certificate of “%s”"),
                                           cb_certificate_authority_get_name (ca));
  GtkWidget *row = adw_action_row_new ();

  if (chain != NULL)
    subtitle = _cb_registry_ca_certs_describe (chain, hub_of (self, g_ptr_array_index (chain, 0)));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Certificate"));
  cb_certificate_actions_set_row (ADW_ACTION_ROW (row), chain,
                                  subtitle != NULL ? subtitle : missing_text (ca), a11y);
  adw_preferences_group_add (group, row);
}
