// Test helpers for the sandbox: run a probe in a forked child that applies a
// SandboxPlan first, either a program (argv, output captured) or a function
// making system calls directly. Each child leads its own process group,
// which is killed once the child has exited or the deadline has passed.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "worker/sandbox/host_capabilities.hpp"
#include "worker/sandbox/sandbox.hpp"
#include "worker/sandbox/sandbox_policy.hpp"
#include "worker/sandbox/task_home.hpp"

namespace zfleet::worker::testing {

struct ProbeResult {
  bool exited = false;     // false: killed at the deadline
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it
  std::string output;      // stdout and stderr together
  double cpu_seconds = 0;  // user + system, the child and what it reaped
  double wall_seconds = 0;
};

// Every layer off: tests switch on the ones they check.
inline SandboxPolicy bare_policy() {
  SandboxPolicy p;
  p.rlimits.core_dumps = true;
  p.no_new_privs = false;
  p.run_as_user.clear();
  p.network = NetworkMode::kHost;
  p.seccomp = false;
  p.private_tmp = false;
  p.rlimits.need = p.no_new_privs_need = p.run_as_user_need = p.network_need = p.seccomp_need =
      p.private_tmp_need = p.cgroup.need = Need::kRequired;
  return p;
}

inline ProbeResult run_probe(const SandboxPlan& plan, const std::function<int()>& body,
                             std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  ProbeResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return result;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    const SandboxFailure failure = apply_in_child(plan);
    if (!failure.ok()) {
      std::fprintf(stderr, "%s failed: errno %d\n", step_name(failure.step), failure.error);
      std::fflush(stderr);
      ::_exit(125);
    }
    ::_exit(body());
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return result;
  }
  int status = 0;
  rusage usage{};
  bool reaped = false;
  bool open = true;
  while (!reaped) {
    pollfd p{fds[0], POLLIN, 0};
    if (open && ::poll(&p, 1, 10) > 0) {
      char buffer[4096];
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      if (n > 0) result.output.append(buffer, static_cast<std::size_t>(n));
      if (n == 0) open = false;
    } else if (!open) {
      ::usleep(10000);
    }
    reaped = ::wait4(pid, &status, WNOHANG, &usage) == pid;
    if (!reaped && std::chrono::steady_clock::now() - start > deadline) {
      ::kill(-pid, SIGKILL);
      ::wait4(pid, &status, 0, &usage);
      reaped = true;
    }
  }
  ::kill(-pid, SIGKILL);  // background jobs of the probe
  // What is left in the pipe; background jobs may still hold its write end.
  for (int i = 0; open && i < 50; ++i) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  result.exited = WIFEXITED(status);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

// Runs `/bin/sh -c script` in a scrubbed environment with HOME=`home`.
inline ProbeResult run_shell(const SandboxPlan& plan, const std::string& script,
                             const std::string& home = "/tmp",
                             std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  ScrubbedEnvironment env;
  char** envp = env.build(home, {});
  std::vector<std::string> args = {"/bin/sh", "-c", script};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  return run_probe(
      plan,
      [&] {
        if (::chdir(home.c_str()) != 0) return 124;
        ::execve(argv[0], argv.data(), envp);
        return 127;
      },
      deadline);
}

inline bool running_as_root() {
  return ::geteuid() == 0;
}

// Probed once per test binary: detect() forks a few children.
inline const HostCapabilities& detected_host() {
  static const HostCapabilities caps = HostCapabilities::detect();
  return caps;
}

}  // namespace zfleet::worker::testing
