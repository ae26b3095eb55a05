// EventSink: what the broker's core knows of the event stream. The core
// queues events for each turn (Broker::events()) and the reactor publishes
// them after the journal commit; through this interface the core only asks
// whether anyone listens to a topic (so it skips encoding events nobody
// wants) and reads the stream's counters for STATS. EventPublisher (the
// XPUB socket) implements it; tests implement it without sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zfleet::broker {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Whether any subscriber's prefix matches `topic`.
  virtual bool wants(std::string_view topic) const = 0;
  virtual std::uint64_t published() const = 0;
  virtual std::uint64_t dropped() const = 0;  // lost to a full subscriber queue
  virtual std::size_t subscriptions() const = 0;
};

}  // namespace zfleet::broker
