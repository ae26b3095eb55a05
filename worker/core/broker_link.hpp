// BrokerLink is the worker's side of the connection state machine, kept apart
// from sockets so it can be driven by a FakeClock in tests. It decides when to
// open the socket (and send READY), when to heartbeat, and when the broker is
// dead (nothing received for kHeartbeatLiveness intervals); the reactor does
// the I/O it asks for. Invariant: results are only released in kConnected,
// i.e. after WELCOME answered the latest READY.
#pragma once

#include <cstdint>

#include "common/clock.hpp"
#include "worker/core/backoff.hpp"

namespace zfleet::worker {

enum class LinkState {
  kIdle,         // no socket; waiting for the reconnect time
  kRegistering,  // socket open, READY sent, waiting for WELCOME
  kConnected,    // WELCOME received
};

// What the reactor must do, in this order: close, open, send READY, heartbeat.
struct LinkStep {
  bool close = false;
  bool open = false;
  bool send_ready = false;
  bool send_heartbeat = false;
};

class BrokerLink {
 public:
  struct Options {
    Millis heartbeat{1000};  // used until WELCOME names the broker's interval
    Millis backoff_initial{100};
    Millis backoff_cap{5000};
    std::uint64_t seed = 0;
  };

  BrokerLink(TimePoint now, Options options);

  // Call when the clock reaches next_deadline() (calling early is harmless).
  LinkStep on_timer(TimePoint now);
  // Any message at all from the broker proves it alive.
  void on_received(TimePoint now);
  void on_welcome(TimePoint now, Millis broker_heartbeat);
  // ERROR UNKNOWN_WORKER: the broker forgot us; register again.
  LinkStep on_unknown_worker(TimePoint now);
  // DISCONNECT from the broker: drop the socket, register again after backoff.
  LinkStep on_disconnect(TimePoint now);
  // ERROR WORKER_ID_IN_USE: another live worker has our id. Drop the socket
  // and try again only after `wait`, so the other one is left alone.
  LinkStep on_refused(TimePoint now, Millis wait);

  TimePoint next_deadline() const;
  LinkState state() const { return state_; }
  bool connected() const { return state_ == LinkState::kConnected; }
  bool socket_open() const { return state_ != LinkState::kIdle; }
  Millis heartbeat() const { return interval_; }
  std::uint64_t deaths() const { return deaths_; }

 private:
  LinkStep close_and_wait(TimePoint now);

  Options options_;
  Backoff backoff_;
  LinkState state_ = LinkState::kIdle;
  Millis interval_;
  TimePoint reconnect_at_;
  TimePoint last_received_;
  TimePoint last_ready_at_;
  TimePoint next_heartbeat_;
  std::uint64_t deaths_ = 0;  // times the broker was declared dead or said goodbye
};

}  // namespace zfleet::worker
