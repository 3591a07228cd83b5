/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-hub-certificate.h"

G_BEGIN_DECLS

/* What DPS accepts for an enrollment group id: up to 128 letters, digits and - . _ :, ending
 * with a letter, a digit or a hyphen. */
gboolean cb_enrollment_group_id_is_valid (const char *id);

/**
 * CbEnrollmentGroupDialog:
 *
 * "New Enrollment Group" in a namespace of the certificate-authority model: a group name (not
 * one the provisioning service has) and the intermediate CA picked from the namespace's, each
 * shown with the policy under it (an ICA has one), so the three names DPS needs always come
 * together; a CA without a policy, or that cannot sign yet, keeps Create off. Create
 * makes the group (symmetric keys DPS generates) on the connection's provisioning service; a
 * refusal keeps the dialog open with the service's reason and everything chosen. "created" is
 * emitted with the group's id before the dialog closes.
 */
#define CB_TYPE_ENROLLMENT_GROUP_DIALOG (cb_enrollment_group_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbEnrollmentGroupDialog, cb_enrollment_group_dialog, CB,
                      ENROLLMENT_GROUP_DIALOG, AdwWindow)

/* @cas: (element-type CbCertificateAuthority): the namespace's certificate authorities (the
 * intermediate ones are offered); @policies: ICA name (lower case) → CbPolicy, the policy
 * under each; @existing: (nullable): the provisioning service's group ids; @dps_link: the
 * state of the namespace's link to the service, for the user (NULL when not linked). */
CbEnrollmentGroupDialog *cb_enrollment_group_dialog_new (CbContext          *context,
                                                         const char         *namespace_name,
                                                         GPtrArray          *cas,
                                                         GHashTable         *policies,
                                                         const char * const *existing,
                                                         const char         *dps_link);

/* Offers, besides symmetric keys, X.509 attestation by each of the provisioning service's
 * signing CAs (element-type CbHubCertificate; unverified ones shown, not choosable). */
void         cb_enrollment_group_dialog_set_signing_cas (CbEnrollmentGroupDialog *self,
                                                         GPtrArray               *certificates);
/* Chooses the signing CA name (FALSE when it is not offered or not verified). */
gboolean     cb_enrollment_group_dialog_choose_signing_ca (CbEnrollmentGroupDialog *self,
                                                           const char              *name);

/* For tests: the name entry, choosing an intermediate CA by name (FALSE when not offered), the
 * names chosen (NULL when none), the error shown, whether it runs, whether Create is possible. */
GtkEditable *cb_enrollment_group_dialog_get_id_entry (CbEnrollmentGroupDialog *self);
gboolean     cb_enrollment_group_dialog_choose_ca    (CbEnrollmentGroupDialog *self,
                                                      const char              *ca_name);
const char  *cb_enrollment_group_dialog_get_ca       (CbEnrollmentGroupDialog *self);
const char  *cb_enrollment_group_dialog_get_policy   (CbEnrollmentGroupDialog *self);
const char  *cb_enrollment_group_dialog_get_error    (CbEnrollmentGroupDialog *self);
gboolean     cb_enrollment_group_dialog_get_busy     (CbEnrollmentGroupDialog *self);
gboolean     cb_enrollment_group_dialog_can_create   (CbEnrollmentGroupDialog *self);

G_END_DECLS
