// glibc's malloc keeps memory that Node, V8 (parser and compiler zones, on the main thread and on V8's
// background threads, each with an arena of its own) and OpenSSL freed, and returns to the kernel only the
// top of each arena. An idle speaker measured 12 MB of its 26 MB malloc heap free but resident, 8 MiB of
// which malloc_trim(0) handed back (bench/speaker/memoryLevers.ts). malloc_trim walks every arena and
// releases each free page (madvise MADV_DONTNEED) whatever its position; the chunks stay allocator-owned,
// so a later malloc faults the pages in again. Other C libraries (musl) have no malloc_trim: false there.
#include "free_pages.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace herald {

// releaseFreePages(): boolean — true when some memory was returned to the kernel.
Napi::Value ReleaseFreePages(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace herald
