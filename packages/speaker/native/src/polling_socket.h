// The part both socket kinds share: a non-blocking fd owned by a JS object, read through libuv's uv_poll
// on the JS thread, with start/stop/close that are safe to call from inside the receive callback.
//
// Lifetime: while polling, the JS object holds a strong reference to itself (Ref), so a started socket is
// never collected (like a dgram socket); stop() or close() drops it. A socket that is not polling is
// collected normally and its destructor closes the fd. The uv_poll_t is freed only by uv_close's callback.
#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <string>
#include <vector>

#include "errors.h"

namespace herald {

// Datagrams delivered per wake-up before the event loop gets a turn; the rest wait for the next one.
constexpr int kMaxPerWakeup = 64;
constexpr size_t kReceiveBuffer = 65536;

enum class Received { kMessage, kAgain, kSkip, kError };

template <typename T>
class PollingSocket : public Napi::ObjectWrap<T> {
 public:
  explicit PollingSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<T>(info) {}

  ~PollingSocket() override {
    // Only reached while polling when the whole environment is torn down: no JS calls from here.
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
      poll_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
  }

 protected:
  // Sets read-only, enumerable properties on the new JS object (mac, ifindex, interface).
  void DefineValue(const Napi::CallbackInfo& info, const char* name, Napi::Value value) {
    info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value(name, value, napi_enumerable));
  }

  // Throws EBADF (named after the syscall that would have run) when the socket is closed.
  bool CheckOpen(Napi::Env env, const char* syscall) {
    if (fd_ >= 0) return true;
    SystemError(env, EBADF, syscall, context_, ifname_, "", "the socket is closed").ThrowAsJavaScriptException();
    return false;
  }

  // start(onMessage, onError?): replaces the callbacks if already started.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env, "uv_poll_start")) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      ThrowTypeError(env, context_ + ": start() needs a callback function");
      return env.Undefined();
    }
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsFunction()) {
      ThrowTypeError(env, context_ + ": start()'s error callback must be a function");
      return env.Undefined();
    }
    onMessage_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (info.Length() > 1 && info[1].IsFunction()) {
      onError_ = Napi::Persistent(info[1].As<Napi::Function>());
    } else {
      onError_.Reset();
    }
    if (poll_ != nullptr) return env.Undefined();

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      Napi::Error::New(env, context_ + ": no event loop").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto* poll = new uv_poll_t;
    int r = uv_poll_init(loop, poll, fd_);
    if (r < 0) {
      delete poll;
      ResetCallbacks();
      SystemError(env, -r, "uv_poll_init", context_, ifname_).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll->data = this;
    r = uv_poll_start(poll, UV_READABLE, OnReadable);
    if (r < 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll), FreePoll);
      ResetCallbacks();
      SystemError(env, -r, "uv_poll_start", context_, ifname_).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_ = poll;
    if (buffer_.empty()) buffer_.resize(kReceiveBuffer);
    const std::string resource = "herald_net:" + kind_;
    napi_async_init(env, this->Value(), Napi::String::New(env, resource), &async_);
    this->Ref();
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling(info.Env());
    return info.Env().Undefined();
  }

  // Idempotent; safe from inside a callback (the loop in OnReadable sees fd_ < 0 and stops).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopPolling(info.Env());
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  bool Init(const std::string& kind, const std::string& ifname) {
    kind_ = kind;
    ifname_ = ifname;
    context_ = kind + " " + ifname;
    return true;
  }

  // Throws the error for a failed syscall during construction and returns false.
  bool Fail(Napi::Env env, const char* syscall, const std::string& detail = "") {
    SystemError(env, errno, syscall, context_, ifname_, detail).ThrowAsJavaScriptException();
    return false;
  }

  // Drops whatever was queued before the socket was fully configured (filter, device binding).
  void DrainQueued() {
    for (int i = 0; i < 4096; i++) {
      uint8_t byte;
      if (::recv(fd_, &byte, 1, MSG_DONTWAIT | MSG_TRUNC) < 0 && errno != EINTR) break;
    }
  }

  int fd_ = -1;
  std::string kind_;
  std::string ifname_;
  std::string context_;
  std::vector<uint8_t> buffer_;

 private:
  static void FreePoll(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

  void ResetCallbacks() {
    onMessage_.Reset();
    onError_.Reset();
  }

  void StopPolling(napi_env env) {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
    poll_ = nullptr;
    ResetCallbacks();
    if (async_ != nullptr) {
      // napi_make_callback may still be running on this context: destroy it when the drain loop ends.
      if (depth_ > 0) {
        retired_.push_back(async_);
      } else {
        napi_async_destroy(env, async_);
      }
      async_ = nullptr;
    }
    this->Unref();
  }

  // Calls fn with `self` as receiver inside the async context. A throwing callback becomes an uncaught
  // exception (as for any event callback in Node) and ends this wake-up's drain.
  bool Call(Napi::Env env, napi_value self, napi_value fn, size_t argc, const napi_value* argv) {
    napi_value result;
    napi_status status = napi_make_callback(env, async_, self, fn, argc, argv, &result);
    if (status == napi_ok) return true;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);
    }
    return false;
  }

  void ReportError(Napi::Env env, napi_value self, int err, const char* syscall) {
    if (onError_.IsEmpty()) return;
    napi_value error = SystemError(env, err, syscall, context_, ifname_).Value();
    Call(env, self, onError_.Value(), 1, &error);
  }

  // libuv turns POLLERR into UV_EBADF and stops the handle. The usual cause is a pending socket error
  // (ENETDOWN when the link goes down, which the kernel reports once): read and clear it, report it as a
  // receive error, and poll again. Only a descriptor that is really gone ends polling.
  void Recover(Napi::Env env, napi_value self) {
    int err = 0;
    socklen_t length = sizeof err;
    if (fd_ < 0 || getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &length) < 0) {
      ReportError(env, self, fd_ < 0 ? EBADF : errno, "uv_poll");
      StopPolling(env);
      return;
    }
    if (err != 0) ReportError(env, self, err, T::kReceiveSyscall);
    if (poll_ == nullptr) return;  // the error callback stopped or closed us
    int r = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (r < 0) {
      ReportError(env, self, -r, "uv_poll_start");
      StopPolling(env);
    }
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    T* self = static_cast<T*>(handle->data);
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    // Holds the JS object (and so `self`) alive even if a callback stops, closes and drops it.
    Napi::Object keep = self->Value();
    self->depth_++;
    if (status < 0) {
      self->Recover(env, keep);
    } else {
      for (int i = 0; i < kMaxPerWakeup && self->poll_ != nullptr && self->fd_ >= 0; i++) {
        Napi::HandleScope inner(env);
        napi_value argv[5];
        size_t argc = 0;
        int err = 0;
        Received r = self->ReceiveOne(env, argv, &argc, &err);
        if (r == Received::kAgain) break;
        if (r == Received::kSkip) continue;
        if (r == Received::kError) {
          // Socket errors (ENETDOWN when the link goes down) are reported once by the kernel.
          self->ReportError(env, keep, err, T::kReceiveSyscall);
          break;
        }
        if (!self->Call(env, keep, self->onMessage_.Value(), argc, argv)) break;
      }
    }
    if (--self->depth_ == 0) {
      for (napi_async_context ctx : self->retired_) napi_async_destroy(env, ctx);
      self->retired_.clear();
    }
  }

  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onMessage_;
  Napi::FunctionReference onError_;
  napi_async_context async_ = nullptr;
  std::vector<napi_async_context> retired_;
  int depth_ = 0;
};

}  // namespace herald
