// The worker's event loop; see reactor.hpp.
#include "worker/core/reactor.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "common/check.hpp"
#include "common/protocol.hpp"
#include "worker/policy/default_limits.hpp"

namespace zfleet::worker {

namespace {

constexpr int kHighWaterMark = 10'000;
constexpr int kMaxMessagesPerTurn = 256;
constexpr std::size_t kOutboxItems = 4096;
constexpr std::size_t kOutboxBytes = 64 * 1024 * 1024;
// On exit, how long libzmq may keep trying to deliver the last results.
constexpr int kGoodbyeLingerMs = 2000;
// After the last task ended, how long undelivered results wait for the broker.
constexpr Millis kResultsGraceMs{5000};

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return {};
  return buffer;
}

BrokerLink::Options link_options(const WorkerConfig& config) {
  BrokerLink::Options o;
  o.heartbeat = Millis{config.heartbeat_ms};
  o.seed = std::random_device{}();
  return o;
}

std::optional<SlotGovernor> slot_governor(const WorkerConfig& config, TimePoint now) {
  if (config.max_slots == 0) return std::nullopt;
  SlotPolicy p;
  p.min_slots = config.min_slots;
  p.max_slots = config.max_slots;
  p.min_mem_available_kb = config.min_mem_available_mb * 1024;
  p.max_load_per_core = config.max_load_per_core;
  SlotGovernor governor(p, now);
  return governor;
}

}  // namespace

Reactor::Reactor(const WorkerConfig& config, const Clock& clock, SignalSource& signals,
                 const HostCapabilities& host, WorkerPolicy policy, std::optional<UidPool> uids,
                 const ExecutorFactory& kinds, Spawner* spawner)
    : config_(config),
      clock_(clock),
      signals_(signals),
      host_(host),
      sandbox_(host),
      policy_(std::move(policy)),
      limits_(effective_limits(policy_.base(), config.default_timeout_ms,
                               config.sandbox && host.rlimits, config.sandbox && host.cgroup.pids)),
      uids_(std::move(uids)),
      area_(config.work_dir, std::min<std::size_t>(2 * std::size_t{config.slots}, 1024)),
      state_file_(config.state_file),
      kinds_(
          kinds(ExecutorContext{config_, clock, area_, env_, config.sandbox ? &sandbox_ : nullptr,
                                uids_ ? &*uids_ : nullptr, spawner, policy_})),
      governor_(slot_governor(config, clock.now())),
      slots_(governor_ ? governor_->slots() : config.slots),
      outbox_(kOutboxItems, kOutboxBytes),
      link_(clock.now(), link_options(config)),
      context_(1),
      hostname_(host_name()) {
  ZFLEET_CHECK(kinds_ != nullptr, "the executor factory returned no executors");
  items_.reserve(8 + 4 * static_cast<std::size_t>(std::max(config_.slots, config_.max_slots)));
  module_names_ = list_modules(config_.modules_dir);
  std::random_device seed;
  routing_id_ = fmt::format("{}#{:08x}", config_.id, seed());
  replaces_ = state_file_.exchange_identity(routing_id_);
}

Reactor::~Reactor() {
  close_socket();
}

int Reactor::run() {
  spdlog::info("worker {} starting: broker {}, {} slots{}, work dir {}, exit watch by {}",
               config_.id, config_.broker, slots_,
               governor_ ? fmt::format(" (adaptive {}-{})", config_.min_slots, config_.max_slots)
                         : std::string(),
               area_.root(), ChildProcess::pidfd_supported() ? "pidfd" : "SIGCHLD");
  if (config_.sandbox) {
    spdlog::info("sandbox layers on this host: {}", host_.describe());
    spdlog::info(
        "sandbox policy: {}{}", describe(policy_.base().sandbox),
        uids_ ? fmt::format(", task uids {}-{}", uids_->base(), uids_->base() + uids_->size() - 1)
              : std::string());
  } else {
    spdlog::warn("sandbox off: tasks run unconfined as this worker's user");
  }
  // How memory is held decides what a task past it sees: a kill, or a
  // failed allocation (docs/sandbox.md).
  const AttemptPolicy& base = policy_.base();
  const bool confined = config_.sandbox && base.sandboxed && base.sandbox.cgroup.memory_max_bytes;
  const char* memory_by = "the worker's sampling";
  if (confined && host_.cgroup.memory) {
    memory_by = "cgroup memory.max";
  } else if (confined && host_.rlimits) {
    memory_by = "RLIMIT_DATA per process and the worker's sampling";
  }
  spdlog::info(
      "task limits: {}{}", describe_limits(limits_),
      limits_.memory_bytes != 0 ? fmt::format(" (memory held by {})", memory_by) : std::string());
  spdlog::info("task types: {}; modules: {}", fmt::join(task_types(), ","),
               module_names_.empty() ? std::string("none")
                                     : fmt::format("{}", fmt::join(module_names_, ",")));
  end_previous_life();
  for (;;) {
    const TimePoint now = clock_.now();
    run_timers(now);
    collect_finished();
    flush_events(now);
    flush_results();
    if (shutdown_complete(now)) break;
    // The one place the state file is written: after everything this turn
    // started or reaped, before sleeping.
    sync_state_file();
    poll_once(now);
  }
  say_goodbye();
  close_state_file();
  spdlog::info(
      "worker {} stopped: {} started, {} done ({} noop), {} cancelled, {} could not start, "
      "{} rejected, {} bad messages, {} reconnects, {} results dropped ({} on cancel)",
      config_.id, counters_.tasks_started, counters_.tasks_done, counters_.noop_tasks,
      counters_.tasks_cancelled, counters_.tasks_failed, counters_.tasks_rejected,
      counters_.bad_messages, counters_.reconnects, outbox_.dropped(), counters_.results_cancelled);
  return 0;
}

void Reactor::run_timers(TimePoint now) {
  const bool was_connected = link_.connected();
  const LinkStep step = link_.on_timer(now);
  if (step.close) {
    if (was_connected) {
      spdlog::warn("broker {} silent for {} heartbeats; reconnecting", config_.broker,
                   proto::kHeartbeatLiveness);
    } else {
      spdlog::debug("no answer from broker {}; retrying after backoff", config_.broker);
    }
  }
  apply(step);
  for (Executor* e : executors().executors())
    e->on_timer(now);
  update_slots(now);
  if (draining_ && !stopping_ && now >= drain_deadline_) {
    if (busy() > 0) spdlog::warn("drain timeout: stopping {} running tasks", busy());
    stopping_ = true;
    for (Executor* e : executors().executors())
      e->stop_all(false);
  }
}

void Reactor::apply(const LinkStep& step) {
  if (step.close) close_socket();
  if (step.open) {
    open_socket();
    if (!step.send_ready) return;
  }
  if (step.send_ready) send_ready();
  if (step.send_heartbeat) {
    send(proto::cmd::kHeartbeat, msg::encode(heartbeat()));
  }
}

msg::Heartbeat Reactor::heartbeat() const {
  msg::Heartbeat beat;
  beat.running = static_cast<std::uint32_t>(busy());
  if (governor_) beat.slots = slots_;
  const TimePoint now = clock_.now();
  for (const Executor* e : executors().executors())
    e->activity(now, beat.tasks);
  return beat;
}

void Reactor::open_socket() {
  close_socket();
  try {
    socket_.emplace(context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::routing_id, routing_id_);
    frames::apply_common_options(*socket_, kHighWaterMark);
    socket_->connect(config_.broker);
    ++counters_.reconnects;
  } catch (const zmq::error_t& e) {
    // A bad endpoint is caught at start-up; anything else (EMFILE) is retried.
    spdlog::error("cannot connect to {}: {}", config_.broker, e.what());
    socket_.reset();
  }
}

void Reactor::close_socket() {
  socket_.reset();
  flush_blocked_ = false;
}

bool Reactor::send(std::string_view command, std::string_view body) {
  if (!socket_) return false;
  return frames::send_frames(*socket_, {}, command, body);
}

std::uint32_t Reactor::free_credit() const {
  if (draining_) return 0;
  const std::size_t used = busy() + outbox_.slots_held();
  return used >= slots_ ? 0 : slots_ - static_cast<std::uint32_t>(used);
}

// A result returns its slot's credit unless the slots shrank meanwhile and
// the broker already holds enough credit for what is left.
std::uint32_t Reactor::result_credit() const {
  if (draining_) return 0;
  return busy() + outbox_.slots_held() + credit_out_ < slots_ + 1 ? 1 : 0;
}

// After the slots grew: tells the broker it may send more.
void Reactor::grant_credit() {
  if (draining_ || !link_.connected()) return;
  const std::size_t used = busy() + outbox_.slots_held() + credit_out_;
  if (used >= slots_) return;
  const auto more = static_cast<std::uint32_t>(slots_ - used);
  if (send(proto::cmd::kCredit, msg::encode(msg::Credit{more}))) credit_out_ += more;
}

void Reactor::send_ready() {
  msg::Ready ready;
  ready.worker_id = config_.id;
  ready.replaces = replaces_;
  ready.hostname = hostname_;
  ready.pid = static_cast<std::uint64_t>(::getpid());
  ready.slots = slots_;
  ready.credit = free_credit();
  credit_out_ = ready.credit;
  if (governor_) {
    ready.min_slots = config_.min_slots;
    ready.max_slots = config_.max_slots;
  }
  if (config_.sandbox) ready.layers = host_.layer_names();
  ready.task_types = task_types();
  ready.modules = module_names_;
  ready.labels = config_.labels;
  ready.limits = limits_;
  ready.version = ZFLEET_VERSION;
  for (const Executor* e : executors().executors())
    e->leases(ready.running);
  outbox_.append_leases(ready.running);
  send(proto::cmd::kReady, msg::encode(ready));
  spdlog::debug("READY sent: credit {}, {} held", ready.credit, ready.running.size());
  if (draining_) send(proto::cmd::kDrain, msg::encode_empty());
}

void Reactor::collect_finished() {
  finished_.clear();
  for (Executor* e : executors().executors())
    e->take_finished(finished_);
  for (auto& f : finished_) {
    PendingResult r;
    r.task_id = f.task_id;
    r.attempt = f.attempt;
    if (f.shutdown && !f.outcome.cancelled) {
      // Stopped by us, not by the task: the broker requeues it elsewhere.
      r.kind = ResultKind::kReject;
      r.reason = "worker_shutdown";
      ++counters_.tasks_rejected;
    } else {
      r.kind = ResultKind::kDone;
      r.outcome = std::move(f.outcome);
      bound_result(r.outcome);
      ++counters_.tasks_done;
    }
    spdlog::debug("task {} attempt {} finished", r.task_id, r.attempt);
    outbox_.push(std::move(r));
  }
}

void Reactor::flush_results() {
  if (!link_.connected()) return;
  flush_blocked_ = false;
  while (!outbox_.empty()) {
    const auto& r = outbox_.front();
    const std::uint32_t credit = r.returns_slot() ? result_credit() : 0;
    if (!send(r.command(), r.encode(credit))) {
      flush_blocked_ = true;
      return;
    }
    credit_out_ += credit;
    outbox_.pop_front();
  }
}

void Reactor::poll_once(TimePoint now) {
  items_.clear();
  const bool with_socket = socket_.has_value();
  if (with_socket) {
    zmq_pollitem_t item{};
    item.socket = socket_->handle();
    item.events = static_cast<short>(ZMQ_POLLIN | (flush_blocked_ ? ZMQ_POLLOUT : 0));
    items_.push_back(item);
  }
  zmq_pollitem_t signal_item{};
  signal_item.fd = signals_.fd();
  signal_item.events = ZMQ_POLLIN;
  items_.push_back(signal_item);
  const auto& all = executors().executors();
  poll_firsts_.clear();
  for (Executor* e : all) {
    poll_firsts_.push_back(items_.size());
    e->append_poll_items(items_);
  }
  poll_firsts_.push_back(items_.size());

  TimePoint deadline = link_.next_deadline();
  for (const Executor* e : all) {
    if (auto d = e->next_deadline()) deadline = std::min(deadline, *d);
    if (e->streams_output()) deadline = std::min(deadline, next_output_flush_);
  }
  if (governor_) deadline = std::min(deadline, next_slot_check_);
  if (draining_ && !stopping_) deadline = std::min(deadline, drain_deadline_);
  if (give_up_at_) deadline = std::min(deadline, *give_up_at_);
  const Millis timeout{millis_until(now, deadline)};

  try {
    zmq::poll(items_, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) spdlog::error("poll: {}", e.what());
    for (auto& item : items_)
      item.revents = 0;
  }
  const TimePoint after = clock_.now();
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i]->on_poll(items_.data() + poll_firsts_[i], poll_firsts_[i + 1] - poll_firsts_[i]);
  }
  if (items_[with_socket ? 1 : 0].revents != 0) on_signals(after);
  if (with_socket && items_[0].revents != 0) receive_messages(after);
}

void Reactor::receive_messages(TimePoint now) {
  for (int i = 0; i < kMaxMessagesPerTurn && socket_; ++i) {
    bool got = false;
    try {
      got = frames::receive_parts(*socket_, parts_);
    } catch (const zmq::error_t& e) {
      spdlog::debug("receive: {}", e.what());
      return;
    }
    if (!got) return;
    link_.on_received(now);
    frames::Received message;
    if (auto error = frames::parse(parts_, false, message)) {
      ++counters_.bad_messages;
      spdlog::debug("bad message from broker: {}", error->message);
      continue;
    }
    dispatch(message, now);
  }
}

void Reactor::on_signals(TimePoint now) {
  const SignalCounts counts = signals_.read();
  if (counts.child) {
    for (Executor* e : executors().executors())
      e->check_exits();
  }
  for (int i = 0; i < counts.stop; ++i) {
    if (!draining_) {
      begin_drain(now);
    } else {
      spdlog::warn("second stop signal: killing {} running tasks now", busy());
      stopping_ = true;
      for (Executor* e : executors().executors())
        e->stop_all(true);
    }
  }
}

void Reactor::begin_drain(TimePoint now) {
  draining_ = true;
  drain_deadline_ = now + Millis(config_.drain_timeout_ms);
  spdlog::info("draining: {} running tasks get up to {} ms to finish", busy(),
               config_.drain_timeout_ms);
  if (socket_) send(proto::cmd::kDrain, msg::encode_empty());
}

bool Reactor::shutdown_complete(TimePoint now) {
  if (!draining_ || busy() > 0) return false;
  if (outbox_.empty()) return true;
  // Undelivered results get a little time for a reconnect, then are given up:
  // the broker requeues what it never heard about.
  if (!give_up_at_) give_up_at_ = now + kResultsGraceMs;
  return now >= *give_up_at_;
}

void Reactor::say_goodbye() {
  if (!socket_) return;
  send(proto::cmd::kDisconnect, msg::encode(msg::Disconnect{"shutdown"}));
  // Let libzmq deliver the last results and the goodbye before closing.
  socket_->set(zmq::sockopt::linger, kGoodbyeLingerMs);
  socket_.reset();
}

}  // namespace zfleet::worker
