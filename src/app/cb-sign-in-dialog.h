/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_SIGN_IN_DIALOG (cb_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbSignInDialog, cb_sign_in_dialog, CB, SIGN_IN_DIALOG, AdwWindow)

/* Starts a device-code sign-in for the context's active profile as soon as it is shown and
 * closes itself once signed in. Closing it cancels the sign-in. */
CbSignInDialog *cb_sign_in_dialog_new       (CbContext      *context);
/* The code on show, or NULL while it is being requested (tests). */
const char     *cb_sign_in_dialog_get_code  (CbSignInDialog *self);

G_END_DECLS
