// EventSubscriber: a SUB socket on a broker's events endpoint (PROTOCOL.md
// §11). Subscriptions are topic prefixes ("task.7.", "log.7.", "worker.");
// receive() returns one decoded message: an Event for task.* and worker.*
// topics, an OutputChunk for log.* topics. Messages that do not decode are
// skipped and counted. Delivery is at-most-once: a slow subscriber loses
// messages, and a subscription takes effect only once it has reached the
// broker, so a caller that must not miss anything re-reads state (STATUS,
// LOGS) after subscribing.
// Not thread-safe: one subscriber per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/messages.hpp"

namespace zfleet {

struct ReceivedEvent {
  std::string topic;
  std::variant<msg::Event, msg::OutputChunk> body;

  bool is_output() const { return std::holds_alternative<msg::OutputChunk>(body); }
  const msg::Event& event() const { return std::get<msg::Event>(body); }
  const msg::OutputChunk& output() const { return std::get<msg::OutputChunk>(body); }
};

class EventSubscriber {
 public:
  explicit EventSubscriber(const std::string& endpoint);
  EventSubscriber(zmq::context_t& context, const std::string& endpoint);
  EventSubscriber(const EventSubscriber&) = delete;
  EventSubscriber& operator=(const EventSubscriber&) = delete;

  void subscribe(std::string_view prefix);
  void unsubscribe(std::string_view prefix);
  // Waits up to `timeout` for the next message; nullopt when none came.
  std::optional<ReceivedEvent> receive(Millis timeout);

  std::uint64_t malformed() const { return malformed_; }
  zmq::socket_t& socket() { return socket_; }

 private:
  std::unique_ptr<zmq::context_t> owned_context_;
  zmq::socket_t socket_;
  std::uint64_t malformed_ = 0;
};

// The endpoint to connect to for a PONG's `events`: a wildcard host ("*",
// "0.0.0.0", "[::]", "::") means "the broker's host", taken from the client's
// `broker_endpoint`. Empty when the broker has events off.
std::string resolve_events_endpoint(std::string_view announced, std::string_view broker_endpoint);

}  // namespace zfleet
