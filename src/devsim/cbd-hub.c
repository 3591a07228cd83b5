/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hub configuration and connection: the stored hub configuration (bench hub_config or
 * cbd_device_hub_configure()), the connection state and the connect/restart/stop the platform
 * carries out. A firmware port that talks to IoT Hub needs it; a bench-only device leaves out
 * this file with cbd-renewal.c and cbd-hub-codec.c. */
#include "cbd-hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbp-smp.h"

#include "cbd-util.h"
#include "cbd-csr.h"

void
cbd_dev_hub_load (cbd_device *dev)
{
  uint8_t *data = NULL;
  size_t len = 0;
  const cbp_command *cmd = cbp_group_command (CBP_CMD_HUB_CONFIG);

  if (dev->plat.load (dev->plat.ctx, BLOB_HUB, &data, &len) != 0)
    return;
  if (cbp_request_decode (cmd, data, len, &dev->hub) != CBP_OK)
    memset (&dev->hub, 0, sizeof dev->hub);
  free (data);
}

int
cbd_dev_handle_hub_config (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_hub_config_req *req = req_;

  (void) rsp_;
  if (req->host[0] == 0)
    return GENERIC (CBP_SMP_RC_INVALID);
  return cbd_dev_hub_configure (dev, req->host, req->device_id, req->endpoint, req->ca_path);
}

const char *
cbd_hub_state_name (cbd_hub_state state)
{
  switch (state)
    {
    case CBD_HUB_OFF: return CBP_HUB_STATE_OFF;
    case CBD_HUB_CONNECTING: return CBP_HUB_STATE_CONNECTING;
    case CBD_HUB_CONNECTED: return CBP_HUB_STATE_CONNECTED;
    case CBD_HUB_REFUSED: return CBP_HUB_STATE_REFUSED;
    case CBD_HUB_UNREACHABLE: return CBP_HUB_STATE_UNREACHABLE;
    case CBD_HUB_DISCONNECTED: return CBP_HUB_STATE_DISCONNECTED;
    default: return "?";
    }
}

bool
cbd_dev_hub_ready (cbd_device *dev)
{
  return dev->hub.host != NULL && dev->hub.host[0] != 0 && dev->hub.device_id != NULL &&
         dev->hub.device_id[0] != 0 && dev->plat.hub_connect != NULL;
}

void
cbd_dev_hub_set_state (cbd_device *dev, cbd_hub_state state, const char *error)
{
  if (dev->hub_state != state)
    dev->hub_time = dev->plat.now (dev->plat.ctx);
  dev->hub_state = state;
  if (state != CBD_HUB_CONNECTED && state != CBD_HUB_CONNECTING)
    cbd_dev_set_str (&dev->hub_error, error);
  else if (state == CBD_HUB_CONNECTED)
    cbd_dev_set_str (&dev->hub_error, NULL);
  cbd_dev_notify (dev);
}

/* Closes the connection (no event follows) and forgets what was in flight on it. */
void
cbd_dev_hub_stop (cbd_device *dev)
{
  if (dev->hub_state != CBD_HUB_OFF && dev->plat.hub_disconnect != NULL)
    dev->plat.hub_disconnect (dev->plat.ctx);
  dev->twin_reported = false;
  dev->hub_next_try_ms = 0;
}

void
cbd_dev_hub_connect (cbd_device *dev)
{
  cbd_hub_params params;
  char *username, *endpoint = NULL;
  size_t n;
  int ret;

  if (!cbd_dev_hub_ready (dev) || !dev->active_valid || dev->key.blob == NULL)
    {
      if (dev->hub_state != CBD_HUB_OFF)
        cbd_dev_hub_set_state (dev, CBD_HUB_OFF, NULL);
      return;
    }
  if (dev->plat.now (dev->plat.ctx) >= dev->active_not_after)
    {
      /* The tick re-registers through DPS; the hub would refuse this one anyway. */
      if (dev->hub_state != CBD_HUB_DISCONNECTED)
        cbd_dev_hub_set_state (dev, CBD_HUB_DISCONNECTED, "certificate expired");
      return;
    }

  n = strlen (dev->hub.host) + strlen (dev->hub.device_id) + sizeof HUB_API_VERSION + 32;
  username = malloc (n);
  if (username == NULL)
    return;
  snprintf (username, n, "%s/%s/?api-version=%s", dev->hub.host, dev->hub.device_id,
            HUB_API_VERSION);
  if (dev->hub.endpoint == NULL || dev->hub.endpoint[0] == 0)
    {
      n = strlen (dev->hub.host) + 8;
      endpoint = malloc (n);
      if (endpoint == NULL)
        {
          free (username);
          return;
        }
      snprintf (endpoint, n, "%s:8883", dev->hub.host);
    }

  memset (&params, 0, sizeof params);
  params.host = dev->hub.host;
  params.device_id = dev->hub.device_id;
  params.username = username;
  params.endpoint = endpoint != NULL ? endpoint : dev->hub.endpoint;
  params.ca_path = dev->hub.ca_path;
  params.chain = dev->active;
  params.chain_len = dev->active_len;
  params.key = dev->key.blob;
  params.key_len = dev->key.blob_len;
  params.keepalive = HUB_KEEPALIVE_S;

  dev->twin_reported = false;
  dev->hub_next_try_ms = 0;
  dev->hub_connect_ms = cbd_dev_mono_ms (dev);
  cbd_dev_hub_set_state (dev, CBD_HUB_CONNECTING, NULL);
  cbd_dev_log2 (dev, "I: hub: connecting to ", params.endpoint);
  /* The platform may report the outcome from inside this call. */
  ret = dev->plat.hub_connect (dev->plat.ctx, &params);
  free (username);
  free (endpoint);
  if (ret != 0 && dev->hub_state == CBD_HUB_CONNECTING)
    {
      dev->hub_backoff_s = HUB_BACKOFF_MAX_S;
      dev->hub_next_try_ms = cbd_dev_mono_ms (dev) + HUB_BACKOFF_MAX_S * 1000;
      cbd_dev_hub_set_state (dev, CBD_HUB_UNREACHABLE, "could not start the connection");
    }
}

/* After a configuration change or a new certificate: connect again at once. */
void
cbd_dev_hub_restart (cbd_device *dev)
{
  cbd_dev_hub_stop (dev);
  dev->hub_backoff_s = 0;
  cbd_dev_hub_connect (dev);
}

int
cbd_dev_hub_configure (cbd_device *dev, const char *host, const char *device_id,
                       const char *endpoint, const char *ca_path)
{
  const cbp_command *cmd = cbp_group_command (CBP_CMD_HUB_CONFIG);
  cbp_hub_config_req req;
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

  if (dev->plat.hub_connect == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (host == NULL)
    host = "";
  if (device_id == NULL)
    device_id = "";
  if (device_id[0] != 0 && !cbd_dev_cn_valid (device_id))
    return CBP_RC_BAD_SUBJECT;
  if (endpoint != NULL && endpoint[0] == 0)
    endpoint = NULL;
  if (ca_path != NULL && ca_path[0] == 0)
    ca_path = NULL;

  /* A repeat of the same configuration leaves a working connection alone. */
  if (dev->hub.host != NULL && strcmp (dev->hub.host, host) == 0 &&
      strcmp (dev->hub.device_id, device_id) == 0 &&
      (dev->hub.endpoint == NULL ? endpoint == NULL
                                 : endpoint != NULL && strcmp (dev->hub.endpoint, endpoint) == 0) &&
      (dev->hub.ca_path == NULL ? ca_path == NULL
                                : ca_path != NULL && strcmp (dev->hub.ca_path, ca_path) == 0) &&
      (dev->hub_state == CBD_HUB_CONNECTED || dev->hub_state == CBD_HUB_CONNECTING))
    return 0;

  req.host = (char *) host;
  req.device_id = (char *) device_id;
  req.endpoint = (char *) endpoint;
  req.ca_path = (char *) ca_path;
  if (cbp_request_encode (cmd, &req, &out, &len) != CBP_OK)
    return GENERIC (CBP_SMP_RC_NO_MEMORY);
  ret = dev->plat.save (dev->plat.ctx, BLOB_HUB, out, len);
  free (out);
  if (ret != 0)
    return CBP_RC_STORAGE;

  /* The arguments may point into dev->hub: copy before freeing. */
  memset (&req, 0, sizeof req);
  req.host = cbd_dev_str_dup (host);
  req.device_id = cbd_dev_str_dup (device_id);
  req.endpoint = cbd_dev_str_dup (endpoint);
  req.ca_path = cbd_dev_str_dup (ca_path);
  cbp_request_clear (cmd, &dev->hub);
  dev->hub = req;
  if (host[0] != 0)
    cbd_dev_log2 (dev, "I: hub: configured for ", host);
  cbd_dev_hub_restart (dev);
  cbd_dev_notify (dev);
  return 0;
}

int
cbd_device_hub_configure (cbd_device *dev, const char *host, const char *device_id,
                          const char *endpoint, const char *ca_path)
{
  return cbd_dev_hub_configure (dev, host, device_id, endpoint, ca_path);
}
