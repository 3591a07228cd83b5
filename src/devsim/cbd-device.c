/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device session: cbd_device_new()/free() (load the state, finish an interrupted commit),
 * the SMP command dispatch (decode, call the module's handler, encode or answer with an error),
 * and the two entries that drive the hub side: the platform's hub events and the tick. The public
 * API of the portable device is cbd-device.h; a firmware port needs this file and cbd-util.c,
 * and then the modules whose commands it answers. The modules sit in layers, each calling only
 * the ones below: util and hub-codec; keystore; cert-store and csr; hub; cert and renewal; dps;
 * diag; and this file on top. No GLib: libc, libcbor (through certbench-proto) and the
 * platform. */
#include "cbd-device-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbp-frame.h"
#include "cbp-smp.h"

#include "cbd-util.h"
#include "cbd-keystore.h"
#include "cbd-cert-store.h"
#include "cbd-csr.h"
#include "cbd-hub.h"
#include "cbd-cert.h"
#include "cbd-renewal.h"
#include "cbd-dps.h"
#include "cbd-diag.h"

static void handle_packet (void *user_data, const uint8_t *packet, size_t len);

static const char *const default_key_types[] = { CBP_KEY_TYPE_P256, CBP_KEY_TYPE_P384, NULL };

cbd_device *
cbd_device_new (const cbd_config *config, const cbd_platform *platform)
{
  cbd_device *dev;
  uint8_t *data = NULL;
  size_t len = 0;

  if (config == NULL || platform == NULL || platform->write == NULL || platform->load == NULL)
    return NULL;

  dev = calloc (1, sizeof *dev);
  if (dev == NULL)
    return NULL;
  dev->cfg = *config;
  dev->plat = *platform;
  if (dev->cfg.key_types == NULL)
    dev->cfg.key_types = default_key_types;
  if (dev->cfg.group < 64)
    dev->cfg.group = CBP_GROUP_DEFAULT;
  if (dev->cfg.frame_size < CBP_FRAME_SIZE_MIN)
    dev->cfg.frame_size = CBP_FRAME_SIZE_DEFAULT;
  if (dev->cfg.buf_size < CBP_BUF_SIZE_MIN)
    dev->cfg.buf_size = CBP_BUF_SIZE_MIN;
  if (dev->cfg.buf_count == 0)
    dev->cfg.buf_count = 1;
  if (dev->cfg.slot_size == 0)
    dev->cfg.slot_size = 8192;
  if (dev->cfg.model == NULL)
    dev->cfg.model = "certbench-devsim";
  if (dev->cfg.fw == NULL)
    dev->cfg.fw = "0.0.0";
  if (!(dev->cfg.renew_fraction > 0 && dev->cfg.renew_fraction <= 1))
    dev->cfg.renew_fraction = 0.8;
  dev->boot_time = dev->plat.now (dev->plat.ctx);

  /* The decoder accepts a bit more than buf_size so that an oversize request can still be
   * answered with "message too large" instead of silence. */
  dev->dec = cbp_decoder_new (dev->cfg.buf_size * 2, handle_packet, NULL, dev);
  if (dev->dec == NULL)
    goto fail;

  /* Identity: a stored serial wins, so a device keeps its serial across restarts. */
  if (dev->plat.load (dev->plat.ctx, BLOB_SERIAL, &data, &len) == 0)
    {
      dev->serial = malloc (len + 1);
      if (dev->serial == NULL)
        goto fail;
      memcpy (dev->serial, data, len);
      dev->serial[len] = 0;
      free (data);
      data = NULL;
    }
  else
    {
      if (config->serial != NULL)
        dev->serial = cbd_dev_str_dup (config->serial);
      else
        {
          uint8_t rnd[6];
          char buf[32];
          int i;

          if (dev->plat.random (dev->plat.ctx, rnd, sizeof rnd) != 0)
            goto fail;
          strcpy (buf, "CBD-");
          for (i = 0; i < 6; i++)
            snprintf (buf + 4 + 2 * i, 3, "%02X", rnd[i]);
          dev->serial = cbd_dev_str_dup (buf);
        }
      if (dev->serial == NULL ||
          dev->plat.save (dev->plat.ctx, BLOB_SERIAL, (const uint8_t *) dev->serial,
                          strlen (dev->serial)) != 0)
        goto fail;
    }

  if (cbd_dev_key_slot_load (dev, BLOB_KEY, &dev->key) < 0 ||
      cbd_dev_key_slot_load (dev, BLOB_KEY_NEXT, &dev->next) < 0)
    goto fail;

  if (dev->plat.load (dev->plat.ctx, BLOB_ACTIVE, &dev->active, &dev->active_len) < 0)
    goto fail;
  cbd_dev_active_refresh (dev);

  /* A commit writes the active chain first and then promotes the next key. If power failed in
   * between, the active leaf carries the next key: finish the promotion. */
  if (dev->next.blob != NULL && dev->active_valid &&
      cbd_dev_leaf_matches (dev, dev->active, dev->active_len, &dev->next))
    {
      if (cbd_dev_key_slot_save (dev, BLOB_KEY, &dev->next) != 0)
        goto fail;
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      cbd_dev_key_slot_clear (&dev->key);
      dev->key = dev->next;
      memset (&dev->next, 0, sizeof dev->next);
    }

  cbd_dev_staging_load (dev);
  cbd_dev_dps_load (dev);
  cbd_dev_hub_load (dev);
  return dev;

fail:
  free (data);
  cbd_device_free (dev);
  return NULL;
}

void
cbd_device_free (cbd_device *dev)
{
  if (dev == NULL)
    return;
  cbp_decoder_free (dev->dec);
  cbd_dev_key_slot_clear (&dev->key);
  cbd_dev_key_slot_clear (&dev->next);
  free (dev->serial);
  free (dev->active);
  cbd_dev_staging_reset (dev);
  if (dev->dps.key != NULL)
    memset (dev->dps.key, 0, strlen (dev->dps.key));
  cbp_request_clear (cbp_group_command (CBP_CMD_DPS_CONFIG), &dev->dps);
  free (dev->dps_error);
  free (dev->dps_hub);
  free (dev->dps_device_id);
  free (dev->last_tls_error);
  free (dev->last_dps_error);
  if (dev->plat.hub_disconnect != NULL && dev->hub_state != CBD_HUB_OFF)
    dev->plat.hub_disconnect (dev->plat.ctx);
  cbp_request_clear (cbp_group_command (CBP_CMD_HUB_CONFIG), &dev->hub);
  free (dev->hub_error);
  free (dev->renew_error);
  free (dev->renew_body_csr);
  free (dev);
}

const char *
cbd_device_get_serial (cbd_device *dev)
{
  return dev->serial;
}

unsigned long
cbd_device_get_frame_errors (cbd_device *dev)
{
  return cbp_decoder_errors (dev->dec);
}

void
cbd_device_set_tls_error (cbd_device *dev, const char *error)
{
  cbd_dev_set_str (&dev->last_tls_error, error);
}

static void
send_packet (cbd_device *dev, const cbp_smp_header *req_hdr, const uint8_t *payload,
             size_t payload_len)
{
  cbp_smp_header hdr = *req_hdr;
  uint8_t *packet = NULL, *frames = NULL;
  size_t packet_len = 0, frames_len = 0;

  hdr.op = cbp_smp_response_op (req_hdr->op);
  hdr.flags = 0;
  if (cbp_smp_packet_build (&hdr, payload, payload_len, &packet, &packet_len) != 0)
    return;
  if (cbp_frame_encode (packet, packet_len, dev->cfg.frame_size, &frames, &frames_len) == 0)
    {
      cbd_dev_write (dev, frames, frames_len);
      free (frames);
    }
  free (packet);
}

static void
send_generic_error (cbd_device *dev, const cbp_smp_header *hdr, int smp_rc)
{
  uint8_t *out = NULL;
  size_t len = 0;

  if (cbp_error_encode_rc (smp_rc, &out, &len) == CBP_OK)
    send_packet (dev, hdr, out, len);
  free (out);
}

static void
send_group_error (cbd_device *dev, const cbp_smp_header *hdr, int rc)
{
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

  /* v1 has no group errors: map to the generic code. */
  if (hdr->version == CBP_SMP_V1)
    ret = cbp_error_encode_rc (cbp_rc_to_v1 (rc), &out, &len);
  else
    ret = cbp_error_encode_group (hdr->group, rc, &out, &len);
  if (ret == CBP_OK)
    send_packet (dev, hdr, out, len);
  free (out);
}

/* Request and response storage big enough for any command. */
typedef union
{
  cbp_empty            empty;
  cbp_os_echo_req      echo;
  cbp_keygen_req       keygen;
  cbp_csr_req          csr;
  cbp_cert_put_req     cert_put;
  cbp_cert_commit_req  cert_commit;
  cbp_cert_get_req     cert_get;
  cbp_pop_req          pop;
  cbp_dps_config_req   dps_config;
  cbp_hub_config_req   hub_config;
} any_req;

typedef union
{
  cbp_empty             empty;
  cbp_os_echo_rsp       echo;
  cbp_os_params_rsp     params;
  cbp_info_rsp          info;
  cbp_keygen_rsp        keygen;
  cbp_csr_rsp           csr;
  cbp_cert_put_rsp      cert_put;
  cbp_cert_commit_rsp   cert_commit;
  cbp_cert_get_rsp      cert_get;
  cbp_pop_rsp           pop;
  cbp_dps_register_rsp  dps_register;
  cbp_dps_status_rsp    dps_status;
  cbp_diag_rsp          diag;
} any_rsp;

static void
handle_packet (void *user_data, const uint8_t *packet, size_t len)
{
  cbd_device *dev = user_data;
  cbp_smp_header hdr;
  const cbp_command *cmd;
  const uint8_t *payload;
  any_req req;
  any_rsp rsp;
  uint8_t sha_buf[CBP_SHA256_LEN];
  uint8_t *out = NULL;
  size_t out_len = 0;
  int rc = 0;

  if (cbp_smp_header_unpack (packet, len, &hdr) != 0)
    return;   /* no valid header to answer to */
  if (cbp_smp_op_is_response (hdr.op))
    return;
  if (len > dev->cfg.buf_size)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_TOO_LARGE);
      return;
    }
  if (hdr.len != len - CBP_SMP_HEADER_LEN)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_INVALID);
      return;
    }
  payload = packet + CBP_SMP_HEADER_LEN;

  if (hdr.group == CBP_GROUP_OS)
    cmd = cbp_os_command (hdr.id);
  else if (hdr.group == dev->cfg.group)
    cmd = cbp_group_command (hdr.id);
  else
    cmd = NULL;
  if (cmd == NULL || cmd->op != hdr.op)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_NOT_SUPPORTED);
      return;
    }

  memset (&req, 0, sizeof req);
  memset (&rsp, 0, sizeof rsp);
  /* An empty payload counts as the empty map for commands without request fields. */
  if (hdr.len == 0 && cmd->n_req_fields == 0)
    ;
  else if (cbp_request_decode (cmd, payload, hdr.len, &req) != CBP_OK)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_INVALID);
      return;
    }

  if (hdr.group == CBP_GROUP_OS)
    {
      if (hdr.id == CBP_OS_ECHO)
        rsp.echo.r = req.echo.d;
      else
        {
          rsp.params.buf_size = dev->cfg.buf_size;
          rsp.params.buf_count = dev->cfg.buf_count;
        }
    }
  else
    {
      switch (hdr.id)
        {
        case CBP_CMD_INFO: rc = cbd_dev_handle_info (dev, &req, &rsp); break;
        case CBP_CMD_KEYGEN: rc = cbd_dev_handle_keygen (dev, &req, &rsp); break;
        case CBP_CMD_CSR: rc = cbd_dev_handle_csr (dev, &req, &rsp); break;
        case CBP_CMD_CERT_PUT: rc = cbd_dev_handle_cert_put (dev, &req, &rsp); break;
        case CBP_CMD_CERT_COMMIT: rc = cbd_dev_handle_cert_commit (dev, &req, &rsp, sha_buf); break;
        case CBP_CMD_CERT_GET: rc = cbd_dev_handle_cert_get (dev, &req, &rsp, sha_buf); break;
        case CBP_CMD_POP: rc = cbd_dev_handle_pop (dev, &req, &rsp); break;
        case CBP_CMD_DPS_CONFIG: rc = cbd_dev_handle_dps_config (dev, &req, &rsp); break;
        case CBP_CMD_DPS_REGISTER: rc = cbd_dev_handle_dps_register (dev, &req, &rsp); break;
        case CBP_CMD_DPS_STATUS: rc = cbd_dev_handle_dps_status (dev, &req, &rsp); break;
        case CBP_CMD_DIAG: rc = cbd_dev_handle_diag (dev, &req, &rsp); break;
        case CBP_CMD_HUB_CONFIG: rc = cbd_dev_handle_hub_config (dev, &req, &rsp); break;
        default: rc = GENERIC (CBP_SMP_RC_NOT_SUPPORTED); break;
        }
    }

  if (rc > 0)
    send_group_error (dev, &hdr, rc);
  else if (rc < 0)
    send_generic_error (dev, &hdr, -rc);
  else if (cbp_response_encode (cmd, &rsp, &out, &out_len) != CBP_OK)
    send_generic_error (dev, &hdr, CBP_SMP_RC_NO_MEMORY);
  else if (out_len + CBP_SMP_HEADER_LEN > dev->cfg.buf_size)
    send_generic_error (dev, &hdr, CBP_SMP_RC_TOO_LARGE);
  else
    send_packet (dev, &hdr, out, out_len);
  free (out);

  /* Responses borrow device memory except these, which handlers allocated. */
  if (hdr.group == dev->cfg.group && hdr.id == CBP_CMD_CSR)
    free (rsp.csr.csr.data);
  if (hdr.group == dev->cfg.group && hdr.id == CBP_CMD_POP)
    free (rsp.pop.sig.data);
  if (hdr.group == dev->cfg.group && hdr.id == CBP_CMD_DPS_CONFIG && req.dps_config.key != NULL)
    memset (req.dps_config.key, 0, strlen (req.dps_config.key));
  cbp_request_clear (cmd, &req);
}

void
cbd_device_feed (cbd_device *dev, const uint8_t *data, size_t len)
{
  /* Text the station sends outside frames (a shell command, noise) is ignored. */
  cbp_decoder_feed (dev->dec, data, len);
}

void
cbd_device_hub_event (cbd_device *dev, cbd_hub_event event, const char *text)
{
  int64_t now = cbd_dev_mono_ms (dev);

  switch (event)
    {
    case CBD_HUB_EV_CONNECTED:
      dev->hub_backoff_s = 0;
      cbd_dev_hub_set_state (dev, CBD_HUB_CONNECTED, NULL);
      cbd_device_log (dev, "I: hub: connected");
      dev->plat.hub_subscribe (dev->plat.ctx, "$iothub/twin/res/#");
      dev->plat.hub_subscribe (dev->plat.ctx, "$iothub/credentials/res/#");
      cbd_dev_twin_report (dev);
      /* Clean session: an answer to a request sent on the old connection is lost. */
      if (dev->renew_active)
        cbd_dev_renew_send (dev, true);
      break;

    case CBD_HUB_EV_REFUSED:
      dev->hub_next_try_ms = now + HUB_REFUSED_RETRY_S * 1000;
      cbd_dev_log2 (dev, "E: hub: refused: ", text);
      cbd_dev_hub_set_state (dev, CBD_HUB_REFUSED, text != NULL ? text : "refused");
      break;

    case CBD_HUB_EV_UNREACHABLE:
    case CBD_HUB_EV_DISCONNECTED:
      if (event == CBD_HUB_EV_DISCONNECTED && dev->hub_state == CBD_HUB_CONNECTED)
        dev->hub_backoff_s = 0;
      dev->hub_backoff_s = dev->hub_backoff_s == 0 ? 1 : dev->hub_backoff_s * 2;
      if (dev->hub_backoff_s > HUB_BACKOFF_MAX_S)
        dev->hub_backoff_s = HUB_BACKOFF_MAX_S;
      dev->hub_next_try_ms = now + (int64_t) dev->hub_backoff_s * 1000;
      cbd_dev_log2 (dev, event == CBD_HUB_EV_UNREACHABLE ? "E: hub: unreachable: "
                                                     : "W: hub: disconnected: ",
                text != NULL ? text : "connection lost");
      if (event == CBD_HUB_EV_UNREACHABLE && text != NULL)
        cbd_dev_set_str (&dev->last_tls_error, text);
      cbd_dev_hub_set_state (dev, event == CBD_HUB_EV_UNREACHABLE ? CBD_HUB_UNREACHABLE
                                                          : CBD_HUB_DISCONNECTED,
                     text);
      break;
    }
}

void
cbd_device_tick (cbd_device *dev)
{
  int64_t now_ms = cbd_dev_mono_ms (dev);
  int64_t now = dev->plat.now (dev->plat.ctx);

  /* An expired certificate cannot connect or renew through the hub: DPS it is. */
  if (dev->active_valid && now >= dev->active_not_after)
    {
      int rc;

      if (dev->hub_state != CBD_HUB_OFF && dev->hub_state != CBD_HUB_DISCONNECTED)
        {
          cbd_dev_hub_stop (dev);
          cbd_dev_hub_set_state (dev, CBD_HUB_DISCONNECTED, "certificate expired");
        }
      if (dev->renew_active)
        cbd_dev_renew_set (dev, CBD_RENEW_FAILED, "certificate expired during the renewal");
      if (dev->cfg.never_renew || dev->dps_state == DPS_RUNNING || now_ms < dev->rereg_next_ms ||
          dev->plat.dps_register == NULL)
        return;
      dev->rereg_next_ms = now_ms + REREGISTER_RETRY_S * 1000;
      cbd_device_log (dev, "I: certificate expired, registering again through DPS");
      cbd_dev_renew_set (dev, CBD_RENEW_REQUESTED, NULL);
      rc = cbd_dev_start_registration (dev, NULL, true);
      if (rc != 0)
        cbd_dev_renew_set (dev, CBD_RENEW_FAILED,
                           rc == CBP_RC_DPS_NOT_CONFIGURED
                             ? "certificate expired and DPS is not configured"
                             : "could not start a DPS registration");
      return;
    }

  if (!cbd_dev_hub_ready (dev) || !dev->active_valid)
    return;

  switch (dev->hub_state)
    {
    case CBD_HUB_CONNECTING:
      if (now_ms - dev->hub_connect_ms > HUB_CONNECT_TIMEOUT_S * 1000)
        {
          dev->plat.hub_disconnect (dev->plat.ctx);
          cbd_device_hub_event (dev, CBD_HUB_EV_UNREACHABLE, "connect timed out");
        }
      break;

    case CBD_HUB_OFF:
      cbd_dev_hub_connect (dev);
      break;

    case CBD_HUB_REFUSED:
    case CBD_HUB_UNREACHABLE:
    case CBD_HUB_DISCONNECTED:
      if (dev->hub_next_try_ms == 0 || now_ms >= dev->hub_next_try_ms)
        cbd_dev_hub_connect (dev);
      break;

    case CBD_HUB_CONNECTED:
      if (!dev->twin_reported && now_ms - dev->twin_sent_ms > TWIN_RETRY_S * 1000)
        cbd_dev_twin_report (dev);
      if (dev->renew_active)
        {
          int64_t limit = (dev->renew_accepted ? RENEW_RESULT_TIMEOUT_S : RENEW_ACCEPT_TIMEOUT_S)
                          * 1000;
          if (dev->renew_sent_ms == 0 || now_ms - dev->renew_sent_ms > limit)
            cbd_dev_renew_send (dev, true);
        }
      else if (!dev->cfg.never_renew && now >= cbd_dev_renew_point (dev) &&
               now_ms >= dev->renew_next_ms && dev->dps_state != DPS_RUNNING)
        cbd_dev_renew_start (dev);
      break;
    }
}
