#pragma once

#include "polling_socket.h"

namespace herald {

// NETLINK_ROUTE socket subscribed to link and address changes (RTMGRP_LINK, RTMGRP_IPV4_IFADDR,
// RTMGRP_IPV6_IFADDR). It does not parse messages: the speaker re-reads all links after any of them. When
// the kernel had to drop events (the receive buffer was full), the error callback gets ENOBUFS, once, and
// the socket goes on; the caller must re-read everything. JS: new NetlinkEvents(bufferBytes) →
// { receiveBufferBytes }, start(onMessage(bytes), onError?), stop(), close().
class NetlinkEvents : public PollingSocket<NetlinkEvents> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NetlinkEvents(const Napi::CallbackInfo& info);

 private:
  friend class PollingSocket<NetlinkEvents>;
  static constexpr const char* kReceiveSyscall = "recv";

  bool Open(const Napi::CallbackInfo& info);
  Received ReceiveOne(Napi::Env env, napi_value* argv, size_t* argc, int* err);
};

}  // namespace herald
