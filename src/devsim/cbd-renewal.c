/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Twin report and certificate renewal over the hub connection: the reported validity, the
 * renewal point, the issueCertificate request (a fresh key and CSR), its answers and the
 * installation of the issued chain. A firmware port needs it to renew through the hub. */
#include "cbd-renewal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbd-util.h"
#include "cbd-hub-codec.h"
#include "cbd-keystore.h"
#include "cbd-cert-store.h"
#include "cbd-csr.h"
#include "cbd-hub.h"

/* Same rounding as cb_validity_get_renewal_point(): never before the exact fraction. */
int64_t
cbd_dev_renew_point (cbd_device *dev)
{
  int64_t life = dev->active_not_after - dev->active_not_before;
  double exact;
  int64_t offset;

  if (life <= 0)
    return dev->active_not_after;
  exact = (double) life * dev->cfg.renew_fraction;
  offset = (int64_t) exact;
  if ((double) offset < exact)
    offset++;
  return dev->active_not_before + offset;
}

const char *
cbd_renew_state_name (cbd_renew_state state)
{
  switch (state)
    {
    case CBD_RENEW_REQUESTED: return CBP_RENEW_STATE_REQUESTED;
    case CBD_RENEW_RENEWED: return CBP_RENEW_STATE_RENEWED;
    case CBD_RENEW_FAILED: return CBP_RENEW_STATE_FAILED;
    case CBD_RENEW_REREGISTERED: return CBP_RENEW_STATE_REREGISTERED;
    case CBD_RENEW_NONE:
    default: return NULL;
    }
}

void
cbd_dev_renew_set (cbd_device *dev, cbd_renew_state state, const char *error)
{
  dev->renew_state = state;
  dev->renew_time = dev->plat.now (dev->plat.ctx);
  cbd_dev_set_str (&dev->renew_error, error);
  if (state != CBD_RENEW_REQUESTED)
    {
      dev->renew_active = false;
      dev->renew_accepted = false;
      free (dev->renew_body_csr);
      dev->renew_body_csr = NULL;
    }
  cbd_dev_notify (dev);
}

void
cbd_dev_twin_report (cbd_device *dev)
{
  char topic[96], from[24], until[24], body[128];

  if (!dev->active_valid)
    return;
  cbd_dev_format_utc (dev->active_not_before, from);
  cbd_dev_format_utc (dev->active_not_after, until);
  snprintf (body, sizeof body, "{\"certificate\":{\"validFrom\":\"%s\",\"validUntil\":\"%s\"}}",
            from, until);
  dev->twin_rid = ++dev->rid;
  snprintf (topic, sizeof topic, "$iothub/twin/PATCH/properties/reported/?$rid=%llu",
            (unsigned long long) dev->twin_rid);
  dev->twin_sent_ms = cbd_dev_mono_ms (dev);
  dev->twin_reported = false;
  dev->plat.hub_publish (dev->plat.ctx, topic, (const uint8_t *) body, strlen (body));
}

/* Publishes the issueCertificate request of the active renewal. */
void
cbd_dev_renew_send (cbd_device *dev, bool replace)
{
  char topic[96];
  char *body;
  size_t n;

  n = strlen (dev->hub.device_id) + strlen (dev->renew_body_csr) + 64;
  body = malloc (n);
  if (body == NULL)
    return;
  snprintf (body, n, "{\"id\":\"%s\",\"csr\":\"%s\"%s}", dev->hub.device_id,
            dev->renew_body_csr, replace ? ",\"replace\":\"*\"" : "");
  dev->renew_rid = ++dev->rid;
  snprintf (topic, sizeof topic, "$iothub/credentials/POST/issueCertificate/?$rid=%llu",
            (unsigned long long) dev->renew_rid);
  dev->renew_sent_ms = cbd_dev_mono_ms (dev);
  dev->renew_accepted = false;
  if (dev->plat.hub_publish (dev->plat.ctx, topic, (const uint8_t *) body, strlen (body)) != 0)
    dev->renew_sent_ms = 0;   /* not sent: the tick sends again once connected */
  free (body);
}

void
cbd_dev_renew_start (cbd_device *dev)
{
  cbd_key_slot fresh;
  uint8_t *csr = NULL;
  size_t csr_len = 0;
  int rc;

  /* A fresh key; the active chain keeps its key until the new chain is installed. */
  rc = cbd_dev_make_key (dev, dev->key.type != NULL ? dev->key.type : CBP_KEY_TYPE_P256, &fresh);
  if (rc == 0)
    rc = cbd_dev_install_fresh_key (dev, &fresh);
  if (rc == 0)
    rc = cbd_dev_make_csr (dev, dev->hub.device_id, &csr, &csr_len);
  if (rc != 0)
    {
      dev->renew_next_ms = cbd_dev_mono_ms (dev) + RENEW_RETRY_S * 1000;
      cbd_dev_renew_set (dev, CBD_RENEW_FAILED, "cannot make a key or CSR");
      return;
    }
  free (dev->renew_body_csr);
  dev->renew_body_csr = cbd_dev_b64_encode (csr, csr_len);
  free (csr);
  if (dev->renew_body_csr == NULL)
    return;
  dev->renew_conflicts = 0;
  cbd_dev_renew_set (dev, CBD_RENEW_REQUESTED, NULL);
  dev->renew_active = true;
  cbd_device_log (dev, "I: hub: renewal point reached, requesting a new certificate");
  cbd_dev_renew_send (dev, false);
}

static void
renew_fail (cbd_device *dev, const char *error)
{
  dev->renew_next_ms = cbd_dev_mono_ms (dev) + RENEW_RETRY_S * 1000;
  cbd_dev_log2 (dev, "E: hub: renewal failed: ", error);
  cbd_dev_renew_set (dev, CBD_RENEW_FAILED, error);
}

static void
renew_result (cbd_device *dev, const uint8_t *payload, size_t len)
{
  uint8_t *chain = NULL, *spki = NULL;
  size_t chain_len = 0, spki_len = 0, leaf_len;
  char *message = NULL, *code = NULL, *cn = NULL;
  int64_t nb, na;
  const char *error = NULL;

  if (!cbd_dev_parse_credentials (payload, len, &chain, &chain_len, &message, &code) ||
      chain_len == 0)
    error = "the answer has no readable certificates";
  else if (chain_len > dev->cfg.slot_size)
    error = "the issued chain exceeds the slot size";
  else if (!cbd_dev_parse_chain (dev, chain, chain_len, &spki, &spki_len, &nb, &na))
    error = "the issued chain is not DER X.509";
  else if (dev->next.blob == NULL || spki_len != dev->next.pub_len ||
           memcmp (spki, dev->next.pub, spki_len) != 0)
    error = "the issued leaf does not carry the new key";
  else if (dev->plat.cert_cn != NULL &&
           ((leaf_len = cbd_der_element_len (chain, chain_len)) == 0 ||
            dev->plat.cert_cn (dev->plat.ctx, chain, leaf_len, &cn) != 0 ||
            strcmp (cn, dev->hub.device_id) != 0))
    error = "the issued leaf's CN is not the device id";
  free (spki);
  free (cn);
  free (message);
  free (code);
  if (error == NULL && cbd_dev_activate_chain (dev, chain, chain_len) != 0)
    error = "cannot store the certificate";
  if (error != NULL)
    {
      free (chain);
      renew_fail (dev, error);
      return;
    }

  dev->renewals++;
  cbd_device_log (dev, "I: hub: renewed, new certificate active; reconnecting");
  cbd_dev_renew_set (dev, CBD_RENEW_RENEWED, NULL);
  /* The connection stays valid, but the new certificate is only used on the next connect. */
  cbd_dev_hub_restart (dev);
}

static void
renew_message (cbd_device *dev, int status, const uint8_t *payload, size_t len)
{
  uint8_t *chain = NULL;
  size_t chain_len = 0;
  char *message = NULL, *code = NULL;
  char text[200];

  if (status == 202)
    {
      dev->renew_accepted = true;
      dev->renew_sent_ms = cbd_dev_mono_ms (dev);
      return;
    }
  if (status == 200)
    {
      renew_result (dev, payload, len);
      return;
    }
  if (status == 409 && dev->renew_conflicts++ < 3)
    {
      /* An older request of ours is still active (say from before a reconnect). */
      cbd_dev_renew_send (dev, true);
      return;
    }
  cbd_dev_parse_credentials (payload, len, &chain, &chain_len, &message, &code);
  snprintf (text, sizeof text, "%d%s%s%s%s", status, code != NULL ? " " : "",
            code != NULL ? code : "", message != NULL ? ": " : "",
            message != NULL ? message : "");
  free (chain);
  free (message);
  free (code);
  renew_fail (dev, text);
}

void
cbd_device_hub_message (cbd_device *dev, const char *topic, const uint8_t *payload, size_t len)
{
  int status;
  uint64_t rid;

  if (cbd_dev_parse_response_topic (topic, "$iothub/twin/res/", &status, &rid))
    {
      if (rid != dev->twin_rid)
        return;
      if (status == 200 || status == 204)
        {
          dev->twin_reported = true;
          cbd_dev_notify (dev);
        }
      else
        {
          char text[64];
          snprintf (text, sizeof text, "twin report answered %d", status);
          cbd_dev_log2 (dev, "W: hub: ", text);
        }
      return;
    }
  if (cbd_dev_parse_response_topic (topic, "$iothub/credentials/res/", &status, &rid))
    {
      if (dev->renew_active && rid == dev->renew_rid)
        renew_message (dev, status, payload, len);
    }
}
