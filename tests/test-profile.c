/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cb-profile.h"
#include "cb-secrets.h"

static void
test_azure_defaults (void)
{
  g_autoptr(CbProfile) profile = cb_profile_new_azure ("Prod", "contoso.onmicrosoft.com",
                                                       "11111111-2222-3333-4444-555555555555",
                                                       "sub-1", "rg-1", "myhub", "mydps",
                                                       "0ne00AB12CD");

  g_assert_nonnull (cb_profile_get_id (profile));
  g_assert_cmpint (strlen (cb_profile_get_id (profile)), ==, 36);
  g_assert_cmpint (cb_profile_get_kind (profile), ==, CB_PROFILE_KIND_AZURE);
  g_assert_cmpstr (cb_profile_get_login_endpoint (profile), ==, "https://login.microsoftonline.com");
  g_assert_cmpstr (cb_profile_get_arm_endpoint (profile), ==, "https://management.azure.com");
  g_assert_cmpstr (cb_profile_get_hub_host_name (profile), ==, "myhub.azure-devices.net");
  g_assert_cmpstr (cb_profile_get_hub_endpoint (profile), ==, "https://myhub.azure-devices.net");
  g_assert_cmpstr (cb_profile_get_dps_global_endpoint (profile), ==,
                   "https://global.azure-devices-provisioning.net");
  g_assert_cmpstr (cb_profile_get_dps_host_name (profile), ==,
                   "mydps.azure-devices-provisioning.net");
  g_assert_cmpstr (cb_profile_get_dps_service_endpoint (profile), ==,
                   "https://mydps.azure-devices-provisioning.net");
  g_assert_cmpstr (cb_profile_get_dps_id_scope (profile), ==, "0ne00AB12CD");
  g_assert_null (cb_profile_get_pinned_ca_file (profile));
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_notify (void)
{
  g_autoptr(CbProfile) profile = cb_profile_new ("p1", "One", CB_PROFILE_KIND_SANDBOX);
  g_autofree char *tenant = NULL;
  guint count = 0;

  g_signal_connect (profile, "notify::tenant", G_CALLBACK (notify_cb), &count);

  cb_profile_set_tenant (profile, "t1");
  cb_profile_set_tenant (profile, "t1");
  g_assert_cmpuint (count, ==, 1);

  g_object_set (profile, "tenant", "t2", NULL);
  g_object_get (profile, "tenant", &tenant, NULL);
  g_assert_cmpstr (tenant, ==, "t2");
  g_assert_cmpuint (count, ==, 2);

  /* Empty means unset. */
  cb_profile_set_tenant (profile, "");
  g_assert_null (cb_profile_get_tenant (profile));
  g_assert_cmpuint (count, ==, 3);

  g_assert_cmpstr (cb_profile_get_id (profile), ==, "p1");
  g_assert_finalize_object (g_steal_pointer (&profile));
}

static void
test_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cb-profile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "certbench", "profiles.ini", NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  CbProfile *sandbox;
  CbProfile *azure;
  CbProfile *copy;
  GStatBuf st;

  azure = cb_profile_new_azure ("Prod", "tenant", "client", "sub", "rg", "hub", "dps", "0ne00X");
  cb_profile_set_namespace (azure, "ns1");
  cb_profile_set_location (azure, "westeurope");
  cb_profile_set_enrollment_group_id (azure, "factory-line-1");
  cb_profile_set_credential_policy (azure, "default");
  g_ptr_array_add (profiles, azure);

  sandbox = cb_profile_new ("sb", "Sandbox with “quotes” = and ; and\nnewline", CB_PROFILE_KIND_SANDBOX);
  cb_profile_set_login_endpoint (sandbox, "https://127.0.0.1:8443/entra");
  cb_profile_set_hub_endpoint (sandbox, "https://127.0.0.1:8443/hubs/h1");
  cb_profile_set_pinned_ca_file (sandbox, "/tmp/x/ca.pem");
  g_ptr_array_add (profiles, sandbox);

  /* A missing file is an empty list. */
  loaded = cb_profile_list_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, 0);
  g_clear_pointer (&loaded, g_ptr_array_unref);

  cb_profile_list_save (profiles, path, &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (contents, "key"));
  g_assert_null (strstr (contents, "token"));
  g_assert_null (strstr (contents, "secret"));

  loaded = cb_profile_list_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, 2);

  copy = g_ptr_array_index (loaded, 0);
  g_assert_cmpstr (cb_profile_get_id (copy), ==, cb_profile_get_id (azure));
  g_assert_cmpint (cb_profile_get_kind (copy), ==, CB_PROFILE_KIND_AZURE);
  g_assert_cmpstr (cb_profile_get_namespace (copy), ==, "ns1");
  g_assert_cmpstr (cb_profile_get_location (copy), ==, "westeurope");
  g_assert_cmpstr (cb_profile_get_hub_host_name (copy), ==, "hub.azure-devices.net");
  g_assert_cmpstr (cb_profile_get_enrollment_group_id (copy), ==, "factory-line-1");
  g_assert_cmpstr (cb_profile_get_dps_id_scope (copy), ==, "0ne00X");

  copy = g_ptr_array_index (loaded, 1);
  g_assert_cmpstr (cb_profile_get_id (copy), ==, "sb");
  g_assert_cmpstr (cb_profile_get_name (copy), ==, cb_profile_get_name (sandbox));
  g_assert_cmpint (cb_profile_get_kind (copy), ==, CB_PROFILE_KIND_SANDBOX);
  g_assert_cmpstr (cb_profile_get_pinned_ca_file (copy), ==, "/tmp/x/ca.pem");
  g_assert_null (cb_profile_get_tenant (copy));

  g_unlink (path);
  g_rmdir (parent);
  g_rmdir (dir);
}

static void
test_bad_kind (void)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CbProfile) profile = NULL;

  g_key_file_set_string (key_file, "profile x", "id", "x");
  g_key_file_set_string (key_file, "profile x", "kind", "mainframe");

  profile = cb_profile_new_from_key_file (key_file, "profile x", &error);
  g_assert_null (profile);
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
}

static void
copy_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_memory_secrets (void)
{
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  char *value;

  g_assert_true (cb_secrets_is_memory (secrets));
  g_assert_cmpstr (cb_secret_kind_to_string (CB_SECRET_REFRESH_TOKEN), ==, "refresh-token");
  g_assert_cmpstr (cb_secret_kind_to_string (CB_SECRET_DPS_SERVICE_KEY), ==, "dps-service-key");

  cb_secrets_store_async (secrets, "p1", CB_SECRET_HUB_KEY, "aHViLWtleQ==", NULL, copy_cb, &result);
  g_assert_true (cb_secrets_store_finish (secrets, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  cb_secrets_store_async (secrets, "p1", CB_SECRET_REFRESH_TOKEN, "rt", NULL, copy_cb, &result);
  g_assert_true (cb_secrets_store_finish (secrets, wait_result (&result), &error));
  g_clear_object (&result);

  cb_secrets_lookup_async (secrets, "p1", CB_SECRET_HUB_KEY, NULL, copy_cb, &result);
  value = cb_secrets_lookup_finish (secrets, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "aHViLWtleQ==");
  cb_secrets_free_value (value);
  g_clear_object (&result);

  /* Another profile sees nothing. */
  cb_secrets_lookup_async (secrets, "p2", CB_SECRET_HUB_KEY, NULL, copy_cb, &result);
  value = cb_secrets_lookup_finish (secrets, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_null (value);
  g_clear_object (&result);

  cb_secrets_clear_async (secrets, "p1", CB_SECRET_HUB_KEY, NULL, copy_cb, &result);
  g_assert_true (cb_secrets_clear_finish (secrets, wait_result (&result), &error));
  g_clear_object (&result);

  cb_secrets_lookup_async (secrets, "p1", CB_SECRET_HUB_KEY, NULL, copy_cb, &result);
  value = cb_secrets_lookup_finish (secrets, wait_result (&result), &error);
  g_assert_null (value);
  g_clear_object (&result);

  /* kind -1 clears the whole profile. */
  cb_secrets_clear_async (secrets, "p1", -1, NULL, copy_cb, &result);
  g_assert_true (cb_secrets_clear_finish (secrets, wait_result (&result), &error));
  g_clear_object (&result);

  cb_secrets_lookup_async (secrets, "p1", CB_SECRET_REFRESH_TOKEN, NULL, copy_cb, &result);
  value = cb_secrets_lookup_finish (secrets, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_null (value);
  g_clear_object (&result);
}

/* The real keyring. Opt-in, because it writes to the user's keyring: run inside
 * `dbus-run-session` after `echo -n test | gnome-keyring-daemon --unlock --components=secrets`
 * with CB_TEST_KEYRING=1 and a throwaway HOME. */
static void
test_keyring_secrets (void)
{
  g_autoptr(CbSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *profile_id = NULL;
  GAsyncResult *result = NULL;
  char *value;

  if (g_getenv ("CB_TEST_KEYRING") == NULL)
    {
      g_test_skip ("set CB_TEST_KEYRING=1 in a throwaway keyring session to test libsecret");
      return;
    }

  secrets = cb_secrets_new ();
  g_assert_false (cb_secrets_is_memory (secrets));
  profile_id = g_uuid_string_random ();

  cb_secrets_store_async (secrets, profile_id, CB_SECRET_DPS_SERVICE_KEY, "ZHBzLWtleQ==", NULL,
                          copy_cb, &result);
  g_assert_true (cb_secrets_store_finish (secrets, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  cb_secrets_lookup_async (secrets, profile_id, CB_SECRET_DPS_SERVICE_KEY, NULL, copy_cb, &result);
  value = cb_secrets_lookup_finish (secrets, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "ZHBzLWtleQ==");
  cb_secrets_free_value (value);
  g_clear_object (&result);

  /* Same profile, other kind: nothing. */
  cb_secrets_lookup_async (secrets, profile_id, CB_SECRET_HUB_KEY, NULL, copy_cb, &result);
  value = cb_secrets_lookup_finish (secrets, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_null (value);
  g_clear_object (&result);

  cb_secrets_clear_async (secrets, profile_id, -1, NULL, copy_cb, &result);
  g_assert_true (cb_secrets_clear_finish (secrets, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  cb_secrets_lookup_async (secrets, profile_id, CB_SECRET_DPS_SERVICE_KEY, NULL, copy_cb, &result);
  value = cb_secrets_lookup_finish (secrets, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_null (value);
  g_clear_object (&result);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/profile/azure-defaults", test_azure_defaults);
  g_test_add_func ("/cb/profile/notify", test_notify);
  g_test_add_func ("/cb/profile/round-trip", test_round_trip);
  g_test_add_func ("/cb/profile/bad-kind", test_bad_kind);
  g_test_add_func ("/cb/secrets/memory", test_memory_secrets);
  g_test_add_func ("/cb/secrets/keyring", test_keyring_secrets);

  return g_test_run ();
}
