#include "netlink_events.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace herald {

Napi::Function NetlinkEvents::Define(Napi::Env env) {
  return DefineClass(env, "NetlinkEvents",
                     {
                         InstanceMethod("start", &NetlinkEvents::Start),
                         InstanceMethod("stop", &NetlinkEvents::Stop),
                         InstanceMethod("close", &NetlinkEvents::Close),
                     });
}

NetlinkEvents::NetlinkEvents(const Napi::CallbackInfo& info) : PollingSocket<NetlinkEvents>(info) {
  Init("NetlinkEvents", "rtnetlink");
  Open(info);
}

bool NetlinkEvents::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int requested = 0;
  if (info.Length() > 0 && info[0].IsNumber()) requested = info[0].As<Napi::Number>().Int32Value();
  if (requested < 0) {
    ThrowTypeError(env, context_ + ": the receive buffer size must not be negative");
    return false;
  }
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) return Fail(env, "socket", "AF_NETLINK, NETLINK_ROUTE");
  // A burst of pod churn is hundreds of messages; a larger buffer makes overflow rarer (the kernel caps it
  // at 2 × net.core.rmem_max without CAP_NET_ADMIN). Overflow is still handled: ENOBUFS, then a re-read.
  if (requested > 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &requested, sizeof requested) < 0) {
    return Fail(env, "setsockopt", "SO_RCVBUF");
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) return Fail(env, "bind", "RTMGRP_LINK|RTMGRP_IPV4_IFADDR|RTMGRP_IPV6_IFADDR");
  int actual = 0;
  socklen_t length = sizeof actual;
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &actual, &length) < 0) return Fail(env, "getsockopt", "SO_RCVBUF");
  DefineValue(info, "receiveBufferBytes", Napi::Number::New(env, actual));
  return true;
}

Received NetlinkEvents::ReceiveOne(Napi::Env env, napi_value* argv, size_t* argc, int* err) {
  ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Received::kAgain;
    if (errno == EINTR) return Received::kSkip;
    // ENOBUFS: the kernel dropped events. Reported once; the socket keeps working.
    *err = errno;
    return Received::kError;
  }
  argv[0] = Napi::Number::New(env, static_cast<double>(n));
  *argc = 1;
  return Received::kMessage;
}

}  // namespace herald
