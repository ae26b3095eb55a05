// What a sandboxed child finds around it: a private directory that it owns
// (mode 0700) and a scrubbed environment that points at it. Nothing of the
// worker's own environment reaches the task: only a fixed PATH, HOME and
// TMPDIR (the directory), LANG=C.UTF-8 and the task's own additions, which
// may override those (they are the task's choice, affecting only itself).
// Both are made in the parent, before the vfork.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace zfleet::worker {

class ScrubbedEnvironment {
 public:
  static constexpr const char* kSafePath = "/usr/local/bin:/usr/bin:/bin";

  ScrubbedEnvironment() = default;
  ScrubbedEnvironment(const ScrubbedEnvironment&) = delete;
  ScrubbedEnvironment& operator=(const ScrubbedEnvironment&) = delete;

  // A NULL-terminated envp, valid until the next call. Additions whose name
  // is empty or holds '=' are dropped: execve would misread them. With a name
  // given twice, the last value wins.
  char** build(const std::string& home,
               const std::vector<std::pair<std::string, std::string>>& additions);

 private:
  std::vector<std::string> entries_;
  std::vector<char*> pointers_;
};

// Creates `path` (mode 0700) if it does not exist and hands it to uid:gid.
// Never follows a symlink; refuses a directory owned by anyone but us or
// uid. The parents must be searchable by uid (e.g. the work dir mode 0711)
// for HOME and TMPDIR to be usable by name.
bool make_private_directory(const std::string& path, uid_t uid, gid_t gid, std::string& error);

// Gives a directory back to the worker's uid after the attempt, so the work
// area can recycle it (it only reuses directories it owns).
bool reclaim_private_directory(const std::string& path, std::string& error);

}  // namespace zfleet::worker
