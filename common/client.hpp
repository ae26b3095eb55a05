// The C++ client library producers link against: one DEALER connection to a
// broker's client endpoint, request/reply with request ids, bounded waits.
// Not thread-safe: one Client per thread (ZeroMQ sockets are not shareable).
#pragma once

#include <cstdint>
#include <functional>
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

class Client {
 public:
  struct Options {
    std::string endpoint = std::string(proto::kDefaultClientEndpoint);
    Millis timeout{5000};  // per request, on top of any wait the request asks for
  };

  explicit Client(Options options);
  Client(zmq::context_t& context, Options options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<std::uint64_t> submit(const msg::TaskSpec& spec);
  // Submits all of `specs` keeping at most `window` unacknowledged; calls
  // on_ack(index, result) once for every spec, in acknowledgement order.
  void submit_many(const std::vector<msg::TaskSpec>& specs, std::size_t window,
                   const std::function<void(std::size_t, const Result<std::uint64_t>&)>& on_ack);
  Result<msg::TaskView> status(std::uint64_t id);
  // Waits up to `wait` on the broker for the task to finish; the view's state
  // says whether it did.
  Result<msg::TaskView> result(std::uint64_t id, Millis wait = Millis{0});
  Result<msg::Counters> stats();
  Result<std::vector<msg::WorkerView>> workers();
  Result<std::vector<msg::ProjectView>> projects();
  Result<Empty> set_limit(const std::string& project, std::uint32_t limit);
  Result<msg::PongReply> ping();

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
  static std::optional<ClientError> as_broker_error(const Reply& reply);

  std::unique_ptr<zmq::context_t> owned_context_;
  Options options_;
  zmq::socket_t socket_;
  std::uint64_t next_req_ = 1;
};

std::string describe(const ClientError& error);

}  // namespace zfleet
