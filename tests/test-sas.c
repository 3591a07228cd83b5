/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

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

  return g_test_run ();
}
