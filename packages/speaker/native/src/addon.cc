// herald_net: the speaker's native addon. Three socket kinds and trimMalloc; see packet_socket.h,
// icmp6_socket.h and netlink_events.h. Loaded only by packages/speaker/src/native/index.ts.
#ifndef __linux__
#error "herald_net needs Linux (AF_PACKET, raw ICMPv6 sockets)"
#endif

#include <napi.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "icmp6_socket.h"
#include "netlink_events.h"
#include "packet_socket.h"

namespace {

// trimMalloc(): returns the C heap's free pages to the kernel (glibc malloc_trim(0)); true if any were.
// glibc only gives back free memory at the top of its main heap by itself: after a burst of allocations
// (HTTP and TLS buffers of thousands of status writes and Events) the freed middle stays resident, and a
// container's memory limit counts it. A speaker owning 3,780 addresses held 212 MiB there (486 MiB resident
// with a 128 MiB JS heap); malloc_trim(0) brought it to 280 MiB (bench/speaker/addressMemory.ts).
// Elsewhere (musl) a no-op that returns false.
Napi::Value TrimMalloc(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", herald::PacketSocket::Define(env));
  exports.Set("Icmp6Socket", herald::Icmp6Socket::Define(env));
  exports.Set("NetlinkEvents", herald::NetlinkEvents::Define(env));
  exports.Set("trimMalloc", Napi::Function::New(env, TrimMalloc, "trimMalloc"));
  return exports;
}

}  // namespace

NODE_API_MODULE(herald_net, Init)
