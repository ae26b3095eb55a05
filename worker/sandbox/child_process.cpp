// Spawning, watching and reaping task processes; see child_process.hpp.
#include "worker/sandbox/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/search_path.hpp>

#include "worker/sandbox/proc_stat.hpp"

namespace zfleet::worker {

namespace bp = boost::process;

namespace {

// Without close_range(2), fds below this are closed one by one.
constexpr int kMaxInheritedFd = 1024;

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  // pidfds are close-on-exec by definition.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

std::uint64_t to_ms(const timeval& tv) {
  return static_cast<std::uint64_t>(tv.tv_sec) * 1000 +
         static_cast<std::uint64_t>(tv.tv_usec) / 1000;
}

// Hooks Boost.Process runs around the vfork. on_setup runs in the parent and
// points the executor at our prepared argv and envp. on_exec_setup runs in the
// vfork child, which shares the parent's memory: raw system calls only, no
// allocation, no locks, no logging. A failure is written to `failed_errno`
// (visible to the parent once the child is gone) before _exit.
struct ExecHooks : bp::extend::handler {
  char** argv = nullptr;
  char** envp = nullptr;
  const char* cwd = nullptr;
  const SandboxPlan* sandbox = nullptr;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  const sigset_t* empty_mask = nullptr;
  int* failed_errno = nullptr;
  const char** failed_step = nullptr;

  template <typename Executor>
  void on_setup(Executor& exec) const {
    exec.cmd_line = argv;
    exec.env = envp;
  }

  // Parent side, when the exec failed in the child. Boost.Process only reaps
  // such a child with WNOHANG, which can run before the child is waitable and
  // leak a zombie; reaping it here first is reliable (the vfork child has
  // already _exit()ed or is about to).
  template <typename Executor>
  void on_error(Executor& exec, const std::error_code&) const {
    if (exec.pid > 0) {
      while (::waitpid(exec.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }

  template <typename Executor>
  void on_exec_setup(Executor&) const {
    // The worker blocks the signals it reads through a signalfd and ignores
    // SIGPIPE; a task must start with neither.
    ::sigprocmask(SIG_SETMASK, empty_mask, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (::setsid() < 0) fail("setsid");
    if (::dup2(stdin_fd, STDIN_FILENO) < 0) fail("dup2 stdin");
    if (::dup2(stdout_fd, STDOUT_FILENO) < 0) fail("dup2 stdout");
    if (::dup2(stderr_fd, STDERR_FILENO) < 0) fail("dup2 stderr");
    if (cwd != nullptr && ::chdir(cwd) != 0) fail("chdir");
    close_inherited();
    if (sandbox != nullptr) {
      const SandboxFailure failure = apply_in_child(*sandbox);
      if (!failure.ok()) {
        errno = failure.error;
        fail(step_name(failure.step));
      }
    }
  }

  // The worker's own fds are close-on-exec, but it may have inherited others
  // from whoever started it; a task gets none of them.
  static void close_inherited() {
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
    for (int fd = 3; fd < kMaxInheritedFd; ++fd)
      ::close(fd);
  }

  void fail(const char* step) const {
    *failed_errno = errno;
    *failed_step = step;
    ::_exit(127);
  }
};

}  // namespace

bool ChildProcess::pidfd_supported() {
  static const bool supported = [] {
    UniqueFd fd(open_pidfd(::getpid()));
    return fd.valid();
  }();
  return supported;
}

bool is_permanent_spawn_error(int error_number) {
  switch (error_number) {
    case ENOENT:
    case EACCES:
    case ENOEXEC:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case ELIBBAD:
      return true;
    default:
      return false;  // EAGAIN, ENOMEM, EMFILE...: the host, not the task
  }
}

std::string spawn_error_message(const SpawnRequest& request, const std::error_code& ec) {
  const std::string& name =
      request.argv != nullptr && !request.argv->empty() ? request.argv->front() : request.program;
  std::string error = "spawn: " + ec.message() + ": " + name;
  if (name != request.program) error += " (" + request.program + ")";
  return error;
}

std::optional<ChildProcess> ChildProcess::spawn(const SpawnRequest& request, std::string& error,
                                                int* error_number) {
  if (request.argv == nullptr || request.argv->empty() || request.envp == nullptr) {
    error = "nothing to run";
    return std::nullopt;
  }
  // Reused between spawns; the reactor is single-threaded.
  thread_local std::vector<char*> argv;
  argv.clear();
  for (const auto& arg : *request.argv)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  static const sigset_t empty_mask = [] {
    sigset_t set;
    sigemptyset(&set);
    return set;
  }();
  int failed_errno = 0;
  const char* failed_step = nullptr;
  ExecHooks hooks;
  hooks.argv = argv.data();
  hooks.envp = request.envp;
  hooks.cwd = request.cwd;
  hooks.sandbox = request.sandbox;
  hooks.stdin_fd = request.stdin_fd;
  hooks.stdout_fd = request.stdout_fd;
  hooks.stderr_fd = request.stderr_fd;
  hooks.empty_mask = &empty_mask;
  hooks.failed_errno = &failed_errno;
  hooks.failed_step = &failed_step;

  std::error_code ec;
  bp::child child(bp::exe = request.program, hooks, bp::posix::use_vfork, ec);
  if (ec) {
    // Exec failures land here too; on_error() has reaped that child.
    error = spawn_error_message(request, ec);
    if (error_number != nullptr) *error_number = ec.value();
    return std::nullopt;
  }
  const pid_t pid = child.id();
  child.detach();
  if (failed_errno != 0) {
    // vfork returned, so the child has already _exit()ed: this cannot block.
    ::waitpid(pid, nullptr, 0);
    error = std::string(failed_step) + " failed: " + std::strerror(failed_errno);
    if (request.cwd != nullptr && std::strcmp(failed_step, "chdir") == 0) {
      error += " (" + std::string(request.cwd) + ")";
      // Only the task's own inputs count; a sandbox step's errno is the host's.
      if (error_number != nullptr) *error_number = failed_errno;
    }
    return std::nullopt;
  }
  UniqueFd pidfd;
  if (pidfd_supported()) {
    pidfd.reset(open_pidfd(pid));
    if (!pidfd.valid()) {
      // Out of fds: without a pidfd this child could not be watched.
      error = std::string("pidfd_open failed: ") + std::strerror(errno);
      ChildProcess doomed(pid, UniqueFd{});
      return std::nullopt;  // `doomed` kills and reaps it
    }
  }
  // Unreaped, the child (or its zombie) still has its /proc entry.
  const auto stat = read_proc_stat(pid);
  return ChildProcess(pid, std::move(pidfd), stat ? stat->start_time : 0);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      start_time_(other.start_time_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    start_time_ = other.start_time_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
}

void ChildProcess::kill_and_reap() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  pidfd_.reset();
}

std::optional<ExitStatus> ChildProcess::try_reap() {
  if (pid_ <= 0) return std::nullopt;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno == EINTR) return std::nullopt;
    // ECHILD: someone else reaped it; report an unknown ending, not a hang.
    pid_ = -1;
    pidfd_.reset();
    return ExitStatus{};
  }
  if (info.si_pid == 0) return std::nullopt;
  // The leader is a zombie: its group id cannot be reused yet, so this
  // reaches exactly the task's leftovers (background jobs and the like).
  ::kill(-pid_, SIGKILL);
  int status = 0;
  rusage usage;
  std::memset(&usage, 0, sizeof usage);
  pid_t reaped = -1;
  do {
    reaped = ::wait4(pid_, &status, 0, &usage);
  } while (reaped < 0 && errno == EINTR);
  pid_ = -1;
  pidfd_.reset();
  ExitStatus out;
  if (reaped < 0) return out;
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  out.user_cpu_ms = to_ms(usage.ru_utime);
  out.sys_cpu_ms = to_ms(usage.ru_stime);
  out.max_rss_kb = static_cast<std::uint64_t>(usage.ru_maxrss);
  return out;
}

void ChildProcess::signal_group(int signal) const {
  if (pid_ > 0) ::kill(-pid_, signal);
}

std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  return bp::search_path(name).string();
}

std::string resolve_program(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return name;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    if (end > start) {
      std::string candidate = path.substr(start, end - start) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return {};
}

}  // namespace zfleet::worker
