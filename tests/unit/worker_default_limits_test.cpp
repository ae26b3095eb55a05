// The default per-task ceilings: worked out from the host's memory figures
// (given as text and numbers, never read from this machine), the operator's
// settings, and what the worker reports after its policy file.
#include <gtest/gtest.h>

#include "worker/policy/default_limits.hpp"
#include "worker/policy/host_memory.hpp"
#include "worker/policy/worker_policy.hpp"

namespace zfleet::worker {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

DefaultLimitInputs host(std::optional<std::uint64_t> available, std::uint32_t slots) {
  DefaultLimitInputs in;
  in.mem_available_bytes = available;
  in.slots = slots;
  return in;
}

TEST(DefaultLimits, MemoryIsTheAvailableShareOfEachSlot) {
  const auto d = compute_default_limits(host(12 * kGiB, 8));
  EXPECT_EQ(d.limits.memory_bytes, 1536 * kMiB);
  EXPECT_EQ(d.memory_basis, "12 GiB available / 8 slots");
}

TEST(DefaultLimits, MemoryIsRoundedDownToAWholeMiB) {
  const auto d = compute_default_limits(host(10 * kGiB + 12345, 7));
  EXPECT_EQ(d.limits.memory_bytes % kMiB, 0u);
  EXPECT_LE(d.limits.memory_bytes, (10 * kGiB + 12345) / 7);
  EXPECT_GT(d.limits.memory_bytes + kMiB, (10 * kGiB + 12345) / 7);
}

TEST(DefaultLimits, MemoryIsCappedAndFloored) {
  auto big = compute_default_limits(host(24 * kGiB, 2));
  EXPECT_EQ(big.limits.memory_bytes, kMaxDefaultMemoryBytes);
  EXPECT_EQ(big.memory_basis, "24 GiB available / 2 slots, capped at 4.0 GiB");
  auto small = compute_default_limits(host(1 * kGiB, 16));
  EXPECT_EQ(small.limits.memory_bytes, kMinDefaultMemoryBytes);
  EXPECT_EQ(small.memory_basis, "1.0 GiB available / 16 slots, raised to the floor of 256 MiB");
}

TEST(DefaultLimits, ALowerCgroupLimitWinsOverTheHostsMemory) {
  auto in = host(20 * kGiB, 2);
  in.cgroup_limit_bytes = 2 * kGiB;
  const auto d = compute_default_limits(in);
  EXPECT_EQ(d.limits.memory_bytes, 1 * kGiB);
  EXPECT_EQ(d.memory_basis, "the worker's cgroup limit 2.0 GiB / 2 slots");
  // A higher one changes nothing.
  in.cgroup_limit_bytes = 64 * kGiB;
  EXPECT_EQ(compute_default_limits(in).limits.memory_bytes, kMaxDefaultMemoryBytes);
}

TEST(DefaultLimits, UnknownHostMemoryGivesTheCap) {
  const auto d = compute_default_limits(host(std::nullopt, 4));
  EXPECT_EQ(d.limits.memory_bytes, kMaxDefaultMemoryBytes);
  auto in = host(std::nullopt, 4);
  in.cgroup_limit_bytes = 2 * kGiB;
  EXPECT_EQ(compute_default_limits(in).limits.memory_bytes, 512 * kMiB);
}

TEST(DefaultLimits, ZeroSlotsCountAsOne) {
  EXPECT_EQ(compute_default_limits(host(1 * kGiB, 0)).limits.memory_bytes, 1 * kGiB);
}

TEST(DefaultLimits, CpuFollowsTheWallClockAndProcessesAre512) {
  auto in = host(8 * kGiB, 4);
  auto d = compute_default_limits(in);
  EXPECT_EQ(d.limits.timeout_ms, kDefaultTimeoutMs);
  EXPECT_EQ(d.limits.cpu_seconds, 3600u);
  EXPECT_EQ(d.limits.processes, 512u);
  in.timeout_ms = 90'500;  // rounded up
  EXPECT_EQ(compute_default_limits(in).limits.cpu_seconds, 91u);
  in.timeout_ms = 0;  // no wall clock: still an hour of CPU
  d = compute_default_limits(in);
  EXPECT_EQ(d.limits.timeout_ms, 0u);
  EXPECT_EQ(d.limits.cpu_seconds, 3600u);
}

TEST(DefaultLimits, OperatorSettingsReplaceOrSwitchOffEachDefault) {
  auto in = host(8 * kGiB, 4);
  in.memory = {LimitSetting::Mode::kValue, 64 * kMiB};
  in.cpu_seconds = {LimitSetting::Mode::kOff, 0};
  in.processes = {LimitSetting::Mode::kValue, 32};
  auto d = compute_default_limits(in);
  EXPECT_EQ(d.limits.memory_bytes, 64 * kMiB);  // below the floor: the operator's choice
  EXPECT_EQ(d.memory_basis, "set by --default-memory");
  EXPECT_EQ(d.limits.cpu_seconds, 0u);
  EXPECT_EQ(d.limits.processes, 32u);
  in.memory = {LimitSetting::Mode::kOff, 0};
  d = compute_default_limits(in);
  EXPECT_EQ(d.limits.memory_bytes, 0u);
  EXPECT_EQ(d.memory_basis, "off (--default-memory off)");
}

TEST(DefaultLimits, ParsesSettings) {
  EXPECT_EQ(parse_limit_setting("auto", true), LimitSetting{});
  EXPECT_EQ(parse_limit_setting("off", true), (LimitSetting{LimitSetting::Mode::kOff, 0}));
  EXPECT_EQ(parse_limit_setting("0", false), (LimitSetting{LimitSetting::Mode::kOff, 0}));
  EXPECT_EQ(parse_limit_setting("64M", true),
            (LimitSetting{LimitSetting::Mode::kValue, 64 * kMiB}));
  EXPECT_EQ(parse_limit_setting("2GiB", true),
            (LimitSetting{LimitSetting::Mode::kValue, 2 * kGiB}));
  EXPECT_EQ(parse_limit_setting("600", false), (LimitSetting{LimitSetting::Mode::kValue, 600}));
  EXPECT_FALSE(parse_limit_setting("64M", false));  // seconds take no suffix
  EXPECT_FALSE(parse_limit_setting("", true));
  EXPECT_FALSE(parse_limit_setting("lots", true));
  EXPECT_FALSE(parse_limit_setting("-5", false));
}

TEST(DefaultLimits, ReadsMemAvailableFromMeminfo) {
  const std::string meminfo =
      "MemTotal:       24576000 kB\n"
      "MemFree:        19000000 kB\n"
      "MemAvailable:   23657636 kB\n"
      "Buffers:          100000 kB\n";
  EXPECT_EQ(parse_mem_available(meminfo), 23657636ull * 1024);
  EXPECT_FALSE(parse_mem_available("MemTotal: 1 kB\n"));
  EXPECT_FALSE(parse_mem_available("XMemAvailable: 5 kB\n"));
  EXPECT_FALSE(parse_mem_available("MemAvailable: lots\n"));
  EXPECT_FALSE(parse_mem_available("MemAvailable: 99999999999999999999 kB\n"));
  EXPECT_EQ(parse_mem_available("Foo: 1 kB\nMemAvailable: 2 kB"), 2048u);
}

TEST(DefaultLimits, ReadsCgroupLimitsAndTheirNoLimitSpellings) {
  EXPECT_EQ(parse_cgroup_memory_limit("1073741824\n"), 1073741824u);
  EXPECT_FALSE(parse_cgroup_memory_limit("max\n"));                  // v2
  EXPECT_FALSE(parse_cgroup_memory_limit("9223372036854771712\n"));  // v1
  EXPECT_FALSE(parse_cgroup_memory_limit(""));
}

TEST(HostMemory, LimitFilesWalkFromTheWorkersCgroupToTheRoot) {
  const std::string v2_mounts =
      "30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
  EXPECT_EQ(cgroup_memory_limit_files("0::/system.slice/zfleet.service\n", v2_mounts),
            (std::vector<std::string>{"/sys/fs/cgroup/system.slice/zfleet.service/memory.max",
                                      "/sys/fs/cgroup/system.slice/memory.max",
                                      "/sys/fs/cgroup/memory.max"}));
  // A container's namespace root.
  EXPECT_EQ(cgroup_memory_limit_files("0::/\n", v2_mounts),
            (std::vector<std::string>{"/sys/fs/cgroup/memory.max"}));
  // v1: the memory hierarchy, even beside a v2 mount without it.
  const std::string v1_mounts =
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  EXPECT_EQ(cgroup_memory_limit_files("8:pids:/\n4:memory:/jobs/a\n0::/\n", v1_mounts),
            (std::vector<std::string>{"/sys/fs/cgroup/memory/jobs/a/memory.limit_in_bytes",
                                      "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes",
                                      "/sys/fs/cgroup/memory/memory.limit_in_bytes"}));
  // A mount of part of the hierarchy (docker without a cgroup namespace).
  const std::string partial =
      "34 30 0:31 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
  EXPECT_EQ(cgroup_memory_limit_files("4:memory:/docker/abc\n", partial),
            (std::vector<std::string>{"/sys/fs/cgroup/memory/memory.limit_in_bytes"}));
  EXPECT_TRUE(cgroup_memory_limit_files("4:memory:/elsewhere\n", partial).empty());
  EXPECT_TRUE(cgroup_memory_limit_files("garbage\n", v2_mounts).empty());
  EXPECT_TRUE(cgroup_memory_limit_files("0::/a\n", "").empty());
}

TEST(DefaultLimits, EffectiveLimitsFollowThePolicyAndWhatTheHostHolds) {
  msg::TaskLimits defaults{1536 * kMiB, 3600, 3'600'000, 512};
  const WorkerPolicy policy(true, true, defaults);
  EXPECT_EQ(effective_limits(policy.base(), 3'600'000, true, true), defaults);
  // Without rlimits or a pids cgroup those ceilings are not held: not claimed.
  EXPECT_EQ(effective_limits(policy.base(), 3'600'000, false, false),
            (msg::TaskLimits{1536 * kMiB, 0, 3'600'000, 0}));
  // --sandbox off: only the worker's memory sampling and the timeout remain.
  const WorkerPolicy unconfined(true, false, defaults);
  EXPECT_EQ(effective_limits(unconfined.base(), 0, true, true),
            (msg::TaskLimits{1536 * kMiB, 0, 0, 0}));
  EXPECT_EQ(describe_limits(defaults), "memory 1.5 GiB, cpu 1 h, wall 1 h, processes 512");
  EXPECT_EQ(describe_limits({}), "memory none, cpu none, wall none, processes none");
}

}  // namespace
}  // namespace zfleet::worker
