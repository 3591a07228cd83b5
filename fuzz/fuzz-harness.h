/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every harness defines the libFuzzer entry point. The regression test (test-fuzz-regress.c)
 * compiles each harness with -DLLVMFuzzerTestOneInput=cb_fuzz_<name> and calls them all from
 * one ordinary main(), so the same code runs under any compiler. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);
