/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: a namespace's linked endpoints of the stable 2026-11-01 model
 * (cb-sb-adr-endpoint-store.c), table adr_endpoints: properties.messaging.endpoints (IoT hubs) and
 * properties.provisioning.endpoints (DPS instances), each with its linking state. Rows only:
 * linking itself is cb-sb-adr-linking.c. */

#include <glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

#define CB_SB_ENDPOINTS_MESSAGING     "messaging"
#define CB_SB_ENDPOINTS_PROVISIONING  "provisioning"

#define CB_SB_LINKING_IN_PROGRESS     "InProgress"
#define CB_SB_LINKING_SUCCEEDED       "Succeeded"
#define CB_SB_LINKING_FAILED          "Failed"

/* A hub endpoint's provisioning when the client sets none (the examples show these). */
#define CB_SB_ENDPOINT_AVAILABLE       "Available"
#define CB_SB_ENDPOINT_DEFAULT_WEIGHT  1

typedef struct
{
  char   *namespace_id;
  char   *kind;              /* CB_SB_ENDPOINTS_* */
  char   *name;              /* the key in endpoints{} */
  char   *endpoint_type;     /* "Microsoft.Devices/IotHubs", ... as the client wrote it */
  char   *resource_id;
  char   *identity_type;     /* inboundCallerIdentity.type, or NULL */
  char   *user_identity;     /* inboundCallerIdentity.userAssignedIdentity, or NULL */
  char   *availability;      /* provisioning.availability of a messaging endpoint, or NULL */
  gint64  allocation_weight; /* provisioning.allocationWeight, -1 when not set */
  char   *linking_state;     /* CB_SB_LINKING_* */
  char   *error_code;        /* linkingError, only while Failed */
  char   *error_message;
  char   *fault;             /* the linkingError code a fault rule asked for, or NULL */
  gint64  started;           /* usec on the world clock, when linking started */
} CbSbEndpointRow;

void          cb_sb_endpoint_row_free         (CbSbEndpointRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbEndpointRow, cb_sb_endpoint_row_free)

/* Creates the table. */
gboolean      cb_sb_adr_endpoints_init        (CbSandbox   *self,
                                               GError     **error);

/* The namespace's endpoints of kind (NULL: both), by kind and name. */
GPtrArray    *cb_sb_adr_endpoints_list        (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *kind);
/* Every endpoint still linking, in any namespace. */
GPtrArray    *cb_sb_adr_endpoints_linking     (CbSandbox   *self);
/* Inserts or replaces the row (namespace, kind, name). */
gboolean      cb_sb_adr_endpoint_save         (CbSandbox             *self,
                                               const CbSbEndpointRow *row,
                                               GError               **error);
/* code and message: the linkingError, NULL unless state is Failed. */
gboolean      cb_sb_adr_endpoint_set_linking  (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *kind,
                                               const char  *name,
                                               const char  *state,
                                               const char  *code,
                                               const char  *message,
                                               GError     **error);
gboolean      cb_sb_adr_endpoint_delete       (CbSandbox   *self,
                                               const char  *namespace_id,
                                               const char  *kind,
                                               const char  *name,
                                               GError     **error);

/* properties.management.endpoints of the namespace as JSON object text, or NULL when it has
 * none. */
char         *cb_sb_adr_management_endpoints     (CbSandbox   *self,
                                                  const char  *namespace_id);
/* Replaces them; endpoints NULL removes them. */
gboolean      cb_sb_adr_management_endpoints_set (CbSandbox   *self,
                                                  const char  *namespace_id,
                                                  const char  *endpoints,
                                                  GError     **error);

G_END_DECLS
