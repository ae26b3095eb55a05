// tighten(): a request can only make the worker's sandbox policy stricter.
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "worker/sandbox/sandbox_policy.hpp"

namespace zfleet::worker {
namespace {

SandboxPolicy loose() {
  SandboxPolicy p;
  p.rlimits = RlimitLayer{};
  p.rlimits.core_dumps = true;
  p.rlimits.need = Need::kOptional;
  p.no_new_privs = false;
  p.no_new_privs_need = Need::kOptional;
  p.run_as_user.clear();
  p.run_as_user_need = Need::kOptional;
  p.network = NetworkMode::kHost;
  p.seccomp = false;
  p.private_tmp = false;
  p.tmp_size_bytes = std::numeric_limits<std::uint64_t>::max();
  p.cgroup = CgroupLayer{};
  return p;
}

TEST(SandboxPolicyTighten, TakesTheSmallerOfEachLimit) {
  SandboxPolicy base = loose();
  base.rlimits.cpu_seconds = 60;
  base.rlimits.address_space_bytes = 1 << 30;
  base.cgroup.memory_max_bytes = 512 << 20;
  base.cgroup.pids_max = 100;
  SandboxPolicy request = loose();
  request.rlimits.cpu_seconds = 10;
  request.rlimits.address_space_bytes = std::uint64_t{4} << 30;
  request.cgroup.memory_max_bytes = 64 << 20;
  request.cgroup.pids_max = 1000;

  const SandboxPolicy out = tighten(base, request);
  EXPECT_EQ(out.rlimits.cpu_seconds, 10u);
  EXPECT_EQ(out.rlimits.address_space_bytes, std::uint64_t{1} << 30);
  EXPECT_EQ(out.cgroup.memory_max_bytes, std::uint64_t{64} << 20);
  EXPECT_EQ(out.cgroup.pids_max, 100u);
}

TEST(SandboxPolicyTighten, ALimitSetOnEitherSideApplies) {
  SandboxPolicy base = loose();
  base.rlimits.open_files = 256;
  SandboxPolicy request = loose();
  request.rlimits.file_size_bytes = 1 << 20;
  request.rlimits.processes = 8;

  const SandboxPolicy out = tighten(base, request);
  EXPECT_EQ(out.rlimits.open_files, 256u);
  EXPECT_EQ(out.rlimits.file_size_bytes, std::uint64_t{1} << 20);
  EXPECT_EQ(out.rlimits.processes, 8u);
  EXPECT_FALSE(out.rlimits.cpu_seconds);
  EXPECT_FALSE(out.cgroup.memory_max_bytes);
}

TEST(SandboxPolicyTighten, StricterSwitchesWinBothWays) {
  SandboxPolicy strict = loose();
  strict.network = NetworkMode::kNone;
  strict.seccomp = true;
  strict.no_new_privs = true;
  strict.rlimits.core_dumps = false;
  strict.private_tmp = true;
  strict.tmp_size_bytes = 1 << 20;
  for (const auto& [base, request] : {std::pair{strict, loose()}, std::pair{loose(), strict}}) {
    const SandboxPolicy out = tighten(base, request);
    EXPECT_EQ(out.network, NetworkMode::kNone);
    EXPECT_TRUE(out.seccomp);
    EXPECT_TRUE(out.private_tmp);
    EXPECT_EQ(out.tmp_size_bytes, 1u << 20);
    EXPECT_TRUE(out.no_new_privs);
    EXPECT_FALSE(out.rlimits.core_dumps);
  }
  const SandboxPolicy out = tighten(loose(), loose());
  EXPECT_EQ(out.network, NetworkMode::kHost);
  EXPECT_FALSE(out.seccomp);
  EXPECT_FALSE(out.private_tmp);
  EXPECT_TRUE(out.rlimits.core_dumps);
}

TEST(SandboxPolicyTighten, RequiredWinsOverOptional) {
  SandboxPolicy base = loose();
  SandboxPolicy request = loose();
  request.network_need = Need::kRequired;
  request.cgroup.need = Need::kRequired;
  const SandboxPolicy out = tighten(base, request);
  EXPECT_EQ(out.network_need, Need::kRequired);
  EXPECT_EQ(out.cgroup.need, Need::kRequired);
  EXPECT_EQ(out.seccomp_need, Need::kOptional);
  EXPECT_EQ(tighten(request, base).network_need, Need::kRequired);
}

TEST(SandboxPolicyTighten, ARequestCannotChooseItsUser) {
  SandboxPolicy base = loose();
  base.run_as_user = "nobody";
  SandboxPolicy request = loose();
  request.run_as_user = "root";
  EXPECT_EQ(tighten(base, request).run_as_user, "nobody");
  // Nor pick one where the worker runs tasks as itself.
  request.run_as_user = "postgres";
  EXPECT_EQ(tighten(loose(), request).run_as_user, "");
}

TEST(SandboxPolicyTighten, KeepsTheSmallerCpuShare) {
  SandboxPolicy base = loose();
  base.cgroup.cpu_max = CpuMax{50000, 100000};  // half a CPU
  SandboxPolicy request = loose();
  request.cgroup.cpu_max = CpuMax{20000, 200000};  // a tenth
  EXPECT_EQ(tighten(base, request).cgroup.cpu_max, (CpuMax{20000, 200000}));
  request.cgroup.cpu_max = CpuMax{400000, 100000};  // four CPUs: more than allowed
  EXPECT_EQ(tighten(base, request).cgroup.cpu_max, (CpuMax{50000, 100000}));
  request.cgroup.cpu_max.reset();
  EXPECT_EQ(tighten(base, request).cgroup.cpu_max, (CpuMax{50000, 100000}));
}

TEST(SandboxPolicyTighten, IsIdempotentAndTheDefaultsAreStrict) {
  const SandboxPolicy defaults = SandboxPolicy::defaults(true);
  EXPECT_EQ(defaults.run_as_user, "nobody");
  EXPECT_EQ(defaults.network, NetworkMode::kNone);
  EXPECT_TRUE(defaults.seccomp);
  EXPECT_TRUE(defaults.private_tmp);
  EXPECT_EQ(defaults.tmp_size_bytes, 256u << 20);
  EXPECT_TRUE(defaults.no_new_privs);
  EXPECT_FALSE(defaults.rlimits.core_dumps);
  EXPECT_EQ(SandboxPolicy::defaults(false).run_as_user, "");
  EXPECT_EQ(describe(tighten(defaults, defaults)), describe(defaults));
  EXPECT_EQ(describe(tighten(defaults, loose())), describe(defaults));
}

TEST(SandboxPolicyDescribe, NamesUnitsAndSwitches) {
  SandboxPolicy p = loose();
  p.rlimits.cpu_seconds = 5;
  p.cgroup.cpu_max = CpuMax{10000, 100000};
  const std::string text = describe(p);
  EXPECT_NE(text.find("cpu=5s"), std::string::npos) << text;
  EXPECT_NE(text.find("net=host"), std::string::npos) << text;
  EXPECT_NE(text.find("cpu=10000/100000us"), std::string::npos) << text;
  EXPECT_NE(text.find("tmp=host"), std::string::npos) << text;
  p.private_tmp = true;
  p.tmp_size_bytes = 4096;
  EXPECT_NE(describe(p).find("tmp=4096B"), std::string::npos) << describe(p);
}

}  // namespace
}  // namespace zfleet::worker
