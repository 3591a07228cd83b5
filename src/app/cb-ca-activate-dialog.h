/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Before an External intermediate CA is activated: what the chain file must hold and the
 * checks the service makes on it, so that a refusal is no surprise. Responds "choose" (pick
 * the chain file) or "cancel". */
AdwMessageDialog *cb_ca_activate_dialog_new        (GtkWindow  *parent,
                                                    const char *ca_name);

/* After a refusal: the service's reason, whole, in a dialog of its own (a toast is too short
 * for it). Responds "close". */
AdwMessageDialog *cb_ca_activate_dialog_new_failed (GtkWindow  *parent,
                                                    const char *ca_name,
                                                    const char *reason);

G_END_DECLS
