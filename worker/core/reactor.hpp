// Reactor: the worker's single-threaded event loop and the only code that
// touches the broker socket. Each turn it runs what is due (link timers, task
// timeouts, drain deadline), moves finished results to the outbox and sends
// what the link allows, then zmq::polls the DEALER socket, the signalfd and
// every child fd until the next deadline. Just before it sleeps, it rewrites
// the state file if the set of running children changed during the turn (one
// write per turn however many children started or ended). Decisions live in
// BrokerLink, the executors and ResultOutbox; this file wires them to the wire
// format. Every kind of task is reached through the ExecutorRegistry of the
// ExecutorSet its factory made (the daemon's is task_kinds.hpp); only "noop"
// is handled here, without an executor.
#pragma once

#include <zmq.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/frames.hpp"
#include "common/messages.hpp"
#include "worker/core/broker_link.hpp"
#include "worker/core/executor_factory.hpp"
#include "worker/core/result_outbox.hpp"
#include "worker/core/signal_source.hpp"
#include "worker/core/state_file.hpp"
#include "worker/core/worker_config.hpp"
#include "worker/monitor/slot_governor.hpp"
#include "worker/policy/worker_policy.hpp"
#include "worker/sandbox/host_capabilities.hpp"
#include "worker/sandbox/sandbox.hpp"
#include "worker/sandbox/task_environment.hpp"
#include "worker/sandbox/uid_pool.hpp"
#include "worker/sandbox/work_area.hpp"

namespace zfleet::worker {

// Counters of what the worker saw; logged at exit.
// How long a worker whose id the broker refused (another live worker has
// it) waits before it registers again.
inline constexpr Millis kRefusedRetry{5000};

struct WorkerCounters {
  std::uint64_t registrations_refused = 0;  // ERROR WORKER_ID_IN_USE
  std::uint64_t tasks_started = 0;
  std::uint64_t tasks_done = 0;
  std::uint64_t tasks_failed = 0;  // could not be started
  std::uint64_t tasks_rejected = 0;
  std::uint64_t noop_tasks = 0;         // completed at once, without a child
  std::uint64_t tasks_cancelled = 0;    // running attempts stopped on CANCEL
  std::uint64_t results_cancelled = 0;  // undelivered results dropped on CANCEL
  std::uint64_t cancels_ignored = 0;    // CANCEL for an attempt not held here
  std::uint64_t leftovers_killed = 0;   // children of a previous life ended at start
  std::uint64_t bad_messages = 0;       // malformed frames or bodies, wrong version
  std::uint64_t unknown_commands = 0;
  std::uint64_t duplicate_tasks = 0;
  std::uint64_t reconnects = 0;
  // TASKs handed to an executor, by kind (TaskSpec::type).
  std::map<std::string, std::uint64_t, std::less<>> tasks_by_kind;
  std::uint64_t events_sent = 0;
  std::uint64_t output_chunks_sent = 0;
  std::uint64_t suspends = 0;
  std::uint64_t resumes = 0;
};

// A result over the protocol's limit would make the whole DONE undeliverable:
// the attempt fails instead, saying why.
void bound_result(msg::Outcome& outcome);

// Module names deployed in `dir` (<name>.so or libzfleet_<name>.so).
std::vector<std::string> list_modules(const std::string& dir);

class Reactor {
 public:
  // Start-up: may throw std::runtime_error (work directory, signalfd, a state
  // file another worker holds).
  // `host`: the sandbox layers detected at start-up; `policy`: the parsed
  // --policy file (or the built-in one). `kinds` makes the executors of
  // every kind (make_task_kinds in the daemon). `spawner` starts task
  // children (null: the real one; tests pass one that fails).
  Reactor(const WorkerConfig& config, const Clock& clock, SignalSource& signals,
          const HostCapabilities& host, WorkerPolicy policy, std::optional<UidPool> uids,
          const ExecutorFactory& kinds, Spawner* spawner = nullptr);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Runs until a shutdown completes; returns the process exit code.
  int run();
  const WorkerCounters& counters() const { return counters_; }

 private:
  void run_timers(TimePoint now);
  void apply(const LinkStep& step);
  void open_socket();
  void close_socket();
  bool send(std::string_view command, std::string_view body);
  void send_ready();
  msg::Heartbeat heartbeat() const;
  void flush_results();
  void collect_finished();
  void poll_once(TimePoint now);
  void receive_messages(TimePoint now);
  void dispatch(const frames::Received& message, TimePoint now);
  void on_task(std::string_view body);
  void complete_noop(const msg::TaskAssignment& task);
  void on_cancel(std::string_view body, TimePoint now);
  void on_suspend(std::string_view body, bool suspend, TimePoint now);
  void flush_events(TimePoint now);
  void update_slots(TimePoint now);
  std::size_t busy() const { return executors().running(); }
  ExecutorRegistry& executors() { return kinds_->registry(); }
  const ExecutorRegistry& executors() const { return kinds_->registry(); }
  void reply_invalid_task(const msgpack::object* root, const codec::DecodeError& error);
  void on_signals(TimePoint now);
  void begin_drain(TimePoint now);
  bool shutdown_complete(TimePoint now);
  void say_goodbye();
  void end_previous_life();
  void sync_state_file();
  void close_state_file();
  std::uint32_t free_credit() const;
  std::uint32_t result_credit() const;
  void grant_credit();
  std::vector<std::string> task_types() const;

  WorkerConfig config_;
  const Clock& clock_;
  SignalSource& signals_;
  HostCapabilities host_;
  Sandbox sandbox_;
  WorkerPolicy policy_;
  msg::TaskLimits limits_;  // the ceilings every task gets here: logged, sent in READY
  std::optional<UidPool> uids_;
  WorkArea area_;
  StateFile state_file_;
  TaskEnvironment env_;
  std::unique_ptr<ExecutorSet> kinds_;  // never null
  std::vector<std::string> module_names_;
  std::optional<SlotGovernor> governor_;
  std::uint32_t slots_;           // admitted at once now (adaptive, or --slots)
  std::uint32_t credit_out_ = 0;  // tasks the broker may still send us
  TimePoint next_output_flush_{};
  TimePoint next_slot_check_{};
  ResultOutbox outbox_;
  BrokerLink link_;
  zmq::context_t context_;
  std::optional<zmq::socket_t> socket_;
  std::string hostname_;
  // Unique to this life: "<id>#<random hex>". Two processes started with the
  // same --id never share a ROUTER pipe, so the broker can refuse the second
  // instead of both taking turns; reconnects of this life keep it.
  std::string routing_id_;
  std::string replaces_;  // the previous life's routing id (state file), for READY
  WorkerCounters counters_;

  bool draining_ = false;
  bool stopping_ = false;  // running tasks were told to stop
  TimePoint drain_deadline_{};
  std::optional<TimePoint> give_up_at_;  // see shutdown_complete()
  bool flush_blocked_ = false;           // the socket refused a result; wait for POLLOUT
  bool state_file_stale_ = false;        // to be written even if no child changed
  bool state_file_failing_ = false;      // the last write failed (logged once)

  // Reused every loop turn.
  std::vector<zmq_pollitem_t> items_;
  std::vector<zmq::message_t> parts_;
  std::vector<FinishedAttempt> finished_;
  std::vector<ChildRecord> children_;
  std::vector<std::size_t> poll_firsts_;  // each executor's first poll item
  std::vector<msg::Event> events_;
  std::vector<msg::OutputChunk> chunks_;
};

}  // namespace zfleet::worker
