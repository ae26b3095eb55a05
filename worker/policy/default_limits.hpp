// The ceilings every task runs under when the operator names none: memory,
// CPU time, wall clock and processes, worked out once at start-up from what
// the host has and how many tasks may share it. Pure functions: the host's
// numbers come in as arguments (host_memory.hpp reads them), so the rules
// are testable without the machine they run on.
//
// Memory: the host's MemAvailable, or the worker's own cgroup limit when
// that is lower, divided by the most slots the worker can have, then held
// between kMinDefaultMemoryBytes and kMaxDefaultMemoryBytes and rounded down
// to a whole MiB. The floor may promise more than the host has: below it
// ordinary programs fail to start, which protects nothing. The cap keeps one
// task from taking a big host's memory just because the host has few slots.
// CPU time: the wall-clock default's length (1 h when there is none).
// Processes: kDefaultProcesses. Each is a ceiling, not a reservation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/messages.hpp"
#include "worker/policy/worker_policy.hpp"

namespace zfleet::worker {

inline constexpr std::uint64_t kMinDefaultMemoryBytes = std::uint64_t{256} << 20;  // 256 MiB
inline constexpr std::uint64_t kMaxDefaultMemoryBytes = std::uint64_t{4} << 30;    // 4 GiB
inline constexpr std::uint64_t kDefaultTimeoutMs = 3'600'000;                      // 1 h
inline constexpr std::uint64_t kDefaultProcesses = 512;

// One operator setting (--default-memory, --default-cpu-seconds,
// --default-processes): worked out, switched off, or a value.
struct LimitSetting {
  enum class Mode : std::uint8_t { kAuto, kOff, kValue };
  Mode mode = Mode::kAuto;
  std::uint64_t value = 0;  // kValue: bytes or seconds or processes
  friend bool operator==(const LimitSetting&, const LimitSetting&) = default;
};

// "auto", "off" (or "0"), or a value: a size with parse_size()'s suffixes
// ("512M", "2G") when `size`, else a plain number. nullopt for anything else.
std::optional<LimitSetting> parse_limit_setting(std::string_view text, bool size);

struct DefaultLimitInputs {
  std::optional<std::uint64_t> mem_available_bytes;  // the host's MemAvailable
  std::optional<std::uint64_t> cgroup_limit_bytes;   // the worker's own cgroup; nullopt: none
  std::uint32_t slots = 1;  // the most tasks at once (max_slots when adaptive)
  LimitSetting memory;
  LimitSetting cpu_seconds;
  LimitSetting processes;
  std::uint64_t timeout_ms = kDefaultTimeoutMs;  // --default-timeout-ms; 0: none
};

struct DefaultLimits {
  msg::TaskLimits limits;    // 0: no ceiling
  std::string memory_basis;  // how the memory figure came about, for the start-up log
};

DefaultLimits compute_default_limits(const DefaultLimitInputs& in);

// MemAvailable of /proc/meminfo text, in bytes; nullopt when it is missing.
std::optional<std::uint64_t> parse_mem_available(std::string_view meminfo);
// A cgroup's memory limit file (v2 memory.max, v1 memory.limit_in_bytes):
// nullopt for "max", v1's "unlimited" (2^63 rounded to a page) or junk.
std::optional<std::uint64_t> parse_cgroup_memory_limit(std::string_view text);

// The ceilings the worker actually applies, after its policy file: what it
// logs and reports in READY. CPU time and processes count only where the
// sandbox can hold them (rlimits; a pids cgroup), memory also without the
// sandbox, where the worker's own sampling holds it.
msg::TaskLimits effective_limits(const AttemptPolicy& base, std::uint64_t timeout_ms, bool rlimits,
                                 bool pids_cgroup);

// "memory 1.4 GiB, cpu 1 h, wall 1 h, processes 512" ("none" where unset).
std::string describe_limits(const msg::TaskLimits& limits);

}  // namespace zfleet::worker
