// ModulePool runs "module" tasks in long-lived zfleet-module-runner children
// (module_runner_main.cpp), each serving one task at a time and many over its
// life, which is far cheaper than a process per task. It owns the runners:
// starts one on demand, reuses an idle one with the same module and pool key
// (the worker keys by project and sandbox policy, so runners never carry
// state between jobs that must not share it), and retires one after
// max_tasks_per_runner tasks, above max_runner_rss_kb, when idle too long or
// beyond max_idle_runners. A runner that dies fails only the task it held and
// is never reused. Like TaskRunner it knows no sockets: single-threaded and
// non-blocking, driven by the reactor's poll loop through
// append_poll_items()/on_poll()/on_timer()/next_deadline().
#pragma once

#include <zmq.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "worker/core/state_file.hpp"
#include "worker/sandbox/child_process.hpp"
#include "worker/sandbox/sandbox.hpp"

namespace zfleet::worker {

struct ModuleReply;

struct ModulePoolOptions {
  std::string modules_dir;  // where <name>.so files are deployed
  std::string runner_path;  // the zfleet-module-runner executable
  // Runners' private directories (HOME, TMPDIR, cwd) are made below it, and
  // those a killed worker left there are removed when the pool starts;
  // empty: a fresh directory under /tmp, removed with the pool.
  std::string work_dir;
  std::uint32_t max_tasks_per_runner = 1000;
  std::uint64_t max_runner_rss_kb = 256 * 1024;  // KiB; retire at or above
  Millis idle_timeout{60000};
  std::size_t max_idle_runners = 8;
  std::size_t output_cap = 64 * 1024;    // bytes of a task's stderr kept
  std::size_t read_budget = 256 * 1024;  // bytes per pipe per loop turn
};

struct ModuleJob {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::string module;  // a name, see module_locator.hpp
  std::string args;    // one msgpack object
  Millis timeout{0};   // 0: none
  // Runners are shared only between jobs with the same key.
  std::string pool_key;
  // nullptr: no sandbox. Must stay valid during start() only.
  const SandboxPolicy* policy = nullptr;
};

struct ModuleProgress {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  int percent = 0;  // 0..100
  std::string message;
};

struct ModuleOutcome {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  bool ok = false;
  std::string result;  // one msgpack object, when ok
  std::string error;   // when not ok
  bool timed_out = false;
  bool cancelled = false;
  bool shutdown = false;  // ended by stop_all()
  bool runner_crashed = false;
  std::optional<int> runner_signal;
  std::string stderr_tail;  // what the module printed, stdout included
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::uint64_t cpu_ms = 0;  // the runner's CPU time during this task
  std::uint64_t rss_kb = 0;  // the runner's resident size after it (KiB)
  std::uint64_t runner_pid = 0;
  std::uint32_t runner_tasks = 0;  // tasks that runner served, this one included
};

class ModulePool {
 public:
  // `sandbox` may be null: jobs then run unconfined whatever their policy.
  ModulePool(const Clock& clock, ModulePoolOptions options, Sandbox* sandbox);
  // Kills and reaps every runner and removes their directories.
  ~ModulePool();
  ModulePool(const ModulePool&) = delete;
  ModulePool& operator=(const ModulePool&) = delete;

  // Hands the job to an idle runner or a new one; false with `error` when
  // the module is unknown, the name invalid, or no runner could be started.
  bool start(const ModuleJob& job, std::string& error);

  std::size_t running() const;
  bool holds(std::uint64_t task_id, std::uint32_t attempt) const;

  // Appends one poll item per fd to watch; on_poll() must then get the same
  // items back (after zmq::poll) before anything else changes the pool.
  void append_poll_items(std::vector<zmq_pollitem_t>& items);
  void on_poll(const zmq_pollitem_t* items, std::size_t count);
  // Without pidfds: a SIGCHLD arrived, look for exits.
  void check_exits();
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // Kills the runner holding the attempt; it finishes with `cancelled`.
  // False when the attempt is not running here.
  bool cancel(std::uint64_t task_id, std::uint32_t attempt);
  // Worker shutdown: kills every runner; running tasks finish with `shutdown`.
  void stop_all();

  // Move what happened since the last call to `out` (appending).
  void take_finished(std::vector<ModuleOutcome>& out);
  void take_progress(std::vector<ModuleProgress>& out);

  std::size_t runners() const { return runners_.size(); }
  std::uint64_t runners_started() const { return runners_started_; }
  // Runners retired for their task count or memory.
  std::uint64_t runners_recycled() const { return runners_recycled_; }
  // Appends the live runners, for the state file; idle ones with task 0.
  void children(std::vector<ChildRecord>& out) const;

 private:
  struct Job;
  struct Runner;

  Runner* spawn_runner(const ModuleJob& job, const std::string& module_path, std::string& error);
  void assign(Runner& runner, const ModuleJob& job);
  void flush_requests(Runner& runner);
  void read_replies(Runner& runner, std::size_t budget);
  void handle_frame(Runner& runner, const std::string& payload);
  void complete(Runner& runner, ModuleReply& reply);
  void on_exit(Runner& runner, const ExitStatus& status);
  void retire(Runner& runner);
  void kill(Runner& runner, std::string why);
  void enforce_idle_limit();
  void sweep();

  const Clock& clock_;
  ModulePoolOptions options_;
  Sandbox* sandbox_;
  bool own_work_dir_ = false;
  std::vector<std::unique_ptr<Runner>> runners_;
  std::vector<ModuleOutcome> finished_;
  std::vector<ModuleProgress> progress_;
  std::uint64_t runners_started_ = 0;
  std::uint64_t runners_recycled_ = 0;
  std::uint64_t next_serial_ = 1;
};

}  // namespace zfleet::worker
