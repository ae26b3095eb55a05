// HostCapabilities::detect(), Sandbox::prepare() against hosts that lack
// layers, and the task's home: scrubbed environment and private directory.
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/sandbox_probe.hpp"
#include "worker/sandbox/host_capabilities.hpp"
#include "worker/sandbox/sandbox.hpp"
#include "worker/sandbox/task_home.hpp"

namespace zfleet::worker {
namespace {

using testing::bare_policy;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(HostCapabilities, DetectNamesWhatItFound) {
  const HostCapabilities caps = HostCapabilities::detect();
  const std::string text = caps.describe();
  std::cout << "sandbox layers on this host: " << text << "\n";
  EXPECT_FALSE(text.empty());
  EXPECT_TRUE(caps.rlimits);  // every Linux has setrlimit
  for (const auto& name : caps.layer_names())
    EXPECT_TRUE(contains(text, name)) << name;
  EXPECT_EQ(caps.uid_switch, testing::running_as_root() && caps.uid_switch);
  if (caps.cgroup.version != CgroupVersion::kNone) {
    for (const auto& dir : caps.cgroup.parent_dirs())
      EXPECT_TRUE(dir.ends_with("/zfleet")) << dir;
  }
}

TEST(SandboxPrepare, RefusesARequiredLayerTheHostLacks) {
  Sandbox sandbox(HostCapabilities{});  // nothing at all
  std::string error;
  SandboxPolicy policy = bare_policy();
  policy.network = NetworkMode::kNone;
  EXPECT_FALSE(sandbox.prepare(policy, "t1", 1, error));
  EXPECT_TRUE(contains(error, "netns")) << error;

  policy = bare_policy();
  policy.seccomp = true;
  EXPECT_FALSE(sandbox.prepare(policy, "t1", 1, error));
  EXPECT_TRUE(contains(error, "no_new_privs")) << error;

  policy = bare_policy();
  policy.cgroup.memory_max_bytes = 64 << 20;
  EXPECT_FALSE(sandbox.prepare(policy, "t1", 1, error));
  EXPECT_TRUE(contains(error, "cgroup")) << error;

  policy = bare_policy();
  policy.run_as_user = "nobody";
  EXPECT_FALSE(sandbox.prepare(policy, "t1", 1, error));
  EXPECT_TRUE(contains(error, "uid")) << error;

  policy = bare_policy();
  policy.private_tmp = true;
  EXPECT_FALSE(sandbox.prepare(policy, "t1", 1, error));
  EXPECT_TRUE(contains(error, "private_tmp")) << error;
}

TEST(SandboxPrepare, PlansAPrivateTmpOfThePolicysSize) {
  HostCapabilities caps;
  caps.private_tmp = true;
  Sandbox sandbox(caps);
  SandboxPolicy policy = bare_policy();
  policy.private_tmp = true;
  policy.tmp_size_bytes = 12345678;
  std::string error;
  auto prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  EXPECT_EQ(prepared->applied, "private_tmp");
  SandboxPlan& plan = prepared->plan;
  EXPECT_TRUE(plan.private_tmp);
  EXPECT_STREQ(plan.tmpfs_options.data(), "mode=1777,size=12345678");

  EXPECT_TRUE(keep_task_paths(plan, "/tmp/w/1", "/tmp/w/1/sub", error, {"/tmp/bin/helper"}))
      << error;
  ASSERT_EQ(plan.kept_count, 2);
  EXPECT_STREQ(plan.kept[0].path.data(), "/tmp/w/1");
  EXPECT_FALSE(plan.kept[0].read_only);
  EXPECT_STREQ(plan.kept[1].path.data(), "/tmp/bin/helper");
  EXPECT_TRUE(plan.kept[1].read_only);
  EXPECT_STREQ(plan.cwd.data(), "/tmp/w/1/sub");
  EXPECT_FALSE(keep_task_paths(plan, "relative", "/tmp", error));
  EXPECT_FALSE(keep_task_paths(plan, "/" + std::string(SandboxPlan::kMaxPath, 'x'), "/", error));
  EXPECT_TRUE(contains(error, "shorter than")) << error;
  EXPECT_FALSE(keep_task_paths(plan, "/h", "/h", error, {"/a", "/b", "/c"}));
  EXPECT_FALSE(keep_task_paths(plan, "/h", "/h", error, {"helper"}));

  // Without the layer there is nothing to keep and no path is checked.
  SandboxPlan without;
  EXPECT_TRUE(keep_task_paths(without, "relative", "", error));
  EXPECT_EQ(without.kept_count, 0);
}

TEST(SandboxPrepare, SkipsAndNamesOptionalLayersTheHostLacks) {
  Sandbox sandbox(HostCapabilities{});
  SandboxPolicy policy = SandboxPolicy::defaults(true);
  policy.rlimits.need = Need::kOptional;
  policy.no_new_privs_need = Need::kOptional;
  policy.run_as_user_need = Need::kOptional;
  policy.cgroup.need = Need::kOptional;
  std::string error;
  auto prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  EXPECT_EQ(prepared->applied, "");
  for (const char* layer :
       {"rlimits", "uid", "netns", "private_tmp", "no_new_privs", "seccomp", "cgroup"})
    EXPECT_TRUE(contains(prepared->skipped, layer)) << layer << " in " << prepared->skipped;
  const SandboxPlan& plan = prepared->plan;
  EXPECT_EQ(plan.rlimit_count, 0);
  EXPECT_FALSE(plan.switch_user || plan.new_netns || plan.private_tmp || plan.no_new_privs);
  EXPECT_EQ(plan.seccomp_filter, nullptr);
  EXPECT_EQ(plan.cgroup_count, 0);
  EXPECT_FALSE(prepared->cgroup.active());
}

TEST(SandboxPrepare, PlansRlimitsClampedToTheWorkersHardLimits) {
  HostCapabilities caps;
  caps.rlimits = true;
  Sandbox sandbox(caps);
  SandboxPolicy policy = bare_policy();
  policy.rlimits.cpu_seconds = 5;
  policy.rlimits.open_files = std::uint64_t{1} << 40;  // far above any hard limit
  policy.rlimits.core_dumps = false;
  std::string error;
  auto prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  bool saw_cpu = false, saw_nofile = false, saw_core = false;
  for (std::uint8_t i = 0; i < prepared->plan.rlimit_count; ++i) {
    const auto& l = prepared->plan.rlimits[i];
    if (l.resource == RLIMIT_CPU) {
      saw_cpu = true;
      EXPECT_EQ(l.soft, 5u);
      EXPECT_EQ(l.hard, 6u);  // SIGKILL a second after SIGXCPU
    }
    if (l.resource == RLIMIT_NOFILE) {
      saw_nofile = true;
      EXPECT_LE(l.hard, nofile.rlim_max);
    }
    if (l.resource == RLIMIT_CORE) {
      saw_core = true;
      EXPECT_EQ(l.hard, 0u);
    }
  }
  EXPECT_TRUE(saw_cpu && saw_nofile && saw_core);
  EXPECT_EQ(prepared->applied, "rlimits");
}

TEST(SandboxPrepare, ResolvesUsersAndRefusesRoot) {
  HostCapabilities caps;
  caps.uid_switch = true;
  Sandbox sandbox(caps);
  SandboxPolicy policy = bare_policy();
  std::string error;
  policy.run_as_user = "nobody";
  auto prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  EXPECT_TRUE(prepared->plan.switch_user);
  EXPECT_EQ(prepared->plan.uid, 65534u);
  policy.run_as_user = "1234:5678";
  prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  EXPECT_EQ(prepared->plan.uid, 1234u);
  EXPECT_EQ(prepared->plan.gid, 5678u);
  for (const char* user : {"root", "0", "no-such-user-zfleet"}) {
    policy.run_as_user = user;
    EXPECT_FALSE(sandbox.prepare(policy, "t1", 1, error)) << user;
    EXPECT_FALSE(error.empty());
  }
}

TEST(SandboxPrepare, SharesOneSeccompProgramBetweenPlans) {
  HostCapabilities caps;
  caps.no_new_privs = caps.seccomp = true;
  Sandbox sandbox(caps);
  SandboxPolicy policy = bare_policy();
  policy.seccomp = true;  // no_new_privs left off: seccomp brings it along
  std::string error;
  auto a = sandbox.prepare(policy, "a", 1, error);
  auto b = sandbox.prepare(policy, "b", 1, error);
  ASSERT_TRUE(a && b) << error;
  EXPECT_TRUE(a->plan.no_new_privs);
  EXPECT_NE(a->plan.seccomp_filter, nullptr);
  EXPECT_EQ(a->plan.seccomp_filter, b->plan.seccomp_filter);
  EXPECT_GT(a->plan.seccomp_length, 10);
}

TEST(ScrubbedEnvironment, HoldsOnlyTheSafeBaseAndTheTasksAdditions) {
  ::setenv("ZFLEET_SECRET_FOR_TEST", "leak", 1);
  ScrubbedEnvironment env;
  char** envp = env.build(
      "/work/d7",
      {{"FOO", "1"}, {"LANG", "de_DE.UTF-8"}, {"BAD=NAME", "x"}, {"", "y"}, {"FOO", "2"}});
  std::vector<std::string> entries;
  for (char** e = envp; *e != nullptr; ++e)
    entries.emplace_back(*e);
  EXPECT_EQ(entries, (std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/work/d7",
                                               "TMPDIR=/work/d7", "LANG=de_DE.UTF-8", "FOO=2"}));
  ::unsetenv("ZFLEET_SECRET_FOR_TEST");
}

TEST(TaskHome, PrivateDirectoryBelongsToTheTaskAndComesBack) {
  if (!testing::running_as_root()) GTEST_SKIP() << "chown to another uid needs root";
  char root_template[] = "/tmp/zfleet-home-XXXXXX";
  ASSERT_NE(::mkdtemp(root_template), nullptr);
  const std::string dir = std::string(root_template) + "/d0";
  std::string error;
  ASSERT_TRUE(make_private_directory(dir, 65534, 65534, error)) << error;
  struct stat st {};
  ASSERT_EQ(::lstat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_TRUE(reclaim_private_directory(dir, error)) << error;
  ASSERT_EQ(::lstat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());

  // A symlink planted in its place is not followed.
  const std::string link = std::string(root_template) + "/d1";
  ASSERT_EQ(::symlink("/etc", link.c_str()), 0);
  EXPECT_FALSE(make_private_directory(link, 65534, 65534, error));
  ::unlink(link.c_str());
  ::rmdir(dir.c_str());
  ::rmdir(root_template);
}

TEST(SandboxPrepare, WithoutAMemoryCgroupTheMemoryLimitBecomesRlimitData) {
  HostCapabilities caps;
  caps.rlimits = true;  // but no cgroups
  Sandbox sandbox(caps);
  SandboxPolicy policy = bare_policy();
  policy.cgroup.need = Need::kOptional;
  policy.cgroup.memory_max_bytes = std::uint64_t{64} << 20;
  std::string error;
  auto prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  EXPECT_TRUE(prepared->memory_rlimit);
  bool saw_data = false;
  for (std::uint8_t i = 0; i < prepared->plan.rlimit_count; ++i) {
    const auto& l = prepared->plan.rlimits[i];
    EXPECT_NE(l.resource, RLIMIT_AS) << "address space is not memory";
    if (l.resource != RLIMIT_DATA) continue;
    saw_data = true;
    EXPECT_EQ(l.soft, std::uint64_t{64} << 20);
    EXPECT_EQ(l.hard, std::uint64_t{64} << 20);
  }
  EXPECT_TRUE(saw_data);

  // Every rlimit at once still fits the plan.
  policy.rlimits.cpu_seconds = 5;
  policy.rlimits.address_space_bytes = std::uint64_t{1} << 34;
  policy.rlimits.open_files = 64;
  policy.rlimits.processes = 64;
  policy.rlimits.file_size_bytes = 1 << 20;
  policy.rlimits.core_dumps = false;
  prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  EXPECT_EQ(prepared->plan.rlimit_count, SandboxPlan::kMaxRlimits);
  EXPECT_TRUE(prepared->memory_rlimit);

  // No memory limit, no RLIMIT_DATA.
  policy.cgroup.memory_max_bytes.reset();
  prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  EXPECT_FALSE(prepared->memory_rlimit);
}

// This process's VmData (what RLIMIT_DATA is compared with), in bytes.
std::uint64_t data_vm_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmData:")) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

// Private writable memory straight from the kernel (RLIMIT_DATA counts it),
// bypassing any interposed mmap; nullptr when refused.
void* private_map(std::size_t bytes) {
  const long p =
      syscall(SYS_mmap, nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p < 0 && p > -4096 ? nullptr : reinterpret_cast<void*>(p);
}

TEST(SandboxPrepare, RlimitDataHoldsAProcessToTheMemoryLimit) {
  HostCapabilities caps;
  caps.rlimits = true;
  Sandbox sandbox(caps);
  SandboxPolicy policy = bare_policy();
  policy.cgroup.need = Need::kOptional;
  // What this test process already maps counts too (a sanitized build maps
  // terabytes of shadow), so the limit is 256 MiB above that.
  const std::uint64_t mapped = data_vm_bytes();
  ASSERT_GT(mapped, 0u);
  policy.cgroup.memory_max_bytes = mapped + (std::uint64_t{256} << 20);
  std::string error;
  auto prepared = sandbox.prepare(policy, "t1", 1, error);
  ASSERT_TRUE(prepared) << error;
  // 1 GiB more cannot be had under that limit; 8 MiB can. Raw mmap, not
  // malloc: a sanitizer's allocator would map its own arenas (and abort when
  // the limit refuses them) instead of telling the probe that memory ran out.
  const auto big = testing::run_probe(
      prepared->plan, [] { return private_map(std::size_t{1} << 30) == nullptr ? 3 : 0; });
  EXPECT_TRUE(big.exited);
  EXPECT_EQ(big.exit_code, 3) << big.output;
  const auto small = testing::run_probe(prepared->plan, [] {
    void* p = private_map(std::size_t{8} << 20);
    if (p != nullptr) std::memset(p, 1, std::size_t{8} << 20);
    return p == nullptr ? 3 : 0;
  });
  EXPECT_EQ(small.exit_code, 0) << small.output;
}

}  // namespace
}  // namespace zfleet::worker
