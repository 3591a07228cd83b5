/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the X.509-onboarding tests share (cb-test-factory.c): the real openssl as a client no
 * one here wrote (a factory CA, a device's onboarding certificate signed by it, fingerprints),
 * and the built certbench-devsim as the factory and as a device with its onboarding identity.
 * Every failure fails the test, with what the program said on stderr. */

/* Runs the program @argv[0] (searched in PATH) with @argv (NULL-terminated) to success: its
 * stdout. Its output goes to the test log. */
char        *cb_test_run_program         (const char * const *argv);

/* Runs `openssl @args…` (@args NULL-terminated, without "openssl") to success: its stdout. */
char        *cb_test_openssl             (const char * const *args);

/* openssl: a new self-signed factory CA, EC P-256, 30 days, with @subject ("/CN=…"), and the
 * extensions the sandbox requires of a signing certificate (critical CA:TRUE, critical
 * keyCertSign and cRLSign): the certificate to @cert, its key to @key (PEM). */
void         cb_test_factory_ca          (const char         *cert,
                                          const char         *key,
                                          const char         *subject);

/* openssl: a device's onboarding certificate, CN=@cn, for a new EC P-256 key, signed for 30
 * days by the factory CA in @ca_cert and @ca_key: the certificate to @cert, the key to @key
 * (PEM). */
void         cb_test_factory_device      (const char         *ca_cert,
                                          const char         *ca_key,
                                          const char         *cn,
                                          const char         *cert,
                                          const char         *key);

/* What the real `openssl x509 -noout -fingerprint @digest` ("-sha256", "-sha1") prints for the
 * certificate in @path (DER when @der, else PEM), after the "=": "AB:CD:…". */
char        *cb_test_openssl_fingerprint (const char         *path,
                                          const char         *digest,
                                          gboolean            der);

/* The built certbench-devsim ($CERTBENCH_DEVSIM, which the test's environment sets). */
const char  *cb_test_devsim_path         (void);

/* Runs certbench-devsim with @args (NULL-terminated) to its end, without G_MESSAGES_DEBUG (its
 * stdout holds only what it prints, a certificate say): its exit status (-1 when a signal
 * ended it); its stdout in @out when not NULL. What it printed goes to the test log. */
int          cb_test_devsim_run          (char              **out,
                                          const char * const *args);

/* certbench-devsim --make-factory-ca: a new test factory CA, its certificate to @cert and its
 * key to @key. Its exit status. */
int          cb_test_devsim_make_factory_ca (const char      *cert,
                                             const char      *key);

/* certbench-devsim --print-onboarding-cert: the onboarding certificate (PEM, to @out) of the
 * device in @state_dir for the registration id @id, which the factory CA in @ca and @ca_key
 * signs at its first start; @serial, when not NULL, is the device's serial number. Its exit
 * status. */
int          cb_test_devsim_onboarding_cert (const char      *state_dir,
                                             const char      *serial,
                                             const char      *ca,
                                             const char      *ca_key,
                                             const char      *id,
                                             char           **out);

/* Starts certbench-devsim with @args; it dies with the test, whichever way the test ends. */
GSubprocess *cb_test_devsim_spawn        (GSubprocessFlags    flags,
                                          const char * const *args);

/* Starts certbench-devsim with @args behind a pty of its own (the first line it prints is
 * "PTY <path>"): the process, its stdout still piped; the pty's path in @out_pty. */
GSubprocess *cb_test_devsim_start_pty    (const char * const *args,
                                          char              **out_pty);

G_END_DECLS
