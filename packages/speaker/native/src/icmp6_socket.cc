#include "icmp6_socket.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace herald {

namespace {

constexpr int kNdpHopLimit = 255;  // RFC 4861: sent with 255, and anything else received is dropped

std::string AddressText(const uint8_t* address) {
  char text[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, address, text, sizeof text) != nullptr ? text : "?";
}

}  // namespace

Napi::Function Icmp6Socket::Define(Napi::Env env) {
  return DefineClass(env, "Icmp6Socket",
                     {
                         InstanceMethod("send", &Icmp6Socket::Send),
                         InstanceMethod("joinGroup", &Icmp6Socket::JoinGroup),
                         InstanceMethod("leaveGroup", &Icmp6Socket::LeaveGroup),
                         InstanceMethod("start", &Icmp6Socket::Start),
                         InstanceMethod("stop", &Icmp6Socket::Stop),
                         InstanceMethod("close", &Icmp6Socket::Close),
                     });
}

Icmp6Socket::Icmp6Socket(const Napi::CallbackInfo& info) : PollingSocket<Icmp6Socket>(info) {
  std::string ifname;
  if (!InterfaceNameArg(info, "Icmp6Socket", &ifname)) return;
  Init("Icmp6Socket", ifname);
  Open(info);
}

bool Icmp6Socket::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  fd_ = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd_ < 0) return Fail(env, "socket", "AF_INET6, SOCK_RAW, IPPROTO_ICMPV6");

  // new Icmp6Socket(ifname, { receive: false }): a socket only for sending (the speaker receives
  // neighbour discovery on a packet socket), which must not queue a copy of every NS/NA on the link.
  bool receive = true;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Value r = info[1].As<Napi::Object>().Get("receive");
    if (r.IsBoolean()) receive = r.As<Napi::Boolean>().Value();
  }
  // The filter first, so the window in which other ICMPv6 types can be queued is as short as possible.
  icmp6_filter filter;
  ICMP6_FILTER_SETBLOCKALL(&filter);
  if (receive) {
    ICMP6_FILTER_SETPASS(ND_NEIGHBOR_SOLICIT, &filter);
    ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &filter);
  }
  if (setsockopt(fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) < 0) {
    return Fail(env, "setsockopt", "ICMP6_FILTER");
  }

  uint8_t mac[6];
  if (!LookupInterface(env, fd_, ifname_, context_, &ifindex_, mac)) return false;
  if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, ifname_.c_str(), static_cast<socklen_t>(ifname_.size() + 1)) < 0) {
    return Fail(env, "setsockopt", "SO_BINDTODEVICE");
  }

  const int one = 1;
  const int zero = 0;
  const int ifindex = static_cast<int>(ifindex_);
  struct Option {
    int option;
    const char* name;
    const int* value;
  };
  const Option options[] = {
      {IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", &one},
      {IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", &one},
      {IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS", &kNdpHopLimit},
      {IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS", &kNdpHopLimit},
      {IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP", &zero},
      {IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF", &ifindex},
  };
  for (const Option& o : options) {
    if (setsockopt(fd_, IPPROTO_IPV6, o.option, o.value, sizeof(int)) < 0) return Fail(env, "setsockopt", o.name);
  }
  DrainQueued();  // anything that arrived on another interface before SO_BINDTODEVICE

  DefineValue(info, "interface", Napi::String::New(env, ifname_));
  DefineValue(info, "ifindex", Napi::Number::New(env, ifindex_));
  DefineValue(info, "mac", Napi::Buffer<uint8_t>::Copy(env, mac, 6));
  return true;
}

// send(payload, destination): an ICMPv6 message (the kernel fills in the checksum) to a 16-byte address,
// out of this interface (the scope id for link-local and multicast destinations), hop limit 255.
Napi::Value Icmp6Socket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* payload;
  const uint8_t* destination;
  size_t length;
  size_t addressLength;
  if (!BytesArg(info, 0, "payload", 4, 65535, &payload, &length)) return env.Undefined();
  if (!BytesArg(info, 1, "destination", 16, 16, &destination, &addressLength)) return env.Undefined();
  if (!CheckOpen(env, "sendto")) return env.Undefined();
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  std::memcpy(&to.sin6_addr, destination, 16);
  to.sin6_scope_id = ifindex_;
  ssize_t n;
  do {
    n = ::sendto(fd_, payload, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    SystemError(env, errno, "sendto", context_, ifname_, AddressText(destination)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value Icmp6Socket::JoinGroup(const Napi::CallbackInfo& info) {
  return Membership(info, IPV6_JOIN_GROUP, "IPV6_JOIN_GROUP");
}

Napi::Value Icmp6Socket::LeaveGroup(const Napi::CallbackInfo& info) {
  return Membership(info, IPV6_LEAVE_GROUP, "IPV6_LEAVE_GROUP");
}

// Joining a group twice is EADDRINUSE and leaving one not joined is EADDRNOTAVAIL: both are thrown.
Napi::Value Icmp6Socket::Membership(const Napi::CallbackInfo& info, int option, const char* optionName) {
  Napi::Env env = info.Env();
  const uint8_t* group;
  size_t length;
  if (!BytesArg(info, 0, "group", 16, 16, &group, &length)) return env.Undefined();
  if (!CheckOpen(env, "setsockopt")) return env.Undefined();
  ipv6_mreq request{};
  std::memcpy(&request.ipv6mr_multiaddr, group, 16);
  request.ipv6mr_interface = ifindex_;
  if (setsockopt(fd_, IPPROTO_IPV6, option, &request, sizeof request) < 0) {
    SystemError(env, errno, "setsockopt", context_, ifname_, std::string(optionName) + " " + AddressText(group))
        .ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Received Icmp6Socket::ReceiveOne(Napi::Env env, napi_value* argv, size_t* argc, int* err) {
  sockaddr_in6 from{};
  iovec iov{buffer_.data(), buffer_.size()};
  union {
    cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + 64];
  } control;
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  ssize_t n = recvmsg(fd_, &msg, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Received::kAgain;
    if (errno == EINTR) return Received::kSkip;
    *err = errno;
    return Received::kError;
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) return Received::kSkip;

  int hopLimit = -1;  // -1: the kernel gave none, which a caller must treat as "not 255"
  in6_addr destination{};
  unsigned ifindex = from.sin6_scope_id;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      std::memcpy(&hopLimit, CMSG_DATA(c), sizeof(int));
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo pktinfo;
      std::memcpy(&pktinfo, CMSG_DATA(c), sizeof pktinfo);
      destination = pktinfo.ipi6_addr;
      ifindex = static_cast<unsigned>(pktinfo.ipi6_ifindex);
    }
  }
  argv[0] = Napi::Buffer<uint8_t>::Copy(env, buffer_.data(), static_cast<size_t>(n));
  argv[1] = Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(&from.sin6_addr), 16);
  argv[2] = Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(&destination), 16);
  argv[3] = Napi::Number::New(env, hopLimit);
  argv[4] = Napi::Number::New(env, ifindex);
  *argc = 5;
  return Received::kMessage;
}

}  // namespace herald
