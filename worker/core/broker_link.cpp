// Connection state machine; see broker_link.hpp.
#include "worker/core/broker_link.hpp"

#include <algorithm>

#include "common/protocol.hpp"

namespace zfleet::worker {

BrokerLink::BrokerLink(TimePoint now, Options options)
    : options_(options),
      backoff_(options.backoff_initial, options.backoff_cap, options.seed),
      interval_(options.heartbeat),
      reconnect_at_(now),
      last_received_(now),
      last_ready_at_(now),
      next_heartbeat_(now) {}

LinkStep BrokerLink::on_timer(TimePoint now) {
  LinkStep step;
  if (state_ == LinkState::kIdle) {
    if (now < reconnect_at_) return step;
    state_ = LinkState::kRegistering;
    last_received_ = now;  // liveness counts from the moment READY goes out
    last_ready_at_ = now;
    next_heartbeat_ = now + interval_;
    step.open = true;
    step.send_ready = true;
    return step;
  }
  if (now - last_received_ >= interval_ * proto::kHeartbeatLiveness) {
    ++deaths_;
    return close_and_wait(now);
  }
  if (state_ == LinkState::kConnected && now >= next_heartbeat_) {
    // A fixed cadence, whatever else was sent: the broker's liveness check
    // then never depends on how busy this worker happens to be.
    next_heartbeat_ = now + interval_;
    step.send_heartbeat = true;
  }
  return step;
}

void BrokerLink::on_received(TimePoint now) {
  if (state_ != LinkState::kIdle) last_received_ = now;
}

void BrokerLink::on_welcome(TimePoint now, Millis broker_heartbeat) {
  if (state_ == LinkState::kIdle) return;  // a straggler from a closed socket
  state_ = LinkState::kConnected;
  interval_ = broker_heartbeat;
  last_received_ = now;
  next_heartbeat_ = now + interval_;
  backoff_.reset();
}

LinkStep BrokerLink::on_unknown_worker(TimePoint now) {
  LinkStep step;
  if (state_ == LinkState::kIdle) return step;
  // Every message sent before the broker processed our READY earns an
  // UNKNOWN_WORKER; one READY per interval answers them all.
  if (state_ == LinkState::kRegistering && now - last_ready_at_ < interval_) return step;
  state_ = LinkState::kRegistering;
  last_ready_at_ = now;
  step.send_ready = true;
  return step;
}

LinkStep BrokerLink::on_disconnect(TimePoint now) {
  if (state_ == LinkState::kIdle) return {};
  ++deaths_;
  return close_and_wait(now);
}

LinkStep BrokerLink::on_refused(TimePoint now, Millis wait) {
  if (state_ == LinkState::kIdle) return {};
  LinkStep step = close_and_wait(now);
  reconnect_at_ = now + wait;
  return step;
}

LinkStep BrokerLink::close_and_wait(TimePoint now) {
  state_ = LinkState::kIdle;
  interval_ = options_.heartbeat;
  reconnect_at_ = now + backoff_.next();
  LinkStep step;
  step.close = true;
  return step;
}

TimePoint BrokerLink::next_deadline() const {
  if (state_ == LinkState::kIdle) return reconnect_at_;
  TimePoint deadline = last_received_ + interval_ * proto::kHeartbeatLiveness;
  if (state_ == LinkState::kConnected) deadline = std::min(deadline, next_heartbeat_);
  return deadline;
}

}  // namespace zfleet::worker
