#pragma once

#include "polling_socket.h"

namespace herald {

// AF_PACKET SOCK_RAW socket bound to one interface and one protocol, never receiving outgoing frames
// (PACKET_IGNORE_OUTGOING):
//   "arp" (default): ETH_P_ARP, Ethernet/IPv4 ARP frames only (kernel BPF filter);
//   "ndp": ETH_P_IPV6, Neighbor Solicitations and Advertisements only (BPF: next header ICMPv6 directly
//          after the IPv6 header, hop limit 255, type 135 or 136).
// JS: new PacketSocket(ifname, protocol?) → { mac, ifindex, interface }, send(frame),
// addMembership(mac6), dropMembership(mac6), setAllMulticast(on),
// start(onFrame(frame, packetType), onError?), stop(), close().
class PacketSocket : public PollingSocket<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PacketSocket(const Napi::CallbackInfo& info);

 private:
  friend class PollingSocket<PacketSocket>;
  static constexpr const char* kReceiveSyscall = "recvfrom";

  bool Open(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value AddMembership(const Napi::CallbackInfo& info);
  Napi::Value DropMembership(const Napi::CallbackInfo& info);
  Napi::Value SetAllMulticast(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info, int option, const char* optionName);
  Received ReceiveOne(Napi::Env env, napi_value* argv, size_t* argc, int* err);

  unsigned ifindex_ = 0;
  bool allMulticast_ = false;
};

}  // namespace herald
