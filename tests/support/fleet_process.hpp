// Child processes for tests that run the real binaries (broker, worker, ctl,
// python clients). FleetProcess owns one child: it starts it with
// posix_spawnp, sends it signals by pid only, waits for it with a deadline and,
// when destroyed while the child still runs, SIGKILLs and reaps it, so a
// failing test never leaves a process behind. read_ready_file() waits for the
// broker's --ready-file and returns the endpoints it bound.
//
//   auto broker = FleetProcess::start(ZFLEET_BROKER_BIN,
//       {"--clients", "tcp://127.0.0.1:*", "--workers", "tcp://127.0.0.1:*",
//        "--ready-file", dir + "/ready"}, ProcessOptions::log_to(dir + "/broker.log"));
//   auto ends = read_ready_file(dir + "/ready", std::chrono::seconds(10));
//
// Not thread-safe; one test thread owns its processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace zfleet::test_support {

// How a child ended.
struct ExitStatus {
  bool exited = false;  // true: it called exit(); false: a signal ended it
  int code = 0;         // the exit code when exited
  int signal = 0;       // the signal number otherwise

  bool success() const { return exited && code == 0; }
  std::string describe() const;  // "exit 0", "signal 9"
};

struct ProcessOptions {
  // Where stdout and stderr go (appended); empty: /dev/null. stdin is
  // always /dev/null.
  std::string log_file;
  // Added to (or replacing in) the test's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Working directory of the child; empty: the test's.
  std::string cwd;

  // Options that only set the log file (designated initializers would trip
  // -Wmissing-field-initializers under -Werror).
  static ProcessOptions log_to(std::string path) {
    ProcessOptions o;
    o.log_file = std::move(path);
    return o;
  }
};

class FleetProcess {
 public:
  using Millis = std::chrono::milliseconds;

  FleetProcess() = default;  // owns nothing
  ~FleetProcess();
  FleetProcess(FleetProcess&& other) noexcept;
  FleetProcess& operator=(FleetProcess&& other) noexcept;
  FleetProcess(const FleetProcess&) = delete;
  FleetProcess& operator=(const FleetProcess&) = delete;

  // Starts `program` (a path, or a name looked up in PATH) with `args`
  // (argv[1..]). Throws std::runtime_error when it cannot be spawned.
  static FleetProcess start(const std::string& program, const std::vector<std::string>& args,
                            const ProcessOptions& options = {});

  // Runs `program` to completion; SIGKILLs it at `timeout`. Returns its status,
  // or nullopt when it had to be killed.
  static std::optional<ExitStatus> run(const std::string& program,
                                       const std::vector<std::string>& args, Millis timeout,
                                       const ProcessOptions& options = {});

  pid_t pid() const { return pid_; }
  // True while the child has not been reaped (reaps it if it has exited).
  bool running();
  // The status once reaped.
  const std::optional<ExitStatus>& status() const { return status_; }

  // Sends `sig` to the child (by pid). False when it is no longer running.
  bool signal(int sig);
  // Waits up to `timeout` for the child to end; its status, or nullopt.
  std::optional<ExitStatus> wait_for(Millis timeout);
  // SIGTERM, then SIGKILL if it has not ended within `grace`; always reaps.
  ExitStatus terminate(Millis grace = Millis{5000});
  // SIGKILL and reap.
  ExitStatus kill();

  // The last `max_bytes` of the log file, for failure messages.
  std::string log_tail(std::size_t max_bytes = 4096) const;

 private:
  bool try_reap(bool block);

  pid_t pid_ = -1;
  std::string log_file_;
  std::optional<ExitStatus> status_;
};

struct ReadyEndpoints {
  std::string clients;  // e.g. tcp://127.0.0.1:40123
  std::string workers;
};

// Waits up to `timeout` for the broker's ready file (lines "clients=..." and
// "workers=...") and returns both endpoints; nullopt if it did not appear
// complete in time.
std::optional<ReadyEndpoints> read_ready_file(const std::string& path,
                                              std::chrono::milliseconds timeout);

}  // namespace zfleet::test_support
