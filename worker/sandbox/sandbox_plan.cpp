// Applying a SandboxPlan in a vfork child; see sandbox_plan.hpp.
#include "worker/sandbox/sandbox_plan.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zfleet::worker {

bool copy_plan_path(std::array<char, SandboxPlan::kMaxPath>& out, const std::string& path) {
  if (path.size() >= out.size()) return false;
  std::memcpy(out.data(), path.c_str(), path.size() + 1);
  return true;
}

namespace {

// True when `path` lies below `dir`.
bool is_below(const char* path, const char* dir) noexcept {
  const std::size_t n = std::strlen(dir);
  return std::strncmp(path, dir, n) == 0 && path[n] == '/';
}

// "/proc/self/fd/N" into `out`: the name a bind mount takes for an fd.
void fd_path(int fd, char (&out)[32]) noexcept {
  static constexpr char kPrefix[] = "/proc/self/fd/";
  std::memcpy(out, kPrefix, sizeof kPrefix - 1);
  char digits[12];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0 && n < 11);
  std::size_t at = sizeof kPrefix - 1;
  while (n > 0)
    out[at++] = digits[--n];
  out[at] = '\0';
}

// Makes `path` (below a fresh tmpfs at `dir`) a mount point for `source`:
// its parents as directories, itself as a directory or an empty file.
bool make_mount_point(const char* path, const char* dir, int source) noexcept {
  char buffer[SandboxPlan::kMaxPath];
  const std::size_t length = std::strlen(path);
  std::memcpy(buffer, path, length + 1);
  for (char* p = buffer + std::strlen(dir) + 1; *p != '\0'; ++p) {
    if (*p != '/') continue;
    *p = '\0';
    const bool ok = ::mkdir(buffer, 0711) == 0 || errno == EEXIST;
    *p = '/';
    if (!ok) return false;
  }
  struct stat st;
  if (::fstat(source, &st) != 0) return false;
  if (S_ISDIR(st.st_mode)) return ::mkdir(buffer, 0711) == 0 || errno == EEXIST;
  const int fd = ::open(buffer, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Step 3 of apply_in_child(). What must stay reachable (the task's
// directory, a helper program) may itself lie under /tmp: it is opened
// before the tmpfs covers it, and its fd is bound back at its path.
SandboxFailure mount_private_tmp(const SandboxPlan& plan) noexcept {
  auto failed = [](SandboxStep step) { return SandboxFailure{step, errno}; };
  if (::unshare(CLONE_NEWNS) != 0) return failed(SandboxStep::kMountns);
  // Without this a shared "/" would carry the mounts below back to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return failed(SandboxStep::kPrivateMounts);
  int fds[SandboxPlan::kMaxKept];
  for (std::uint8_t i = 0; i < plan.kept_count; ++i) {
    fds[i] = ::open(plan.kept[i].path.data(), O_PATH | O_CLOEXEC);
    if (fds[i] < 0) {
      const SandboxFailure failure = failed(SandboxStep::kKeepPath);
      for (std::uint8_t j = 0; j < i; ++j)
        ::close(fds[j]);
      return failure;
    }
  }
  SandboxFailure failure;
  for (const char* dir : kPrivateTmpDirs) {
    struct stat st;
    if (::stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // e.g. no /dev/shm
    if (::mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, plan.tmpfs_options.data()) != 0) {
      failure = failed(SandboxStep::kPrivateTmp);
      break;
    }
    for (std::uint8_t i = 0; i < plan.kept_count && failure.ok(); ++i) {
      const auto& kept = plan.kept[i];
      if (!is_below(kept.path.data(), dir)) continue;
      char source[32];
      fd_path(fds[i], source);
      if (!make_mount_point(kept.path.data(), dir, fds[i]) ||
          ::mount(source, kept.path.data(), nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
          (kept.read_only &&
           ::mount(nullptr, kept.path.data(), nullptr,
                   MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)) {
        failure = failed(SandboxStep::kKeepPath);
      }
    }
    if (!failure.ok()) break;
  }
  for (std::uint8_t i = 0; i < plan.kept_count; ++i)
    ::close(fds[i]);
  if (!failure.ok()) return failure;
  if (plan.cwd[0] == '/' && ::chdir(plan.cwd.data()) != 0) return failed(SandboxStep::kReenterCwd);
  return {};
}
}  // namespace

bool keep_task_paths(SandboxPlan& plan, const std::string& home, const std::string& cwd,
                     std::string& error, const std::vector<std::string>& files) {
  if (!plan.private_tmp) return true;
  auto check = [&](const std::string& path) {
    if (!path.empty() && path.front() == '/' && path.size() < SandboxPlan::kMaxPath) return true;
    error = "sandbox: task path must be absolute and shorter than " +
            std::to_string(SandboxPlan::kMaxPath) + " bytes: " + path;
    return false;
  };
  if (files.size() + 1 > SandboxPlan::kMaxKept) {
    error = "sandbox: too many paths to keep";
    return false;
  }
  if (!check(home) || !check(cwd)) return false;
  for (const auto& file : files)
    if (!check(file)) return false;
  plan.kept_count = 0;
  auto keep = [&](const std::string& path, bool read_only) {
    auto& kept = plan.kept[plan.kept_count++];
    copy_plan_path(kept.path, path);
    kept.read_only = read_only;
  };
  keep(home, false);
  for (const auto& file : files)
    keep(file, true);
  copy_plan_path(plan.cwd, cwd);
  return true;
}

const char* step_name(SandboxStep step) noexcept {
  switch (step) {
    case SandboxStep::kNone:
      return "sandbox";
    case SandboxStep::kCgroupJoin:
      return "sandbox: join cgroup";
    case SandboxStep::kNetns:
      return "sandbox: unshare network";
    case SandboxStep::kLoopback:
      return "sandbox: loopback up";
    case SandboxStep::kMountns:
      return "sandbox: unshare mounts";
    case SandboxStep::kPrivateMounts:
      return "sandbox: make mounts private";
    case SandboxStep::kPrivateTmp:
      return "sandbox: mount private tmp";
    case SandboxStep::kKeepPath:
      return "sandbox: keep a path under the private tmp";
    case SandboxStep::kReenterCwd:
      return "sandbox: re-enter cwd";
    case SandboxStep::kRlimit:
      return "sandbox: setrlimit";
    case SandboxStep::kSetgroups:
      return "sandbox: setgroups";
    case SandboxStep::kSetgid:
      return "sandbox: setresgid";
    case SandboxStep::kSetuid:
      return "sandbox: setresuid";
    case SandboxStep::kNoNewPrivs:
      return "sandbox: no_new_privs";
    case SandboxStep::kSeccomp:
      return "sandbox: seccomp";
  }
  return "sandbox";
}

SandboxFailure apply_in_child(const SandboxPlan& plan) noexcept {
  auto failed = [](SandboxStep step) { return SandboxFailure{step, errno}; };

  for (std::uint8_t i = 0; i < plan.cgroup_count; ++i) {
    const int fd = ::open(plan.cgroup_procs[i].data(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return failed(SandboxStep::kCgroupJoin);
    // "0" is the writing process itself, in v1 and v2 alike.
    const bool ok = ::write(fd, "0", 1) == 1;
    const int saved = errno;
    ::close(fd);
    if (!ok) return SandboxFailure{SandboxStep::kCgroupJoin, saved};
  }

  if (plan.new_netns) {
    if (::unshare(CLONE_NEWNET) != 0) return failed(SandboxStep::kNetns);
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return failed(SandboxStep::kLoopback);
    ifreq request;
    std::memset(&request, 0, sizeof request);
    std::memcpy(request.ifr_name, "lo", 3);
    bool ok = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
    if (ok) {
      request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
      ok = ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
    }
    const int saved = errno;
    ::close(fd);
    if (!ok) return SandboxFailure{SandboxStep::kLoopback, saved};
  }

  if (plan.private_tmp) {
    if (const SandboxFailure failure = mount_private_tmp(plan); !failure.ok()) return failure;
  }

  for (std::uint8_t i = 0; i < plan.rlimit_count; ++i) {
    const auto& limit = plan.rlimits[i];
    const rlimit value{limit.soft, limit.hard};
    if (::setrlimit(static_cast<__rlimit_resource_t>(limit.resource), &value) != 0)
      return failed(SandboxStep::kRlimit);
  }

  if (plan.switch_user) {
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) return failed(SandboxStep::kSetgroups);
    if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0)
      return failed(SandboxStep::kSetgid);
    if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0)
      return failed(SandboxStep::kSetuid);
  }

  if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return failed(SandboxStep::kNoNewPrivs);

  if (plan.seccomp_filter != nullptr) {
    sock_fprog program{plan.seccomp_length, const_cast<sock_filter*>(plan.seccomp_filter)};
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0)
      return failed(SandboxStep::kSeccomp);
  }
  return {};
}

}  // namespace zfleet::worker
