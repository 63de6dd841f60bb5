#include "alloc_meter.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WALPROOF_FUZZ_ALLOC_HOOKS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WALPROOF_FUZZ_ALLOC_HOOKS 1
#endif

#ifdef WALPROOF_FUZZ_ALLOC_HOOKS
#include <sanitizer/allocator_interface.h>
#endif

namespace walproof::fuzz {
namespace {

thread_local int active = 0;
thread_local size_t total = 0;
thread_local size_t biggest = 0;

#ifdef WALPROOF_FUZZ_ALLOC_HOOKS
void OnMalloc(const volatile void*, size_t size) {
  if (active) {
    total += size;
    if (size > biggest) biggest = size;
  }
}
void OnFree(const volatile void*) {}

bool Install() {
  return __sanitizer_install_malloc_and_free_hooks(OnMalloc, OnFree) != 0;
}
#else
bool Install() { return false; }
#endif

bool Installed() {
  static const bool ok = Install();
  return ok;
}

}  // namespace

AllocMeter::AllocMeter() {
  Installed();
  total = 0;
  biggest = 0;
  ++active;
}

AllocMeter::~AllocMeter() { --active; }

bool AllocMeter::available() { return Installed(); }
size_t AllocMeter::allocated() const { return total; }
size_t AllocMeter::largest() const { return biggest; }

}  // namespace walproof::fuzz
