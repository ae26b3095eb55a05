// EventPublisher: the broker's XPUB socket for task and worker events and
// live task output. Subscribers send subscribe/unsubscribe messages, which
// XPUB hands up to us; the set of subscribed prefixes lets the broker skip
// encoding events nobody listens to (wants()).
//
// Publishing never blocks the reactor: a subscriber whose queue is full
// (ZMQ_SNDHWM) loses messages, as XPUB does without ZMQ_XPUB_NODROP, so one
// slow subscriber never holds events back from the others. Delivery is
// at-most-once; see PROTOCOL.md §11.
//
// Messages are two frames: the topic ("task.<id>.<kind>", "worker.<id>.<kind>",
// "log.<id>.<stream>") and a msgpack body (Event or OutputChunk).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "broker/event_sink.hpp"

namespace zfleet::broker {

class EventPublisher final : public EventSink {
 public:
  static constexpr int kSendHighWaterMark = 10'000;

  explicit EventPublisher(zmq::context_t& context);

  // Binds the socket; throws zmq::error_t when the endpoint cannot be bound.
  void bind(const std::string& endpoint);
  std::string endpoint() const;  // as bound (a "*" port resolved)
  zmq::socket_t& socket() { return socket_; }

  // Reads every waiting subscription message; never blocks.
  void drain_subscriptions();
  // One message as XPUB delivers it: 0x01 + prefix subscribes, 0x00 + prefix
  // unsubscribes; anything else is ignored. XPUB (not verbose) passes a
  // prefix's first subscribe and its last unsubscribe only, so a set suffices.
  void on_subscription(std::string_view message);

  // Whether any subscribed prefix matches `topic`.
  bool wants(std::string_view topic) const override;
  void publish(std::string_view topic, std::string_view body);

  std::size_t subscriptions() const override { return prefixes_.size(); }
  std::uint64_t published() const override { return published_; }
  std::uint64_t dropped() const override { return dropped_; }

 private:
  zmq::socket_t socket_;
  std::set<std::string, std::less<>> prefixes_;
  std::uint64_t published_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace zfleet::broker
