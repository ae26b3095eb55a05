// The broker's event loop; see reactor.hpp.
#include "broker/reactor.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace zfleet::broker {

namespace {

// Messages taken from one socket per loop turn, so one busy peer group
// cannot starve the other or the timers.
constexpr int kBatch = 4096;
constexpr int kHighWaterMark = 200'000;

}  // namespace

Reactor::Reactor(zmq::context_t& context, Broker& broker, const Clock& clock, int signal_fd)
    : broker_(broker),
      clock_(clock),
      signal_fd_(signal_fd),
      clients_(context, zmq::socket_type::router),
      workers_(context, zmq::socket_type::router),
      context_(context) {
  frames::apply_common_options(clients_, kHighWaterMark);
  frames::apply_common_options(workers_, kHighWaterMark);
  // A worker reconnecting with its fixed routing id takes over its old pipe.
  workers_.set(zmq::sockopt::router_handover, 1);
  // A TASK to a vanished worker must fail loudly so it can be requeued.
  workers_.set(zmq::sockopt::router_mandatory, 1);
}

void Reactor::bind(const std::string& clients_endpoint, const std::string& workers_endpoint) {
  clients_.bind(clients_endpoint);
  workers_.bind(workers_endpoint);
  broker_.attach_events(nullptr, {});
}

void Reactor::bind_events(const std::string& endpoint) {
  auto publisher = std::make_unique<EventPublisher>(context_);
  publisher->bind(endpoint);
  events_ = std::move(publisher);
  broker_.attach_events(events_.get(), events_->endpoint());
}

std::string Reactor::events_endpoint() const {
  return events_ ? events_->endpoint() : std::string();
}

std::string Reactor::clients_endpoint() const {
  return clients_.get(zmq::sockopt::last_endpoint);
}
std::string Reactor::workers_endpoint() const {
  return workers_.get(zmq::sockopt::last_endpoint);
}

void Reactor::drain(zmq::socket_t& socket, Peer peer) {
  std::vector<zmq::message_t> parts;
  for (int i = 0; i < kBatch; ++i) {
    if (!frames::receive_parts(socket, parts)) return;
    frames::Received message;
    if (auto error = frames::parse(parts, true, message)) {
      broker_.on_bad_frames(peer, message.identity, *error);
    } else if (peer == Peer::kClient) {
      broker_.on_client(message);
    } else {
      broker_.on_worker(message);
    }
  }
  work_pending_ = true;  // more may be waiting: do not sleep next turn
}

void Reactor::flush(std::optional<Peer> peer) {
  std::vector<Outgoing> batch;
  batch.swap(broker_.outbox());
  for (Outgoing& out : batch) {
    if (peer && out.peer != *peer) {
      broker_.outbox().push_back(std::move(out));  // kept for a later flush
      continue;
    }
    zmq::socket_t& socket = out.peer == Peer::kClient ? clients_ : workers_;
    if (!frames::send_frames(socket, out.identity, out.command, out.body)) {
      broker_.on_undeliverable(out);
      work_pending_ = true;  // a requeued task may be dispatchable now
    }
  }
  if (!peer) {
    std::vector<OutgoingEvent> events;
    events.swap(broker_.events());
    if (events_) {
      for (const auto& e : events)
        events_->publish(e.topic, e.body);
    }
  }
}

bool Reactor::settle() {
  broker_.prepare_turn();
  // Sends only what the turn's commit allows: with the journal refusing
  // writes, the broker keeps what depends on it (broker_storage.cpp).
  broker_.settle();
  flush();
  return true;
}

int Reactor::run() {
  // Without an events socket its poll entry stays empty (never ready).
  zmq::pollitem_t items[] = {
      {clients_.handle(), 0, ZMQ_POLLIN, 0},
      {workers_.handle(), 0, ZMQ_POLLIN, 0},
      {nullptr, signal_fd_, ZMQ_POLLIN, 0},
      {events_ ? events_->socket().handle() : nullptr, events_ ? 0 : -1, ZMQ_POLLIN, 0},
  };
  const int polled = events_ ? 4 : 3;
  for (;;) {
    const long timeout = work_pending_ ? 0L : millis_until(clock_.now(), broker_.next_deadline());
    work_pending_ = false;
    zmq::poll(items, polled, Millis{timeout});
    if (items[2].revents & ZMQ_POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd_, &info, sizeof info) == sizeof info) {
        spdlog::info("signal {} received: stopping", info.ssi_signo);
      }
      broker_.stop_accepting();
      drain(clients_, Peer::kClient);
      drain(workers_, Peer::kWorker);
      return settle() ? 0 : 1;
    }
    if (items[0].revents & ZMQ_POLLIN) drain(clients_, Peer::kClient);
    if (items[1].revents & ZMQ_POLLIN) drain(workers_, Peer::kWorker);
    if (polled == 4 && (items[3].revents & ZMQ_POLLIN)) events_->drain_subscriptions();
    if (clock_.now() >= broker_.next_deadline()) broker_.on_timer();
    if (!settle()) return 1;
  }
}

}  // namespace zfleet::broker
