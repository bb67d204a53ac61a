#include "packet_socket.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

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

// Neighbor Solicitations and Advertisements only, the whole frame. Equal to
// `tcpdump -dd 'ip6 and ip6[6] = 58 and ip6[7] = 255 and (ip6[40] = 135 or ip6[40] = 136)'`.
// ICMPv6 must follow the fixed IPv6 header directly: a message behind extension headers (which no
// neighbour discovery sender uses, and fragmented ones RFC 6980 forbids) is dropped here, unanswered.
// A hop limit other than 255 (RFC 4861 §7.1: it may come from off-link) is dropped here too; core checks
// it again. The checksum is verified in core: this socket sees frames before the IPv6 stack does.
sock_filter kNdpOnly[] = {
    {0x28, 0, 0, 12},          // ldh [12]             ethertype
    {0x15, 0, 8, 0x86dd},      // jeq #0x86dd          IPv6, else drop
    {0x30, 0, 0, 20},          // ldb [20]             next header
    {0x15, 0, 6, 58},          // jeq #58              ICMPv6, else drop
    {0x30, 0, 0, 21},          // ldb [21]             hop limit
    {0x15, 0, 4, 255},         // jeq #255             else drop
    {0x30, 0, 0, 54},          // ldb [54]             ICMPv6 type
    {0x15, 1, 0, 135},         // jeq #135             Neighbor Solicitation: accept
    {0x15, 0, 1, 136},         // jeq #136             Neighbor Advertisement: accept, else drop
    {0x06, 0, 0, 0x00040000},  // ret #262144          accept
    {0x06, 0, 0, 0},           // ret #0               drop
};

// Multicast Listener Queries only (ICMPv6 type 130), the whole frame. Equal to
// `tcpdump -dd 'ip6 and ip6[6] = 0 and ip6[7] = 1 and ip6[40] = 58 and ip6[41] = 0 and ip6[48] = 130'`:
// hop limit 1 (RFC 3810 §5.1: anything else may come from off-link) and an 8-byte hop-by-hop header (the
// Router Alert and padding every querier sends) directly followed by ICMPv6. Core checks it all again.
sock_filter kMldQueryOnly[] = {
    {0x28, 0, 0, 12},          // ldh [12]             ethertype
    {0x15, 0, 11, 0x86dd},     // jeq #0x86dd          IPv6, else drop
    {0x30, 0, 0, 20},          // ldb [20]             next header
    {0x15, 0, 9, 0},           // jeq #0               hop-by-hop, else drop
    {0x30, 0, 0, 21},          // ldb [21]             hop limit
    {0x15, 0, 7, 1},           // jeq #1               else drop
    {0x30, 0, 0, 54},          // ldb [54]             hop-by-hop: next header
    {0x15, 0, 5, 58},          // jeq #58              ICMPv6, else drop
    {0x30, 0, 0, 55},          // ldb [55]             hop-by-hop: length in 8-byte units beyond the first
    {0x15, 0, 3, 0},           // jeq #0               8 bytes, else drop
    {0x30, 0, 0, 62},          // ldb [62]             ICMPv6 type
    {0x15, 0, 1, 130},         // jeq #130             Multicast Listener Query: accept, else drop
    {0x06, 0, 0, 0x00040000},  // ret #262144          accept
    {0x06, 0, 0, 0},           // ret #0               drop
};

// Receives nothing: for a socket that only sends frames and holds link-layer memberships while another
// socket (the answering thread's) reads.
sock_filter kNothing[] = {
    {0x06, 0, 0, 0},  // ret #0  drop
};

struct Protocol {
  const char* name;
  uint16_t ethertype;
  sock_filter* filter;
  unsigned short filterLength;
};

const Protocol kProtocols[] = {
    {"arp", ETH_P_ARP, kArpOnly, sizeof kArpOnly / sizeof kArpOnly[0]},
    {"ndp", ETH_P_IPV6, kNdpOnly, sizeof kNdpOnly / sizeof kNdpOnly[0]},
    {"mld", ETH_P_IPV6, kMldQueryOnly, sizeof kMldQueryOnly / sizeof kMldQueryOnly[0]},
    // Bound to protocol 0: the kernel hands it no frame at all (the filter is belt and braces).
    {"none", 0, kNothing, sizeof kNothing / sizeof kNothing[0]},
};

}  // namespace

Napi::Function PacketSocket::Define(Napi::Env env) {
  return DefineClass(env, "PacketSocket",
                     {
                         InstanceMethod("send", &PacketSocket::Send),
                         InstanceMethod("addMembership", &PacketSocket::AddMembership),
                         InstanceMethod("dropMembership", &PacketSocket::DropMembership),
                         InstanceMethod("setAllMulticast", &PacketSocket::SetAllMulticast),
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
  const Protocol* protocol = &kProtocols[0];
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    protocol = nullptr;
    if (info[1].IsString()) {
      const std::string wanted = info[1].As<Napi::String>().Utf8Value();
      for (const Protocol& p : kProtocols) {
        if (wanted == p.name) protocol = &p;
      }
    }
    if (protocol == nullptr) {
      ThrowTypeError(env, context_ + ": protocol must be \"arp\", \"ndp\", \"mld\" or \"none\"");
      return false;
    }
  }
  // Protocol 0 receives nothing until bind() names the protocol, after the filter is in place: no frame
  // from another interface or of another type is ever queued.
  fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Fail(env, "socket", "AF_PACKET, SOCK_RAW");

  uint8_t mac[6];
  if (!LookupInterface(env, fd_, ifname_, context_, &ifindex_, mac)) return false;

  sock_fprog program{protocol->filterLength, protocol->filter};
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
  sll.sll_protocol = htons(protocol->ethertype);
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

Napi::Value PacketSocket::AddMembership(const Napi::CallbackInfo& info) {
  return Membership(info, PACKET_ADD_MEMBERSHIP, "PACKET_ADD_MEMBERSHIP");
}

Napi::Value PacketSocket::DropMembership(const Napi::CallbackInfo& info) {
  return Membership(info, PACKET_DROP_MEMBERSHIP, "PACKET_DROP_MEMBERSHIP");
}

// addMembership(mac) / dropMembership(mac): a link-layer multicast group (PACKET_MR_MULTICAST) the
// interface must accept while this socket lives; the kernel counts repeats and removes the group from the
// interface when the socket closes. Not charged to net.core.optmem_max. Dropping one never added is
// EADDRNOTAVAIL (thrown).
Napi::Value PacketSocket::Membership(const Napi::CallbackInfo& info, int option, const char* optionName) {
  Napi::Env env = info.Env();
  const uint8_t* mac;
  size_t length;
  if (!BytesArg(info, 0, "mac", 6, 6, &mac, &length)) return env.Undefined();
  if (!CheckOpen(env, "setsockopt")) return env.Undefined();
  if ((mac[0] & 1) == 0) {
    ThrowTypeError(env, context_ + ": " + optionName + " needs a group (multicast) MAC address");
    return env.Undefined();
  }
  packet_mreq request{};
  request.mr_ifindex = static_cast<int>(ifindex_);
  request.mr_type = PACKET_MR_MULTICAST;
  request.mr_alen = 6;
  std::memcpy(request.mr_address, mac, 6);
  if (setsockopt(fd_, SOL_PACKET, option, &request, sizeof request) < 0) {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    SystemError(env, errno, "setsockopt", context_, ifname_, std::string(optionName) + " " + text).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// setAllMulticast(on): PACKET_MR_ALLMULTI, the interface accepts every multicast frame while this socket
// holds it (for when the groups are too many for exact filtering). Idempotent.
Napi::Value PacketSocket::SetAllMulticast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    ThrowTypeError(env, context_ + ": setAllMulticast() needs a boolean");
    return env.Undefined();
  }
  const bool on = info[0].As<Napi::Boolean>().Value();
  if (!CheckOpen(env, "setsockopt")) return env.Undefined();
  if (on == allMulticast_) return env.Undefined();
  packet_mreq request{};
  request.mr_ifindex = static_cast<int>(ifindex_);
  request.mr_type = PACKET_MR_ALLMULTI;
  const int option = on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP;
  if (setsockopt(fd_, SOL_PACKET, option, &request, sizeof request) < 0) {
    SystemError(env, errno, "setsockopt", context_, ifname_, on ? "PACKET_ADD_MEMBERSHIP PACKET_MR_ALLMULTI" : "PACKET_DROP_MEMBERSHIP PACKET_MR_ALLMULTI")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  allMulticast_ = on;
  return env.Undefined();
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
