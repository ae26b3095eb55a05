// ChildProcess owns one spawned task process and its process group (the child
// calls setsid(), so its pid is also its group id). Spawning uses
// Boost.Process v1 with vfork; the bp::child is detached at once and the pid
// is owned here instead. Exit is seen through a pidfd (or, on old kernels, a
// SIGCHLD the caller forwards to try_reap()). Reaping first peeks at the exit
// without reaping, kills whatever is left of the group while the zombie
// leader still pins the group id, then reaps with wait4() for the rusage.
// The destructor kills the group and reaps: no zombie or stray is leaked.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "worker/sandbox/sandbox.hpp"
#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

// Everything the child needs, prepared before the vfork.
struct SpawnRequest {
  std::string program;                             // a path (contains '/'); see resolve_program()
  const std::vector<std::string>* argv = nullptr;  // argv[0] included
  char** envp = nullptr;                           // NULL-terminated
  const char* cwd = nullptr;                       // nullptr: the worker's own
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Applied in the child after its session, stdio and cwd are set up and
  // before the exec; nullptr: no confinement beyond the session. Must stay
  // valid until spawn() returns.
  const SandboxPlan* sandbox = nullptr;
};

struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::uint64_t user_cpu_ms = 0;
  std::uint64_t sys_cpu_ms = 0;
  std::uint64_t max_rss_kb = 0;
};

// An errno from execve or chdir that another attempt would meet again (the
// file is missing, not executable, not a binary): the task cannot run here.
bool is_permanent_spawn_error(int error_number);

// What spawn() says when the spawn itself fails (vfork, or the exec that
// follows it): "spawn: <what the errno means>: <argv[0]> (<program>)".
std::string spawn_error_message(const SpawnRequest& request, const std::error_code& ec);

class ChildProcess {
 public:
  // Spawns the child; on failure returns nullopt with `error` saying why and,
  // when given, `error_number` set to the errno of the step that failed.
  static std::optional<ChildProcess> spawn(const SpawnRequest& request, std::string& error,
                                           int* error_number = nullptr);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // /proc/PID/stat field 22, read at spawn; with the pid it names this exact
  // process across a restart of the worker (see state_file.hpp). 0: unknown.
  std::uint64_t start_time() const { return start_time_; }
  // Readable once the child has exited; -1 without pidfd support.
  int exit_fd() const { return pidfd_.get(); }
  bool reaped() const { return pid_ <= 0; }

  // Never blocks. Once the child has exited: kills the rest of its group,
  // reaps it and returns how it ended; nullopt while it still runs.
  std::optional<ExitStatus> try_reap();
  // Signals the whole process group (the task and everything it started).
  void signal_group(int signal) const;

  // Whether this kernel offers pidfd_open (probed once).
  static bool pidfd_supported();

 private:
  ChildProcess(pid_t pid, UniqueFd pidfd, std::uint64_t start_time = 0)
      : pid_(pid), pidfd_(std::move(pidfd)), start_time_(start_time) {}
  void kill_and_reap();

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  std::uint64_t start_time_ = 0;
};

// Resolves argv[0] as execvp would: a name with a slash is used as is, any
// other is looked up in the worker's PATH. Empty when not found.
std::string resolve_program(const std::string& name);
// The same against `path` (a PATH value): sandboxed tasks resolve with their
// own PATH, not the worker's.
std::string resolve_program(const std::string& name, const std::string& path);

}  // namespace zfleet::worker
