// Outcome words for limits; see limit_message.hpp.
#include "worker/policy/limit_message.hpp"

#include <algorithm>
#include <cctype>

#include "common/quantity_text.hpp"

namespace zfleet::worker {

namespace {

bool contains_folded(std::string_view text, std::string_view lower_needle) {
  const auto it =
      std::search(text.begin(), text.end(), lower_needle.begin(), lower_needle.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != text.end();
}

std::string memory_text(std::uint64_t bytes) {
  return bytes == 0 ? std::string("memory limit") : "memory limit " + format_bytes(bytes);
}

}  // namespace

bool reports_allocation_failure(std::string_view stderr_tail) {
  static constexpr std::string_view kSigns[] = {"memoryerror", "bad_alloc",
                                                "cannot allocate memory", "out of memory"};
  return std::any_of(std::begin(kSigns), std::end(kSigns),
                     [&](std::string_view sign) { return contains_folded(stderr_tail, sign); });
}

std::string limit_message(const AttemptLimits& limits, const AttemptEnding& ending) {
  if (ending.cancelled) return {};
  const std::string_view by = ending.killed_by;
  if (by == "memory" || by == "oom") return "killed: " + memory_text(limits.memory_bytes);
  if (by == "cpu") {
    if (limits.cpu_seconds == 0) return "killed: cpu time limit";
    return "killed: cpu time limit " + format_limit_seconds(limits.cpu_seconds);
  }
  if (by == "stall") return "killed: no output or progress for " + format_limit_ms(limits.stall_ms);
  if (!by.empty()) return "killed: " + std::string(by) + " limit";
  if (ending.timed_out) {
    if (limits.timeout_ms == 0) return "killed: wall clock limit";
    return "killed: wall clock limit " + format_limit_ms(limits.timeout_ms);
  }
  if (limits.memory_by_rlimit && limits.memory_bytes != 0 && ending.failed &&
      reports_allocation_failure(ending.stderr_tail)) {
    return memory_text(limits.memory_bytes) + ": an allocation was refused";
  }
  return {};
}

}  // namespace zfleet::worker
