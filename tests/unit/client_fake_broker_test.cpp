// zfleet::Client against a scripted broker: a ROUTER socket in the test on
// tcp://127.0.0.1:* that records every request and answers (or drops) it as
// each test says. Checks submit's retries with one idempotency key per spec,
// what is not retried, and the bodies of the dead-letter and cancel commands.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common/client.hpp"
#include "common/frames.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;

struct Seen {
  std::string command;
  std::string body;
};

struct Answer {
  std::string command;
  std::string body;
};

// Returns the answer to a request, or nothing to drop it.
using Script = std::function<std::optional<Answer>(const Seen&)>;

class FakeBroker {
 public:
  explicit FakeBroker(Script script)
      : socket_(context_, zmq::socket_type::router), script_(std::move(script)) {
    frames::apply_common_options(socket_, 100'000);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { serve(); });
  }
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;
  ~FakeBroker() {
    stop_ = true;
    thread_.join();
  }

  const std::string& endpoint() const { return endpoint_; }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void serve() {
    std::vector<zmq::message_t> parts;
    while (!stop_) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 10ms);
      while (frames::receive_parts(socket_, parts)) {
        frames::Received received;
        if (frames::parse(parts, true, received)) continue;
        Seen request{received.command, received.body};
        {
          std::lock_guard lock(mutex_);
          seen_.push_back(request);
        }
        if (auto answer = script_(request)) {
          frames::send_frames(socket_, received.identity, answer->command, answer->body);
        }
      }
    }
  }

  zmq::context_t context_{1};
  zmq::socket_t socket_;
  Script script_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
};

Client::Options fast_options(const FakeBroker& broker) {
  Client::Options o;
  o.endpoint = broker.endpoint();
  o.timeout = 150ms;
  o.submit_backoff = 5ms;
  return o;
}

msg::TaskSpec echo_spec() {
  msg::TaskSpec spec;
  spec.argv = {"echo", "hi"};
  return spec;
}

msg::SubmitRequest as_submit(const Seen& seen) {
  msg::SubmitRequest request;
  EXPECT_FALSE(msg::decode_bytes(seen.body, request));
  return request;
}

Answer submitted(std::uint64_t req, std::uint64_t id, bool duplicate = false) {
  return {std::string(proto::cmd::kSubmitted),
          msg::encode(msg::SubmittedReply{req, id, duplicate})};
}

Answer error(std::uint64_t req, ErrorCode code) {
  return {std::string(proto::cmd::kError), msg::encode(msg::ErrorReply{req, code, "scripted"})};
}

Answer ok(std::uint64_t req, std::uint64_t count = 0) {
  return {std::string(proto::cmd::kOk), msg::encode(msg::OkReply{req, count})};
}

// Answers every SUBMIT with id 100 + the number of distinct keys seen before
// its own, as a broker with idempotency keys does; `drop(key, try)` decides
// which tries go unanswered.
Script keyed_broker(std::function<bool(const std::string&, int)> drop) {
  auto keys = std::make_shared<std::vector<std::string>>();
  auto tries = std::make_shared<std::map<std::string, int>>();
  return [keys, tries, drop](const Seen& seen) -> std::optional<Answer> {
    const msg::SubmitRequest request = as_submit(seen);
    const std::string& key = request.task.idempotency_key;
    const int attempt = (*tries)[key]++;
    if (drop(key, attempt)) return std::nullopt;
    auto it = std::find(keys->begin(), keys->end(), key);
    const bool duplicate = it != keys->end();
    if (!duplicate) it = keys->insert(keys->end(), key);
    return submitted(request.req, 100 + static_cast<std::uint64_t>(it - keys->begin()), duplicate);
  };
}

bool is_hex_key(const std::string& key) {
  return key.size() == 32 && key.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(ClientSubmit, RetriesADroppedSubmitWithTheSameKey) {
  FakeBroker broker(keyed_broker([](const std::string&, int attempt) { return attempt == 0; }));
  Client client(fast_options(broker));
  auto id = client.submit(echo_spec());
  ASSERT_TRUE(id) << describe(id.error());
  EXPECT_EQ(id.value(), 100u);
  const auto seen = broker.seen();
  ASSERT_EQ(seen.size(), 2u);
  const auto first = as_submit(seen[0]);
  const auto second = as_submit(seen[1]);
  EXPECT_TRUE(is_hex_key(first.task.idempotency_key)) << first.task.idempotency_key;
  EXPECT_EQ(first.task.idempotency_key, second.task.idempotency_key);
  EXPECT_NE(first.req, second.req);
  EXPECT_EQ(second.task.argv, echo_spec().argv);
}

TEST(ClientSubmit, KeepsTheCallersOwnKey) {
  FakeBroker broker(keyed_broker([](const std::string&, int) { return false; }));
  Client client(fast_options(broker));
  msg::TaskSpec spec = echo_spec();
  spec.idempotency_key = "order-42";
  ASSERT_TRUE(client.submit(spec));
  ASSERT_EQ(broker.seen().size(), 1u);
  EXPECT_EQ(as_submit(broker.seen()[0]).task.idempotency_key, "order-42");
}

TEST(ClientSubmit, GivesEverySpecItsOwnKey) {
  FakeBroker broker(keyed_broker([](const std::string&, int) { return false; }));
  Client client(fast_options(broker));
  ASSERT_TRUE(client.submit(echo_spec()));
  ASSERT_TRUE(client.submit(echo_spec()));
  const auto seen = broker.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(as_submit(seen[0]).task.idempotency_key, as_submit(seen[1]).task.idempotency_key);
}

TEST(ClientSubmit, ADuplicateIsSuccessWithTheOriginalId) {
  FakeBroker broker([](const Seen& seen) -> std::optional<Answer> {
    return submitted(as_submit(seen).req, 7, true);
  });
  Client client(fast_options(broker));
  auto submission = client.submit_detailed(echo_spec());
  ASSERT_TRUE(submission);
  EXPECT_EQ(submission.value().id, 7u);
  EXPECT_TRUE(submission.value().duplicate);
}

TEST(ClientSubmit, QueueFullIsNotRetried) {
  FakeBroker broker([](const Seen& seen) -> std::optional<Answer> {
    return error(as_submit(seen).req, ErrorCode::kQueueFull);
  });
  Client client(fast_options(broker));
  auto id = client.submit(echo_spec());
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().kind, ClientError::Kind::kBroker);
  EXPECT_EQ(id.error().code, ErrorCode::kQueueFull);
  EXPECT_EQ(broker.seen().size(), 1u);
}

TEST(ClientSubmit, ShuttingDownIsRetried) {
  auto calls = std::make_shared<int>(0);
  FakeBroker broker([calls](const Seen& seen) -> std::optional<Answer> {
    const auto request = as_submit(seen);
    if ((*calls)++ == 0) return error(request.req, ErrorCode::kShuttingDown);
    return submitted(request.req, 9);
  });
  Client client(fast_options(broker));
  auto id = client.submit(echo_spec());
  ASSERT_TRUE(id) << describe(id.error());
  EXPECT_EQ(id.value(), 9u);
  EXPECT_EQ(broker.seen().size(), 2u);
}

TEST(ClientSubmit, TimesOutAfterTheConfiguredRetries) {
  FakeBroker broker([](const Seen&) { return std::optional<Answer>{}; });
  Client::Options options = fast_options(broker);
  options.timeout = 60ms;
  options.submit_retries = 2;
  Client client(options);
  auto id = client.submit(echo_spec());
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().kind, ClientError::Kind::kTimeout);
  const auto seen = broker.seen();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& s : seen)
    EXPECT_EQ(as_submit(s).task.idempotency_key, as_submit(seen[0]).task.idempotency_key);
}

struct Acks {
  std::map<std::size_t, Result<std::uint64_t>> by_index;
  int calls = 0;
};

Acks submit_all(Client& client, std::size_t count, std::size_t window) {
  Acks acks;
  client.submit_many(std::vector<msg::TaskSpec>(count, echo_spec()), window,
                     [&](std::size_t i, const Result<std::uint64_t>& r) {
                       ++acks.calls;
                       acks.by_index.emplace(i, r);
                     });
  return acks;
}

std::map<std::string, int> tries_per_key(const FakeBroker& broker) {
  std::map<std::string, int> tries;
  for (const auto& s : broker.seen())
    ++tries[as_submit(s).task.idempotency_key];
  return tries;
}

TEST(ClientSubmitMany, ResendsOnlyTheDroppedSubmits) {
  // Drops the first try of every third key it meets.
  auto order = std::make_shared<std::map<std::string, std::size_t>>();
  FakeBroker broker(keyed_broker([order](const std::string& key, int attempt) {
    const std::size_t n = order->emplace(key, order->size()).first->second;
    return attempt == 0 && n % 3 == 0;
  }));
  Client client(fast_options(broker));
  const Acks acks = submit_all(client, 30, 8);
  EXPECT_EQ(acks.calls, 30);
  std::set<std::uint64_t> ids;
  for (const auto& [i, r] : acks.by_index) {
    ASSERT_TRUE(r) << i << ": " << describe(r.error());
    ids.insert(r.value());
  }
  EXPECT_EQ(ids.size(), 30u);  // no task twice, none lost
  const auto tries = tries_per_key(broker);
  ASSERT_EQ(tries.size(), 30u);
  int resent = 0;
  for (const auto& [key, n] : tries) {
    EXPECT_TRUE(is_hex_key(key));
    EXPECT_LE(n, 2);
    resent += n - 1;
  }
  EXPECT_EQ(resent, 10);
}

TEST(ClientSubmitMany, QueueFullIsReportedNotRetried) {
  auto calls = std::make_shared<int>(0);
  FakeBroker broker([calls](const Seen& seen) -> std::optional<Answer> {
    const auto request = as_submit(seen);
    if ((*calls)++ == 1) return error(request.req, ErrorCode::kQueueFull);
    return submitted(request.req, 50 + request.req);
  });
  Client client(fast_options(broker));
  const Acks acks = submit_all(client, 4, 1);
  ASSERT_EQ(acks.calls, 4);
  EXPECT_EQ(broker.seen().size(), 4u);
  ASSERT_FALSE(acks.by_index.at(1));
  EXPECT_EQ(acks.by_index.at(1).error().code, ErrorCode::kQueueFull);
  EXPECT_TRUE(acks.by_index.at(0));
  EXPECT_TRUE(acks.by_index.at(3));
}

TEST(ClientSubmitMany, ASilentBrokerFailsEverythingAfterTheRetries) {
  FakeBroker broker([](const Seen&) { return std::optional<Answer>{}; });
  Client::Options options = fast_options(broker);
  options.timeout = 60ms;
  options.submit_retries = 2;
  Client client(options);
  const Acks acks = submit_all(client, 10, 4);
  ASSERT_EQ(acks.calls, 10);
  for (const auto& [i, r] : acks.by_index) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ClientError::Kind::kTimeout);
  }
  // The window's four were each tried three times; the rest never went out.
  const auto tries = tries_per_key(broker);
  ASSERT_EQ(tries.size(), 4u);
  for (const auto& [key, n] : tries)
    EXPECT_EQ(n, 3);
}

TEST(ClientCommands, CancelSendsTheIdAndMapsInvalidState) {
  FakeBroker broker([](const Seen& seen) -> std::optional<Answer> {
    msg::TaskQuery query;
    EXPECT_FALSE(msg::decode_bytes(seen.body, query));
    if (query.id == 5) return ok(query.req);
    return error(query.req, ErrorCode::kInvalidState);
  });
  Client client(fast_options(broker));
  EXPECT_TRUE(client.cancel(5));
  auto refused = client.cancel(6);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ClientError::Kind::kBroker);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidState);
  ASSERT_EQ(broker.seen().size(), 2u);
  EXPECT_EQ(broker.seen()[0].command, proto::cmd::kCancel);
}

TEST(ClientCommands, DlqListReturnsTotalAndTasks) {
  FakeBroker broker([](const Seen& seen) -> std::optional<Answer> {
    msg::DlqListRequest request;
    EXPECT_FALSE(msg::decode_bytes(seen.body, request));
    msg::DlqReply reply{request.req, 12, {}};
    for (std::uint64_t i = 0; i < request.limit; ++i) {
      msg::TaskView view;
      view.id = 30 + i;
      view.type = "shell";
      view.project = "etl";
      view.state = msg::TaskState::kDead;
      view.attempts = 3;
      reply.tasks.push_back(view);
    }
    return Answer{std::string(proto::cmd::kDlqReply), msg::encode(reply)};
  });
  Client client(fast_options(broker));
  auto dead = client.dlq_list(2);
  ASSERT_TRUE(dead) << describe(dead.error());
  EXPECT_EQ(dead.value().total, 12u);
  ASSERT_EQ(dead.value().tasks.size(), 2u);
  EXPECT_EQ(dead.value().tasks[1].id, 31u);
  EXPECT_EQ(dead.value().tasks[1].state, msg::TaskState::kDead);
  EXPECT_EQ(broker.seen()[0].command, proto::cmd::kDlqList);
}

TEST(ClientCommands, DlqRetryAndPurge) {
  FakeBroker broker([](const Seen& seen) -> std::optional<Answer> {
    msg::Request request;
    EXPECT_FALSE(msg::decode_bytes(seen.body, request));
    return ok(request.req, seen.command == proto::cmd::kDlqPurge ? 4 : 0);
  });
  Client client(fast_options(broker));
  EXPECT_TRUE(client.dlq_retry(8));
  auto purged = client.dlq_purge();
  ASSERT_TRUE(purged);
  EXPECT_EQ(purged.value(), 4u);
  const auto seen = broker.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].command, proto::cmd::kDlqRetry);
  msg::TaskQuery query;
  ASSERT_FALSE(msg::decode_bytes(seen[0].body, query));
  EXPECT_EQ(query.id, 8u);
  EXPECT_EQ(seen[1].command, proto::cmd::kDlqPurge);
}

TEST(ClientCommands, SetPolicySendsThePolicy) {
  FakeBroker broker([](const Seen& seen) -> std::optional<Answer> {
    msg::Request request;
    EXPECT_FALSE(msg::decode_bytes(seen.body, request));
    return ok(request.req);
  });
  Client client(fast_options(broker));
  msg::RetryPolicy policy{5, 100, 2000, {"exit", "lost"}};
  ASSERT_TRUE(client.set_policy("etl", policy));
  ASSERT_EQ(broker.seen().size(), 1u);
  EXPECT_EQ(broker.seen()[0].command, proto::cmd::kSetPolicy);
  msg::SetPolicyRequest sent;
  ASSERT_FALSE(msg::decode_bytes(broker.seen()[0].body, sent));
  EXPECT_EQ(sent.project, "etl");
  EXPECT_EQ(sent.policy, policy);
}

}  // namespace
}  // namespace zfleet

namespace zfleet {
namespace {

// Answers RESULT with the task still running the first time it is asked
// about, and succeeded the second time.
TEST(ClientAwaitResults, AsksAgainUntilEachTaskIsFinal) {
  std::mutex mutex;
  std::map<std::uint64_t, int> asked;
  FakeBroker broker([&](const Seen& s) -> std::optional<Answer> {
    msg::TaskQuery q;
    if (s.command != proto::cmd::kResult || msg::decode_bytes(s.body, q)) return std::nullopt;
    int times;
    {
      std::lock_guard lock(mutex);
      times = ++asked[q.id];
    }
    msg::TaskReply reply;
    reply.req = q.req;
    reply.task.id = q.id;
    reply.task.state = times < 2 ? msg::TaskState::kRunning : msg::TaskState::kSucceeded;
    return Answer{std::string(proto::cmd::kResultReply), msg::encode(reply)};
  });
  Client client(Client::Options{broker.endpoint(), Millis{2000}});
  std::vector<std::uint64_t> ids;
  for (std::uint64_t id = 1; id <= 300; ++id)
    ids.push_back(id);
  std::vector<int> finals(ids.size(), 0);
  client.await_results(ids, 64, SystemClock().now() + Millis{20'000},
                       [&](std::size_t i, const Result<msg::TaskView>& r) {
                         ASSERT_TRUE(r.ok()) << describe(r.error());
                         EXPECT_EQ(r.value().id, ids[i]);
                         EXPECT_EQ(r.value().state, msg::TaskState::kSucceeded);
                         ++finals[i];
                       });
  for (int f : finals)
    EXPECT_EQ(f, 1);
  std::lock_guard lock(mutex);
  for (const auto& [id, times] : asked)
    EXPECT_EQ(times, 2) << id;
}

TEST(ClientAwaitResults, ASilentBrokerFailsEveryTask) {
  FakeBroker broker([](const Seen&) -> std::optional<Answer> { return std::nullopt; });
  Client client(Client::Options{broker.endpoint(), Millis{200}});
  std::vector<std::uint64_t> ids = {1, 2, 3};
  int failures = 0;
  client.await_results(ids, 2, SystemClock().now() + Millis{20'000},
                       [&](std::size_t, const Result<msg::TaskView>& r) {
                         EXPECT_FALSE(r.ok());
                         ++failures;
                       });
  EXPECT_EQ(failures, 3);
}

}  // namespace
}  // namespace zfleet
