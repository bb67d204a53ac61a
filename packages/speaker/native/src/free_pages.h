// releaseFreePages: hands the C allocator's free pages back to the kernel. See free_pages.cc.
#pragma once

#include <napi.h>

namespace herald {

Napi::Value ReleaseFreePages(const Napi::CallbackInfo& info);

}  // namespace herald
