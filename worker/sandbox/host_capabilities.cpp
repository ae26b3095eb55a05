// Probing the host's sandbox layers; see host_capabilities.hpp.
#include "worker/sandbox/host_capabilities.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "worker/sandbox/sandbox_plan.hpp"
#include "worker/sandbox/seccomp_filter.hpp"

namespace zfleet::worker {

namespace {

constexpr uid_t kProbeUid = 65534;  // "nobody" on Debian; any unprivileged id works

// Runs `probe` in a forked child and returns whether it exited 0. The child
// makes only system calls, so forking from the start-up thread is safe.
template <typename Probe>
bool in_child(Probe probe) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) ::_exit(probe() ? 0 : 1);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

HostCapabilities HostCapabilities::detect(const std::string& cgroup_dir) {
  HostCapabilities caps;
  rlimit core;
  caps.rlimits = ::getrlimit(RLIMIT_CORE, &core) == 0 && ::setrlimit(RLIMIT_CORE, &core) == 0;
  if (!caps.rlimits) caps.notes.emplace_back("setrlimit fails");

  caps.no_new_privs = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0 &&
                      in_child([] { return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0; });
  if (!caps.no_new_privs) caps.notes.emplace_back("no_new_privs not supported");

  std::string error;
  const auto program = build_seccomp_program(error);
  if (!program) {
    caps.notes.push_back(error);
  } else if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
    caps.notes.emplace_back("kernel without seccomp filters");
  } else {
    // Loads the real program, so a kernel that rejects it shows up here and
    // not at the first task.
    caps.seccomp = in_child([&] {
      sock_fprog prog{static_cast<unsigned short>(program->size()),
                      const_cast<sock_filter*>(program->data())};
      return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
             ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0;
    });
    if (!caps.seccomp) caps.notes.emplace_back("loading a seccomp filter fails");
  }

  caps.netns = in_child([] {
    SandboxPlan plan;
    plan.new_netns = true;
    return apply_in_child(plan).ok();
  });
  if (!caps.netns) caps.notes.emplace_back("cannot create a network namespace");

  caps.private_tmp = in_child([] {
    SandboxPlan plan;
    plan.private_tmp = true;
    std::memcpy(plan.tmpfs_options.data(), "mode=1777,size=65536", 21);
    return apply_in_child(plan).ok();
  });
  if (!caps.private_tmp) caps.notes.emplace_back("cannot mount a private /tmp");

  caps.uid_switch = ::geteuid() == 0 && in_child([] {
                      return ::syscall(SYS_setgroups, 0, nullptr) == 0 &&
                             ::syscall(SYS_setresgid, kProbeUid, kProbeUid, kProbeUid) == 0 &&
                             ::syscall(SYS_setresuid, kProbeUid, kProbeUid, kProbeUid) == 0;
                    });
  if (!caps.uid_switch) {
    caps.notes.emplace_back(::geteuid() == 0 ? "cannot switch uid" : "not running as root");
  }

  caps.cgroup = detect_cgroups(cgroup_dir, caps.notes);
  if (caps.cgroup.version == CgroupVersion::kNone) caps.notes.emplace_back("no usable cgroups");
  return caps;
}

std::vector<std::string> HostCapabilities::layer_names() const {
  std::vector<std::string> names;
  if (rlimits) names.emplace_back("rlimits");
  if (no_new_privs) names.emplace_back("no_new_privs");
  if (seccomp) names.emplace_back("seccomp");
  if (netns) names.emplace_back("netns");
  if (private_tmp) names.emplace_back("private_tmp");
  if (uid_switch) names.emplace_back("uid");
  if (cgroup.version != CgroupVersion::kNone) names.push_back(cgroup.layer_name());
  return names;
}

std::string HostCapabilities::describe() const {
  std::string out;
  for (const auto& name : layer_names()) {
    if (!out.empty()) out += ',';
    out += name;
  }
  if (out.empty()) out = "(none)";
  for (std::size_t i = 0; i < notes.size(); ++i) {
    out += i == 0 ? "; " : ", ";
    out += notes[i];
  }
  return out;
}

}  // namespace zfleet::worker
