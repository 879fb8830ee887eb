/*
 * fuzz.h — the entry point every tests/fuzz/fuzz_<name>.c defines.
 *
 * Each target is linked twice (see the "fuzz targets" section of
 * CMakeLists.txt): with libFuzzer (-DSLA_FUZZ=ON, clang) to search for
 * inputs, and with replay_main.c into an ordinary ctest test that runs the
 * seed corpus tests/fuzz/corpus/<name>/ on every build. A target must be
 * deterministic, must not keep state between calls, and reports a broken
 * invariant by aborting (both drivers turn that into a failure).
 */
#ifndef SLA_FUZZ_H
#define SLA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; data[0..size) is owned by the caller. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
