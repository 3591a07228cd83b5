/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "cb-sas.h"

/* Reference values computed independently (Python hmac/hashlib, urllib.parse.quote). */
#define GROUP_KEY  "Y2VydGJlbmNoLWdyb3VwLWtleS0wMTIzNDU2Nzg5YWI="
#define DEVICE_KEY "a9Sbx9eTdYb+fmfOS2AcejNhOahgorAYnTuy8GqSGds="

static void
test_derive_device_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = cb_sas_derive_device_key (GROUP_KEY, "line1-0001", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, DEVICE_KEY);
}

static void
test_dps_token (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = cb_sas_token_new ("0ne00ABCDEF/registrations/line1-0001", DEVICE_KEY,
                                             "registration", 1900000000, CB_SAS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (token, ==,
                   "SharedAccessSignature sr=0ne00ABCDEF%2Fregistrations%2Fline1-0001"
                   "&sig=13MSdjp%2FjCgVPbzRL3X%2BbPvmMAF14eFpodAi%2F8Qcf84%3D"
                   "&se=1900000000&skn=registration");
}

static void
test_hub_token_lowercase (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = cb_sas_token_new ("Demo-Hub.azure-devices.net", GROUP_KEY,
                                             "iothubowner", 1900000000,
                                             CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (token, ==,
                   "SharedAccessSignature sr=demo-hub.azure-devices.net"
                   "&sig=MGUlI87bA%2BEDKpMdQMwj7Apw7I%2BsUGaSWFBAfZQ0iCg%3D"
                   "&se=1900000000&skn=iothubowner");
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = cb_sas_token_new ("0ne00ABCDEF/registrations/line1-0001", DEVICE_KEY,
                                             "registration", 2000, CB_SAS_FLAGS_NONE, &error);
  g_autoptr(CbSasToken) parsed = cb_sas_token_parse (token, &error);

  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  g_assert_cmpstr (parsed->resource, ==, "0ne00ABCDEF/registrations/line1-0001");
  g_assert_cmpstr (parsed->key_name, ==, "registration");
  g_assert_cmpint (parsed->expiry, ==, 2000);

  g_assert_true (cb_sas_token_verify (parsed, "0ne00abcdef/registrations/line1-0001",
                                      DEVICE_KEY, 1000, &error));
  g_assert_no_error (error);
}

static void
test_rejections (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = cb_sas_token_new ("0ne00ABCDEF/registrations/line1-0001", DEVICE_KEY,
                                             "registration", 2000, CB_SAS_FLAGS_NONE, &error);
  g_autoptr(CbSasToken) parsed = cb_sas_token_parse (token, &error);

  g_assert_false (cb_sas_token_verify (parsed, "0ne00ABCDEF/registrations/line1-0001",
                                       DEVICE_KEY, 2000, &error));
  g_assert_error (error, CB_SAS_ERROR, CB_SAS_ERROR_EXPIRED);
  g_clear_error (&error);

  g_assert_false (cb_sas_token_verify (parsed, "0ne00ABCDEF/registrations/line1-0002",
                                       DEVICE_KEY, 1000, &error));
  g_assert_error (error, CB_SAS_ERROR, CB_SAS_ERROR_WRONG_RESOURCE);
  g_clear_error (&error);

  g_assert_false (cb_sas_token_verify (parsed, "0ne00ABCDEF/registrations/line1-0001",
                                       GROUP_KEY, 1000, &error));
  g_assert_error (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  g_assert_null (cb_sas_token_parse ("Bearer abc", &error));
  g_assert_error (error, CB_SAS_ERROR, CB_SAS_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (cb_sas_token_parse ("SharedAccessSignature sr=a&se=12", &error));
  g_assert_error (error, CB_SAS_ERROR, CB_SAS_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (cb_sas_token_new ("x", "not base64!", NULL, 1, CB_SAS_FLAGS_NONE, &error));
  g_assert_error (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_KEY);
}

static void
test_authorization (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *header = NULL;
  g_autoptr(CbSasToken) parsed = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_null (cb_sas_authorization_new (NULL, "IoT Hub host name", GROUP_KEY, "iothubowner",
                                           3600, CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_assert_nonnull (strstr (error->message, "IoT Hub host name"));
  g_clear_error (&error);

  header = cb_sas_authorization_new ("Demo-Hub.azure-devices.net", "IoT Hub host name", GROUP_KEY,
                                     "iothubowner", 3600, CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  parsed = cb_sas_token_parse (header, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->key_name, ==, "iothubowner");
  g_assert_cmpint (parsed->expiry, >=, now + 3599);
  g_assert_cmpint (parsed->expiry, <=, now + 3601);
  g_assert_true (cb_sas_token_verify (parsed, "demo-hub.azure-devices.net", GROUP_KEY, now, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/sas/derive-device-key", test_derive_device_key);
  g_test_add_func ("/cb/sas/dps-token", test_dps_token);
  g_test_add_func ("/cb/sas/hub-token-lowercase", test_hub_token_lowercase);
  g_test_add_func ("/cb/sas/round-trip", test_round_trip);
  g_test_add_func ("/cb/sas/rejections", test_rejections);
  g_test_add_func ("/cb/sas/authorization", test_authorization);

  return g_test_run ();
}
