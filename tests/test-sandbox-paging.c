/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"
#include "cb-test-arm.h"
#include "cb-test-sandbox.h"
#include "cb-util.h"

/* The sandbox's ARM lists page by keyset: a nextLink's $skipToken is the sort key of the last
 * item of its page, signed. A walk gives the rows in the order and with the content the
 * unpaged list has; rows inserted or deleted during a walk neither repeat nor hide the rows
 * that were there; a token that was altered, made for another list or is too old gets ARM's
 * 400 error and nothing else. Devices go in through the sandbox's own store code. */

#define SUB     "0b7c2d9e-5f41-4c3a-8e6d-1a2b3c4d5e6f"
#define RG      "rg-paging"
#define NS      "ns-paging"
#define NS_TWO  "ns-second"
#define API     "api-version=2026-03-01-preview"
#define NS_PATH "/arm/subscriptions/" SUB "/resourceGroups/" RG \
                "/providers/Microsoft.DeviceRegistry/namespaces/"
#define READER  "reader@contoso.example"

typedef struct
{
  CbTestSandbox *ts;
  char          *reader;
} Fixture;

static void
insert_namespace (Fixture    *f,
                  const char *name)
{
  cb_sb_lock (f->ts->sandbox);
  cb_sb_adr_insert_namespace (f->ts->sandbox, SUB, RG, name, "northeurope", NULL, "Succeeded",
                              cb_sb_actor (NULL));
  cb_sb_unlock (f->ts->sandbox);
}

static void
insert_device (Fixture    *f,
               const char *ns,
               const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ns_id = cb_sb_namespace_id (SUB, RG, ns);
  g_autofree char *id = cb_sb_device_id (ns_id, name);

  cb_sb_lock (f->ts->sandbox);
  cb_sb_adr_insert_device (f->ts->sandbox, id, ns_id, name, "northeurope", NULL,
                           "{\"manufacturer\": \"Contoso\"}", NULL, 1, "Succeeded",
                           cb_sb_actor (NULL), &error);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_no_error (error);
}

static void
delete_device (Fixture    *f,
               const char *ns,
               const char *name)
{
  g_autofree char *ns_id = cb_sb_namespace_id (SUB, RG, ns);
  g_autofree char *id = cb_sb_device_id (ns_id, name);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  cb_sb_lock (f->ts->sandbox);
  stmt = cb_sb_prepare (f->ts->sandbox, "DELETE FROM adr_devices WHERE id = ?1");
  cb_sb_bind_text (stmt, 1, id);
  g_assert_true (cb_sb_step_done (f->ts->sandbox, stmt, &error));
  cb_sb_unlock (f->ts->sandbox);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->reader = cb_test_sandbox_token (f->ts, READER, CB_SB_ROLE_READER, "/subscriptions/" SUB,
                                     CB_SB_AUD_ARM);
  insert_namespace (f, NS);
  insert_namespace (f, NS_TWO);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_clear_pointer (&f->reader, g_free);
}

static char *
devices_url (const char *ns)
{
  return g_strdup_printf (NS_PATH "%s/devices?" API, ns);
}

static JsonNode *
get_page (Fixture    *f,
          const char *url)
{
  JsonNode *page = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", url, f->reader, NULL, &page,
                                                  NULL), ==, 200);
  return page;
}

/* The nextLink's $skipToken, decoded. */
static char *
token_of (const char *next_link)
{
  const char *p = strstr (next_link, "$skipToken=");

  g_assert_nonnull (p);
  return g_uri_unescape_string (p + strlen ("$skipToken="), NULL);
}

/* Appends every item of a page (serialized) to items; returns the nextLink or NULL. */
static char *
take_page (JsonNode  *page,
           GPtrArray *items)
{
  JsonArray *value = json_node_get_array (cb_test_jget (page, "value"));
  const char *next = cb_test_jstr (page, "nextLink");

  for (guint i = 0; i < json_array_get_length (value); i++)
    g_ptr_array_add (items, json_to_string (json_array_get_element (value, i), FALSE));
  return g_strdup (next);
}

static GPtrArray *
walk (Fixture    *f,
      const char *first_url,
      guint      *n_pages)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *url = g_strdup (first_url);

  *n_pages = 0;
  while (url != NULL)
    {
      g_autoptr(JsonNode) page = get_page (f, url);

      g_free (url);
      url = take_page (page, items);
      (*n_pages)++;
    }
  return items;
}

static char *
name_of (const char *item_json)
{
  g_autoptr(JsonNode) node = json_from_string (item_json, NULL);

  return g_strdup (cb_test_jstr (node, "name"));
}

/* The paged walk holds exactly the unpaged list, item for item, in the store's order (names
 * compared without case, as ARM does). */
static void
test_walk_matches (Fixture       *f,
                   gconstpointer  data)
{
  static const char *names[] = { "pump-07", "Pump-08", "pump-1", "ALPHA", "beta", "Zeta-9",
                                 "gamma.x", "gamma-x", "gamma_x", "m", "M2", "dev-00",
                                 "dev-0", "dev-000", "omega" };
  g_autofree char *url = devices_url (NS);
  g_autoptr(GPtrArray) paged = NULL;
  g_autoptr(GPtrArray) whole = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *ns_id = cb_sb_namespace_id (SUB, RG, NS);
  guint pages = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    insert_device (f, NS, names[i]);
  insert_device (f, NS_TWO, "elsewhere");

  paged = walk (f, url, &pages);
  g_assert_cmpuint (pages, ==, 5);

  cb_sandbox_set_page_size (f->ts->sandbox, 1000);
  whole = walk (f, url, &pages);
  g_assert_cmpuint (pages, ==, 1);

  g_assert_cmpuint (paged->len, ==, G_N_ELEMENTS (names));
  g_assert_cmpuint (whole->len, ==, paged->len);
  for (guint i = 0; i < paged->len; i++)
    g_assert_cmpstr (g_ptr_array_index (paged, i), ==, g_ptr_array_index (whole, i));

  cb_sb_lock (f->ts->sandbox);
  {
    g_autoptr(CbSbStmt) stmt = cb_sb_prepare (f->ts->sandbox,
                                              "SELECT name FROM adr_devices "
                                              "WHERE namespace_id = ?1 ORDER BY name");

    cb_sb_bind_text (stmt, 1, ns_id);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_ptr_array_add (expected, cb_sb_column_dup (stmt, 0));
    cb_sb_stmt_done (stmt);
  }
  cb_sb_unlock (f->ts->sandbox);

  g_assert_cmpuint (expected->len, ==, paged->len);
  for (guint i = 0; i < paged->len; i++)
    {
      g_autofree char *name = name_of (g_ptr_array_index (paged, i));

      g_assert_cmpstr (name, ==, g_ptr_array_index (expected, i));
    }
}

/* Devices created and deleted between pages: every device that was there before the walk
 * and is still there is seen exactly once; a device added after the cursor is seen too. */
static void
test_walk_while_changing (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *url = devices_url (NS);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  guint page_no = 0;

  for (guint i = 1; i <= 12; i++)
    {
      g_autofree char *name = g_strdup_printf ("dev-%02u", i);

      insert_device (f, NS, name);
    }

  while (url != NULL)
    {
      g_autoptr(JsonNode) page = get_page (f, url);

      g_free (url);
      url = take_page (page, items);
      page_no++;
      if (page_no == 1)
        {
          /* Before the cursor (dev-03): one more and one fewer must not shift the walk. */
          insert_device (f, NS, "dev-00");
          insert_device (f, NS, "dev-01a");
          delete_device (f, NS, "dev-02");
          /* After the cursor: seen once. */
          insert_device (f, NS, "dev-07a");
        }
      else if (page_no == 2)
        {
          /* Deleting the page's own last item, the cursor, must not lose the next one. */
          delete_device (f, NS, "dev-06");
        }
    }

  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *name = name_of (g_ptr_array_index (items, i));

      if (!g_hash_table_add (seen, g_strdup (name)))
        g_error ("%s was listed twice", name);
    }
  for (guint i = 1; i <= 12; i++)
    {
      g_autofree char *name = g_strdup_printf ("dev-%02u", i);

      if (i != 2 && i != 6 && i > 3 && !g_hash_table_contains (seen, name))
        g_error ("%s was skipped", name);
    }
  g_assert_true (g_hash_table_contains (seen, "dev-01"));
  g_assert_true (g_hash_table_contains (seen, "dev-07a"));
  g_assert_false (g_hash_table_contains (seen, "dev-00"));
  /* dev-01..03 on the first page, dev-04, 05, 06 on the second, then the rest: 13 names. */
  g_assert_cmpuint (g_hash_table_size (seen), ==, 13);
}

static void
assert_bad_token (Fixture    *f,
                  const char *url,
                  const char *code)
{
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", url, f->reader, NULL, &json,
                                                  NULL), ==, 400);
  g_assert_nonnull (json);
  g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, code);
  g_assert_cmpstr (cb_test_jstr (json, "error.target"), ==, "$skipToken");
  g_assert_nonnull (strstr (cb_test_jstr (json, "error.message"), "$skipToken"));
  g_assert_null (cb_test_jget (json, "value"));
}

static char *
with_token (const char *url,
            const char *token)
{
  g_autofree char *escaped = g_uri_escape_string (token, NULL, FALSE);

  return g_strdup_printf ("%s&$skipToken=%s", url, escaped);
}

/* Tokens a client made up, altered, took from another list or kept too long: 400, the ARM
 * error shape, never a page. */
static void
test_bad_tokens (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *url = devices_url (NS);
  g_autofree char *url_two = devices_url (NS_TWO);
  g_autofree char *ns_url = g_strdup_printf ("/arm/subscriptions/" SUB "/resourceGroups/" RG
                                             "/providers/Microsoft.DeviceRegistry/namespaces?"
                                             API);
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) ns_first = NULL;
  g_autofree char *token = NULL;
  g_autofree char *ns_token = NULL;
  static const char *made_up[] = { "3", "0", "-1", "", ".", "abc.def", "AAAA.AAAA",
                                   "%00", "\xff\xfe", "a.b.c" };

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *name = g_strdup_printf ("dev-%02u", i);

      insert_device (f, NS, name);
      insert_device (f, NS_TWO, name);
    }
  insert_namespace (f, "ns-third");
  insert_namespace (f, "ns-fourth");

  first = get_page (f, url);
  token = token_of (cb_test_jstr (first, "nextLink"));
  ns_first = get_page (f, ns_url);
  ns_token = token_of (cb_test_jstr (ns_first, "nextLink"));

  /* The token as given works, on its own list. */
  {
    g_autofree char *good = with_token (url, token);
    g_autoptr(JsonNode) page = get_page (f, good);
    JsonArray *value = json_node_get_array (cb_test_jget (page, "value"));

    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (value, 0),
                                                    "name"), ==, "dev-03");
  }

  for (guint i = 0; i < G_N_ELEMENTS (made_up); i++)
    {
      g_autofree char *bad = with_token (url, made_up[i]);

      assert_bad_token (f, bad, "InvalidSkipToken");
    }

  /* Every single character of the token changed: refused, never another page. */
  for (gsize i = 0; token[i] != '\0'; i++)
    {
      g_autofree char *altered = g_strdup (token);
      g_autofree char *bad = NULL;

      altered[i] = altered[i] == 'A' ? 'B' : 'A';
      bad = with_token (url, altered);
      assert_bad_token (f, bad, "InvalidSkipToken");
    }
  {
    g_autofree char *cut = g_strndup (token, strlen (token) - 1);
    g_autofree char *longer = g_strconcat (token, "A", NULL);
    g_autofree char *bad_cut = with_token (url, cut);
    g_autofree char *bad_longer = with_token (url, longer);

    assert_bad_token (f, bad_cut, "InvalidSkipToken");
    assert_bad_token (f, bad_longer, "InvalidSkipToken");
  }

  /* Another namespace's device list, and the namespace list's token on a device list. */
  {
    g_autofree char *foreign = with_token (url_two, token);
    g_autofree char *other_list = with_token (url, ns_token);
    g_autofree char *back = with_token (ns_url, token);

    assert_bad_token (f, foreign, "InvalidSkipToken");
    assert_bad_token (f, other_list, "InvalidSkipToken");
    assert_bad_token (f, back, "InvalidSkipToken");
  }

  /* Another sandbox process (a restart draws a new key). */
  cb_test_sandbox_restart (f->ts);
  {
    g_autofree char *stale = with_token (url, token);

    assert_bad_token (f, stale, "InvalidSkipToken");
  }

  /* Too old: a token lives an hour. */
  g_clear_pointer (&first, json_node_unref);
  g_clear_pointer (&token, g_free);
  first = get_page (f, url);
  token = token_of (cb_test_jstr (first, "nextLink"));
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 3700}", NULL, NULL), ==, 200);
  g_free (f->reader);
  f->reader = cb_test_sandbox_token (f->ts, READER, CB_SB_ROLE_READER, "/subscriptions/" SUB,
                                     CB_SB_AUD_ARM);
  {
    g_autofree char *old = with_token (url, token);

    assert_bad_token (f, old, "ExpiredSkipToken");
  }
}

/* The activity log pages by keyset too: events recorded during a walk do not shift it. */
static void
test_activity_walk (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *url = NULL;
  g_autofree char *filter = NULL;
  guint n_total = 0;
  guint page_no = 0;
  g_autofree char *owner = cb_test_sandbox_token (f->ts, "owner@contoso.example",
                                                  CB_SB_ROLE_OWNER, "/subscriptions/" SUB,
                                                  CB_SB_AUD_ARM);

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *path = g_strdup_printf (NS_PATH NS "/devices/dev-%02u?" API, i);
      g_autoptr(JsonNode) reply = NULL;
      guint status = cb_test_sandbox_request_json (f->ts, "PUT", path, owner,
                                                   "{\"location\": \"northeurope\"}", &reply,
                                                   NULL);

      g_assert_cmpuint (status, >=, 200);
      g_assert_cmpuint (status, <, 300);
    }

  {
    gint64 now = cb_sb_now (f->ts->sandbox);
    g_autofree char *from = cb_time_format_fixed (now - 3600);
    g_autofree char *to = cb_time_format_fixed (now + 3600);
    g_autofree char *text = g_strdup_printf ("eventTimestamp ge '%s' and eventTimestamp le '%s'",
                                             from, to);

    filter = g_uri_escape_string (text, NULL, FALSE);
  }
  url = g_strdup_printf ("/arm/subscriptions/" SUB "/providers/Microsoft.Insights/eventtypes/"
                         "management/values?api-version=2015-04-01&$filter=%s", filter);
  while (url != NULL)
    {
      g_autoptr(JsonNode) page = get_page (f, url);
      JsonArray *value = json_node_get_array (cb_test_jget (page, "value"));
      const char *next = cb_test_jstr (page, "nextLink");

      for (guint i = 0; i < json_array_get_length (value); i++)
        {
          JsonNode *e = json_array_get_element (value, i);

          if (!g_hash_table_add (seen, g_strdup (cb_test_jstr (e, "eventDataId"))))
            g_error ("event %s was listed twice", cb_test_jstr (e, "eventDataId"));
          n_total++;
        }
      g_free (url);
      url = g_strdup (next);
      if (++page_no == 1 && url != NULL)
        {
          /* A newer event arrives during the walk: with offsets it pushed a seen one on. */
          g_autofree char *path = g_strdup_printf (NS_PATH NS "/devices/dev-new?" API);
          g_autoptr(JsonNode) reply = NULL;

          cb_test_sandbox_request_json (f->ts, "PUT", path, owner,
                                        "{\"location\": \"northeurope\"}", &reply, NULL);
        }
      if (url != NULL)
        {
          g_autofree char *token = token_of (url);
          g_autofree char *altered = g_strconcat ("x", token, NULL);
          g_autofree char *bad = g_strdup_printf ("/arm/subscriptions/" SUB
                                                  "/providers/Microsoft.Insights/eventtypes/"
                                                  "management/values?api-version=2015-04-01"
                                                  "&$filter=%s&$skipToken=%s", filter, altered);
          g_autoptr(JsonNode) refused = NULL;

          g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", bad, f->reader, NULL,
                                                          &refused, NULL), ==, 400);
          g_assert_cmpstr (cb_test_jstr (refused, "code"), ==, "BadRequest");
        }
    }
  g_assert_cmpuint (n_total, >=, 7);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/sandbox-paging/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("walk-matches", test_walk_matches);
  ADD ("walk-while-changing", test_walk_while_changing);
  ADD ("bad-tokens", test_bad_tokens);
  ADD ("activity-walk", test_activity_walk);

  return g_test_run ();
}
