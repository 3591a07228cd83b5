/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `registry` command group: what a script needs of a namespace's certificate management in
 * either ADR model, through core's ADR client. Lists (model, certificate authorities, policies,
 * linked hubs and DPS, devices) print a table, or a JSON array with --json; actions create and
 * activate CAs, create and delete policies, link and unlink hubs and DPS, and revoke. The
 * destructive ones print their impact (the devices that lose their certificates) and ask for the
 * CA's, policy's or device's name on a terminal, or need --yes when nobody can be asked.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "cb-adr-client-ca.h"
#include "cb-adr-client.h"
#include "cb-error.h"
#include "cb-util.h"

#include "cb-cli-cmd-registry.h"
#include "cb-cli-enrollment.h"
#include "cb-cli-shared.h"

typedef struct
{
  CbCliContext *ctx;
  CbAdrClient  *adr;      /* the context's; not owned */
  CbAdrModel    model;
  const char   *arg;      /* the subcommand's one argument, or NULL */
} Registry;

typedef int (*RegistryFunc) (Registry *r);

/* ---- Helpers ---------------------------------------------------------------------------- */

static int
fail_error (Registry     *r,
            const GError *error,
            const char   *what)
{
  CbCliExit code = cb_cli_exit_for_error (error);

  if (code == CB_CLI_EXIT_FAILED && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    code = CB_CLI_EXIT_USAGE;
  return cb_cli_fail (r->ctx, code, "%s: %s", what, error->message);
}

static const char *
model_name (CbAdrModel model)
{
  switch (model)
    {
    case CB_ADR_MODEL_CREDENTIAL: return "credential";
    case CB_ADR_MODEL_CERTIFICATE_AUTHORITIES: return "certificate-authorities";
    case CB_ADR_MODEL_UNKNOWN:
    default: return "unknown";
    }
}

static const char *
model_api_version (CbAdrModel model)
{
  switch (model)
    {
    case CB_ADR_MODEL_CREDENTIAL: return CB_ADR_API_VERSION_CREDENTIAL;
    case CB_ADR_MODEL_CERTIFICATE_AUTHORITIES: return CB_ADR_API_VERSION_CERTIFICATE_AUTHORITIES;
    case CB_ADR_MODEL_UNKNOWN:
    default: return NULL;
    }
}

static const char *
kind_name (CbCaKind kind)
{
  return kind == CB_CA_KIND_ROOT ? "root" : "intermediate";
}

static const char *
issuer_name (CbCaIssuer issuer)
{
  switch (issuer)
    {
    case CB_CA_ISSUER_MICROSOFT: return "microsoft";
    case CB_CA_ISSUER_EXTERNAL: return "external";
    case CB_CA_ISSUER_NONE:
    default: return "none";
    }
}

/* The last segment of an ARM id. */
static const char *
id_tail (const char *id)
{
  const char *slash = id != NULL ? strrchr (id, '/') : NULL;

  return slash != NULL ? slash + 1 : id;
}

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "-";
}

static char *
time_or_dash (gint64 unix_seconds)
{
  return unix_seconds != 0 ? cb_time_format_fixed (unix_seconds) : g_strdup ("-");
}

static void
print_array (JsonBuilder *b)
{
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_array (b);
  root = json_builder_get_root (b);
  cb_cli_print_json (root);
}

static gboolean
needs_arg (Registry   *r,
           const char *usage,
           int        *status)
{
  if (r->arg != NULL)
    return TRUE;
  *status = cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE, _("Usage: certbench-cli registry %s"), usage);
  return FALSE;
}

/* ---- Reading the namespace -------------------------------------------------------------- */

static GPtrArray *
list_cas (Registry  *r,
          GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (r->model != CB_ADR_MODEL_CERTIFICATE_AUTHORITIES)
    return g_ptr_array_new_with_free_func (g_object_unref);
  cb_adr_client_list_certificate_authorities_async (r->adr, r->ctx->cancellable,
                                                    cb_cli_store_result, &result);
  return cb_adr_client_list_certificate_authorities_finish (r->adr, cb_cli_wait (&result), error);
}

static GPtrArray *
list_policies (Registry  *r,
               GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_adr_client_list_policies_async (r->adr, r->ctx->cancellable, cb_cli_store_result, &result);
  return cb_adr_client_list_policies_finish (r->adr, cb_cli_wait (&result), error);
}

static CbNamespace *
get_namespace (Registry  *r,
               GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_adr_client_get_namespace_async (r->adr, NULL, r->ctx->cancellable, cb_cli_store_result,
                                     &result);
  return cb_adr_client_get_namespace_finish (r->adr, cb_cli_wait (&result), error);
}

/* One page of devices (all of them when all), with the link to the next page when one remains. */
static GPtrArray *
list_devices (Registry  *r,
              gboolean   all,
              char     **out_next,
              GError   **error)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *next = NULL;

  do
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GPtrArray) page = NULL;
      g_autofree char *link = g_steal_pointer (&next);

      cb_adr_client_list_devices_page_async (r->adr, link, r->ctx->cancellable,
                                             cb_cli_store_result, &result);
      page = cb_adr_client_list_devices_page_finish (r->adr, cb_cli_wait (&result), &next, error);
      if (page == NULL)
        return NULL;
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (devices, g_object_ref (g_ptr_array_index (page, i)));
    }
  while (all && next != NULL);

  if (out_next != NULL)
    *out_next = g_steal_pointer (&next);
  return g_steal_pointer (&devices);
}

/* The devices whose certificates were issued under one of the policies named in names. */
static gboolean
count_devices (Registry   *r,
               GPtrArray  *names,
               guint      *out_count,
               GError    **error)
{
  g_autoptr(GPtrArray) devices = list_devices (r, TRUE, NULL, error);
  guint count = 0;

  if (devices == NULL)
    return FALSE;
  for (guint i = 0; i < devices->len; i++)
    {
      const char *policy = cb_adr_device_get_policy_name (g_ptr_array_index (devices, i));

      for (guint j = 0; policy != NULL && j < names->len; j++)
        if (g_ascii_strcasecmp (policy, g_ptr_array_index (names, j)) == 0)
          {
            count++;
            break;
          }
    }
  *out_count = count;
  return TRUE;
}

/* ---- Confirmation ----------------------------------------------------------------------- */

/* impact has been printed. On a terminal the user types name; elsewhere --yes is needed. */
static gboolean
confirm (Registry   *r,
         const char *what,
         const char *name,
         int        *status)
{
  char line[512];

  if (r->ctx->options->yes)
    return TRUE;

  if (!isatty (STDIN_FILENO))
    {
      *status = cb_cli_fail (r->ctx, CB_CLI_EXIT_NOT_CONFIRMED,
                             _("Nothing was changed: to %s, standard input must be a terminal "
                               "to confirm, or pass --yes"), what);
      return FALSE;
    }

  fprintf (stderr, _("To %s, type “%s”: "), what, name);
  fflush (stderr);
  if (fgets (line, sizeof line, stdin) == NULL)
    line[0] = '\0';
  g_strchomp (line);
  if (!g_str_equal (line, name))
    {
      *status = cb_cli_fail (r->ctx, CB_CLI_EXIT_NOT_CONFIRMED,
                             _("Nothing was changed: the name typed was not “%s”"), name);
      return FALSE;
    }
  return TRUE;
}

/* Prints the impact of revoking the issuer of the policies in names, then confirms. */
static gboolean
confirm_revocation (Registry   *r,
                    GPtrArray  *names,
                    const char *what,
                    const char *name,
                    int        *status)
{
  g_autoptr(GError) error = NULL;
  guint count = 0;

  if (!count_devices (r, names, &count, &error))
    {
      *status = fail_error (r, error, _("The devices could not be counted"));
      return FALSE;
    }
  /* The impact goes to stderr even with --quiet: it is the question's context. */
  fprintf (stderr, g_dngettext (GETTEXT_PACKAGE,
                                "%u device loses its certificate: it must be provisioned again.\n",
                                "%u devices lose their certificates: they must be provisioned "
                                "again.\n", count), count);
  return confirm (r, what, name, status);
}

/* ---- Lists ------------------------------------------------------------------------------ */

static int
cmd_model (Registry *r)
{
  const char *ns = cb_adr_client_get_namespace (r->adr);

  if (r->ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      cb_cli_add_string (b, "namespace", ns);
      cb_cli_add_string (b, "model", model_name (r->model));
      cb_cli_add_string (b, "apiVersion", model_api_version (r->model));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      cb_cli_print_json (root);
    }
  else
    printf (_("Namespace %s uses the %s model (api-version %s)\n"), ns, model_name (r->model),
            or_dash (model_api_version (r->model)));
  return CB_CLI_EXIT_OK;
}

static int
cmd_cas (Registry *r)
{
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GError) error = NULL;

  cas = list_cas (r, &error);
  if (cas == NULL)
    return fail_error (r, error, _("The certificate authorities could not be listed"));

  if (r->ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < cas->len; i++)
        {
          CbCertificateAuthority *ca = g_ptr_array_index (cas, i);

          json_builder_begin_object (b);
          cb_cli_add_string (b, "name", cb_certificate_authority_get_name (ca));
          cb_cli_add_string (b, "kind", kind_name (cb_certificate_authority_get_kind (ca)));
          cb_cli_add_string (b, "issuer", issuer_name (cb_certificate_authority_get_issuer (ca)));
          cb_cli_add_string (b, "issuerCa",
                             id_tail (cb_certificate_authority_get_issuer_ca_id (ca)));
          cb_cli_add_string (b, "provisioningState",
                             cb_certificate_authority_get_provisioning_state (ca));
          cb_cli_add_string (b, "status", cb_certificate_authority_get_status (ca));
          json_builder_set_member_name (b, "canIssue");
          json_builder_add_boolean_value (b, cb_certificate_authority_can_issue (ca));
          cb_cli_add_string (b, "subject", cb_certificate_authority_get_subject (ca));
          cb_cli_add_string (b, "keyType", cb_certificate_authority_get_key_type (ca));
          cb_cli_add_time (b, "notBefore", cb_certificate_authority_get_not_before (ca));
          cb_cli_add_time (b, "notAfter", cb_certificate_authority_get_not_after (ca));
          cb_cli_add_string (b, "thumbprint", cb_certificate_authority_get_thumbprint (ca));
          cb_cli_add_string (b, "csr", cb_certificate_authority_get_csr (ca));
          json_builder_end_object (b);
        }
      print_array (b);
      return CB_CLI_EXIT_OK;
    }

  printf (_("Namespace %s uses the %s model (api-version %s)\n"),
          cb_adr_client_get_namespace (r->adr), model_name (r->model),
          or_dash (model_api_version (r->model)));
  if (r->model == CB_ADR_MODEL_CREDENTIAL)
    {
      printf (_("It has no certificate authorities: each policy holds its issuing CA "
                "(certbench-cli registry policies).\n"));
      return CB_CLI_EXIT_OK;
    }
  printf ("%-24s %-12s %-10s %-12s %-24s %-20s %s\n", _("NAME"), _("KIND"), _("ISSUER"),
          _("STATE"), _("STATUS"), _("NOT AFTER"), _("ISSUED BY"));
  for (guint i = 0; i < cas->len; i++)
    {
      CbCertificateAuthority *ca = g_ptr_array_index (cas, i);
      g_autofree char *until = time_or_dash (cb_certificate_authority_get_not_after (ca));

      printf ("%-24s %-12s %-10s %-12s %-24s %-20s %s\n", cb_certificate_authority_get_name (ca),
              kind_name (cb_certificate_authority_get_kind (ca)),
              issuer_name (cb_certificate_authority_get_issuer (ca)),
              or_dash (cb_certificate_authority_get_provisioning_state (ca)),
              or_dash (cb_certificate_authority_get_status (ca)), until,
              or_dash (id_tail (cb_certificate_authority_get_issuer_ca_id (ca))));
    }
  return CB_CLI_EXIT_OK;
}

static int
cmd_policies (Registry *r)
{
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;

  policies = list_policies (r, &error);
  if (policies == NULL)
    return fail_error (r, error, _("The policies could not be listed"));

  if (r->ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < policies->len; i++)
        {
          CbPolicy *policy = g_ptr_array_index (policies, i);
          CbCertificateAuthority *ca = cb_policy_get_certificate_authority (policy);

          json_builder_begin_object (b);
          cb_cli_add_string (b, "name", cb_policy_get_name (policy));
          cb_cli_add_string (b, "certificateAuthority",
                             ca != NULL ? cb_certificate_authority_get_name (ca) : NULL);
          json_builder_set_member_name (b, "validityDays");
          json_builder_add_int_value (b, cb_policy_get_validity_days (policy));
          cb_cli_add_string (b, "provisioningState", cb_policy_get_provisioning_state (policy));
          cb_cli_add_string (b, "keyType", cb_policy_get_key_type (policy));
          cb_cli_add_string (b, "caSubject", cb_policy_get_ca_subject (policy));
          cb_cli_add_time (b, "caNotBefore", cb_policy_get_ca_not_before (policy));
          cb_cli_add_time (b, "caNotAfter", cb_policy_get_ca_not_after (policy));
          json_builder_set_member_name (b, "bringYourOwnRoot");
          json_builder_add_boolean_value (b, cb_policy_get_byor_enabled (policy));
          cb_cli_add_string (b, "bringYourOwnRootStatus", cb_policy_get_byor_status (policy));
          json_builder_end_object (b);
        }
      print_array (b);
      return CB_CLI_EXIT_OK;
    }

  printf ("%-24s %-24s %-8s %-12s %-20s %s\n", _("NAME"), _("CA"), _("DAYS"), _("STATE"),
          _("CA NOT AFTER"), _("CA SUBJECT"));
  for (guint i = 0; i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);
      CbCertificateAuthority *ca = cb_policy_get_certificate_authority (policy);
      g_autofree char *until = time_or_dash (cb_policy_get_ca_not_after (policy));

      printf ("%-24s %-24s %-8u %-12s %-20s %s\n", cb_policy_get_name (policy),
              ca != NULL ? cb_certificate_authority_get_name (ca) : _("(credential)"),
              cb_policy_get_validity_days (policy),
              or_dash (cb_policy_get_provisioning_state (policy)), until,
              or_dash (cb_policy_get_ca_subject (policy)));
    }
  return CB_CLI_EXIT_OK;
}

static int
cmd_links (Registry *r)
{
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *endpoints;

  ns = get_namespace (r, &error);
  if (ns == NULL)
    return fail_error (r, error, _("The namespace could not be read"));
  endpoints = cb_namespace_get_endpoints (ns);

  if (r->ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < endpoints->len; i++)
        {
          CbNamespaceEndpoint *e = g_ptr_array_index (endpoints, i);

          json_builder_begin_object (b);
          cb_cli_add_string (b, "name", cb_namespace_endpoint_get_name (e));
          cb_cli_add_string (b, "kind", cb_namespace_endpoint_get_kind (e) == CB_ENDPOINT_MESSAGING
                                        ? "hub" : "dps");
          cb_cli_add_string (b, "resourceName", cb_namespace_endpoint_get_resource_name (e));
          cb_cli_add_string (b, "resourceId", cb_namespace_endpoint_get_resource_id (e));
          cb_cli_add_string (b, "address", cb_namespace_endpoint_get_address (e));
          cb_cli_add_string (b, "linkingState", cb_namespace_endpoint_get_linking_state (e));
          cb_cli_add_string (b, "linkingErrorCode",
                             cb_namespace_endpoint_get_linking_error_code (e));
          cb_cli_add_string (b, "linkingErrorMessage",
                             cb_namespace_endpoint_get_linking_error_message (e));
          json_builder_end_object (b);
        }
      print_array (b);
      return CB_CLI_EXIT_OK;
    }

  printf ("%-24s %-5s %-24s %-12s %s\n", _("LINK"), _("KIND"), _("RESOURCE"), _("STATE"),
          _("ERROR"));
  for (guint i = 0; i < endpoints->len; i++)
    {
      CbNamespaceEndpoint *e = g_ptr_array_index (endpoints, i);

      printf ("%-24s %-5s %-24s %-12s %s\n", cb_namespace_endpoint_get_name (e),
              cb_namespace_endpoint_get_kind (e) == CB_ENDPOINT_MESSAGING ? "hub" : "dps",
              or_dash (cb_namespace_endpoint_get_resource_name (e)),
              or_dash (cb_namespace_endpoint_get_linking_state (e)),
              or_dash (cb_namespace_endpoint_get_linking_error_message (e)));
    }
  return CB_CLI_EXIT_OK;
}

static int
cmd_devices (Registry *r)
{
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;

  devices = list_devices (r, r->ctx->options->all, &next, &error);
  if (devices == NULL)
    return fail_error (r, error, _("The devices could not be listed"));

  if (r->ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < devices->len; i++)
        {
          CbAdrDevice *device = g_ptr_array_index (devices, i);

          json_builder_begin_object (b);
          cb_cli_add_string (b, "name", cb_adr_device_get_name (device));
          json_builder_set_member_name (b, "enabled");
          json_builder_add_boolean_value (b, cb_adr_device_get_enabled (device));
          cb_cli_add_string (b, "policy", cb_adr_device_get_policy_name (device));
          cb_cli_add_string (b, "externalDeviceId", cb_adr_device_get_external_device_id (device));
          cb_cli_add_string (b, "manufacturer", cb_adr_device_get_manufacturer (device));
          cb_cli_add_string (b, "model", cb_adr_device_get_model (device));
          cb_cli_add_string (b, "provisioningState",
                             cb_adr_device_get_provisioning_state (device));
          json_builder_end_object (b);
        }
      print_array (b);
    }
  else
    {
      printf ("%-32s %-8s %-24s %s\n", _("NAME"), _("ENABLED"), _("POLICY"), _("STATE"));
      for (guint i = 0; i < devices->len; i++)
        {
          CbAdrDevice *device = g_ptr_array_index (devices, i);

          printf ("%-32s %-8s %-24s %s\n", cb_adr_device_get_name (device),
                  cb_adr_device_get_enabled (device) ? _("yes") : _("no"),
                  or_dash (cb_adr_device_get_policy_name (device)),
                  or_dash (cb_adr_device_get_provisioning_state (device)));
        }
    }

  if (next != NULL)
    cb_cli_note (r->ctx, _("More devices follow: pass --all to list every page."));
  return CB_CLI_EXIT_OK;
}

/* ---- Actions ---------------------------------------------------------------------------- */

static int
create_ca (Registry   *r,
           CbCaIssuer  issuer,
           const char *root_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbCertificateAuthority) ca = NULL;
  g_autoptr(GError) error = NULL;

  /* The namespace's location: the profile's, where the CLI makes its namespaces. */
  cb_adr_client_create_certificate_authority_async (r->adr, r->arg,
                                                    cb_profile_get_location (
                                                      cb_context_get_profile (r->ctx->context)),
                                                    issuer, root_id,
                                                    r->ctx->cancellable, cb_cli_store_result,
                                                    &result);
  ca = cb_adr_client_create_certificate_authority_finish (r->adr, cb_cli_wait (&result), &error);
  if (ca == NULL)
    return fail_error (r, error, _("The certificate authority could not be created"));
  cb_cli_note (r->ctx, _("Created the certificate authority %s (%s)."),
               cb_certificate_authority_get_name (ca),
               or_dash (cb_certificate_authority_get_status (ca) != NULL
                        ? cb_certificate_authority_get_status (ca)
                        : cb_certificate_authority_get_provisioning_state (ca)));
  /* An External ICA's CSR goes to stdout: the customer's CA signs it. */
  if (issuer == CB_CA_ISSUER_EXTERNAL && cb_certificate_authority_get_csr (ca) != NULL &&
      !r->ctx->options->json)
    printf ("%s", cb_certificate_authority_get_csr (ca));
  return CB_CLI_EXIT_OK;
}

static int
cmd_create_root (Registry *r)
{
  int status;

  if (!needs_arg (r, "create-root NAME", &status))
    return status;
  return create_ca (r, CB_CA_ISSUER_NONE, NULL);
}

static int
cmd_create_ica (Registry *r)
{
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GError) error = NULL;
  const char *root = r->ctx->options->root;
  const char *root_id = NULL;
  int status;

  if (!needs_arg (r, "create-ica NAME [--root ROOT]", &status))
    return status;

  /* The root by name, or the namespace's only root. */
  cas = list_cas (r, &error);
  if (cas == NULL)
    return fail_error (r, error, _("The certificate authorities could not be listed"));
  for (guint i = 0; i < cas->len; i++)
    {
      CbCertificateAuthority *ca = g_ptr_array_index (cas, i);

      if (cb_certificate_authority_get_kind (ca) != CB_CA_KIND_ROOT)
        continue;
      if (root != NULL && g_ascii_strcasecmp (root, cb_certificate_authority_get_name (ca)) != 0)
        continue;
      if (root_id != NULL)
        return cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE,
                            _("The namespace has more than one root: name one with --root"));
      root_id = cb_certificate_authority_get_id (ca);
    }
  if (root_id == NULL && root != NULL)
    return cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE, _("The namespace has no root CA named “%s”"),
                        root);
  if (root_id == NULL)
    return cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE,
                        _("The namespace has no root CA: create one with registry create-root"));
  return create_ca (r, CB_CA_ISSUER_MICROSOFT, root_id);
}

static int
cmd_create_external_ica (Registry *r)
{
  int status;

  if (!needs_arg (r, "create-external-ica NAME", &status))
    return status;
  return create_ca (r, CB_CA_ISSUER_EXTERNAL, NULL);
}

static int
cmd_activate (Registry *r)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *chain = NULL;
  int status;

  if (!needs_arg (r, "activate ICA --chain FILE", &status))
    return status;
  if (r->ctx->options->chain == NULL)
    return cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE,
                        _("activate needs --chain FILE: the signed ICA and the chain above it, "
                          "PEM"));
  if (!g_file_get_contents (r->ctx->options->chain, &chain, NULL, &error))
    return cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE, _("The chain file cannot be read: %s"),
                        error->message);

  cb_adr_client_activate_certificate_authority_async (r->adr, r->arg, chain, r->ctx->cancellable,
                                                      cb_cli_store_result, &result);
  if (!cb_adr_client_activate_certificate_authority_finish (r->adr, cb_cli_wait (&result), &error))
    return fail_error (r, error, _("The certificate authority could not be activated"));
  cb_cli_note (r->ctx, _("Activated the certificate authority %s."), r->arg);
  return CB_CLI_EXIT_OK;
}

static int
cmd_revoke_and_rotate (Registry *r)
{
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!needs_arg (r, "revoke-and-rotate ICA [--yes]", &status))
    return status;

  policies = list_policies (r, &error);
  if (policies == NULL)
    return fail_error (r, error, _("The policies could not be listed"));
  for (guint i = 0; i < policies->len; i++)
    {
      CbCertificateAuthority *ca = cb_policy_get_certificate_authority (
        g_ptr_array_index (policies, i));

      if (ca != NULL && g_ascii_strcasecmp (cb_certificate_authority_get_name (ca), r->arg) == 0)
        g_ptr_array_add (names, (gpointer) cb_policy_get_name (g_ptr_array_index (policies, i)));
    }
  if (!confirm_revocation (r, names, _("revoke and rotate the certificate authority"), r->arg,
                           &status))
    return status;

  cb_adr_client_revoke_and_rotate_async (r->adr, r->arg, r->ctx->cancellable, cb_cli_store_result,
                                         &result);
  if (!cb_adr_client_revoke_and_rotate_finish (r->adr, cb_cli_wait (&result), &error))
    return fail_error (r, error, _("The certificate authority could not be revoked and rotated"));
  cb_cli_note (r->ctx, _("Revoked and rotated the certificate authority %s."), r->arg);
  return CB_CLI_EXIT_OK;
}

static int
cmd_revoke_issuer (Registry *r)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!needs_arg (r, "revoke-issuer POLICY [--yes]", &status))
    return status;

  /* The policy must exist before anyone is asked about it. */
  cb_adr_client_get_policy_async (r->adr, r->arg, r->ctx->cancellable, cb_cli_store_result,
                                  &result);
  policy = cb_adr_client_get_policy_finish (r->adr, cb_cli_wait (&result), &error);
  if (policy == NULL)
    return fail_error (r, error, _("The policy could not be read"));
  g_clear_object (&result);

  g_ptr_array_add (names, (gpointer) cb_policy_get_name (policy));
  if (!confirm_revocation (r, names, _("revoke the policy's issuing CA"),
                           cb_policy_get_name (policy), &status))
    return status;

  cb_adr_client_revoke_issuer_async (r->adr, cb_policy_get_name (policy), r->ctx->cancellable,
                                     cb_cli_store_result, &result);
  if (!cb_adr_client_revoke_issuer_finish (r->adr, cb_cli_wait (&result), &error))
    return fail_error (r, error, _("The policy's issuer could not be revoked"));
  cb_cli_note (r->ctx, _("Revoked the issuing CA of the policy %s; a new one replaces it."),
               cb_policy_get_name (policy));
  return CB_CLI_EXIT_OK;
}

static int
cmd_create_policy (Registry *r)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  CbCliOptions *o = r->ctx->options;
  int status;

  if (!needs_arg (r, "create-policy NAME --ca ICA --validity-days N", &status))
    return status;
  if (o->validity_days <= 0)
    return cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE, _("create-policy needs --validity-days N"));

  if (r->model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES)
    {
      if (o->ca == NULL)
        return cb_cli_fail (r->ctx, CB_CLI_EXIT_USAGE,
                            _("create-policy needs --ca ICA: a policy lives under an "
                              "intermediate CA"));
      cb_adr_client_put_certificate_policy_async (r->adr, o->ca, r->arg,
                                                  (guint) o->validity_days, r->ctx->cancellable,
                                                  cb_cli_store_result, &result);
      policy = cb_adr_client_put_certificate_policy_finish (r->adr, cb_cli_wait (&result),
                                                            &error);
    }
  else
    {
      cb_adr_client_create_policy_async (r->adr, r->arg, (guint) o->validity_days, FALSE,
                                         r->ctx->cancellable, cb_cli_store_result, &result);
      policy = cb_adr_client_create_policy_finish (r->adr, cb_cli_wait (&result), &error);
    }
  if (policy == NULL)
    return fail_error (r, error, _("The policy could not be created"));
  cb_cli_note (r->ctx, _("Created the policy %s (%u days)."), cb_policy_get_name (policy),
               cb_policy_get_validity_days (policy));
  return CB_CLI_EXIT_OK;
}

static int
cmd_delete_policy (Registry *r)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!needs_arg (r, "delete-policy POLICY [--yes]", &status))
    return status;

  g_ptr_array_add (names, (gpointer) r->arg);
  if (!confirm_revocation (r, names, _("delete the policy"), r->arg, &status))
    return status;

  cb_adr_client_delete_policy_async (r->adr, r->arg, r->ctx->cancellable, cb_cli_store_result,
                                     &result);
  if (!cb_adr_client_delete_policy_finish (r->adr, cb_cli_wait (&result), &error))
    return fail_error (r, error, _("The policy could not be deleted"));
  cb_cli_note (r->ctx, _("Deleted the policy %s."), r->arg);
  return CB_CLI_EXIT_OK;
}

/* A hub's or DPS's ARM id: given whole, or built from its name in the profile's resource group. */
static char *
resource_id (Registry       *r,
             CbEndpointKind  kind)
{
  CbProfile *profile = cb_context_get_profile (r->ctx->context);

  if (r->arg[0] == '/')
    return g_strdup (r->arg);
  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/%s/%s",
                          cb_profile_get_subscription_id (profile),
                          cb_profile_get_resource_group (profile),
                          kind == CB_ENDPOINT_MESSAGING ? CB_ENDPOINT_TYPE_IOT_HUB
                                                        : CB_ENDPOINT_TYPE_DPS, r->arg);
}

static int
set_link (Registry       *r,
          CbEndpointKind  kind,
          gboolean        link)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  const char *link_name;
  int status;

  if (link)
    {
      id = resource_id (r, kind);
      link_name = r->ctx->options->link_name != NULL ? r->ctx->options->link_name
                                                     : id_tail (id);
    }
  else
    {
      link_name = r->arg;
      if (!confirm (r, kind == CB_ENDPOINT_MESSAGING ? _("unlink the hub") : _("unlink the DPS"),
                    link_name, &status))
        return status;
    }

  cb_adr_client_set_endpoint_async (r->adr, kind, link_name, id, r->ctx->cancellable,
                                    cb_cli_store_result, &result);
  ns = cb_adr_client_set_endpoint_finish (r->adr, cb_cli_wait (&result), &error);
  if (ns == NULL)
    return fail_error (r, error, link ? _("The link could not be made")
                                      : _("The link could not be removed"));
  if (link)
    cb_cli_note (r->ctx, _("Linked %s as %s; registry links shows when linking has settled."),
                 id_tail (id), link_name);
  else
    cb_cli_note (r->ctx, _("Unlinked %s."), link_name);
  return CB_CLI_EXIT_OK;
}

static int
cmd_link_hub (Registry *r)
{
  int status;

  if (!needs_arg (r, "link-hub HUB [--link NAME]", &status))
    return status;
  return set_link (r, CB_ENDPOINT_MESSAGING, TRUE);
}

static int
cmd_link_dps (Registry *r)
{
  int status;

  if (!needs_arg (r, "link-dps DPS [--link NAME]", &status))
    return status;
  return set_link (r, CB_ENDPOINT_PROVISIONING, TRUE);
}

static int
cmd_unlink_hub (Registry *r)
{
  int status;

  if (!needs_arg (r, "unlink-hub LINK [--yes]", &status))
    return status;
  return set_link (r, CB_ENDPOINT_MESSAGING, FALSE);
}

static int
cmd_unlink_dps (Registry *r)
{
  int status;

  if (!needs_arg (r, "unlink-dps LINK [--yes]", &status))
    return status;
  return set_link (r, CB_ENDPOINT_PROVISIONING, FALSE);
}

static int
cmd_revoke_device (Registry *r)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!needs_arg (r, "revoke-device DEVICE [--yes]", &status))
    return status;

  fprintf (stderr, _("Every certificate issued to %s stops working: it must be provisioned "
                     "again.\n"), r->arg);
  if (!confirm (r, _("revoke the device's certificates"), r->arg, &status))
    return status;

  cb_adr_client_revoke_device_async (r->adr, r->arg, FALSE, r->ctx->cancellable,
                                     cb_cli_store_result, &result);
  if (!cb_adr_client_revoke_device_finish (r->adr, cb_cli_wait (&result), &error))
    return fail_error (r, error, _("The device's certificates could not be revoked"));
  cb_cli_note (r->ctx, _("Revoked the certificates of %s."), r->arg);
  return CB_CLI_EXIT_OK;
}

static int
cmd_create_namespace (Registry *r)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!needs_arg (r, "create-namespace NAME", &status))
    return status;
  cb_adr_client_create_namespace_async (r->adr, r->arg, NULL, r->ctx->cancellable,
                                        cb_cli_store_result, &result);
  ns = cb_adr_client_create_namespace_finish (r->adr, cb_cli_wait (&result), &error);
  if (ns == NULL)
    return fail_error (r, error, _("The namespace could not be created"));
  cb_cli_note (r->ctx, _("Created the namespace %s."), cb_namespace_get_name (ns));
  return CB_CLI_EXIT_OK;
}

static int
cmd_create_enrollment_group (Registry *r)
{
  return cb_cli_create_enrollment_group (r->ctx, r->adr, r->model, r->arg);
}

static int
cmd_import_enrollments (Registry *r)
{
  return cb_cli_import_enrollments (r->ctx, r->adr, r->model, r->arg);
}

/* ---- Dispatch --------------------------------------------------------------------------- */

static const struct
{
  const char   *name;
  RegistryFunc  func;
  gboolean      needs_model;   /* FALSE: the namespace may not exist yet */
  gboolean      stable_only;   /* only the certificate-authority model has it */
} subcommands[] = {
  { "model", cmd_model, TRUE, FALSE },
  { "cas", cmd_cas, TRUE, FALSE },
  { "policies", cmd_policies, TRUE, FALSE },
  { "links", cmd_links, TRUE, FALSE },
  { "devices", cmd_devices, TRUE, FALSE },
  { "create-namespace", cmd_create_namespace, FALSE, FALSE },
  { "create-root", cmd_create_root, TRUE, TRUE },
  { "create-ica", cmd_create_ica, TRUE, TRUE },
  { "create-external-ica", cmd_create_external_ica, TRUE, TRUE },
  { "activate", cmd_activate, TRUE, TRUE },
  { "revoke-and-rotate", cmd_revoke_and_rotate, TRUE, TRUE },
  { "revoke-issuer", cmd_revoke_issuer, TRUE, FALSE },
  { "create-policy", cmd_create_policy, TRUE, FALSE },
  { "delete-policy", cmd_delete_policy, TRUE, FALSE },
  { "link-hub", cmd_link_hub, TRUE, TRUE },
  { "link-dps", cmd_link_dps, TRUE, TRUE },
  { "unlink-hub", cmd_unlink_hub, TRUE, TRUE },
  { "unlink-dps", cmd_unlink_dps, TRUE, TRUE },
  { "revoke-device", cmd_revoke_device, TRUE, FALSE },
  { "create-enrollment-group", cmd_create_enrollment_group, TRUE, FALSE },
  { "import-enrollments", cmd_import_enrollments, TRUE, FALSE },
};

int
cb_cli_cmd_registry (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  g_autoptr(GError) error = NULL;
  Registry r = { .ctx = ctx };
  guint i;

  if (o->subcommand == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                        _("registry needs a subcommand: see certbench-cli --help"));
  for (i = 0; i < G_N_ELEMENTS (subcommands); i++)
    if (g_str_equal (subcommands[i].name, o->subcommand))
      break;
  if (i == G_N_ELEMENTS (subcommands))
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, _("Unknown registry subcommand “%s”"),
                        o->subcommand);
  if (o->rest != NULL && o->rest[0] != NULL)
    {
      r.arg = o->rest[0];
      if (o->rest[1] != NULL)
        return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, _("Unexpected argument “%s”"), o->rest[1]);
    }

  if (!cb_cli_context_connect (ctx, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, "%s", error->message);
  cb_cli_context_connect_arm (ctx);
  r.adr = cb_context_get_adr (ctx->context);
  if (r.adr == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, _("Not signed in to ARM: %s"),
                        ctx->arm_note != NULL ? ctx->arm_note : _("no reason given"));
  if (o->namespace_name != NULL)
    cb_adr_client_set_namespace (r.adr, o->namespace_name);

  if (subcommands[i].needs_model)
    {
      g_autoptr(GAsyncResult) result = NULL;

      cb_adr_client_get_model_async (r.adr, ctx->cancellable, cb_cli_store_result, &result);
      r.model = cb_adr_client_get_model_finish (r.adr, cb_cli_wait (&result), &error);
      if (r.model == CB_ADR_MODEL_UNKNOWN)
        return fail_error (&r, error, _("The namespace could not be read"));
      if (subcommands[i].stable_only && r.model != CB_ADR_MODEL_CERTIFICATE_AUTHORITIES)
        return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                            _("registry %s needs a namespace in the certificate-authority model "
                              "(2026-11-01); %s uses the credential model"),
                            o->subcommand, cb_adr_client_get_namespace (r.adr));
    }

  return subcommands[i].func (&r);
}
