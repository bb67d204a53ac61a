// Only sched_setscheduler and setpriority on one thread id; the decisions (which policy, when to demote)
// are in TypeScript (core threadPriority.ts, the speaker's membership thread priority).
#include "thread_scheduling.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errors.h"

namespace herald {

Napi::Value ThreadId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(syscall(SYS_gettid)));
}

Napi::Value SetThreadScheduling(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber()) {
    ThrowTypeError(env, "setThreadScheduling(tid: number, policy: 'rr' | 'other', value: number)");
    return env.Undefined();
  }
  const int64_t tid = info[0].As<Napi::Number>().Int64Value();
  const std::string policy = info[1].As<Napi::String>().Utf8Value();
  const int64_t value = info[2].As<Napi::Number>().Int64Value();
  if (tid < 0) {
    ThrowRangeError(env, "setThreadScheduling: tid must be 0 (this thread) or a thread id");
    return env.Undefined();
  }
  const std::string context = "setThreadScheduling(" + std::to_string(tid) + ", " + policy + ", " + std::to_string(value) + ")";
  const pid_t target = static_cast<pid_t>(tid);
  if (policy == "rr") {
    if (value < 1 || value > 99) {
      ThrowRangeError(env, "setThreadScheduling: a SCHED_RR priority is 1 to 99");
      return env.Undefined();
    }
    sched_param param{};
    param.sched_priority = static_cast<int>(value);
    if (sched_setscheduler(target, SCHED_RR | SCHED_RESET_ON_FORK, &param) != 0) {
      SystemError(env, errno, "sched_setscheduler", context, "").ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }
  if (policy == "other") {
    if (value < -20 || value > 19) {
      ThrowRangeError(env, "setThreadScheduling: a nice value is -20 to 19");
      return env.Undefined();
    }
    sched_param param{};
    if (sched_setscheduler(target, SCHED_OTHER | SCHED_RESET_ON_FORK, &param) != 0) {
      SystemError(env, errno, "sched_setscheduler", context, "").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // PRIO_PROCESS with a thread id sets that one thread's nice value (Linux: nice is per thread).
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(target), static_cast<int>(value)) != 0) {
      SystemError(env, errno, "setpriority", context, "").ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }
  ThrowRangeError(env, "setThreadScheduling: policy must be 'rr' or 'other', not '" + policy + "'");
  return env.Undefined();
}

}  // namespace herald
