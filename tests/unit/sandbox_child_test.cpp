// Real children under apply_in_child(): each test forks a probe, applies one
// layer and checks from inside that it holds. Layers the host (or a non-root
// run) lacks are skipped with the reason.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/sandbox_probe.hpp"

namespace zfleet::worker {
namespace {

using testing::bare_policy;
using testing::detected_host;
using testing::run_probe;
using testing::run_shell;

class SandboxChild : public ::testing::Test {
 protected:
  // The plan for `policy`; the lease stays with the fixture until the end.
  const SandboxPlan& prepare(const SandboxPolicy& policy) {
    std::string error;
    auto prepared = sandbox_.prepare(policy, "child-test", 1, error);
    if (!prepared) ADD_FAILURE() << error;
    prepared_ = std::move(prepared);
    return prepared_->plan;
  }

  Sandbox sandbox_{detected_host()};
  std::optional<PreparedSandbox> prepared_;
};

TEST_F(SandboxChild, RunsAsNobodyWithoutSupplementaryGroups) {
  if (!detected_host().uid_switch) GTEST_SKIP() << "needs root to switch uid";
  SandboxPolicy policy = bare_policy();
  policy.run_as_user = "nobody";
  const auto r = run_shell(prepare(policy), "id -u; id -g; id -G; grep CapEff /proc/self/status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "65534\n65534\n65534\nCapEff:\t0000000000000000\n");
}

TEST_F(SandboxChild, NoNewPrivsAndSeccompShowInProcStatus) {
  if (!detected_host().seccomp)
    GTEST_SKIP() << "host without seccomp: " << detected_host().describe();
  SandboxPolicy policy = bare_policy();
  policy.no_new_privs = true;
  policy.seccomp = true;
  const auto r = run_shell(prepare(policy), "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "NoNewPrivs:\t1\nSeccomp:\t2\n");
}

// As root, so that EPERM comes from the filter and not from a missing
// capability: every call below would succeed for root without it.
TEST_F(SandboxChild, SeccompDeniesDangerousCallsWithEperm) {
  if (!detected_host().seccomp) GTEST_SKIP() << "host without seccomp";
  if (!testing::running_as_root()) GTEST_SKIP() << "the unfiltered calls need root to succeed";
  SandboxPolicy policy = bare_policy();
  policy.seccomp = true;
  const SandboxPlan& plan = prepare(policy);
  const auto r = run_probe(plan, [] {
    auto denied = [](long rc, int expected) { return rc == -1 && errno == expected; };
    if (!denied(::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr), EPERM)) return 1;
    // The target does not exist: without the filter this is ENOENT.
    if (!denied(::mount("none", "/nonexistent-zfleet", "tmpfs", 0, nullptr), EPERM)) return 2;
    if (!denied(::umount2("/nonexistent-zfleet", 0), EPERM)) return 3;
    if (!denied(::unshare(CLONE_NEWNS), EPERM)) return 4;
    // A new user namespace through clone(): flags are checked in the filter.
    const long child = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) ::_exit(0);
    if (!denied(child, EPERM)) return 5;
    // clone3 hides its flags in memory: ENOSYS sends libc back to clone.
    if (!denied(::syscall(SYS_clone3, nullptr, 0), ENOSYS)) return 6;
    if (!denied(::syscall(SYS_bpf, 0, nullptr, 0), EPERM)) return 7;
    if (!denied(::syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM)) return 8;
    if (!denied(::sethostname("x", 1), EPERM)) return 9;
    // What tasks need still works: a plain fork.
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    if (pid < 0) return 10;
    return 0;
  });
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0) << "check " << r.exit_code << " failed; " << r.output;
}

TEST_F(SandboxChild, SeccompStopsUnshareFromTheShell) {
  if (!detected_host().seccomp) GTEST_SKIP() << "host without seccomp";
  if (!testing::running_as_root()) GTEST_SKIP() << "unshare -m needs root to succeed unfiltered";
  SandboxPolicy policy = bare_policy();
  policy.seccomp = true;
  const auto r = run_shell(prepare(policy), "unshare -m true");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("Operation not permitted"), std::string::npos) << r.output;
}

TEST_F(SandboxChild, NetworkNoneHasOnlyLoopbackAndNoRoute) {
  if (!detected_host().netns) GTEST_SKIP() << "host without network namespaces";
  // A listener on the worker's loopback must be out of the task's reach.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);

  SandboxPolicy policy = bare_policy();
  policy.network = NetworkMode::kNone;
  const SandboxPlan& plan = prepare(policy);
  const auto r = run_probe(plan, [addr] {
    auto connect_to = [](sockaddr_in to) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
      const int e = errno;
      ::close(fd);
      return rc == 0 ? 0 : e;
    };
    if (connect_to(addr) != ECONNREFUSED) return 1;  // the worker's listener is elsewhere
    sockaddr_in outside{};
    outside.sin_family = AF_INET;
    outside.sin_port = htons(80);
    ::inet_pton(AF_INET, "192.0.2.1", &outside.sin_addr);  // TEST-NET-1
    if (connect_to(outside) != ENETUNREACH) return 2;
    // Loopback is up: a server of the task's own is reachable.
    const int own = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in here{};
    here.sin_family = AF_INET;
    here.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof here;
    if (::bind(own, reinterpret_cast<sockaddr*>(&here), sizeof here) != 0 || ::listen(own, 1) != 0)
      return 3;
    ::getsockname(own, reinterpret_cast<sockaddr*>(&here), &n);
    if (connect_to(here) != 0) return 4;
    return 0;
  });
  ::close(listener);
  EXPECT_EQ(r.exit_code, 0) << "check " << r.exit_code << " failed; " << r.output;

  const auto routes = run_shell(plan, "cat /proc/net/route; echo --; cut -d: -f1 /proc/net/dev");
  EXPECT_EQ(routes.exit_code, 0) << routes.output;
  // The header alone: no default route, no route at all.
  EXPECT_EQ(routes.output.substr(0, routes.output.find("--")).find('\n'),
            routes.output.find("--") - 1)
      << routes.output;
  EXPECT_EQ(routes.output.find("eth"), std::string::npos) << routes.output;
  EXPECT_NE(routes.output.find("lo"), std::string::npos) << routes.output;
}

// The task's directory lies under /tmp here, as with the default --work-dir:
// the private /tmp must hide the host's files yet keep that directory, and
// nothing mounted in the child may show up outside it.
TEST_F(SandboxChild, PrivateTmpHidesTheHostsFilesButKeepsTheTaskDirectory) {
  if (!detected_host().private_tmp) GTEST_SKIP() << "host without mount namespaces (needs root)";
  char home_template[] = "/tmp/zfleet-ptmp-XXXXXX";
  ASSERT_NE(::mkdtemp(home_template), nullptr);
  const std::string home = home_template;
  const std::string sub = home + "/sub";
  const std::string marker = home + "-host-marker";
  const std::string task_file = "/tmp/zfleet-ptmp-task-file-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  ASSERT_EQ(::close(::open(marker.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  ASSERT_EQ(::close(::open((home + "/given").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  // A helper program under /tmp, as in a build tree there: kept, read-only.
  const std::string helper = home + "-helper";
  std::ofstream(helper) << "#!/bin/sh\necho helper ran\n";
  ASSERT_EQ(::chmod(helper.c_str(), 0755), 0);

  SandboxPolicy policy = bare_policy();
  policy.private_tmp = true;
  policy.tmp_size_bytes = 1 << 20;
  SandboxPlan plan = prepare(policy);
  std::string error;
  ASSERT_TRUE(keep_task_paths(plan, home, sub, error, {helper})) << error;
  const auto r = run_probe(plan, [&] {
    char cwd[256];
    if (::getcwd(cwd, sizeof cwd) == nullptr || sub != cwd) return 1;
    if (::access(marker.c_str(), F_OK) == 0 || errno != ENOENT) return 2;
    if (::access("../given", F_OK) != 0 || ::access((home + "/given").c_str(), F_OK) != 0) return 3;
    for (const char* path : {task_file.c_str(), "/dev/shm/zfleet-ptmp", "../written"}) {
      const int fd = ::open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0) return 4;
      ::close(fd);
    }
    struct statfs fs;
    if (::statfs("/tmp", &fs) != 0 || fs.f_type != TMPFS_MAGIC) return 5;
    if (::access(helper.c_str(), R_OK | X_OK) != 0) return 7;
    if (::open(helper.c_str(), O_WRONLY | O_CLOEXEC) >= 0 || errno != EROFS) return 8;
    // The tmpfs is capped: 2 MiB does not fit in 1 MiB.
    const int big = ::open("/tmp/big", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    std::string block(64 << 10, 'x');
    bool full = false;
    for (int i = 0; i < 32 && !full; ++i)
      full = ::write(big, block.data(), block.size()) < 0 && errno == ENOSPC;
    ::close(big);
    return full ? 0 : 6;
  });
  EXPECT_EQ(r.exit_code, 0) << "check " << r.exit_code << " failed; " << r.output;

  EXPECT_EQ(::access(task_file.c_str(), F_OK), -1) << "the task's /tmp file reached the host";
  EXPECT_EQ(::access("/tmp/big", F_OK), -1);
  EXPECT_EQ(::access((home + "/written").c_str(), F_OK), 0) << "the task wrote elsewhere";
  EXPECT_EQ(::access(marker.c_str(), F_OK), 0);
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mounts, line))
    EXPECT_EQ(line.find(home), std::string::npos) << "a mount leaked to the host: " << line;
  ::unlink(task_file.c_str());
  ::unlink("/dev/shm/zfleet-ptmp");
  ::unlink(marker.c_str());
  ::unlink(helper.c_str());
  std::filesystem::remove_all(home);
}

TEST_F(SandboxChild, CpuLimitEndsABusyLoop) {
  SandboxPolicy policy = bare_policy();
  policy.rlimits.cpu_seconds = 1;
  // Wall time depends on what else runs on the machine; CPU time does not.
  const auto r =
      run_shell(prepare(policy), "while :; do :; done", "/tmp", std::chrono::seconds(30));
  EXPECT_FALSE(r.exited);
  EXPECT_TRUE(r.signal == SIGXCPU || r.signal == SIGKILL) << "signal " << r.signal;
  EXPECT_LT(r.wall_seconds, 29.0) << "ended by the test's deadline, not the limit";
  // rusage splits the scheduler's exact runtime by tick samples: under load
  // it reads below the 1 s the limit measured.
  EXPECT_GE(r.cpu_seconds, 0.5);
  EXPECT_LE(r.cpu_seconds, 2.5);  // SIGKILL at the hard limit, 2 s
}

TEST_F(SandboxChild, AddressSpaceLimitFailsABigAllocation) {
  SandboxPolicy policy = bare_policy();
  policy.rlimits.address_space_bytes = std::uint64_t{256} << 20;
  const auto r = run_shell(prepare(policy), "head -c 600M /dev/zero | tail");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("memory exhausted"), std::string::npos) << r.output;
}

TEST_F(SandboxChild, FileSizeAndOpenFileLimitsHold) {
  char dir_template[] = "/tmp/zfleet-fsize-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  SandboxPolicy policy = bare_policy();
  policy.rlimits.file_size_bytes = 1 << 20;
  policy.rlimits.open_files = 32;
  policy.rlimits.core_dumps = false;
  const auto r = run_shell(prepare(policy),
                           "ulimit -n; ulimit -c; head -c 2M /dev/zero > big; echo $?; wc -c < big",
                           dir_template);
  ::unlink((std::string(dir_template) + "/big").c_str());
  ::rmdir(dir_template);
  // 153 = 128 + SIGXFSZ: head was stopped at the limit.
  EXPECT_EQ(r.output, "32\n0\nFile size limit exceeded\n153\n1048576\n");
}

TEST_F(SandboxChild, ProcessLimitStopsAForkBomb) {
  if (!detected_host().uid_switch) GTEST_SKIP() << "root is exempt from RLIMIT_NPROC";
  SandboxPolicy policy = bare_policy();
  // RLIMIT_NPROC counts every process of the uid: an id of its own keeps
  // tests running as nobody at the same time out of the count.
  policy.run_as_user = "61234:61234";
  policy.rlimits.processes = 10;
  const auto r =
      run_shell(prepare(policy), "for i in $(seq 100); do sleep 5 & done; echo all-forked");
  EXPECT_EQ(r.output.find("all-forked"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fork"), std::string::npos) << r.output;
  EXPECT_LT(r.wall_seconds, 4.0);  // failed at once, then the group was killed
}

TEST_F(SandboxChild, EveryLayerTogetherStillRunsAProgram) {
  const auto& host = detected_host();
  if (!host.uid_switch || !host.seccomp || !host.netns) GTEST_SKIP() << host.describe();
  const SandboxPolicy policy = SandboxPolicy::defaults(true);
  const auto r = run_shell(prepare(policy), "echo hello; id -un; echo $HOME $LANG");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "hello\nnobody\n/tmp C.UTF-8\n");
  std::cout << "applied: " << prepared_->applied << "\n";
}

// The worker spawns with vfork: the child shares the worker's memory until
// execve, so apply_in_child() must work there with system calls alone.
TEST_F(SandboxChild, AppliesEveryLayerInAVforkChild) {
  const auto& host = detected_host();
  if (!host.uid_switch || !host.seccomp || !host.netns) GTEST_SKIP() << host.describe();
  const SandboxPlan& plan = prepare(SandboxPolicy::defaults(true));
  ScrubbedEnvironment env;
  char** envp = env.build("/tmp", {});
  std::string script = "id -u; grep -c zfleet /proc/self/cgroup; grep NoNewPrivs /proc/self/status";
  char sh[] = "/bin/sh";
  char dash_c[] = "-c";
  char* argv[] = {sh, dash_c, script.data(), nullptr};
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  volatile int failed_step = 0;
  volatile int failed_errno = 0;
  const pid_t pid = ::vfork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    const SandboxFailure f = apply_in_child(plan);
    if (!f.ok()) {
      failed_step = static_cast<int>(f.step);
      failed_errno = f.error;
      ::_exit(125);
    }
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }
  ::close(fds[1]);
  ASSERT_GT(pid, 0);
  std::string output;
  char buffer[256];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
    output.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(failed_step, 0) << step_name(static_cast<SandboxStep>(failed_step)) << " errno "
                            << failed_errno;
  EXPECT_EQ(output, "65534\n" + std::to_string(plan.cgroup_count) + "\nNoNewPrivs:\t1\n");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The worker itself is untouched.
  EXPECT_EQ(::geteuid(), 0u);
  EXPECT_EQ(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
}

}  // namespace
}  // namespace zfleet::worker
