// EventSubscriber and events endpoint resolution; see event_subscriber.hpp.
#include "common/event_subscriber.hpp"

#include "common/frames.hpp"

namespace zfleet {

namespace {

struct Endpoint {
  std::string_view scheme;  // "tcp://"
  std::string_view host;
  std::string_view port;  // with its ':'
};

// Splits "tcp://host:port"; host may be a bracketed IPv6 address.
std::optional<Endpoint> split(std::string_view e) {
  const auto sep = e.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Endpoint out;
  out.scheme = e.substr(0, sep + 3);
  const std::string_view rest = e.substr(sep + 3);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos ||
      (rest.find(']') != std::string_view::npos && colon < rest.find(']'))) {
    return std::nullopt;
  }
  out.host = rest.substr(0, colon);
  out.port = rest.substr(colon);
  return out;
}

}  // namespace

std::string resolve_events_endpoint(std::string_view announced, std::string_view broker_endpoint) {
  auto events = split(announced);
  if (!events || events->scheme != "tcp://") return std::string(announced);
  const std::string_view host = events->host;
  if (host != "*" && host != "0.0.0.0" && host != "[::]" && host != "::") {
    return std::string(announced);
  }
  auto broker = split(broker_endpoint);
  // A broker reached some other way than tcp: loopback is the best guess.
  std::string broker_host =
      broker && broker->scheme == "tcp://" ? std::string(broker->host) : std::string("127.0.0.1");
  if (broker_host == "*" || broker_host == "0.0.0.0") broker_host = "127.0.0.1";
  return "tcp://" + broker_host + std::string(events->port);
}

EventSubscriber::EventSubscriber(const std::string& endpoint)
    : owned_context_(std::make_unique<zmq::context_t>(1)),
      socket_(*owned_context_, zmq::socket_type::sub) {
  frames::apply_common_options(socket_, 100'000);
  socket_.connect(endpoint);
}

EventSubscriber::EventSubscriber(zmq::context_t& context, const std::string& endpoint)
    : socket_(context, zmq::socket_type::sub) {
  frames::apply_common_options(socket_, 100'000);
  socket_.connect(endpoint);
}

void EventSubscriber::subscribe(std::string_view prefix) {
  socket_.set(zmq::sockopt::subscribe, prefix);
}

void EventSubscriber::unsubscribe(std::string_view prefix) {
  socket_.set(zmq::sockopt::unsubscribe, prefix);
}

std::optional<ReceivedEvent> EventSubscriber::receive(Millis timeout) {
  const TimePoint deadline = SystemClock().now() + timeout;
  for (;;) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, Millis{millis_until(SystemClock().now(), deadline)});
    std::vector<zmq::message_t> parts;
    while (frames::receive_parts(socket_, parts)) {
      if (parts.size() != 2) {
        ++malformed_;
        continue;
      }
      ReceivedEvent out;
      out.topic = parts[0].to_string();
      const std::string_view body = parts[1].to_string_view();
      msg::MaybeError error;
      if (out.topic.starts_with("log.")) {
        msg::OutputChunk chunk;
        error = msg::decode_bytes(body, chunk);
        out.body = std::move(chunk);
      } else {
        msg::Event event;
        error = msg::decode_bytes(body, event);
        out.body = std::move(event);
      }
      if (error) {
        ++malformed_;
        continue;
      }
      return out;
    }
    if (SystemClock().now() >= deadline) return std::nullopt;
  }
}

}  // namespace zfleet
