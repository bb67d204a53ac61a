#pragma once

#include "polling_socket.h"

namespace herald {

// Raw ICMPv6 socket bound to one interface, receiving only neighbour solicitations and advertisements
// (types 135, 136), with hop limit and destination from recvmsg control data, sending with hop limit 255.
// With { receive: false } it receives nothing (every type blocked) and is only for sending.
// JS: new Icmp6Socket(ifname, { receive }?) → { mac, ifindex, interface }, send(payload, destination16),
// joinGroup(addr16), leaveGroup(addr16),
// start(onMessage(payload, source16, destination16, hopLimit, ifindex), onError?), stop(), close().
class Icmp6Socket : public PollingSocket<Icmp6Socket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Icmp6Socket(const Napi::CallbackInfo& info);

 private:
  friend class PollingSocket<Icmp6Socket>;
  static constexpr const char* kReceiveSyscall = "recvmsg";

  bool Open(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value LeaveGroup(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info, int option, const char* optionName);
  Received ReceiveOne(Napi::Env env, napi_value* argv, size_t* argc, int* err);

  unsigned ifindex_ = 0;
};

}  // namespace herald
