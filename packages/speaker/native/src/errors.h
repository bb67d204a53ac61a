// Errors thrown to JavaScript, shaped like Node core's system errors: an Error with `code` ('EPERM'),
// `errno` (negative, as in Node: -1 for EPERM), `syscall` ('socket') and `interface` ('eth0').
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace herald {

// "PacketSocket eth0: setsockopt(SO_ATTACH_FILTER) failed: Operation not permitted (EPERM)".
// `context` names the socket kind and interface; `detail` (optional) names the option or request;
// `note` (optional) is appended: "…: Bad file descriptor (EBADF): the socket is closed".
Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const std::string& context,
                        const std::string& ifname, const std::string& detail = "", const std::string& note = "");

// TypeError/RangeError with a Node-style code (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE).
void ThrowTypeError(Napi::Env env, const std::string& message);
void ThrowRangeError(Napi::Env env, const std::string& message);

// Validates info[0] as an interface name (1..15 bytes, no NUL); throws and returns false otherwise.
bool InterfaceNameArg(const Napi::CallbackInfo& info, const char* kind, std::string* ifname);

// Validates info[i] as a Uint8Array (a Buffer is one) of `minLength`..`maxLength` bytes.
bool BytesArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t minLength, size_t maxLength,
              const uint8_t** data, size_t* length);

// SIOCGIFINDEX and SIOCGIFHWADDR through any socket; requires an Ethernet interface. Throws on failure.
bool LookupInterface(Napi::Env env, int fd, const std::string& ifname, const std::string& context,
                     unsigned* ifindex, uint8_t mac[6]);

}  // namespace herald
