// The membership thread's CPU priority (docs/adr/0012-scalable-membership.md, "The membership thread's
// priority"): the calling thread's kernel id, and its scheduling policy set by thread id.
#pragma once

#include <napi.h>

namespace herald {

// threadId(): number — gettid() of the calling thread (a worker thread's own id, not the process's).
Napi::Value ThreadId(const Napi::CallbackInfo& info);

// setThreadScheduling(tid: number, policy: 'rr' | 'other', value: number): undefined
// setThreadScheduling(tid: number, 'deadline', runtimeNs: number, deadlineNs: number, periodNs: number): undefined
// 'rr': SCHED_RR at priority `value` (1..99); 'other': SCHED_OTHER at nice `value` (-20..19); 'deadline':
// SCHED_DEADLINE with that budget (sched_setattr). All with SCHED_RESET_ON_FORK, so nothing the thread
// forks inherits them. tid 0 is the calling thread. Throws a system error (EPERM without CAP_SYS_NICE, or
// when the thread's cgroup has no real-time runtime, or for deadline when its affinity is narrower than its
// root domain; EBUSY when deadline admission control refuses the budget; EINVAL for a budget it rejects).
Napi::Value SetThreadScheduling(const Napi::CallbackInfo& info);

}  // namespace herald
