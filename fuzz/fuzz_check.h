// FUZZ_CHECK: the one way a fuzz target reports a broken property.
//
// It must stop the process in every build (NDEBUG or not, libFuzzer or the
// plain driver), print what failed, and leave a crash that libFuzzer saves
// as an artifact, so it is not assert().
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

#define FUZZ_CHECK(cond, ...)                                                     \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                          \
      std::fprintf(stderr, "\n");                                                 \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

// For helpers in a target file whose loops only make test data: coverage
// callbacks on every byte of them cost exec/s and add no useful feature.
#if defined(__clang__)
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_NO_COVERAGE
#endif

// Long fuzzing runs may skip the check of a finding that is reported but not
// fixed yet, so that it does not stop every run: WALPROOF_FUZZ_SKIP_FINDINGS=
// name[,name]. ctest never sets it; the names are in the targets.
inline bool OpenFindingSkipped(const char* name) {
  static const char* env = std::getenv("WALPROOF_FUZZ_SKIP_FINDINGS");
  return env != nullptr && std::strstr(env, name) != nullptr;
}

// Triage output: printed only when WALPROOF_FUZZ_DEBUG is set, e.g. when
// replaying one crash file with the plain driver.
inline bool FuzzDebug() {
  static const bool on = std::getenv("WALPROOF_FUZZ_DEBUG") != nullptr;
  return on;
}
#define FUZZ_LOG(...)                      \
  do {                                     \
    if (FuzzDebug()) {                     \
      std::fprintf(stderr, __VA_ARGS__);   \
      std::fprintf(stderr, "\n");          \
    }                                      \
  } while (0)
