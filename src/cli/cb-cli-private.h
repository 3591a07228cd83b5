/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Everything certbench-cli's entry (cb-cli.c) uses of its parts: the structs, the context, the
 * shared helpers and the commands. The parts themselves include only the small headers they use.
 */
#pragma once

#include "cb-cli.h"
#include "cb-cli-cmd-devsim.h"
#include "cb-cli-cmd-inspect.h"
#include "cb-cli-cmd-journal.h"
#include "cb-cli-cmd-ports.h"
#include "cb-cli-cmd-provision.h"
#include "cb-cli-cmd-registry.h"
#include "cb-cli-cmd-station.h"
#include "cb-cli-shared.h"
#include "cb-cli-types.h"
