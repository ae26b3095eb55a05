// The producer/admin client library; see client.hpp.
#include "common/client.hpp"

#include <algorithm>
#include <deque>
#include <thread>
#include <unordered_map>

#include "common/frames.hpp"

namespace zfleet {

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
      clock_(options_.clock != nullptr ? *options_.clock : system_clock_),
      socket_(*owned_context_, zmq::socket_type::dealer) {
  frames::apply_common_options(socket_, 100'000);
  socket_.connect(options_.endpoint);
}

Client::Client(zmq::context_t& context, Options options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : system_clock_),
      socket_(context, zmq::socket_type::dealer) {
  frames::apply_common_options(socket_, 100'000);
  socket_.connect(options_.endpoint);
}

short Client::poll_socket(short events, Millis want) {
  zmq::pollitem_t item{socket_.handle(), 0, events, 0};
  zmq::poll(&item, 1, clock_.blocking_wait(want));
  if ((item.revents & events) == 0) clock_.waited(want);
  return item.revents;
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
  const TimePoint deadline = clock_.now() + options_.timeout;
  while (!frames::send_frames(socket_, {}, command, body)) {
    if (clock_.now() >= deadline) return timeout_error();
    poll_socket(ZMQ_POLLOUT, Millis{millis_until(clock_.now(), deadline)});
  }
  return std::nullopt;
}

Result<Client::Reply> Client::await(std::uint64_t req, Millis timeout) {
  const TimePoint deadline = clock_.now() + timeout;
  for (;;) {
    const long left = millis_until(clock_.now(), deadline);
    if ((poll_socket(ZMQ_POLLIN, Millis{left}) & ZMQ_POLLIN) == 0) {
      if (left == 0 || clock_.now() >= deadline) return timeout_error();
      continue;
    }
    std::optional<Reply> found;
    drain_replies([&](const Incoming& in) {
      // An ERROR with req 0 answers a message whose id the broker could not
      // read (e.g. UNSUPPORTED_VERSION); with one request in flight it is ours.
      const bool unmatched_error = in.req == 0 && in.command == proto::cmd::kError;
      if (in.req != req && !unmatched_error) return false;  // a late reply to an earlier request
      found = Reply{in.command, in.body};
      return true;
    });
    if (found) return std::move(*found);
  }
}

bool Client::drain_replies(const std::function<bool(const Incoming&)>& on_reply) {
  std::vector<zmq::message_t> parts;
  while (frames::receive_parts(socket_, parts)) {
    frames::Received received;
    if (frames::parse(parts, false, received)) continue;  // not a v1 reply: ignore
    codec::DecodeError error;
    auto body = codec::parse_body(received.body, error);
    if (!body) continue;
    const Incoming in{msg::peek_req(body->root()), received.command, received.body, body->root()};
    if (on_reply(in)) return true;
  }
  return false;
}

std::optional<ClientError> Client::as_broker_error(std::string_view command,
                                                   std::string_view body) {
  if (command != proto::cmd::kError) return std::nullopt;
  msg::ErrorReply error;
  if (auto e = msg::decode_bytes(body, error)) {
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
  if (auto e = as_broker_error(reply.value().command, reply.value().body)) return *e;
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

bool Client::retryable(const ClientError& error) {
  if (error.kind == ClientError::Kind::kTimeout) return true;
  // A broker that is stopping (a restart) or failed inside (e.g. a journal
  // write) did not take the task; QUEUE_FULL and bad input are final answers.
  return error.kind == ClientError::Kind::kBroker &&
         (error.code == ErrorCode::kShuttingDown || error.code == ErrorCode::kInternal);
}

Millis Client::submit_backoff(int retry) const {
  return options_.submit_backoff * (1L << std::clamp(retry, 0, 10));
}

std::string Client::new_idempotency_key() {
  if (!key_source_) {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(),
                       device(), device(), device(), device()};
    key_source_.emplace(seed);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key(32, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t bits = (*key_source_)();
    for (std::size_t i = 0; i < 16; ++i, bits >>= 4)
      key[half * 16 + i] = kHex[bits & 0xF];
  }
  return key;
}

msg::SubmitRequest Client::keyed_request(const msg::TaskSpec& spec) {
  msg::SubmitRequest request{0, spec};
  if (request.task.idempotency_key.empty()) request.task.idempotency_key = new_idempotency_key();
  return request;
}

Result<Submission> Client::submit_detailed(const msg::TaskSpec& spec) {
  msg::SubmitRequest request = keyed_request(spec);
  for (int retry = 0;; ++retry) {
    // A fresh request id per try: a late reply to an earlier try is dropped
    // by await(); the broker answers this one with the same task id anyway.
    request.req = next_req_++;
    auto reply =
        call<msg::SubmittedReply>(proto::cmd::kSubmit, request, proto::cmd::kSubmitted, Millis{0});
    if (reply) return Submission{reply.value().id, reply.value().duplicate};
    if (!retryable(reply.error()) || retry >= options_.submit_retries) return reply.error();
    clock_.sleep_for(submit_backoff(retry));
  }
}

Result<std::uint64_t> Client::submit(const msg::TaskSpec& spec) {
  auto submitted = submit_detailed(spec);
  if (!submitted) return submitted.error();
  return submitted.value().id;
}

namespace {

// One spec of submit_many() between its first send and its answer.
struct Pending {
  std::size_t index = 0;  // into the caller's specs
  std::string key;        // the idempotency key every try carries
  int retries = 0;        // resends so far
  TimePoint sent;         // of the latest try
};

}  // namespace

void Client::submit_many(
    const std::vector<msg::TaskSpec>& specs, std::size_t window,
    const std::function<void(std::size_t, const Result<std::uint64_t>&)>& on_ack) {
  if (window == 0) window = 1;
  std::unordered_map<std::uint64_t, Pending> in_flight;  // req -> spec
  std::deque<std::pair<TimePoint, Pending>> resends;     // due time, in due order
  std::size_t next = 0;
  TimePoint last_progress = clock_.now();

  auto send_try = [&](msg::SubmitRequest& request, Pending pending) {
    request.req = next_req_++;
    if (auto e = send(proto::cmd::kSubmit, msg::encode(request))) {
      on_ack(pending.index, *e);
      return;
    }
    pending.sent = clock_.now();
    in_flight.emplace(request.req, std::move(pending));
  };
  auto resend_later = [&](Pending pending) {
    const TimePoint due = clock_.now() + submit_backoff(pending.retries);
    ++pending.retries;
    resends.emplace_back(due, std::move(pending));
  };
  // The broker is gone for good: fail everything not yet answered at once,
  // rather than one more timeout per window.
  auto fail_all = [&] {
    for (const auto& [req, pending] : in_flight)
      on_ack(pending.index, timeout_error());
    in_flight.clear();
    for (const auto& [due, pending] : resends)
      on_ack(pending.index, timeout_error());
    resends.clear();
    while (next < specs.size())
      on_ack(next++, timeout_error());
  };

  while (next < specs.size() || !in_flight.empty() || !resends.empty()) {
    while (!resends.empty() && resends.front().first <= clock_.now()) {
      Pending pending = std::move(resends.front().second);
      resends.pop_front();
      msg::SubmitRequest request{0, specs[pending.index]};
      request.task.idempotency_key = pending.key;
      send_try(request, std::move(pending));
      last_progress = clock_.now();
    }
    while (next < specs.size() && in_flight.size() + resends.size() < window) {
      msg::SubmitRequest request = keyed_request(specs[next]);
      Pending pending{next++, request.task.idempotency_key, 0, {}};
      send_try(request, std::move(pending));
    }
    if (in_flight.empty() && resends.empty()) continue;
    long wait_ms = 100;
    if (!resends.empty()) {
      wait_ms = std::min(wait_ms, millis_until(clock_.now(), resends.front().first));
    }
    poll_socket(ZMQ_POLLIN, Millis{wait_ms});
    bool progressed = false;
    drain_replies([&](const Incoming& in) {
      auto it = in_flight.find(in.req);
      if (it == in_flight.end()) return false;  // a late reply to an earlier try
      Pending pending = std::move(it->second);
      in_flight.erase(it);
      progressed = true;
      if (auto e = as_broker_error(in.command, in.body)) {
        if (retryable(*e) && pending.retries < options_.submit_retries) {
          resend_later(std::move(pending));
        } else {
          on_ack(pending.index, *e);
        }
        return false;
      }
      msg::SubmittedReply submitted;
      if (auto e = msg::decode(in.root, submitted)) {
        on_ack(pending.index, ClientError{ClientError::Kind::kProtocol, e->code, e->message});
      } else {
        on_ack(pending.index, submitted.id);  // duplicate or not: the task is in
      }
      return false;
    });
    const TimePoint now = clock_.now();
    if (progressed) {
      last_progress = now;
      continue;
    }
    if (in_flight.empty() || now - last_progress <= options_.timeout) continue;
    // The broker has said nothing for a whole timeout: whatever waited that
    // long is sent again with its key, unless its tries are used up.
    std::vector<std::uint64_t> timed_out;
    bool exhausted = false;
    for (const auto& [req, pending] : in_flight) {
      if (now - pending.sent < options_.timeout) continue;
      timed_out.push_back(req);
      exhausted = exhausted || pending.retries >= options_.submit_retries;
    }
    if (exhausted) {
      fail_all();
      continue;
    }
    for (const std::uint64_t req : timed_out) {
      auto node = in_flight.extract(req);
      resend_later(std::move(node.mapped()));
    }
    last_progress = now;
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

void Client::await_results(
    const std::vector<std::uint64_t>& ids, std::size_t window, TimePoint deadline,
    const std::function<void(std::size_t, const Result<msg::TaskView>&)>& on_final) {
  if (window == 0) window = 1;
  // A long-poll wait the broker answers by itself well before the request
  // timeout, so a silent broker is told apart from a slow task.
  const Millis poll_wait{std::max<long>(100, options_.timeout.count() / 2)};
  std::unordered_map<std::uint64_t, std::size_t> in_flight;  // req -> index
  std::deque<std::size_t> pending;                           // indexes still to ask about
  for (std::size_t i = 0; i < ids.size(); ++i)
    pending.push_back(i);
  TimePoint last_progress = clock_.now();
  auto fail_all = [&](const ClientError& error) {
    for (const auto& [req, index] : in_flight)
      on_final(index, error);
    for (std::size_t index : pending)
      on_final(index, error);
    in_flight.clear();
    pending.clear();
  };
  while (!pending.empty() || !in_flight.empty()) {
    while (!pending.empty() && in_flight.size() < window) {
      const std::size_t index = pending.front();
      msg::TaskQuery q{next_req_++, ids[index], static_cast<std::uint64_t>(poll_wait.count())};
      if (auto e = send(proto::cmd::kResult, msg::encode(q))) return fail_all(*e);
      pending.pop_front();
      in_flight.emplace(q.req, index);
    }
    poll_socket(ZMQ_POLLIN, Millis{100});
    bool progressed = false;
    drain_replies([&](const Incoming& in) {
      auto it = in_flight.find(in.req);
      if (it == in_flight.end()) return false;
      const std::size_t index = it->second;
      in_flight.erase(it);
      progressed = true;
      if (auto e = as_broker_error(in.command, in.body)) {
        on_final(index, *e);
        return false;
      }
      msg::TaskReply task;
      if (auto e = msg::decode(in.root, task)) {
        on_final(index, ClientError{ClientError::Kind::kProtocol, e->code, e->message});
      } else if (msg::is_final(task.task.state)) {
        on_final(index, std::move(task.task));
      } else {
        pending.push_back(index);  // not yet: ask again
      }
      return false;
    });
    const TimePoint now = clock_.now();
    if (progressed) last_progress = now;
    if (now >= deadline) {
      return fail_all(ClientError{ClientError::Kind::kTimeout, ErrorCode::kInternal,
                                  "tasks still unfinished at the deadline"});
    }
    if (now - last_progress > options_.timeout + poll_wait) return fail_all(timeout_error());
  }
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

Result<Empty> Client::set_policy(const std::string& project, const msg::RetryPolicy& policy) {
  msg::SetPolicyRequest r{next_req_++, project, policy};
  auto reply = call<msg::OkReply>(proto::cmd::kSetPolicy, r, proto::cmd::kOk, Millis{0});
  if (!reply) return reply.error();
  return Empty{};
}

Result<Empty> Client::cancel(std::uint64_t id) {
  msg::TaskQuery q{next_req_++, id, 0};
  auto reply = call<msg::OkReply>(proto::cmd::kCancel, q, proto::cmd::kOk, Millis{0});
  if (!reply) return reply.error();
  return Empty{};
}

Result<DeadLetters> Client::dlq_list(std::uint64_t limit) {
  msg::DlqListRequest r{next_req_++, limit};
  auto reply = call<msg::DlqReply>(proto::cmd::kDlqList, r, proto::cmd::kDlqReply, Millis{0});
  if (!reply) return reply.error();
  return DeadLetters{reply.value().total, std::move(reply.value().tasks)};
}

Result<Empty> Client::dlq_retry(std::uint64_t id) {
  msg::TaskQuery q{next_req_++, id, 0};
  auto reply = call<msg::OkReply>(proto::cmd::kDlqRetry, q, proto::cmd::kOk, Millis{0});
  if (!reply) return reply.error();
  return Empty{};
}

Result<std::uint64_t> Client::dlq_purge() {
  msg::Request r{next_req_++};
  auto reply = call<msg::OkReply>(proto::cmd::kDlqPurge, r, proto::cmd::kOk, Millis{0});
  if (!reply) return reply.error();
  return reply.value().count;
}

Result<msg::PongReply> Client::ping() {
  msg::Request r{next_req_++};
  return call<msg::PongReply>(proto::cmd::kPing, r, proto::cmd::kPong, Millis{0});
}

Result<Empty> Client::suspend(std::uint64_t id) {
  msg::TaskQuery q{next_req_++, id, 0};
  auto reply = call<msg::OkReply>(proto::cmd::kSuspend, q, proto::cmd::kOk, Millis{0});
  if (!reply) return reply.error();
  return Empty{};
}

Result<Empty> Client::resume(std::uint64_t id) {
  msg::TaskQuery q{next_req_++, id, 0};
  auto reply = call<msg::OkReply>(proto::cmd::kResume, q, proto::cmd::kOk, Millis{0});
  if (!reply) return reply.error();
  return Empty{};
}

Result<msg::LogsReply> Client::logs(std::uint64_t id) {
  msg::TaskQuery q{next_req_++, id, 0};
  return call<msg::LogsReply>(proto::cmd::kLogs, q, proto::cmd::kLogsReply, Millis{0});
}

}  // namespace zfleet
