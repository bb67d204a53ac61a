// Only sched_setscheduler, sched_setattr and setpriority on one thread id; the decisions (which policy,
// which budget, what a refusal means, when to demote) are in TypeScript (core membershipThreadPriority.ts,
// the speaker's membership thread priority).
#include "thread_scheduling.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "errors.h"

namespace herald {

namespace {

// The kernel's struct sched_attr (include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER0 = 48 bytes):
// glibc before 2.41 has neither it nor a sched_setattr wrapper, so it is spelled out here and the call
// goes through syscall(2). Times are in nanoseconds.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};
static_assert(sizeof(SchedAttr) == 48, "struct sched_attr, version 0");

constexpr uint32_t kSchedDeadline = 6;             // SCHED_DEADLINE
constexpr uint64_t kSchedFlagResetOnFork = 0x01;  // SCHED_FLAG_RESET_ON_FORK

// A deadline thread may not fork or clone without it (EAGAIN): the membership thread may be the first to
// use libuv's thread pool, which then starts its threads, as normal ones, from it.
void SetDeadline(Napi::Env env, pid_t target, const std::string& context, int64_t runtimeNs, int64_t deadlineNs, int64_t periodNs) {
  SchedAttr attr{};
  attr.size = sizeof(attr);
  attr.sched_policy = kSchedDeadline;
  attr.sched_flags = kSchedFlagResetOnFork;
  attr.sched_runtime = static_cast<uint64_t>(runtimeNs);
  attr.sched_deadline = static_cast<uint64_t>(deadlineNs);
  attr.sched_period = static_cast<uint64_t>(periodNs);
  if (syscall(SYS_sched_setattr, target, &attr, 0) != 0) {
    SystemError(env, errno, "sched_setattr", context, "").ThrowAsJavaScriptException();
  }
}

}  // namespace

Napi::Value ThreadId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(syscall(SYS_gettid)));
}

Napi::Value SetThreadScheduling(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "setThreadScheduling(tid: number, policy: 'rr' | 'other', value: number) or (tid, 'deadline', runtimeNs, deadlineNs, periodNs)";
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber()) {
    ThrowTypeError(env, usage);
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
  if (policy == "deadline") {
    if (info.Length() != 5 || !info[3].IsNumber() || !info[4].IsNumber()) {
      ThrowTypeError(env, usage);
      return env.Undefined();
    }
    const int64_t deadline = info[3].As<Napi::Number>().Int64Value();
    const int64_t period = info[4].As<Napi::Number>().Int64Value();
    // The kernel checks the rest (EINVAL: runtime >= 1024 ns, runtime <= deadline <= period, the period
    // within kernel.sched_deadline_period_min_us..max_us); negative values would wrap to huge ones.
    if (value <= 0 || deadline <= 0 || period <= 0) {
      ThrowRangeError(env, "setThreadScheduling: a deadline budget's runtime, deadline and period are positive nanoseconds");
      return env.Undefined();
    }
    SetDeadline(env, target, context + ", " + std::to_string(deadline) + ", " + std::to_string(period), value, deadline, period);
    return env.Undefined();
  }
  if (info.Length() != 3) {
    ThrowTypeError(env, usage);
    return env.Undefined();
  }
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
  ThrowRangeError(env, "setThreadScheduling: policy must be 'rr', 'other' or 'deadline', not '" + policy + "'");
  return env.Undefined();
}

}  // namespace herald
