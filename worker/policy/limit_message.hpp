// The words an outcome carries when a limit ended the attempt (Outcome
// `message`, PROTOCOL.md §4.4): "killed: memory limit 64 MiB", "killed: cpu
// time limit 1 h", "killed: wall clock limit 20 s", "killed: no output or
// progress for 1 min". The limit named is the one the attempt ran under,
// after the policy and the task's own request were combined, so the reader
// learns what to ask for, not just which signal arrived. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zfleet::worker {

// What one attempt ran under; 0: no such limit.
struct AttemptLimits {
  std::uint64_t memory_bytes = 0;
  std::uint64_t cpu_seconds = 0;
  std::uint64_t timeout_ms = 0;
  std::uint64_t stall_ms = 0;
  // Memory was held per process by RLIMIT_DATA (no memory cgroup): an
  // allocation past it fails inside the task instead of a kill.
  bool memory_by_rlimit = false;
};

// How it ended, as the runner saw it.
struct AttemptEnding {
  std::string_view killed_by;  // memory, oom, cpu, stall, or empty
  bool timed_out = false;
  bool cancelled = false;
  bool failed = false;  // a non-zero exit or a signal
  std::string_view stderr_tail;
};

// Empty when no limit explains the ending (or it was cancelled).
std::string limit_message(const AttemptLimits& limits, const AttemptEnding& ending);

// True when `stderr_tail` reads like an allocation that failed: Python's
// MemoryError, C++'s std::bad_alloc, "Cannot allocate memory" (ENOMEM),
// "out of memory" as glibc, the JVM, Go and others print it.
bool reports_allocation_failure(std::string_view stderr_tail);

}  // namespace zfleet::worker
