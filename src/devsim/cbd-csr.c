/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CSR building: the subject check and the PKCS#10 request with the working key (with the
 * configured faults), and the bench csr command. A firmware port needs it for bench provisioning,
 * DPS registration and hub renewal alike. */
#include "cbd-csr.h"

#include <stdio.h>
#include <string.h>

#include "cbd-keystore.h"

bool
cbd_dev_cn_valid (const char *cn)
{
  size_t i, n = strlen (cn);

  if (n == 0 || n > CBP_CN_MAX)
    return false;
  for (i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) cn[i];
      if (c < 0x20 || c == 0x7f || c == ',' || c == '+' || c == '=' || c == '\\')
        return false;
    }
  return true;
}

/* The CSR for cn with the working key, with the configured faults applied. */
int
cbd_dev_make_csr (cbd_device *dev, const char *cn, uint8_t **der, size_t *der_len)
{
  cbd_key_slot *work = cbd_dev_working_key (dev);
  char wrong[CBP_CN_MAX + 8];
  cbd_key_slot other;
  int ret;

  if (work == NULL)
    return CBP_RC_NO_KEY;
  if (dev->cfg.fault_wrong_cn)
    {
      snprintf (wrong, sizeof wrong, "wrong-%s", cn);
      cn = wrong;
    }
  if (dev->cfg.fault_csr_other_key)
    {
      ret = cbd_dev_make_key (dev, work->type, &other);
      if (ret != 0)
        return ret;
      ret = dev->plat.csr (dev->plat.ctx, other.blob, other.blob_len, cn, der, der_len);
      cbd_dev_key_slot_clear (&other);
    }
  else
    ret = dev->plat.csr (dev->plat.ctx, work->blob, work->blob_len, cn, der, der_len);
  return ret == 0 ? 0 : CBP_RC_CRYPTO;
}

int
cbd_dev_handle_csr (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_csr_req *req = req_;
  cbp_csr_rsp *rsp = rsp_;

  if (cbd_dev_working_key (dev) == NULL)
    return CBP_RC_NO_KEY;
  if (!cbd_dev_cn_valid (req->cn))
    return CBP_RC_BAD_SUBJECT;
  /* rsp->csr is malloc'd: the dispatcher frees it after encoding. */
  return cbd_dev_make_csr (dev, req->cn, &rsp->csr.data, &rsp->csr.len);
}
