#include "packet_socket.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

namespace herald {

namespace {

// Ethernet/IPv4 ARP only, the whole frame; everything else is dropped in the kernel. Equal to
// `tcpdump -dd 'arp and ether[14:4] = 0x00010800 and ether[18:2] = 0x0604'`.
sock_filter kArpOnly[] = {
    {0x28, 0, 0, 12},          // ldh [12]             ethertype
    {0x15, 0, 5, 0x0806},      // jeq #0x0806          ARP, else drop
    {0x20, 0, 0, 14},          // ld  [14]             hardware type, protocol type
    {0x15, 0, 3, 0x00010800},  // jeq #0x00010800      Ethernet, IPv4, else drop
    {0x28, 0, 0, 18},          // ldh [18]             hardware and protocol address lengths
    {0x15, 0, 1, 0x0604},      // jeq #0x0604          6 and 4, else drop
    {0x06, 0, 0, 0x00040000},  // ret #262144          accept
    {0x06, 0, 0, 0},           // ret #0               drop
};
}  // namespace

Napi::Function PacketSocket::Define(Napi::Env env) {
  return DefineClass(env, "PacketSocket",
                     {
                         InstanceMethod("send", &PacketSocket::Send),
                         InstanceMethod("start", &PacketSocket::Start),
                         InstanceMethod("stop", &PacketSocket::Stop),
                         InstanceMethod("close", &PacketSocket::Close),
                     });
}

PacketSocket::PacketSocket(const Napi::CallbackInfo& info) : PollingSocket<PacketSocket>(info) {
  std::string ifname;
  if (!InterfaceNameArg(info, "PacketSocket", &ifname)) return;
  Init("PacketSocket", ifname);
  Open(info);  // on failure a JS exception is pending; node-addon-api deletes us, closing the fd
}

bool PacketSocket::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Protocol 0 receives nothing until bind() names ETH_P_ARP, after the filter is in place: no frame from
  // another interface or of another type is ever queued.
  fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Fail(env, "socket", "AF_PACKET, SOCK_RAW");

  uint8_t mac[6];
  if (!LookupInterface(env, fd_, ifname_, context_, &ifindex_, mac)) return false;

  sock_fprog program{static_cast<unsigned short>(sizeof kArpOnly / sizeof kArpOnly[0]), kArpOnly};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0) {
    return Fail(env, "setsockopt", "SO_ATTACH_FILTER");
  }
  // A socket bound to one protocol is not handed outgoing frames anyway (only ETH_P_ALL taps are); this
  // keeps it so should the binding ever widen. Linux >= 4.20.
  int one = 1;
  if (setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
    return Fail(env, "setsockopt", "PACKET_IGNORE_OUTGOING");
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ARP);
  sll.sll_ifindex = static_cast<int>(ifindex_);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return Fail(env, "bind");

  DefineValue(info, "interface", Napi::String::New(env, ifname_));
  DefineValue(info, "ifindex", Napi::Number::New(env, ifindex_));
  DefineValue(info, "mac", Napi::Buffer<uint8_t>::Copy(env, mac, 6));
  return true;
}

// send(frame): a whole Ethernet frame (destination MAC first); returns the bytes sent. Never blocks:
// a full queue is an EAGAIN/ENOBUFS error for the caller to handle.
Napi::Value PacketSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* data;
  size_t length;
  if (!BytesArg(info, 0, "frame", ETH_HLEN, 65535, &data, &length)) return env.Undefined();
  if (!CheckOpen(env, "send")) return env.Undefined();
  ssize_t n;
  do {
    n = ::send(fd_, data, length, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    SystemError(env, errno, "send", context_, ifname_).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

Received PacketSocket::ReceiveOne(Napi::Env env, napi_value* argv, size_t* argc, int* err) {
  sockaddr_ll from{};
  socklen_t fromLength = sizeof from;
  ssize_t n = recvfrom(fd_, buffer_.data(), buffer_.size(), MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &fromLength);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Received::kAgain;
    if (errno == EINTR) return Received::kSkip;
    *err = errno;
    return Received::kError;
  }
  if (static_cast<size_t>(n) > buffer_.size()) return Received::kSkip;  // larger than any frame we handle
  argv[0] = Napi::Buffer<uint8_t>::Copy(env, buffer_.data(), static_cast<size_t>(n));
  argv[1] = Napi::Number::New(env, from.sll_pkttype);
  *argc = 2;
  return Received::kMessage;
}

}  // namespace herald
