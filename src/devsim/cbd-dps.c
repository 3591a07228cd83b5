/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DPS: the stored DPS configuration, the bench dps_config/dps_register/dps_status commands,
 * the platform's registration outcome and the registration a device starts by itself (first
 * registration, or re-registration after its certificate expired), which commits by itself. A
 * firmware port needs it to register through DPS; the HTTPS exchange is the platform's. */
#include "cbd-dps.h"

#include <stdlib.h>
#include <string.h>

#include "cbp-smp.h"

#include "cbd-util.h"
#include "cbd-keystore.h"
#include "cbd-cert-store.h"
#include "cbd-csr.h"
#include "cbd-hub.h"
#include "cbd-renewal.h"

void
cbd_dev_dps_load (cbd_device *dev)
{
  uint8_t *data = NULL;
  size_t len = 0;
  const cbp_command *cmd = cbp_group_command (CBP_CMD_DPS_CONFIG);

  if (dev->plat.load (dev->plat.ctx, BLOB_DPS, &data, &len) != 0)
    return;
  if (cbp_request_decode (cmd, data, len, &dev->dps) != CBP_OK)
    memset (&dev->dps, 0, sizeof dev->dps);
  memset (data, 0, len);
  free (data);
}

static int
dps_configure (cbd_device *dev, const cbp_dps_config_req *req)
{
  const cbp_command *cmd = cbp_group_command (CBP_CMD_DPS_CONFIG);
  cbp_dps_config_req copy;
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (dev->dps_state == DPS_RUNNING)
    return CBP_RC_DPS_BUSY;
  if (req->scope[0] == 0 || req->reg_id[0] == 0 || (req->key[0] == 0 && !dev->cfg.dps_x509))
    return GENERIC (CBP_SMP_RC_INVALID);

  if (cbp_request_encode (cmd, req, &out, &len) != CBP_OK)
    return GENERIC (CBP_SMP_RC_NO_MEMORY);
  ret = dev->plat.save (dev->plat.ctx, BLOB_DPS, out, len);
  memset (out, 0, len);
  free (out);
  if (ret != 0)
    return CBP_RC_STORAGE;

  memset (&copy, 0, sizeof copy);
  copy.scope = cbd_dev_str_dup (req->scope);
  copy.reg_id = cbd_dev_str_dup (req->reg_id);
  copy.key = cbd_dev_str_dup (req->key);
  copy.endpoint = cbd_dev_str_dup (req->endpoint);
  copy.ca_path = cbd_dev_str_dup (req->ca_path);
  if (dev->dps.key != NULL)
    memset (dev->dps.key, 0, strlen (dev->dps.key));
  cbp_request_clear (cmd, &dev->dps);
  dev->dps = copy;
  dev->dps_state = DPS_IDLE;
  cbd_dev_set_str (&dev->dps_error, NULL);
  cbd_dev_log2 (dev, "I: dps: configured for registration id ", req->reg_id);
  cbd_dev_notify (dev);
  return 0;
}

int
cbd_dev_handle_dps_config (cbd_device *dev, const void *req_, void *rsp_)
{
  (void) rsp_;
  return dps_configure (dev, req_);
}

int
cbd_device_dps_configure (cbd_device *dev, const cbd_dps_params *params)
{
  cbp_dps_config_req req;

  if (params == NULL || params->scope == NULL || params->reg_id == NULL ||
      (params->key == NULL && !dev->cfg.dps_x509))
    return GENERIC (CBP_SMP_RC_INVALID);
  req.scope = (char *) params->scope;
  req.reg_id = (char *) params->reg_id;
  req.key = (char *) (params->key != NULL ? params->key : "");
  req.endpoint = (char *) params->endpoint;
  req.ca_path = (char *) params->ca_path;
  return dps_configure (dev, &req);
}

static int dps_start (cbd_device *dev, uint8_t *csr, size_t csr_len,
                      cbp_dps_register_rsp *rsp);

int
cbd_dev_handle_dps_register (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_dps_register_rsp *rsp = rsp_;
  uint8_t *csr = NULL;
  size_t csr_len = 0;
  int rc;

  (void) req_;
  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (dev->dps.scope == NULL)
    return CBP_RC_DPS_NOT_CONFIGURED;
  if (dev->dps_state == DPS_RUNNING)
    {
      rsp->state = (char *) CBP_DPS_STATE_RUNNING;
      return 0;
    }
  if (cbd_dev_working_key (dev) == NULL)
    return CBP_RC_NO_KEY;
  if (!cbd_dev_cn_valid (dev->dps.reg_id))
    return CBP_RC_BAD_SUBJECT;

  rc = cbd_dev_make_csr (dev, dev->dps.reg_id, &csr, &csr_len);
  if (rc != 0)
    return rc;

  dev->dps_auto_commit = false;
  dev->dps_rereg = false;
  return dps_start (dev, csr, csr_len, rsp);
}

/* Sends the CSR to the platform's DPS. Takes csr. */
static int
dps_start (cbd_device *dev, uint8_t *csr, size_t csr_len, cbp_dps_register_rsp *rsp)
{
  cbd_dps_params params;

  params.scope = dev->dps.scope;
  params.reg_id = dev->dps.reg_id;
  params.key = dev->dps.key;
  params.endpoint = dev->dps.endpoint != NULL ? dev->dps.endpoint : CBP_DPS_ENDPOINT_DEFAULT;
  params.ca_path = dev->dps.ca_path;

  cbd_dev_set_str (&dev->dps_error, NULL);
  cbd_dev_set_str (&dev->dps_hub, NULL);
  cbd_dev_set_str (&dev->dps_device_id, NULL);
  dev->dps_state = DPS_RUNNING;
  cbd_dev_notify (dev);
  cbd_dev_log2 (dev, "I: dps: registering ", dev->dps.reg_id);
  /* The platform may report the result from inside this call. */
  if (dev->plat.dps_register (dev->plat.ctx, &params, csr, csr_len) != 0)
    {
      free (csr);
      dev->dps_state = DPS_FAILED;
      cbd_dev_set_str (&dev->dps_error, "could not start the registration");
      cbd_dev_set_str (&dev->last_dps_error, dev->dps_error);
      cbd_dev_notify (dev);
      return CBP_RC_DPS_FAILED;
    }
  free (csr);
  if (rsp != NULL)
    rsp->state = (char *) CBP_DPS_STATE_RUNNING;
  return 0;
}

static void dps_auto_commit (cbd_device *dev);

void
cbd_device_dps_result (cbd_device    *dev,
                       bool           ok,
                       const char    *error,
                       const char    *hub,
                       const char    *device_id,
                       const uint8_t *chain,
                       size_t         chain_len)
{
  if (ok && (chain == NULL || chain_len == 0 || chain_len > dev->cfg.slot_size))
    {
      ok = false;
      error = chain_len > dev->cfg.slot_size ? "returned chain exceeds the slot size"
                                             : "no certificate chain returned";
    }

  if (!ok)
    {
      dev->dps_state = DPS_FAILED;
      cbd_dev_set_str (&dev->dps_error, error != NULL ? error : "registration failed");
      cbd_dev_set_str (&dev->last_dps_error, dev->dps_error);
      cbd_dev_log2 (dev, "E: dps: ", dev->dps_error);
      if (dev->dps_rereg)
        cbd_dev_renew_set (dev, CBD_RENEW_FAILED, dev->dps_error);
      dev->dps_auto_commit = dev->dps_rereg = false;
      cbd_dev_notify (dev);
      return;
    }

  cbd_dev_staging_reset (dev);
  dev->staging = malloc (chain_len);
  if (dev->staging == NULL)
    {
      dev->dps_state = DPS_FAILED;
      cbd_dev_set_str (&dev->dps_error, "out of memory");
      return;
    }
  memcpy (dev->staging, chain, chain_len);
  dev->staging_len = chain_len;
  dev->staging_total = chain_len;
  dev->plat.sha256 (dev->plat.ctx, chain, chain_len, dev->staging_sha);
  dev->staging_done = true;
  cbd_dev_staging_save (dev);

  dev->dps_state = DPS_ASSIGNED;
  cbd_dev_set_str (&dev->dps_hub, hub);
  cbd_dev_set_str (&dev->dps_device_id, device_id);
  cbd_dev_set_str (&dev->dps_error, NULL);
  cbd_dev_log2 (dev, "I: dps: assigned, chain staged; hub ", hub);
  if (dev->dps_auto_commit)
    dps_auto_commit (dev);
  cbd_dev_notify (dev);
}

int
cbd_dev_handle_dps_status (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_dps_status_rsp *rsp = rsp_;
  static const char *const states[] = { CBP_DPS_STATE_IDLE, CBP_DPS_STATE_RUNNING,
                                        CBP_DPS_STATE_ASSIGNED, CBP_DPS_STATE_FAILED };

  (void) req_;
  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (dev->dps.scope == NULL)
    return CBP_RC_DPS_NOT_CONFIGURED;
  rsp->state = (char *) states[dev->dps_state];
  rsp->scope = dev->dps.scope;
  rsp->reg_id = dev->dps.reg_id;
  rsp->endpoint = dev->dps.endpoint != NULL ? dev->dps.endpoint
                                            : (char *) CBP_DPS_ENDPOINT_DEFAULT;
  rsp->hub = dev->dps_hub;
  rsp->device_id = dev->dps_device_id;
  if (dev->dps_state == DPS_ASSIGNED && dev->staging_done)
    {
      rsp->sha.data = dev->staging_sha;
      rsp->sha.len = CBP_SHA256_LEN;
    }
  rsp->error = dev->dps_error;
  return 0;
}

/* A DPS registration started by the device itself: commit what DPS issued. */
static void
dps_auto_commit (cbd_device *dev)
{
  bool rereg = dev->dps_rereg;

  dev->dps_auto_commit = dev->dps_rereg = false;
  if (!cbd_dev_leaf_matches (dev, dev->staging, dev->staging_len, cbd_dev_working_key (dev)))
    {
      cbd_dev_log2 (dev, "E: dps: ", "issued leaf does not carry the device key");
      dev->dps_state = DPS_FAILED;
      cbd_dev_set_str (&dev->dps_error, "issued leaf does not carry the device key");
      if (rereg)
        cbd_dev_renew_set (dev, CBD_RENEW_FAILED, dev->dps_error);
      return;
    }
  if (cbd_dev_activate_chain (dev, dev->staging, dev->staging_len) != 0)
    {
      dev->dps_state = DPS_FAILED;
      cbd_dev_set_str (&dev->dps_error, "cannot store the certificate");
      if (rereg)
        cbd_dev_renew_set (dev, CBD_RENEW_FAILED, dev->dps_error);
      return;
    }
  dev->staging = NULL;
  cbd_dev_staging_reset (dev);
  cbd_dev_staging_save (dev);
  dev->dps_state = DPS_IDLE;
  cbd_device_log (dev, "I: dps: new certificate active");

  if (rereg)
    {
      dev->reregistrations++;
      cbd_dev_renew_set (dev, CBD_RENEW_REREGISTERED, NULL);
    }

  /* A hub configured without host and device id takes the assignment. */
  if (dev->hub.host != NULL && dev->dps_hub != NULL && dev->dps_device_id != NULL &&
      (dev->hub.host[0] == 0 || dev->hub.device_id[0] == 0 ||
       strcmp (dev->hub.host, dev->dps_hub) != 0 ||
       strcmp (dev->hub.device_id, dev->dps_device_id) != 0) &&
      cbd_dev_hub_configure (dev, dev->dps_hub, dev->dps_device_id, dev->hub.endpoint,
                             dev->hub.ca_path) == 0)
    return;   /* connected by hub_configure */
  cbd_dev_hub_restart (dev);
}

int
cbd_dev_start_registration (cbd_device *dev, const char *key_type, bool rereg)
{
  cbd_key_slot fresh;
  uint8_t *csr = NULL;
  size_t csr_len = 0;
  int rc;

  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (dev->dps.scope == NULL)
    return CBP_RC_DPS_NOT_CONFIGURED;
  if (dev->dps_state == DPS_RUNNING)
    return CBP_RC_DPS_BUSY;
  if (!cbd_dev_cn_valid (dev->dps.reg_id))
    return CBP_RC_BAD_SUBJECT;
  if (key_type == NULL)
    key_type = dev->key.type != NULL ? dev->key.type : CBP_KEY_TYPE_P256;
  if (!cbd_dev_key_type_supported (dev, key_type))
    return CBP_RC_KEY_TYPE;

  rc = cbd_dev_make_key (dev, key_type, &fresh);
  if (rc == 0)
    rc = cbd_dev_install_fresh_key (dev, &fresh);
  if (rc == 0)
    rc = cbd_dev_make_csr (dev, dev->dps.reg_id, &csr, &csr_len);
  if (rc != 0)
    return rc;
  dev->dps_auto_commit = true;
  dev->dps_rereg = rereg;
  rc = dps_start (dev, csr, csr_len, NULL);
  if (rc != 0)
    dev->dps_auto_commit = dev->dps_rereg = false;
  return rc;
}

int
cbd_device_register (cbd_device *dev, const char *key_type)
{
  return cbd_dev_start_registration (dev, key_type, false);
}
