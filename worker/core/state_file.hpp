// StateFile records the children this worker runs, so that a worker killed
// with -9 and started again (same --work-dir or --state-file) can find the
// children of its previous life and end them (see leftover_children.hpp).
// One line per child: pid, start time, task id, attempt. The file is replaced
// as a whole (write a temporary, rename it into place), so a reader sees the
// old set or the new one, never a mix. It is not fsynced: it protects against
// the worker's death, not the host's, and no child outlives a host crash.
//
// The rename is an exchange (renameat2 RENAME_EXCHANGE) between two files
// kept open: the new contents are written over the spare one, which then
// swaps names with the current one. A rename over an existing file costs
// ~100 us on ext4 (it frees the old inode, and its auto_da_alloc heuristic
// starts writeback of the new data) and far more under I/O load; the
// exchange frees nothing and writes nothing back. Filesystems without the
// exchange get the plain temporary + rename.
//
// A lock file beside it (<path>.lock, flock) is held for the worker's life:
// two workers configured with the same state file would otherwise kill each
// other's children at start-up, so the second one refuses to start.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

// One running child as the state file records it.
struct ChildRecord {
  pid_t pid = 0;                 // also its process group (the child calls setsid)
  std::uint64_t start_time = 0;  // /proc/PID/stat field 22; 0: unknown, never killed
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  bool operator==(const ChildRecord&) const = default;
};

// The file's text. The first line names the format and its version; bump the
// version when a field changes meaning, and have parse_state() refuse others.
inline constexpr std::string_view kStateFileHeader = "zfleet-worker-state 1";
void format_state(const std::vector<ChildRecord>& records, std::string& out);
// Reads every well-formed line into `out`; false with `error` when the header
// is not ours or a line is malformed (the lines before it are kept).
bool parse_state(std::string_view text, std::vector<ChildRecord>& out, std::string& error);

class StateFile {
 public:
  // Start-up: takes the lock. Throws std::runtime_error when another process
  // holds it or the lock file cannot be created.
  explicit StateFile(std::string path);
  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;

  const std::string& path() const { return path_; }
  // The records of a previous life; true and empty when there is no file.
  bool read(std::vector<ChildRecord>& out, std::string& error) const;
  // Replaces the file with `records`; 0, or the errno of the step that failed.
  int write(const std::vector<ChildRecord>& records);
  // On a clean exit with no child left: removes the file and the lock file.
  void remove();
  // The lock file also holds the routing id of the life that holds the lock:
  // returns the previous life's (empty if none was recorded) and records
  // `mine` in its place. A restarted worker tells the broker it replaces
  // that registration (READY `replaces`).
  std::string exchange_identity(const std::string& mine);

 private:
  int write_by_rename();

  std::string path_;
  std::string temp_path_;
  std::string lock_path_;
  UniqueFd lock_;
  std::string buffer_;  // reused by write()
  UniqueFd current_;    // the file named `path_`, once this life wrote it
  UniqueFd spare_;      // the file named `temp_path_`: the next contents go here
  // Their sizes, so ftruncate (~5 us on ext4, even to the same size) runs
  // only when new contents are shorter; SIZE_MAX: not known.
  std::size_t current_size_ = SIZE_MAX;
  std::size_t spare_size_ = SIZE_MAX;
  bool exchange_ = true;  // false once the filesystem refused RENAME_EXCHANGE
};

}  // namespace zfleet::worker
