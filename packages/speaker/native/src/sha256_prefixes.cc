// One N-API call ranks every node for an address: at 5,000 nodes × 10,000 addresses the first election
// hashes 50 million (node, address) pairs, and node:crypto costs ~0.4–1.5 µs of overhead per one-block
// digest (arguments, a Hash object or a result buffer), several times the digest itself. Here the digest is
// OpenSSL's SHA-256 from the Node binary this addon is loaded into (the headers node-gyp builds against; no
// library of our own), with the low-level SHA256_* calls: SHA256() in OpenSSL 3 fetches the algorithm by
// name on every call. Only the first 48 bits leave: ties on them are settled by the caller with full digests.

// SHA256_Init/Update/Final are deprecated in OpenSSL 3.0 in favour of EVP, which fetches per context; they
// remain exported by Node and are the fastest path for one-block messages.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha256_prefixes.h"

#include <openssl/sha.h>

#include <cstdint>
#include <cstring>

namespace herald {

namespace {

bool Fail(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

}  // namespace

// sha256Prefixes(names: Uint8Array, ends: Uint32Array, suffix: Uint8Array, out: Float64Array): undefined
// Name i is names[ends[i-1] .. ends[i]) (ends[-1] = 0). out[i] = the digest's first 48 bits of
// sha256(name i + suffix), as an exact double. out.length must equal ends.length.
Napi::Value Sha256Prefixes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 4 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray() || !info[3].IsTypedArray()) {
    Fail(env, "sha256Prefixes(names: Uint8Array, ends: Uint32Array, suffix: Uint8Array, out: Float64Array)");
    return env.Undefined();
  }
  auto names = info[0].As<Napi::TypedArray>();
  auto ends = info[1].As<Napi::TypedArray>();
  auto suffix = info[2].As<Napi::TypedArray>();
  auto out = info[3].As<Napi::TypedArray>();
  if (names.TypedArrayType() != napi_uint8_array || ends.TypedArrayType() != napi_uint32_array ||
      suffix.TypedArrayType() != napi_uint8_array || out.TypedArrayType() != napi_float64_array) {
    Fail(env, "sha256Prefixes: names and suffix must be Uint8Array, ends Uint32Array, out Float64Array");
    return env.Undefined();
  }
  const size_t count = ends.ElementLength();
  if (out.ElementLength() != count) {
    Fail(env, "sha256Prefixes: out must have one slot per name (ends.length)");
    return env.Undefined();
  }
  const auto* nameBytes = static_cast<const uint8_t*>(names.As<Napi::Uint8Array>().Data());
  const auto* endOffsets = ends.As<Napi::Uint32Array>().Data();
  const auto* suffixBytes = suffix.As<Napi::Uint8Array>().Data();
  const size_t suffixLength = suffix.ElementLength();
  double* result = out.As<Napi::Float64Array>().Data();
  const size_t namesLength = names.ElementLength();
  uint32_t start = 0;
  for (size_t i = 0; i < count; i++) {
    const uint32_t end = endOffsets[i];
    if (end < start || end > namesLength) {
      Fail(env, "sha256Prefixes: ends must be ascending offsets within names");
      return env.Undefined();
    }
    SHA256_CTX ctx;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, nameBytes + start, end - start);
    SHA256_Update(&ctx, suffixBytes, suffixLength);
    SHA256_Final(digest, &ctx);
    uint64_t prefix = 0;
    for (int b = 0; b < 6; b++) prefix = (prefix << 8) | digest[b];
    result[i] = static_cast<double>(prefix);  // < 2^48: exact
    start = end;
  }
  return env.Undefined();
}

}  // namespace herald
