// herald_net: the speaker's native addon. Three socket kinds, the election's batch hash, the membership
// thread's scheduling and the allocator's free pages; see packet_socket.h, icmp6_socket.h,
// netlink_events.h, sha256_prefixes.h, thread_scheduling.h and free_pages.h. Loaded only by
// packages/speaker/src/native/index.ts.
#ifndef __linux__
#error "herald_net needs Linux (AF_PACKET, raw ICMPv6 sockets)"
#endif

#include <napi.h>

#include "free_pages.h"
#include "icmp6_socket.h"
#include "netlink_events.h"
#include "packet_socket.h"
#include "sha256_prefixes.h"
#include "thread_scheduling.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", herald::PacketSocket::Define(env));
  exports.Set("Icmp6Socket", herald::Icmp6Socket::Define(env));
  exports.Set("NetlinkEvents", herald::NetlinkEvents::Define(env));
  exports.Set("sha256Prefixes", Napi::Function::New(env, herald::Sha256Prefixes, "sha256Prefixes"));
  exports.Set("threadId", Napi::Function::New(env, herald::ThreadId, "threadId"));
  exports.Set("setThreadScheduling", Napi::Function::New(env, herald::SetThreadScheduling, "setThreadScheduling"));
  exports.Set("releaseFreePages", Napi::Function::New(env, herald::ReleaseFreePages, "releaseFreePages"));
  return exports;
}

}  // namespace

NODE_API_MODULE(herald_net, Init)
