/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* What the ARM routes' writes share, so each route file keeps only its own rules: reading the
 * body of a PUT, PATCH or action as an object, checking the name of a namespace's child
 * resource (ADR's name pattern), and checking a certificate validity in days (the
 * credentials' policies of the preview model and the certificate policies of the stable one
 * allow the same range). */

#include "config.h"

#include "cb-sb-adr-ops.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-write.h"
#include "cb-sb-reply.h"

JsonObject *
cb_sb_arm_write_body (CbSbRequest  *req,
                      JsonNode    **body)
{
  *body = cb_sb_json_body (req, FALSE);
  if (*body == NULL)
    return NULL;

  return cb_sb_arm_body_object (req, *body);
}

gboolean
cb_sb_arm_require_child_name (CbSbRequest *req,
                              const char  *name,
                              const char  *what)
{
  if (cb_sb_adr_valid_child_name (name))
    return TRUE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidResourceName", "name",
                         "The resource name '%s' is invalid. A %s name has 3 to 63 characters: "
                         "letters, digits and hyphens, starting with a letter or digit "
                         "(^[0-9a-zA-Z][a-zA-Z0-9-]*$).", name, what);
  return FALSE;
}

gboolean
cb_sb_arm_check_validity_days (CbSbRequest *req,
                               const char  *target,
                               gboolean     given,
                               gint64       days)
{
  if (!given || (days >= CB_SB_MIN_VALIDITY_DAYS && days <= CB_SB_MAX_VALIDITY_DAYS))
    return TRUE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", target,
                         "The value %" G_GINT64_FORMAT " is not valid for "
                         "validityPeriodInDays: it must be between %d and %d days.",
                         days, CB_SB_MIN_VALIDITY_DAYS, CB_SB_MAX_VALIDITY_DAYS);
  return FALSE;
}
