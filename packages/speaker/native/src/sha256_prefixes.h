// sha256Prefixes: the election's ranking hash (sha256(node + "#" + address), DESIGN.md) for every node at
// once. Called with the node names already encoded (one buffer, end offsets) and the "#address" suffix.
#pragma once

#include <napi.h>

namespace herald {

Napi::Value Sha256Prefixes(const Napi::CallbackInfo& info);

}  // namespace herald
