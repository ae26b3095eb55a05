// The words an outcome carries when a limit ended the attempt.
#include <gtest/gtest.h>

#include "common/quantity_text.hpp"
#include "worker/policy/limit_message.hpp"

namespace zfleet::worker {
namespace {

AttemptLimits limits() {
  AttemptLimits l;
  l.memory_bytes = std::uint64_t{64} << 20;
  l.cpu_seconds = 60;
  l.timeout_ms = 3'600'000;
  l.stall_ms = 90'000;
  return l;
}

AttemptEnding killed(std::string_view by) {
  AttemptEnding e;
  e.killed_by = by;
  e.failed = true;
  return e;
}

TEST(LimitMessage, NamesTheLimitThatKilledTheAttempt) {
  EXPECT_EQ(limit_message(limits(), killed("oom")), "killed: memory limit 64 MiB");
  EXPECT_EQ(limit_message(limits(), killed("memory")), "killed: memory limit 64 MiB");
  EXPECT_EQ(limit_message(limits(), killed("cpu")), "killed: cpu time limit 60 s");
  EXPECT_EQ(limit_message(limits(), killed("stall")), "killed: no output or progress for 90 s");
  AttemptLimits big = limits();
  big.memory_bytes = 1'503'657'984;
  big.cpu_seconds = 45;
  EXPECT_EQ(limit_message(big, killed("oom")), "killed: memory limit 1.4 GiB");
  EXPECT_EQ(limit_message(big, killed("cpu")), "killed: cpu time limit 45 s");
}

TEST(LimitMessage, NamesTheWallClockAtATimeout) {
  AttemptEnding e;
  e.timed_out = true;
  e.failed = true;
  EXPECT_EQ(limit_message(limits(), e), "killed: wall clock limit 1 h");
  AttemptLimits l = limits();
  l.timeout_ms = 1'500;
  EXPECT_EQ(limit_message(l, e), "killed: wall clock limit 1500 ms");
}

TEST(LimitMessage, SaysNothingForCancelledOrOrdinaryEndings) {
  AttemptEnding e = killed("oom");
  e.cancelled = true;
  EXPECT_EQ(limit_message(limits(), e), "");
  AttemptEnding plain;
  plain.failed = true;
  plain.stderr_tail = "MemoryError";  // memory held by the cgroup: not a refusal of ours
  EXPECT_EQ(limit_message(limits(), plain), "");
  EXPECT_EQ(limit_message(limits(), AttemptEnding{}), "");
}

TEST(LimitMessage, ARefusedAllocationUnderRlimitDataIsNamed) {
  AttemptLimits l = limits();
  l.memory_by_rlimit = true;
  AttemptEnding e;
  e.failed = true;
  e.stderr_tail = "Traceback (most recent call last):\n  ...\nMemoryError\n";
  EXPECT_EQ(limit_message(l, e), "memory limit 64 MiB: an allocation was refused");
  e.stderr_tail = "terminate called after throwing an instance of 'std::bad_alloc'";
  EXPECT_EQ(limit_message(l, e), "memory limit 64 MiB: an allocation was refused");
  e.stderr_tail = "head: Cannot allocate memory";
  EXPECT_EQ(limit_message(l, e), "memory limit 64 MiB: an allocation was refused");
  e.failed = false;  // succeeded anyway: nothing to explain
  EXPECT_EQ(limit_message(l, e), "");
  e.failed = true;
  e.stderr_tail = "No such file or directory";
  EXPECT_EQ(limit_message(l, e), "");
}

TEST(LimitMessage, SpotsAllocationFailuresInAnyCase) {
  EXPECT_TRUE(reports_allocation_failure("fatal error: runtime: out of memory"));
  EXPECT_TRUE(reports_allocation_failure("OUT OF MEMORY"));
  EXPECT_FALSE(reports_allocation_failure(""));
  EXPECT_FALSE(reports_allocation_failure("memory is fine"));
}

TEST(QuantityText, LimitsReadExactly) {
  EXPECT_EQ(format_limit_ms(250), "250 ms");
  EXPECT_EQ(format_limit_ms(60'000), "60 s");
  EXPECT_EQ(format_limit_ms(600'000), "10 min");
  EXPECT_EQ(format_limit_ms(5'400'000), "90 min");
  EXPECT_EQ(format_limit_ms(3'600'000), "1 h");
  EXPECT_EQ(format_limit_ms(3'601'000), "3601 s");
  EXPECT_EQ(format_limit_ms(0), "0 s");
  EXPECT_EQ(format_limit_seconds(60), "60 s");
  EXPECT_EQ(format_limit_seconds(UINT64_MAX), std::to_string(UINT64_MAX) + " s");
  EXPECT_EQ(format_bytes(std::uint64_t{64} << 20), "64 MiB");
  EXPECT_EQ(format_bytes(1'503'657'984), "1.4 GiB");
}

}  // namespace
}  // namespace zfleet::worker
