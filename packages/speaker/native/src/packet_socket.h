#pragma once

#include "polling_socket.h"

namespace herald {

// AF_PACKET SOCK_RAW socket bound to one interface and ETH_P_ARP, receiving Ethernet/IPv4 ARP frames only
// (kernel BPF filter) and never outgoing ones (PACKET_IGNORE_OUTGOING). JS: new PacketSocket(ifname) → { mac, ifindex, interface }, send(frame),
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
  Received ReceiveOne(Napi::Env env, napi_value* argv, size_t* argc, int* err);

  unsigned ifindex_ = 0;
};

}  // namespace herald
