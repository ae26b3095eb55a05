// The worker's event loop; see reactor.hpp.
#include "worker/reactor.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "common/protocol.hpp"

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

RunnerOptions runner_options(const WorkerConfig& config) {
  RunnerOptions o;
  o.default_timeout = Millis(config.default_timeout_ms);
  o.grace = Millis(config.grace_ms);
  return o;
}

}  // namespace

Reactor::Reactor(const WorkerConfig& config, const Clock& clock, SignalSource& signals)
    : config_(config),
      clock_(clock),
      signals_(signals),
      area_(config.work_dir, std::min<std::size_t>(2 * std::size_t{config.slots}, 1024)),
      state_file_(config.state_file),
      runner_(clock, runner_options(config), area_, env_),
      outbox_(kOutboxItems, kOutboxBytes),
      link_(clock.now(), link_options(config)),
      context_(1),
      hostname_(host_name()) {
  items_.reserve(8 + 4 * static_cast<std::size_t>(config_.slots));
}

Reactor::~Reactor() {
  close_socket();
}

int Reactor::run() {
  spdlog::info("worker {} starting: broker {}, {} slots, work dir {}, exit watch by {}", config_.id,
               config_.broker, config_.slots, area_.root(),
               ChildProcess::pidfd_supported() ? "pidfd" : "SIGCHLD");
  end_previous_life();
  for (;;) {
    const TimePoint now = clock_.now();
    run_timers(now);
    collect_finished();
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
  runner_.on_timer(now);
  if (draining_ && !stopping_ && now >= drain_deadline_) {
    if (runner_.running() > 0) {
      spdlog::warn("drain timeout: stopping {} running tasks", runner_.running());
    }
    stopping_ = true;
    runner_.stop_all(false);
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
    send(proto::cmd::kHeartbeat,
         msg::encode(msg::Heartbeat{static_cast<std::uint32_t>(runner_.running())}));
  }
}

void Reactor::open_socket() {
  close_socket();
  try {
    socket_.emplace(context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::routing_id, config_.id);
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
  const std::size_t used = runner_.running() + outbox_.slots_held();
  return used >= config_.slots ? 0 : config_.slots - static_cast<std::uint32_t>(used);
}

void Reactor::send_ready() {
  msg::Ready ready;
  ready.worker_id = config_.id;
  ready.hostname = hostname_;
  ready.pid = static_cast<std::uint64_t>(::getpid());
  ready.slots = config_.slots;
  ready.credit = free_credit();
  ready.labels = config_.labels;
  ready.version = ZFLEET_VERSION;
  ready.running = runner_.leases();
  outbox_.append_leases(ready.running);
  send(proto::cmd::kReady, msg::encode(ready));
  spdlog::debug("READY sent: credit {}, {} held", ready.credit, ready.running.size());
  if (draining_) send(proto::cmd::kDrain, msg::encode_empty());
}

void Reactor::collect_finished() {
  finished_.clear();
  runner_.take_finished(finished_);
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
  const std::size_t first_task_item = items_.size();
  runner_.append_poll_items(items_);

  TimePoint deadline = link_.next_deadline();
  if (auto d = runner_.next_deadline()) deadline = std::min(deadline, *d);
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
  runner_.on_poll(items_.data() + first_task_item, items_.size() - first_task_item);
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
  if (counts.child) runner_.check_exits();
  for (int i = 0; i < counts.stop; ++i) {
    if (!draining_) {
      begin_drain(now);
    } else {
      spdlog::warn("second stop signal: killing {} running tasks now", runner_.running());
      stopping_ = true;
      runner_.stop_all(true);
    }
  }
}

void Reactor::begin_drain(TimePoint now) {
  draining_ = true;
  drain_deadline_ = now + Millis(config_.drain_timeout_ms);
  spdlog::info("draining: {} running tasks get up to {} ms to finish", runner_.running(),
               config_.drain_timeout_ms);
  if (socket_) send(proto::cmd::kDrain, msg::encode_empty());
}

bool Reactor::shutdown_complete(TimePoint now) {
  if (!draining_ || runner_.running() > 0) return false;
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
