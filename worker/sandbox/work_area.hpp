// WorkArea owns the worker's --work-dir and the private directory each
// attempt without an explicit cwd runs in. Directories are recycled: one that
// comes back empty (and still private) is handed to a later attempt instead
// of being removed, because rmdir on a journaled filesystem mounted with
// `discard` costs milliseconds, more than the rest of a short task's life.
// A directory a task left anything in is removed at once, contents and all.
// Invariant: every directory handed out is empty, owned by us and mode 0700.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

class WorkArea {
 public:
  // Creates `root` (and parents) if needed; throws std::runtime_error when it
  // cannot (start-up only). At most `max_spare` empty directories are kept.
  explicit WorkArea(std::string root, std::size_t max_spare = 64);
  ~WorkArea();
  WorkArea(const WorkArea&) = delete;
  WorkArea& operator=(const WorkArea&) = delete;

  const std::string& root() const { return root_; }
  // An empty private directory for one attempt; false with `error` on failure.
  bool acquire(std::string& path, std::string& error);
  // Takes back a directory from acquire() once its attempt has ended.
  void release(const std::string& path);
  // Read end for children without input (opened once, shared).
  int dev_null() const { return dev_null_.get(); }
  std::size_t spare() const { return spare_.size(); }

 private:
  void remove(const std::string& path);

  std::string root_;
  std::size_t max_spare_;
  std::vector<std::string> spare_;
  std::uint64_t next_name_ = 0;
  UniqueFd dev_null_;
};

// True when `path` is a directory (not a symlink) owned by this user, mode
// 0700, with no entries. Never follows a link a task may have planted.
bool is_clean_private_directory(const std::string& path);

}  // namespace zfleet::worker
