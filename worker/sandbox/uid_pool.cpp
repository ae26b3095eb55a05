// Per-attempt uids; see uid_pool.hpp.
#include "worker/sandbox/uid_pool.hpp"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zfleet::worker {

UidPool::UidPool(uid_t base, std::uint32_t count) : base_(base), used_(count, false) {}

std::optional<uid_t> UidPool::acquire() {
  const auto n = static_cast<std::uint32_t>(used_.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    // Round robin: a uid just released is the last to be reused, which gives
    // anything it left behind (a file in /tmp) the longest time to be noticed.
    const std::uint32_t k = (next_ + i) % n;
    if (used_[k]) continue;
    used_[k] = true;
    next_ = (k + 1) % n;
    ++in_use_;
    return base_ + k;
  }
  return std::nullopt;
}

void UidPool::release(uid_t uid) {
  if (uid < base_ || uid - base_ >= used_.size() || !used_[uid - base_]) return;
  used_[uid - base_] = false;
  --in_use_;
}

bool probe_uid_switch(uid_t uid, std::string& why) {
  if (::geteuid() != 0) {
    why = "not running as root";
    return false;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    why = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    const bool ok = ::syscall(SYS_setgroups, 0, nullptr) == 0 &&
                    ::syscall(SYS_setresgid, uid, uid, uid) == 0 &&
                    ::syscall(SYS_setresuid, uid, uid, uid) == 0;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  why = "cannot switch to uid " + std::to_string(uid) + " (a user namespace that does not map it?)";
  return false;
}

}  // namespace zfleet::worker
