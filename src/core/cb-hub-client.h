/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-profile.h"

G_BEGIN_DECLS

#define CB_HUB_API_VERSION "2021-04-12"

/**
 * CbHubQueryPage:
 * @items: the page's twins or projected objects
 * @continuation: the token for the next page, %NULL on the last page
 * @item_type: the x-ms-item-type header ("twin", "raw"...), lower-cased; may be %NULL
 */
typedef struct
{
  JsonArray *items;
  char      *continuation;
  char      *item_type;
} CbHubQueryPage;

void cb_hub_query_page_free (CbHubQueryPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbHubQueryPage, cb_hub_query_page_free)

/**
 * CbHubClient:
 *
 * IoT Hub service REST (api-version 2021-04-12): device identities, twins and queries.
 * Authenticates with a shared access policy key (sr = the lower-cased hub host name) when one
 * is set, else with an Entra token for https://iothubs.azure.net/.default.
 * Device and twin objects are returned as the service wrote them.
 */
#define CB_TYPE_HUB_CLIENT (cb_hub_client_get_type ())
G_DECLARE_FINAL_TYPE (CbHubClient, cb_hub_client, CB, HUB_CLIENT, GObject)

CbHubClient    *cb_hub_client_new                 (CbProfile           *profile,
                                                   CbHttpClient        *http,
                                                   CbEntraClient       *entra);
/* The HTTP client it sends with (its Date tells the service's time). */
CbHttpClient   *cb_hub_client_get_http            (CbHubClient         *self);
/* policy_name NULL means "iothubowner"; key NULL goes back to Entra. */
void            cb_hub_client_set_sas_key         (CbHubClient         *self,
                                                   const char          *policy_name,
                                                   const char          *key_base64);

void            cb_hub_client_get_device_async    (CbHubClient         *self,
                                                   const char          *device_id,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* @etag: (nullable) NULL creates (fails if it exists), "*" replaces unconditionally, anything
 * else must match (CB_API_ERROR_PRECONDITION_FAILED otherwise). */
void            cb_hub_client_put_device_async    (CbHubClient         *self,
                                                   const char          *device_id,
                                                   JsonObject          *device,
                                                   const char          *etag,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* GET then PUT with the etag just read and "status" set. */
void            cb_hub_client_set_device_enabled_async (CbHubClient    *self,
                                                   const char          *device_id,
                                                   gboolean             enabled,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
void            cb_hub_client_get_twin_async      (CbHubClient         *self,
                                                   const char          *device_id,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* PATCH (merge) of tags and/or desired properties; @etag optional. */
void            cb_hub_client_update_twin_async   (CbHubClient         *self,
                                                   const char          *device_id,
                                                   JsonObject          *tags,
                                                   JsonObject          *desired,
                                                   const char          *etag,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* Finishes get/put/set-enabled device and get/update twin.
 * Returns: (transfer full): the device or twin */
JsonObject     *cb_hub_client_object_finish       (CbHubClient         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* @etag: (nullable) NULL means unconditional ("*"). */
void            cb_hub_client_delete_device_async (CbHubClient         *self,
                                                   const char          *device_id,
                                                   const char          *etag,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        cb_hub_client_delete_device_finish (CbHubClient        *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* One page of a query. @page_size 0 lets the service choose; @continuation is NULL for the
 * first page, then the previous page's token. */
void            cb_hub_client_query_async         (CbHubClient         *self,
                                                   const char          *query,
                                                   guint                page_size,
                                                   const char          *continuation,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
CbHubQueryPage *cb_hub_client_query_finish        (CbHubClient         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Pure: builds a page from a query response body and its headers. */
CbHubQueryPage *cb_hub_query_page_new_from_response (JsonNode           *json,
                                                     SoupMessageHeaders *headers,
                                                     GError            **error);

G_END_DECLS
