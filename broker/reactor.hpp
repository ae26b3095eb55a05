// Reactor: the broker's only owner of sockets. One thread, one loop:
//   poll (timeout = time to the broker's next deadline) -> hand every waiting
//   message to the Broker -> timers -> before_sleep() -> send the outbox.
// The events XPUB socket (optional) is polled too, for its subscription
// messages; the turn's events are published after the commit, with the replies.
// SIGTERM/SIGINT arrive through a signalfd in the same poll, so shutdown is
// just another event: stop accepting, flush replies, return.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "broker/broker.hpp"
#include "broker/event_publisher.hpp"
#include "common/clock.hpp"
#include "common/frames.hpp"

namespace zfleet::broker {

class Reactor {
 public:
  // `signal_fd` is a signalfd for SIGTERM and SIGINT (those signals blocked).
  Reactor(zmq::context_t& context, Broker& broker, const Clock& clock, int signal_fd);

  // Binds both sockets; throws zmq::error_t if an endpoint cannot be bound.
  // Events stay off until bind_events().
  void bind(const std::string& clients_endpoint, const std::string& workers_endpoint);
  // Binds the events socket and tells the broker to publish; throws
  // zmq::error_t (events stay off) if the endpoint cannot be bound.
  void bind_events(const std::string& endpoint);
  std::string clients_endpoint() const;
  std::string workers_endpoint() const;
  std::string events_endpoint() const;  // empty: events disabled

  // Runs until a termination signal arrives (returns 0), or the journal
  // fails (returns 1, without sending that turn's replies).
  int run();

 private:
  void drain(zmq::socket_t& socket, Peer peer);
  // Sends what the outbox holds for `peer` (both when nullopt).
  void flush(std::optional<Peer> peer = std::nullopt);
  // before_sleep(), then send; false if the store could not commit.
  bool settle();

  Broker& broker_;
  const Clock& clock_;
  int signal_fd_;
  zmq::socket_t clients_;
  zmq::socket_t workers_;
  zmq::context_t& context_;
  std::unique_ptr<EventPublisher> events_;
  bool work_pending_ = false;
};

}  // namespace zfleet::broker
