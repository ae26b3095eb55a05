// WorkerPolicy: the --policy file, and how worker, project and task levels
// combine into one attempt's policy (projects and tasks only tighten).
#include <string>

#include <gtest/gtest.h>

#include "worker/policy/worker_policy.hpp"

namespace zfleet::worker {
namespace {

WorkerPolicy parsed(const std::string& text, bool root = true) {
  std::string error;
  auto policy = WorkerPolicy::parse(text, root, error);
  EXPECT_TRUE(policy) << error;
  return policy ? *policy : WorkerPolicy(root);
}

std::string refusal(const std::string& text) {
  std::string error;
  EXPECT_FALSE(WorkerPolicy::parse(text, true, error)) << text;
  return error;
}

TEST(WorkerPolicy, AnEmptyFileKeepsTheDefaults) {
  const WorkerPolicy policy = parsed("{}");
  const SandboxPolicy& s = policy.base().sandbox;
  EXPECT_EQ(describe(s), describe(SandboxPolicy::defaults(true)));
  EXPECT_TRUE(s.private_tmp);
  EXPECT_EQ(s.run_as_user, "nobody");
  EXPECT_TRUE(policy.base().allow_shell);
  EXPECT_TRUE(policy.base().sandboxed);
  EXPECT_EQ(parsed("{}", false).base().sandbox.run_as_user, "");
}

TEST(WorkerPolicy, TopLevelLimitsReplaceTheDefaults) {
  const WorkerPolicy policy = parsed(R"({"cpu_seconds": 60, "memory_bytes": 1048576000,
      "open_files": 4096, "processes": 2000, "network": "host", "tmp_bytes": 65536,
      "allow_shell": false, "stall_ms": 5000, "kill_on_stall": true})");
  const AttemptPolicy& p = policy.base();
  EXPECT_EQ(p.sandbox.rlimits.cpu_seconds, 60u);
  EXPECT_EQ(p.sandbox.cgroup.memory_max_bytes, 1048576000u);
  EXPECT_EQ(p.sandbox.rlimits.open_files, 4096u);  // looser than the default 1024: allowed here
  EXPECT_EQ(p.sandbox.cgroup.pids_max, 2000u);
  EXPECT_EQ(p.sandbox.network, NetworkMode::kHost);
  EXPECT_EQ(p.sandbox.tmp_size_bytes, 65536u);
  EXPECT_FALSE(p.allow_shell);
  EXPECT_EQ(p.monitor.stall_after.count(), 5000);
  EXPECT_TRUE(p.monitor.kill_on_stall);
}

TEST(WorkerPolicy, LayersCanBeRequiredOptionalOrOff) {
  const WorkerPolicy policy = parsed(R"({"layers": {"seccomp": "required",
      "private_tmp": "off", "netns": "off", "uid": "off", "cgroup": "off"}})");
  const SandboxPolicy& s = policy.base().sandbox;
  EXPECT_TRUE(s.seccomp);
  EXPECT_EQ(s.seccomp_need, Need::kRequired);
  EXPECT_FALSE(s.private_tmp);
  EXPECT_EQ(s.network, NetworkMode::kHost);
  EXPECT_EQ(s.run_as_user, "");
  EXPECT_FALSE(s.cgroup.any());

  const SandboxPolicy required =
      parsed(R"({"layers": {"private_tmp": "required"}})").base().sandbox;
  EXPECT_TRUE(required.private_tmp);
  EXPECT_EQ(required.private_tmp_need, Need::kRequired);
}

TEST(WorkerPolicy, RefusesWhatItCannotHonour) {
  EXPECT_NE(refusal("[]").find("object"), std::string::npos);
  EXPECT_NE(refusal("{").find("parse"), std::string::npos);
  EXPECT_NE(refusal(R"({"cpu_seconds": -1})").find("cpu_seconds"), std::string::npos);
  EXPECT_NE(refusal(R"({"layers": {"seccomp": "maybe"}})").find("layers.seccomp"),
            std::string::npos);
  EXPECT_NE(refusal(R"({"layers": {"rlimits": "off"}})").find("rlimits"), std::string::npos);
  EXPECT_NE(refusal(R"({"tmp_bytes": 100})").find("tmp_bytes"), std::string::npos);
  EXPECT_NE(refusal(R"({"tmp_bytes": "1G"})").find("tmp_bytes"), std::string::npos);
  EXPECT_NE(refusal(R"({"sandbox": "maybe"})").find("sandbox"), std::string::npos);
  EXPECT_NE(refusal(R"({"projects": {"p": 3}})").find("projects.p"), std::string::npos);
}

TEST(WorkerPolicy, ProjectsAndTasksOnlyTighten) {
  const WorkerPolicy policy = parsed(R"({"memory_bytes": 1000000000, "network": "host",
      "layers": {"private_tmp": "off"},
      "projects": {"untrusted": {"memory_bytes": 200000000, "network": "none",
                                 "allow_shell": false, "stall_ms": 1000},
                   "greedy": {"memory_bytes": 9000000000, "allow_shell": true}}})");

  const AttemptPolicy untrusted = policy.resolve("untrusted", {});
  EXPECT_EQ(untrusted.sandbox.cgroup.memory_max_bytes, 200000000u);
  EXPECT_EQ(untrusted.sandbox.network, NetworkMode::kNone);
  EXPECT_FALSE(untrusted.allow_shell);
  EXPECT_EQ(untrusted.monitor.stall_after.count(), 1000);

  const AttemptPolicy greedy = policy.resolve("greedy", {});
  EXPECT_EQ(greedy.sandbox.cgroup.memory_max_bytes, 1000000000u);

  msg::SandboxRequest task;
  task.memory_bytes = 50000000;
  task.network = "host";
  const AttemptPolicy asked = policy.resolve("untrusted", task);
  EXPECT_EQ(asked.sandbox.cgroup.memory_max_bytes, 50000000u);
  EXPECT_EQ(asked.sandbox.network, NetworkMode::kNone);  // the project said none
  // A layer the worker turned off stays off: a request cannot add it back,
  // nor can it take away one the worker keeps.
  EXPECT_FALSE(asked.sandbox.private_tmp);
  EXPECT_TRUE(WorkerPolicy(true).resolve("any", task).sandbox.private_tmp);
  EXPECT_EQ(WorkerPolicy(true).resolve("any", task).sandbox.network, NetworkMode::kNone);
}

TEST(WorkerPolicy, HttpRulesOnlyNarrow) {
  const WorkerPolicy policy = parsed(R"({"http_allow": ["10.0.0.0/8"],
      "projects": {"p": {"http_deny": ["10.9.0.0/16"]}}})");
  const AttemptPolicy p = policy.resolve("p", {}, {"10.1.0.0/16"}, {"bad.example"});
  ASSERT_EQ(p.http.size(), 3u);  // worker, project, task: each must allow
  EXPECT_EQ(p.http[0].allow, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(p.http[1].deny, std::vector<std::string>{"10.9.0.0/16"});
  EXPECT_EQ(p.http[2].allow, std::vector<std::string>{"10.1.0.0/16"});
  EXPECT_EQ(p.http[2].deny, std::vector<std::string>{"bad.example"});
  EXPECT_EQ(policy.resolve("other", {}).http.size(), 1u);
}

TEST(WorkerPolicy, DefaultLimitsApplyUntilTheFileNamesItsOwn) {
  const msg::TaskLimits defaults{std::uint64_t{1536} << 20, 3600, 3'600'000, 256};
  std::string error;
  auto policy = WorkerPolicy::parse("{}", true, error, defaults);
  ASSERT_TRUE(policy) << error;
  const AttemptPolicy& p = policy->base();
  EXPECT_EQ(p.sandbox.cgroup.memory_max_bytes, std::uint64_t{1536} << 20);
  EXPECT_EQ(p.monitor.memory_hard_kb, 1536u * 1024);
  EXPECT_EQ(p.sandbox.rlimits.cpu_seconds, 3600u);
  EXPECT_EQ(p.sandbox.cgroup.pids_max, 256u);

  // The file's limits replace the defaults, looser or tighter.
  policy = WorkerPolicy::parse(R"({"memory_bytes": 8589934592, "cpu_seconds": 60,
      "processes": 2000})",
                               true, error, defaults);
  ASSERT_TRUE(policy) << error;
  EXPECT_EQ(policy->base().sandbox.cgroup.memory_max_bytes, std::uint64_t{8} << 30);
  EXPECT_EQ(policy->base().monitor.memory_hard_kb, std::uint64_t{8} << 20);
  EXPECT_EQ(policy->base().sandbox.rlimits.cpu_seconds, 60u);
  EXPECT_EQ(policy->base().sandbox.cgroup.pids_max, 2000u);

  // A default switched off (0) is no limit at all.
  const WorkerPolicy off(true, true, msg::TaskLimits{});
  EXPECT_FALSE(off.base().sandbox.cgroup.memory_max_bytes);
  EXPECT_FALSE(off.base().sandbox.rlimits.cpu_seconds);
  EXPECT_FALSE(off.base().sandbox.cgroup.pids_max);
  EXPECT_EQ(off.base().monitor.memory_hard_kb, 0u);
}

TEST(WorkerPolicy, ATaskMayAskForLessThanTheDefaultsNeverMore) {
  const msg::TaskLimits defaults{std::uint64_t{1} << 30, 3600, 3'600'000, 512};
  const WorkerPolicy policy(true, true, defaults);
  msg::SandboxRequest less;
  less.memory_bytes = std::uint64_t{64} << 20;
  less.cpu_seconds = 10;
  less.processes = 8;
  const AttemptPolicy small = policy.resolve("p", less);
  EXPECT_EQ(small.sandbox.cgroup.memory_max_bytes, std::uint64_t{64} << 20);
  EXPECT_EQ(small.monitor.memory_hard_kb, 64u * 1024);
  EXPECT_EQ(small.sandbox.rlimits.cpu_seconds, 10u);
  EXPECT_EQ(small.sandbox.cgroup.pids_max, 8u);
  msg::SandboxRequest more;
  more.memory_bytes = std::uint64_t{16} << 30;
  more.cpu_seconds = 86'400;
  more.processes = 100'000;
  const AttemptPolicy big = policy.resolve("p", more);
  EXPECT_EQ(big.sandbox.cgroup.memory_max_bytes, std::uint64_t{1} << 30);
  EXPECT_EQ(big.monitor.memory_hard_kb, std::uint64_t{1} << 20);
  EXPECT_EQ(big.sandbox.rlimits.cpu_seconds, 3600u);
  EXPECT_EQ(big.sandbox.cgroup.pids_max, 512u);
}

}  // namespace
}  // namespace zfleet::worker
