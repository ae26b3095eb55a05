// UidPool hands each running attempt a uid (and the same gid) of its own
// from a range no account uses, so that two tasks never share an identity:
// one cannot read another's private directory, signal its processes or
// count against its RLIMIT_NPROC. Only a root worker switches uids; the
// range is probed at start-up (a container's user namespace may map only
// part of the uid space) and the worker falls back to one shared account
// when the probe fails. A uid returns to the pool only after its attempt's
// processes are gone (the caller releases it after the reap).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zfleet::worker {

class UidPool {
 public:
  // Uids [base, base + count).
  UidPool(uid_t base, std::uint32_t count);

  std::optional<uid_t> acquire();
  void release(uid_t uid);
  std::uint32_t in_use() const { return in_use_; }
  uid_t base() const { return base_; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(used_.size()); }

 private:
  uid_t base_;
  std::vector<bool> used_;
  std::uint32_t next_ = 0;
  std::uint32_t in_use_ = 0;
};

// Whether this process can switch a child to `uid`:`uid` (forks a short-lived
// child: call it at start-up, before threads exist). `why` says why not.
bool probe_uid_switch(uid_t uid, std::string& why);

}  // namespace zfleet::worker
