/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: the CA engine (cb-sb-ca.c): namespace roots, issuing CAs, bring-your-own-root
 * activation, the leaves' records, CRLs and the hubs' CA certificates, tables ca_*. */

#include "cb-sb-world.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* The private extension that carries a device's credential identifier in every leaf
 * (see the comment at the top of cb-sb-ca.c). */
#define CB_SB_OID_CREDENTIAL_IDENTIFIER "1.3.6.1.4.1.32473.1.1"

/* Every certificate the sandbox issues starts this long before now (clock skew). */
#define CB_SB_CA_BACKDATE_SECONDS ((gint64) 5 * 60)

/* Creates the tables. */
gboolean      cb_sb_ca_store_init             (CbSandbox   *self,
                                               GError     **error);

/* The value of the credential identifier extension (a DER UTF8String), and back (NULL when
 * value is NULL or not one). */
GBytes       *cb_sb_ca_encode_identifier      (const char  *identifier);
char         *cb_sb_ca_decode_identifier      (GBytes      *value);

/* ---- Roots ---------------------------------------------------------------------------- */

/* Root CA of a namespace credential. */
gboolean      cb_sb_ca_create_root            (CbSandbox   *self,
                                               const char  *namespace_id,
                                               GError     **error);
/* The same with the subject "CN=<cn>" (the 2026-11-01 model's named root CA). */
gboolean      cb_sb_ca_create_named_root      (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *cn,
                                               GError     **error);
gboolean      cb_sb_ca_has_root               (CbSandbox   *self,
                                               const char  *namespace_id);
void          cb_sb_ca_delete_root            (CbSandbox   *self,
                                               const char  *namespace_id);
/* Any of uuid, key and cert may be NULL. G_IO_ERROR_NOT_FOUND when there is no root. */
gboolean      cb_sb_ca_load_root              (CbSandbox   *self,
                                               const char  *namespace_id,
                                               char       **uuid,
                                               CbKey      **key,
                                               GBytes     **cert,
                                               GError     **error);
/* The root of the namespaces named ns (any subscription and group): how many there are, and
 * the first one's certificate. */
guint         cb_sb_ca_find_root_by_name      (CbSandbox   *self,
                                               const char  *ns,
                                               GBytes     **cert);

/* ---- Issuing CAs ---------------------------------------------------------------------- */

/* A new issuing CA for policy_id: signed by the namespace root, or (byor) a pending one
 * with a service-generated key and CSR. Returns the issuer id (32 hex, also its CN). */
char         *cb_sb_ca_create_issuer          (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *policy_id,
                                               gboolean     byor,
                                               GError     **error);
/* The same for the 2026-11-01 model: owned by owner_id (an ICA's ARM id, in place of the
 * policy), subject and CSR subject "CN=<cn>". */
char         *cb_sb_ca_create_named_issuer    (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *owner_id,
                                               const char  *cn,
                                               gboolean     byor,
                                               GError     **error);
/* Puts the issuer on its root's CRL; its leaves are refused from now on. */
gboolean      cb_sb_ca_revoke_issuer          (CbSandbox   *self,
                                               const char  *issuer_id,
                                               GError     **error);
/* Forgets a pending (never activated) BYOR issuer and its key. */
void          cb_sb_ca_drop_pending_issuer    (CbSandbox   *self,
                                               const char  *issuer_id);
typedef struct
{
  char    *status;        /* "pending", "active", "revoked" */
  char    *subject;
  char    *csr_pem;       /* BYOR only */
  char    *thumbprint;    /* SHA-1, upper-case hex; NULL while pending */
  gint64   not_before;    /* 0 while pending */
  gint64   not_after;
  gboolean byor;
} CbSbIssuerInfo;

gboolean      cb_sb_ca_get_issuer_info        (CbSandbox      *self,
                                               const char     *issuer_id,
                                               CbSbIssuerInfo *info);
void          cb_sb_issuer_info_clear         (CbSbIssuerInfo *info);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbIssuerInfo, cb_sb_issuer_info_clear)

/* What a leaf is signed with: the issuer's status, key file, certificate (NULL while
 * pending) and, for BYOR, the customer's chain above it as PEM. FALSE when unknown. */
gboolean      cb_sb_ca_get_issuer_material    (CbSandbox   *self,
                                               const char  *issuer_id,
                                               char       **status,
                                               char       **key_ref,
                                               GBytes     **cert,
                                               char       **chain_pem);
/* The issuer that signed leaf: by key identifier (preferring one on hub, then the newest),
 * else by name among the hub's certificates. FALSE when none. */
gboolean      cb_sb_ca_find_leaf_issuer       (CbSandbox     *self,
                                               const char    *hub,
                                               CbCertificate *leaf,
                                               char         **issuer_id,
                                               char         **status,
                                               GBytes       **cert);

/* ---- Leaves and CRLs ------------------------------------------------------------------ */

/* Records an issued leaf (its serial as lower-case hex, its validity), for the CRLs. */
gboolean      cb_sb_ca_record_leaf            (CbSandbox     *self,
                                               const char    *serial,
                                               gint64         not_before,
                                               gint64         not_after,
                                               const char    *namespace_id,
                                               const char    *device_name,
                                               const char    *issuer_id,
                                               const char    *policy_id,
                                               const char    *identifier,
                                               gint64         issued_at,
                                               GError       **error);
/* Marks every leaf ever issued to the device as revoked (they go on the issuing CA's CRL). */
void          cb_sb_ca_revoke_device_leaves   (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *device_name);
/* The CRL (DER) of a root (by its uuid: the revoked issuing CAs) or of an issuing CA (by its
 * id: the revoked leaves). G_IO_ERROR_NOT_FOUND when no CA has that id. */
GBytes       *cb_sb_ca_make_crl               (CbSandbox   *self,
                                               const char  *id,
                                               GError     **error);

/* ---- Hub certificates ----------------------------------------------------------------- */

/* Puts the issuer on the hub as certificate `name` (replacing what had that name). */
gboolean      cb_sb_ca_put_hub_certificate    (CbSandbox   *self,
                                               const char  *hub,
                                               const char  *name,
                                               const char  *issuer_id,
                                               const char  *policy_id,
                                               GError     **error);
gboolean      cb_sb_ca_hub_has_issuer         (CbSandbox   *self,
                                               const char  *hub,
                                               const char  *issuer_id);
/* The names of the hub's certificates, sorted. */
GPtrArray    *cb_sb_ca_list_hub_certificates  (CbSandbox   *self,
                                               const char  *hub);

typedef struct
{
  char   *name;           /* as stored */
  char   *etag;
  gint64  created;
  gint64  updated;
  char   *policy_id;      /* NULL when not from a policy */
  GBytes *cert;           /* DER */
  char   *subject;
  char   *thumbprint;
  gint64  not_after;
} CbSbHubCertificate;

gboolean      cb_sb_ca_get_hub_certificate    (CbSandbox          *self,
                                               const char         *hub,
                                               const char         *name,
                                               CbSbHubCertificate *out);
void          cb_sb_hub_certificate_clear     (CbSbHubCertificate *cert);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbHubCertificate, cb_sb_hub_certificate_clear)
gboolean      cb_sb_ca_delete_hub_certificate (CbSandbox   *self,
                                               const char  *hub,
                                               const char  *name,
                                               GError     **error);

/* The SHA-1 thumbprint as ARM shows it: upper-case hex, no colons. */
char         *cb_sb_ca_thumbprint             (CbCertificate *cert);
/* "-----BEGIN <label>-----" armour, 64 columns. */
char         *cb_sb_der_to_pem                (const char  *label,
                                               GBytes      *der);

G_END_DECLS
