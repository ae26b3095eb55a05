// The producer/admin client library; see client.hpp.
#include "common/client.hpp"

#include <deque>
#include <unordered_map>

#include "common/frames.hpp"

namespace zfleet {

namespace {

TimePoint steady_now() {
  return SystemClock().now();
}

}  // namespace

std::string describe(const ClientError& error) {
  switch (error.kind) {
    case ClientError::Kind::kTimeout:
      return error.message;
    case ClientError::Kind::kBroker:
      return std::string(error_name(error.code)) + ": " + error.message;
    case ClientError::Kind::kProtocol:
      return "protocol error: " + error.message;
  }
  return error.message;
}

Client::Client(Options options)
    : owned_context_(std::make_unique<zmq::context_t>(1)),
      options_(std::move(options)),
      socket_(*owned_context_, zmq::socket_type::dealer) {
  frames::apply_common_options(socket_, 100'000);
  socket_.connect(options_.endpoint);
}

Client::Client(zmq::context_t& context, Options options)
    : options_(std::move(options)), socket_(context, zmq::socket_type::dealer) {
  frames::apply_common_options(socket_, 100'000);
  socket_.connect(options_.endpoint);
}

ClientError Client::timeout_error() const {
  return ClientError{ClientError::Kind::kTimeout, ErrorCode::kInternal,
                     "no reply from " + options_.endpoint + " within " +
                         std::to_string(options_.timeout.count()) +
                         " ms (is zfleet-broker running there?)"};
}

std::optional<ClientError> Client::send(std::string_view command, std::string_view body) {
  // A DEALER queues up to its high-water mark even before it is connected;
  // a full queue means the broker has not been reachable for a long while.
  const TimePoint deadline = steady_now() + options_.timeout;
  while (!frames::send_frames(socket_, {}, command, body)) {
    if (steady_now() >= deadline) return timeout_error();
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLOUT, 0};
    zmq::poll(&item, 1, Millis{millis_until(steady_now(), deadline)});
  }
  return std::nullopt;
}

Result<Client::Reply> Client::await(std::uint64_t req, Millis timeout) {
  const TimePoint deadline = steady_now() + timeout;
  std::vector<zmq::message_t> parts;
  for (;;) {
    const long left = millis_until(steady_now(), deadline);
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, Millis{left});
    if ((item.revents & ZMQ_POLLIN) == 0) {
      if (left == 0 || steady_now() >= deadline) return timeout_error();
      continue;
    }
    while (frames::receive_parts(socket_, parts)) {
      frames::Received received;
      if (frames::parse(parts, false, received)) continue;  // not a v1 reply: ignore
      codec::DecodeError error;
      auto body = codec::parse_body(received.body, error);
      if (!body) continue;
      const std::uint64_t reply_req = msg::peek_req(body->root());
      // An ERROR with req 0 answers a message whose id the broker could not
      // read (e.g. UNSUPPORTED_VERSION); with one request in flight it is ours.
      const bool unmatched_error = reply_req == 0 && received.command == proto::cmd::kError;
      if (reply_req != req && !unmatched_error) continue;  // a late reply to an earlier request
      return Reply{std::move(received.command), std::move(received.body)};
    }
  }
}

std::optional<ClientError> Client::as_broker_error(const Reply& reply) {
  if (reply.command != proto::cmd::kError) return std::nullopt;
  msg::ErrorReply error;
  if (auto e = msg::decode_bytes(reply.body, error)) {
    return ClientError{ClientError::Kind::kProtocol, ErrorCode::kMalformedBody, e->message};
  }
  return ClientError{ClientError::Kind::kBroker, error.code, error.message};
}

template <typename ReplyT, typename Body>
Result<ReplyT> Client::call(std::string_view command, const Body& body,
                            std::string_view reply_command, Millis extra_wait) {
  if (auto e = send(command, msg::encode(body))) return *e;
  auto reply = await(body.req, options_.timeout + extra_wait);
  if (!reply) return reply.error();
  if (auto e = as_broker_error(reply.value())) return *e;
  if (reply.value().command != reply_command) {
    return ClientError{ClientError::Kind::kProtocol, ErrorCode::kUnknownCommand,
                       "unexpected reply " + reply.value().command + " to " + std::string(command)};
  }
  ReplyT out;
  if (auto e = msg::decode_bytes(reply.value().body, out)) {
    return ClientError{ClientError::Kind::kProtocol, e->code, e->message};
  }
  return out;
}

Result<std::uint64_t> Client::submit(const msg::TaskSpec& spec) {
  msg::SubmitRequest request{next_req_++, spec};
  auto reply =
      call<msg::SubmittedReply>(proto::cmd::kSubmit, request, proto::cmd::kSubmitted, Millis{0});
  if (!reply) return reply.error();
  return reply.value().id;
}

void Client::submit_many(
    const std::vector<msg::TaskSpec>& specs, std::size_t window,
    const std::function<void(std::size_t, const Result<std::uint64_t>&)>& on_ack) {
  if (window == 0) window = 1;
  std::unordered_map<std::uint64_t, std::size_t> in_flight;  // req -> index
  std::size_t next = 0;
  std::vector<zmq::message_t> parts;
  TimePoint last_progress = steady_now();
  while (next < specs.size() || !in_flight.empty()) {
    while (next < specs.size() && in_flight.size() < window) {
      msg::SubmitRequest request{next_req_++, specs[next]};
      if (auto e = send(proto::cmd::kSubmit, msg::encode(request))) {
        on_ack(next++, *e);
        continue;
      }
      in_flight.emplace(request.req, next++);
    }
    if (in_flight.empty()) continue;
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, Millis{100});
    bool progressed = false;
    while (frames::receive_parts(socket_, parts)) {
      frames::Received received;
      if (frames::parse(parts, false, received)) continue;
      codec::DecodeError error;
      auto body = codec::parse_body(received.body, error);
      if (!body) continue;
      auto it = in_flight.find(msg::peek_req(body->root()));
      if (it == in_flight.end()) continue;
      const std::size_t index = it->second;
      in_flight.erase(it);
      progressed = true;
      Reply reply{received.command, received.body};
      if (auto e = as_broker_error(reply)) {
        on_ack(index, *e);
        continue;
      }
      msg::SubmittedReply submitted;
      if (auto e = msg::decode(body->root(), submitted)) {
        on_ack(index, ClientError{ClientError::Kind::kProtocol, e->code, e->message});
      } else {
        on_ack(index, submitted.id);
      }
    }
    if (progressed) {
      last_progress = steady_now();
    } else if (steady_now() - last_progress > options_.timeout) {
      // The broker stopped answering: fail what is in flight and everything
      // not yet sent at once, rather than one more timeout per window.
      for (const auto& [req, index] : in_flight)
        on_ack(index, timeout_error());
      in_flight.clear();
      while (next < specs.size())
        on_ack(next++, timeout_error());
    }
  }
}

Result<msg::TaskView> Client::status(std::uint64_t id) {
  msg::TaskQuery q{next_req_++, id, 0};
  auto reply = call<msg::TaskReply>(proto::cmd::kStatus, q, proto::cmd::kStatusReply, Millis{0});
  if (!reply) return reply.error();
  return std::move(reply.value().task);
}

Result<msg::TaskView> Client::result(std::uint64_t id, Millis wait) {
  msg::TaskQuery q{next_req_++, id, static_cast<std::uint64_t>(wait.count())};
  auto reply = call<msg::TaskReply>(proto::cmd::kResult, q, proto::cmd::kResultReply, wait);
  if (!reply) return reply.error();
  return std::move(reply.value().task);
}

Result<msg::Counters> Client::stats() {
  msg::Request r{next_req_++};
  auto reply = call<msg::StatsReply>(proto::cmd::kStats, r, proto::cmd::kStatsReply, Millis{0});
  if (!reply) return reply.error();
  return std::move(reply.value().stats);
}

Result<std::vector<msg::WorkerView>> Client::workers() {
  msg::Request r{next_req_++};
  auto reply =
      call<msg::WorkersReply>(proto::cmd::kWorkers, r, proto::cmd::kWorkersReply, Millis{0});
  if (!reply) return reply.error();
  return std::move(reply.value().workers);
}

Result<std::vector<msg::ProjectView>> Client::projects() {
  msg::Request r{next_req_++};
  auto reply =
      call<msg::ProjectsReply>(proto::cmd::kProjects, r, proto::cmd::kProjectsReply, Millis{0});
  if (!reply) return reply.error();
  return std::move(reply.value().projects);
}

Result<Empty> Client::set_limit(const std::string& project, std::uint32_t limit) {
  msg::SetLimitRequest r{next_req_++, project, limit};
  auto reply = call<msg::OkReply>(proto::cmd::kSetLimit, r, proto::cmd::kOk, Millis{0});
  if (!reply) return reply.error();
  return Empty{};
}

Result<msg::PongReply> Client::ping() {
  msg::Request r{next_req_++};
  return call<msg::PongReply>(proto::cmd::kPing, r, proto::cmd::kPong, Millis{0});
}

}  // namespace zfleet
