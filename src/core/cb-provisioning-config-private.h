/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-provisioning-config.h"

G_BEGIN_DECLS

/* What the provisioning run reads of its config: the fields themselves, and the service facts
 * (the policy's validity, the hub's CA certificates) the config fetches once for many runs. */

/* What the run checks the chain against, fetched once for many runs. */
typedef struct
{
  guint      validity_days;
  char      *validity_source;   /* "ARM" or "station configuration", NULL when unknown */
  char      *validity_note;     /* why ARM did not tell */
  GPtrArray *hub_cas;           /* CbCertificate; NULL when the hub's CA list is unknown */
  char      *hub_note;          /* why it is unknown */
  gint64     fetched_at;        /* monotonic */
} CbServiceFacts;

CbServiceFacts *cb_service_facts_ref   (CbServiceFacts *facts);
void            cb_service_facts_unref (CbServiceFacts *facts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbServiceFacts, cb_service_facts_unref)

struct _CbProvisioningConfig
{
  GObject             parent_instance;

  /* Owned */
  CbProfile          *profile;
  CbDpsClient        *dps;
  CbDpsServiceClient *dps_service;
  CbAdrClient        *adr;
  CbJournal          *journal;
  CbHubClient        *hub;
  CbHttpClient       *http;
  CbCertificate      *trusted_root;
  char               *group_key;
  char               *template_text;
  char               *key_type;
  char               *policy;
  char               *station;
  char               *operator_name;
  CbRegistrationMode  mode;
  guint               validity_days;
  guint               max_attempts;
  guint               device_dps_timeout;
  guint               device_dps_poll_ms;
  gboolean            hub_check;
  guint               hub_timeout;
  guint               hub_poll_ms;
  guint32             modem_sec_tag;
  /* Learnt by the runs of this config (a station's): how long after hub_config's answer the
   * device's first diagnostics read should go out to find it connected, in µs; 0 unknown. */
  gint64              hub_first_poll_us;

  CbServiceFacts       *facts;
  GPtrArray          *facts_waiters;   /* GTask, while a fetch is under way */

  /* The profile's enrollment group as the runs last read it (cb_provisioning_config_get_group_
   * async): the group (NULL when DPS said it does not exist), the id it was read for, when. */
  JsonObject         *group;
  char               *group_id;
  gint64              group_read_at;   /* monotonic µs; 0: not read */
  GPtrArray          *group_waiters;   /* GTask, while a read is under way */
};

/* The facts, from the cache while they are fresh (unless force). Never fails: what could not be
 * learnt is NULL or 0 with a note saying why. */
void            cb_provisioning_config_get_facts_async  (CbProvisioningConfig *self,
                                                         gboolean              force,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
/* Returns: (transfer full) */
CbServiceFacts *cb_provisioning_config_get_facts_finish (CbProvisioningConfig *self,
                                                         GAsyncResult         *result);

/* The facts get_facts_async() would hand out from its cache now, or NULL when it would fetch
 * them: a run takes them at once, without a task and a main-loop turn of its own a device.
 * Returns: (transfer full) (nullable) */
CbServiceFacts *cb_provisioning_config_peek_facts       (CbProvisioningConfig *self);

/* The profile's enrollment group, as one read serves the runs of a station: from the last read
 * while it is younger than CB_PROVISIONING_CONFIG_GROUP_TTL_SECONDS (unless force), else read
 * now; runs asking while a read is under way share it. A group DPS does not have is a
 * CB_API_ERROR_NOT_FOUND error, kept like a group; other errors are not kept. */
#define CB_PROVISIONING_CONFIG_GROUP_TTL_SECONDS 30

void            cb_provisioning_config_get_group_async  (CbProvisioningConfig *self,
                                                         gboolean              force,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
/* Returns: (transfer full) (nullable): the group; @out_kept says whether the answer came from
 * an earlier read (one a later change on DPS may have overtaken). */
JsonObject     *cb_provisioning_config_get_group_finish (CbProvisioningConfig *self,
                                                         GAsyncResult         *result,
                                                         gboolean             *out_kept,
                                                         GError              **error);
/* Whether get_group_async() (without force) would answer from the last read now, and that
 * answer: @out_group is the group, or NULL where DPS said it has none (get_group's NOT_FOUND).
 * FALSE where it would read (nothing kept, too old, a read under way). */
gboolean        cb_provisioning_config_peek_group       (CbProvisioningConfig *self,
                                                         JsonObject          **out_group);

G_END_DECLS
