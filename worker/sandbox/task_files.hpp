// Writing the files a task was sent with (TaskSpec::files) into its task
// directory before it starts. The directory is fresh for this attempt, but
// whatever is below it (directories made for the task's cwd, a link a
// previous step planted) is never trusted: every path is walked one part at
// a time from an fd of the directory, without following a symlink, so no
// write can land outside it. A file that already exists is never replaced.
// Invariants: each file gets exactly its mode (whatever the umask) and,
// when the task runs as another uid, belongs with the directories made for
// it to that uid:gid. Paths are checked again with
// msg::task_file_path_problem: the broker may be of another version.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/messages.hpp"

namespace zfleet::worker {

// Writes `files` below `dir` (an existing directory the worker owns). Missing
// parent directories are made mode 0700. Ownership is handed to uid:gid
// unless uid is the worker's own. On failure, false with `error` ("files:
// cannot write 'job.sh': No space left on device"), files written before it
// stay (the caller removes the directory), and `permanent` (when given) says
// whether the same files would fail again anywhere (a refused path, a name
// given twice, a file where a directory must be) rather than for want of
// space, fds or a working disk.
bool write_task_files(const std::string& dir, const std::vector<msg::TaskFile>& files, uid_t uid,
                      gid_t gid, std::string& error, bool* permanent = nullptr);

}  // namespace zfleet::worker
