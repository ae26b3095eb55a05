// The C++ client library producers link against: one DEALER connection to a
// broker's client endpoint, request/reply with request ids, bounded waits.
// Not thread-safe: one Client per thread (ZeroMQ sockets are not shareable).
//
// Submits are safe to repeat: every spec without an idempotency_key gets a
// random one (once per spec, not per try), and a submit that got no answer is
// sent again with the same key. The broker answers a repeated key with the
// original task's id, so a broker restart in the middle of submitting neither
// loses nor doubles a task.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/messages.hpp"

namespace zfleet {

struct ClientError {
  enum class Kind { kTimeout, kBroker, kProtocol };
  Kind kind = Kind::kTimeout;
  ErrorCode code = ErrorCode::kInternal;  // for kBroker: the broker's error code
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(ClientError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const T& value() const { return std::get<T>(v_); }
  T& value() { return std::get<T>(v_); }
  const ClientError& error() const { return std::get<ClientError>(v_); }

 private:
  std::variant<T, ClientError> v_;
};

struct Empty {};

// What SUBMITTED said about one submission.
struct Submission {
  std::uint64_t id = 0;
  bool duplicate = false;  // the idempotency key was seen before: `id` is the original task
};

// One page of the dead-letter list.
struct DeadLetters {
  std::uint64_t total = 0;           // dead tasks the broker holds
  std::vector<msg::TaskView> tasks;  // the oldest of them, at most the limit asked for
};

class Client {
 public:
  struct Options {
    std::string endpoint = std::string(proto::kDefaultClientEndpoint);
    Millis timeout{5000};  // per request, on top of any wait the request asks for
    // Times a submit that got no reply (or SHUTTING_DOWN / INTERNAL) is sent
    // again, with the same idempotency key, before it is reported as failed.
    int submit_retries = 3;
    Millis submit_backoff{100};  // before the first resend; doubles for each further one
    // Every timeout, resend and backoff reads this clock; nullptr: the
    // system clock. With a FakeClock nothing blocks: a wait with nothing to
    // read advances the clock instead (see common/clock.hpp).
    Clock* clock = nullptr;
  };

  explicit Client(Options options);
  Client(zmq::context_t& context, Options options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<std::uint64_t> submit(const msg::TaskSpec& spec);
  // submit(), telling also whether the broker had seen the idempotency key.
  Result<Submission> submit_detailed(const msg::TaskSpec& spec);
  // Submits all of `specs` keeping at most `window` unacknowledged; calls
  // on_ack(index, result) once for every spec, in acknowledgement order.
  // Requests the broker left unanswered for `timeout` are sent again (same
  // keys) up to submit_retries times; once those are used up, everything
  // still in flight or unsent fails at once with a timeout.
  void submit_many(const std::vector<msg::TaskSpec>& specs, std::size_t window,
                   const std::function<void(std::size_t, const Result<std::uint64_t>&)>& on_ack);
  Result<msg::TaskView> status(std::uint64_t id);
  // Waits up to `wait` on the broker for the task to finish; the view's state
  // says whether it did.
  Result<msg::TaskView> result(std::uint64_t id, Millis wait = Millis{0});
  // Waits for every task of `ids` to reach a final state, keeping up to
  // `window` long-polls in flight (one round trip per task would bound a
  // caller to the network's ping-pong rate). Calls on_final(index, view) once
  // per task as it ends, or with an error when the broker stops answering
  // or `deadline` passes first.
  void await_results(
      const std::vector<std::uint64_t>& ids, std::size_t window, TimePoint deadline,
      const std::function<void(std::size_t, const Result<msg::TaskView>&)>& on_final);
  Result<msg::Counters> stats();
  Result<std::vector<msg::WorkerView>> workers();
  Result<std::vector<msg::ProjectView>> projects();
  Result<Empty> set_limit(const std::string& project, std::uint32_t limit);
  // Replaces the project's retry policy (0 / empty fields: the broker's defaults).
  Result<Empty> set_policy(const std::string& project, const msg::RetryPolicy& policy);
  // A queued or scheduled task ends at once; a running one is stopped by its
  // worker. ERROR INVALID_STATE when the task is already final.
  Result<Empty> cancel(std::uint64_t id);
  Result<DeadLetters> dlq_list(std::uint64_t limit);
  // Queues a dead task again with a fresh attempt budget.
  Result<Empty> dlq_retry(std::uint64_t id);
  // Drops every dead task; returns how many there were.
  Result<std::uint64_t> dlq_purge();
  // PONG: the broker's version, uptime and events endpoint as it bound it
  // (see resolve_events_endpoint() in event_subscriber.hpp to connect to it).
  Result<msg::PongReply> ping();
  // Stops (SIGSTOP) / continues (SIGCONT) a running task's processes through
  // its worker. ERROR INVALID_STATE when the task is not running.
  Result<Empty> suspend(std::uint64_t id);
  Result<Empty> resume(std::uint64_t id);
  // What the broker holds of a task's output: a running task's last streamed
  // bytes, a finished one's tails, each with its stream offset.
  Result<msg::LogsReply> logs(std::uint64_t id);

  const std::string& endpoint() const { return options_.endpoint; }

 private:
  struct Reply {
    std::string command;
    std::string body;
  };
  std::optional<ClientError> send(std::string_view command, std::string_view body);
  // Waits for the reply to `req`, dropping stale replies to earlier requests.
  Result<Reply> await(std::uint64_t req, Millis timeout);
  template <typename Reply, typename Body>
  Result<Reply> call(std::string_view command, const Body& body, std::string_view reply_command,
                     Millis extra_wait);
  ClientError timeout_error() const;
  // Polls the socket for `events` up to `want`, through the clock; the
  // returned revents are 0 when nothing came.
  short poll_socket(short events, Millis want);
  static std::optional<ClientError> as_broker_error(std::string_view command,
                                                    std::string_view body);
  // One v1 reply as received. Valid only during the drain_replies callback:
  // the decoded `root` points into `body`.
  struct Incoming {
    std::uint64_t req;
    const std::string& command;
    const std::string& body;
    const msgpack::object& root;
  };
  // Hands each waiting reply that parses to `on_reply`, without blocking;
  // stops early (returning true) when on_reply returns true.
  bool drain_replies(const std::function<bool(const Incoming&)>& on_reply);
  // Why a submission may be sent again with its key: no reply, or a broker
  // that said the failure was passing.
  static bool retryable(const ClientError& error);
  Millis submit_backoff(int retry) const;
  // The spec as sent: its own idempotency key, or a fresh random one.
  msg::SubmitRequest keyed_request(const msg::TaskSpec& spec);
  std::string new_idempotency_key();

  std::unique_ptr<zmq::context_t> owned_context_;
  Options options_;
  SystemClock system_clock_;
  Clock& clock_;
  zmq::socket_t socket_;
  std::uint64_t next_req_ = 1;
  // Seeded from std::random_device on first use. Not random_device per key:
  // that is a system call (tens of microseconds on some hosts), too slow for
  // submit_many's hot path.
  std::optional<std::mt19937_64> key_source_;
};

std::string describe(const ClientError& error);

}  // namespace zfleet
