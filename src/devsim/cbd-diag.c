/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Diagnostics and status: the bench info and diag commands and cbd_device_get_status(), the
 * snapshot a host (the fleet, the Virtual device) reads. A firmware port needs info for the
 * station; diag and the status snapshot are for support and hosts. */
#include "cbd-diag.h"

#include <string.h>

#include "cbd-renewal.h"

int
cbd_dev_handle_info (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_info_rsp *rsp = rsp_;
  size_t n = 0;

  (void) req_;
  while (dev->cfg.key_types[n] != NULL)
    n++;
  rsp->serial = dev->serial;
  rsp->model = (char *) dev->cfg.model;
  rsp->fw = (char *) dev->cfg.fw;
  rsp->proto = CBP_PROTO_VERSION;
  rsp->key_types.items = (char **) dev->cfg.key_types;
  rsp->key_types.n = n;
  rsp->key = dev->key.type != NULL ? dev->key.type : dev->next.type;
  rsp->next_key = dev->next.blob != NULL && dev->key.blob != NULL;
  rsp->frame_size = dev->cfg.frame_size;
  rsp->buf_size = dev->cfg.buf_size;
  rsp->slot_size = dev->cfg.slot_size;
  rsp->slots = 2;
  rsp->active = dev->active_valid;
  rsp->staged = dev->staging_len;
  return 0;
}

int
cbd_dev_handle_diag (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_diag_rsp *rsp = rsp_;
  int64_t now = dev->plat.now (dev->plat.ctx);

  (void) req_;
  rsp->time = now;
  rsp->uptime = now > dev->boot_time ? (uint64_t) (now - dev->boot_time) : 0;
  rsp->tls_err = dev->last_tls_error;
  rsp->dps_err = dev->last_dps_error;
  if (dev->active_valid)
    {
      int64_t life = dev->active_not_after - dev->active_not_before;

      rsp->has_not_before = rsp->has_not_after = rsp->has_renew_at = true;
      rsp->not_before = dev->active_not_before;
      rsp->not_after = dev->active_not_after;
      (void) life;
      rsp->renew_at = cbd_dev_renew_point (dev);
    }
  rsp->hub = dev->hub.host != NULL && dev->hub.host[0] != 0 ? dev->hub.host : NULL;
  rsp->hub_state = (char *) cbd_hub_state_name (dev->hub_state);
  rsp->hub_err = dev->hub_error;
  if (dev->hub_time != 0)
    {
      rsp->has_hub_time = true;
      rsp->hub_time = dev->hub_time;
    }
  rsp->renew_state = (char *) cbd_renew_state_name (dev->renew_state);
  rsp->renew_err = dev->renew_error;
  if (dev->renew_state != CBD_RENEW_NONE)
    {
      rsp->has_renew_time = true;
      rsp->renew_time = dev->renew_time;
    }
  return 0;
}

void
cbd_device_get_status (cbd_device *dev, cbd_status *st)
{
  static const cbd_dps_state dps_states[] = { CBD_DPS_IDLE, CBD_DPS_RUNNING, CBD_DPS_ASSIGNED,
                                              CBD_DPS_FAILED };

  memset (st, 0, sizeof *st);
  st->active = dev->active_valid;
  if (dev->active_valid)
    {
      st->not_before = dev->active_not_before;
      st->not_after = dev->active_not_after;
      st->renew_at = cbd_dev_renew_point (dev);
    }
  st->hub_state = dev->hub_state;
  st->hub_error = dev->hub_error;
  st->hub_time = dev->hub_time;
  st->twin_reported = dev->twin_reported;
  st->renew_state = dev->renew_state;
  st->renew_error = dev->renew_error;
  st->renew_time = dev->renew_time;
  st->renewals = dev->renewals;
  st->reregistrations = dev->reregistrations;
  st->dps_state = dps_states[dev->dps_state];
  st->dps_error = dev->dps_error;
  st->hub_host = dev->hub.host != NULL && dev->hub.host[0] != 0 ? dev->hub.host : NULL;
  st->device_id = dev->hub.device_id != NULL && dev->hub.device_id[0] != 0 ? dev->hub.device_id
                                                                           : NULL;
}
