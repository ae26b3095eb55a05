// Child processes for tests; see fleet_process.hpp.
#include "tests/support/fleet_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace zfleet::test_support {

namespace {

using Clock = std::chrono::steady_clock;

ExitStatus from_wait_status(int status) {
  ExitStatus out;
  if (WIFEXITED(status)) {
    out.exited = true;
    out.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
  return out;
}

// NAME=VALUE strings of the test's environment with `extra` applied.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : extra)
    vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars)
    out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Polls with a short, growing pause: test processes end within milliseconds
// to seconds, and a bounded poll keeps this free of SIGCHLD handling.
void pause_briefly(int& round) {
  std::this_thread::sleep_for(std::chrono::milliseconds(round < 10 ? 2 : 10));
  ++round;
}

}  // namespace

std::string ExitStatus::describe() const {
  return exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
}

FleetProcess::~FleetProcess() {
  if (pid_ > 0 && !status_) kill();
}

FleetProcess::FleetProcess(FleetProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      log_file_(std::move(other.log_file_)),
      status_(std::move(other.status_)) {}

FleetProcess& FleetProcess::operator=(FleetProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !status_) kill();
    pid_ = std::exchange(other.pid_, -1);
    log_file_ = std::move(other.log_file_);
    status_ = std::move(other.status_);
  }
  return *this;
}

FleetProcess FleetProcess::start(const std::string& program, const std::vector<std::string>& args,
                                 const ProcessOptions& options) {
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = child_environment(options.env);
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const std::string out = options.log_file.empty() ? "/dev/null" : options.log_file;
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  // The child starts with default signal dispositions and an empty mask
  // whatever the test runner changed.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
  }
  FleetProcess process;
  process.pid_ = pid;
  process.log_file_ = options.log_file;
  return process;
}

std::optional<ExitStatus> FleetProcess::run(const std::string& program,
                                            const std::vector<std::string>& args, Millis timeout,
                                            const ProcessOptions& options) {
  FleetProcess process = start(program, args, options);
  auto status = process.wait_for(timeout);
  if (!status) process.kill();
  return status;
}

bool FleetProcess::try_reap(bool block) {
  if (pid_ <= 0 || status_) return status_.has_value();
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
      status_ = from_wait_status(status);
      return true;
    }
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) {
      // Reaped elsewhere (or never ours): nothing left to wait for.
      status_ = ExitStatus{};
      return true;
    }
    return false;
  }
}

bool FleetProcess::running() {
  return pid_ > 0 && !try_reap(false);
}

bool FleetProcess::signal(int sig) {
  if (!running()) return false;
  return ::kill(pid_, sig) == 0;
}

std::optional<ExitStatus> FleetProcess::wait_for(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  int round = 0;
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    pause_briefly(round);
  }
  return status_;
}

ExitStatus FleetProcess::terminate(Millis grace) {
  if (signal(SIGTERM)) {
    if (auto status = wait_for(grace)) return *status;
  }
  return kill();
}

ExitStatus FleetProcess::kill() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    try_reap(true);
  }
  return status_.value_or(ExitStatus{});
}

std::string FleetProcess::log_tail(std::size_t max_bytes) const {
  if (log_file_.empty()) return "(no log file)";
  std::ifstream in(log_file_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() <= max_bytes ? all : all.substr(all.size() - max_bytes);
}

std::optional<ReadyEndpoints> read_ready_file(const std::string& path,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int round = 0;
  for (;;) {
    std::ifstream in(path);
    if (in) {
      ReadyEndpoints out;
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.starts_with("clients=")) out.clients = line.substr(8);
        if (line.starts_with("workers=")) out.workers = line.substr(8);
      }
      if (!out.clients.empty() && !out.workers.empty()) return out;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    pause_briefly(round);
  }
}

}  // namespace zfleet::test_support
