// JournalFaultVfs: an SQLite VFS, registered under a name of its own, that
// hands every call to the process's default VFS unchanged, except that while
// a fault is armed the writes, fsyncs or truncations of the files opened
// through it fail the way a full or failing disk makes them fail. It is the
// seam through which tests reach the journal's error paths (a failed group
// commit) without filling a real disk. A Journal uses it only when opened
// with its name(); the broker never does, so its journal pays nothing.
//
// Invariants: registered from construction to destruction; every database
// opened through it is closed before it is destroyed. Used from one thread,
// like the journal itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace zfleet::broker {

// The file operations a fault can hit.
enum class DiskOp : std::uint8_t { kWrite, kSync, kTruncate };

// How they fail: kIo as an EIO does (SQLITE_IOERR_WRITE, _FSYNC, _TRUNCATE),
// kFull as an ENOSPC does (SQLITE_FULL).
enum class DiskError : std::uint8_t { kIo, kFull };

class JournalFaultVfs {
 public:
  // Registers the VFS (not as the default); throws std::runtime_error if
  // SQLite refuses.
  JournalFaultVfs();
  ~JournalFaultVfs();
  JournalFaultVfs(const JournalFaultVfs&) = delete;
  JournalFaultVfs& operator=(const JournalFaultVfs&) = delete;

  // The name to open a Journal with.
  const std::string& name() const;

  // From now on every `op` on every file opened through this VFS fails with
  // `error`, after the next `after` calls of it (which still succeed: a
  // commit that fails half way). Replaces a fault armed earlier for `op`.
  void arm(DiskOp op, DiskError error, std::uint32_t after = 0);
  // Disarms every fault: calls pass through again.
  void clear();
  // Calls that failed because of an armed fault, since construction.
  std::uint64_t injected() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace zfleet::broker
