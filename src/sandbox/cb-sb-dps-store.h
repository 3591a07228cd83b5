/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the Device Provisioning Service's tables: enrollment groups and individual
 * enrollments (dps_enrollment_groups, dps_enrollments), the latest registration of each
 * device (dps_registrations) and the registration operations a device polls
 * (dps_operations). The DPS instances themselves are the topology's (dps_instances). */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Creates the tables, and brings an older sandbox's up to date (the registrations' and
 * operations' x509 column, added for X.509 attestation). */
gboolean      cb_sb_dps_store_init              (CbSandbox   *self,
                                                 GError     **error);

/* DPS etags are base64 of a quoted opaque value, e.g. "IjY5MDAzNTUy..." */
char         *cb_sb_dps_new_etag                (void);

/* ---- DPS instances (read from the topology) -------------------------------------------- */

typedef struct
{
  char *name;
  char *id_scope;
  char *namespace_id;
  char *linked_hub;
  char *host_name;
  char *owner_key;
} CbSbDpsInstance;

void          cb_sb_dps_instance_free           (CbSbDpsInstance *dps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbDpsInstance, cb_sb_dps_instance_free)

/* The instance whose column ("name" or "id_scope") is value, or NULL. */
CbSbDpsInstance *cb_sb_dps_instance_load        (CbSandbox   *self,
                                                 const char  *column,
                                                 const char  *value);
/* The host name of a hub, or NULL. */
char         *cb_sb_dps_hub_host_name           (CbSandbox   *self,
                                                 const char  *hub);

/* ---- Enrollments ----------------------------------------------------------------------- */

typedef struct
{
  gboolean    is_group;
  char       *id;                /* enrollmentGroupId or registrationId */
  char       *device_id;         /* individual enrollments only, may be NULL */
  char       *primary_key;
  char       *secondary_key;
  char       *policy;            /* credentialPolicyName, may be NULL */
  char       *provisioning_status;
  char       *etag;
  JsonObject *extra;             /* other fields the client set, echoed back */
  gint64      created;
  gint64      updated;
} CbSbEnrollment;

void          cb_sb_enrollment_free             (CbSbEnrollment *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbEnrollment, cb_sb_enrollment_free)

CbSbEnrollment *cb_sb_enrollment_load           (CbSandbox   *self,
                                                 const char  *dps,
                                                 gboolean     is_group,
                                                 const char  *id);
/* Every enrollment group (or individual enrollment) of dps, ordered by id. */
GPtrArray    *cb_sb_enrollment_list             (CbSandbox   *self,
                                                 const char  *dps,
                                                 gboolean     is_group);
gboolean      cb_sb_enrollment_save             (CbSandbox   *self,
                                                 const char  *dps,
                                                 CbSbEnrollment *e,
                                                 GError     **error);
gboolean      cb_sb_enrollment_delete           (CbSandbox   *self,
                                                 const char  *dps,
                                                 gboolean     is_group,
                                                 const char  *id,
                                                 GError     **error);

/* ---- Registrations and operations ------------------------------------------------------ */

typedef struct
{
  char   *operation_id;
  char   *registration_id;
  gint64  started;
  char   *status;
  char   *substatus;
  char   *device_id;
  char   *assigned_hub;
  char   *enrollment_group_id;   /* NULL for an individual enrollment */
  int     error_code;            /* 0: none */
  char   *error_message;
  char   *chain;                 /* JSON array text, or NULL */
  char   *x509;                  /* the presented certificate's X509RegistrationResult parts as
                                  * JSON text (cb_sb_dps_x509_registration_info()); NULL for a
                                  * registration by SAS */
  gint64  registration_created;
  char   *etag;
  gint64  updated;
} CbSbDpsOperation;

void          cb_sb_dps_operation_free          (CbSbDpsOperation *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbDpsOperation, cb_sb_dps_operation_free)

CbSbDpsOperation *cb_sb_dps_operation_load      (CbSandbox   *self,
                                                 const char  *dps,
                                                 const char  *registration_id,
                                                 const char  *operation_id);
gboolean      cb_sb_dps_operation_save          (CbSandbox   *self,
                                                 const char  *dps,
                                                 CbSbDpsOperation *op,
                                                 GError     **error);
/* The registration record keeps the outcome of the latest registration for the status
 * lookup and the service API; the operation keeps its own snapshot for polling. */
gboolean      cb_sb_dps_registration_save       (CbSandbox   *self,
                                                 const char  *dps,
                                                 CbSbDpsOperation *op,
                                                 GError     **error);
/* The latest registration of registration_id as an operation snapshot, or NULL. */
CbSbDpsOperation *cb_sb_dps_registration_load   (CbSandbox   *self,
                                                 const char  *dps,
                                                 const char  *registration_id);
gboolean      cb_sb_dps_registration_delete     (CbSandbox   *self,
                                                 const char  *dps,
                                                 const char  *registration_id,
                                                 GError     **error);
/* Whether an operation started at started (usec) still reports "assigning". */
gboolean      cb_sb_dps_still_assigning         (CbSandbox   *self,
                                                 gint64       started);
/* registrationState / DeviceRegistrationResult (§2.3) of op, reported as status. */
void          cb_sb_dps_add_registration_state  (JsonBuilder *b,
                                                 CbSbDpsOperation *op,
                                                 const char  *status,
                                                 gboolean     with_chain);

G_END_DECLS
