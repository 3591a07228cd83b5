/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Request bodies by member path (cb-json-body.c): the bodies the ADR client sends, as text. */

#include "config.h"

#include <json-glib/json-glib.h>

#include "cb-json-body.h"

static char *
to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static void
test_nested_paths_share_objects (void)
{
  g_autoptr(JsonNode) body = cb_json_body_new ();
  g_autofree char *text = NULL;

  cb_json_body_set_string (body, "location", "westeurope");
  cb_json_body_set_string (body, "properties/certificate/ca/keyType", "ECC");
  cb_json_body_set_boolean (body, "properties/certificate/ca/byor/enabled", FALSE);
  cb_json_body_set_int (body, "properties/certificate/leaf/days", 30);

  text = to_text (body);
  g_assert_cmpstr (text, ==,
                   "{\"location\":\"westeurope\",\"properties\":{\"certificate\":{\"ca\":"
                   "{\"keyType\":\"ECC\",\"byor\":{\"enabled\":false}},\"leaf\":{\"days\":30}}}}");
}

static void
test_null_and_empty_objects (void)
{
  g_autoptr(JsonNode) body = cb_json_body_new ();
  g_autofree char *text = NULL;

  cb_json_body_set_object (body, "properties");
  cb_json_body_set_node (body, "properties/endpoints/hub-link", NULL);
  cb_json_body_set_string (body, "gone", NULL);
  /* An empty object asked for again keeps what was put below it. */
  cb_json_body_set_object (body, "properties");

  text = to_text (body);
  g_assert_cmpstr (text, ==,
                   "{\"properties\":{\"endpoints\":{\"hub-link\":null}},\"gone\":null}");
}

static void
test_a_scalar_on_the_way_becomes_an_object (void)
{
  g_autoptr(JsonNode) body = cb_json_body_new_int ("properties", 1);
  g_autofree char *text = NULL;

  cb_json_body_set_boolean (body, "properties/enabled", TRUE);

  text = to_text (body);
  g_assert_cmpstr (text, ==, "{\"properties\":{\"enabled\":true}}");
}

static void
test_one_member_bodies (void)
{
  g_autoptr(JsonNode) chain = cb_json_body_new_string ("certificateChain", "-----BEGIN…\n\"q\"");
  g_autoptr(JsonNode) disable = cb_json_body_new_boolean ("disable", FALSE);
  g_autofree char *chain_text = to_text (chain);
  g_autofree char *disable_text = to_text (disable);

  g_assert_cmpstr (chain_text, ==, "{\"certificateChain\":\"-----BEGIN…\\n\\\"q\\\"\"}");
  /* A false "disable" is written, not left out. */
  g_assert_cmpstr (disable_text, ==, "{\"disable\":false}");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/json-body/nested-paths-share-objects", test_nested_paths_share_objects);
  g_test_add_func ("/cb/json-body/null-and-empty-objects", test_null_and_empty_objects);
  g_test_add_func ("/cb/json-body/scalar-on-the-way", test_a_scalar_on_the_way_becomes_an_object);
  g_test_add_func ("/cb/json-body/one-member-bodies", test_one_member_bodies);

  return g_test_run ();
}
