// Untrusted bytes at both of the real broker's sockets: every malformed
// message gets the catalogued ERROR (where a reply is possible), and the
// broker keeps serving real work afterwards.
#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <random>
#include <zmq.hpp>

#include "common/frames.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::LocalFleet;

class RawPeer {
 public:
  RawPeer(zmq::context_t& ctx, const std::string& endpoint, const std::string& identity = {})
      : socket_(ctx, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    if (!identity.empty()) socket_.set(zmq::sockopt::routing_id, identity);
    socket_.connect(endpoint);
  }
  void send(const std::vector<std::string>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      socket_.send(zmq::buffer(parts[i]),
                   i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  // The next ERROR reply's code and req, or nullopt if none came in time.
  std::optional<msg::ErrorReply> error(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<zmq::message_t> parts;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 100ms);
      while (frames::receive_parts(socket_, parts)) {
        frames::Received r;
        if (frames::parse(parts, false, r)) continue;
        if (r.command != proto::cmd::kError) continue;
        msg::ErrorReply e;
        if (!msg::decode_bytes(r.body, e)) return e;
      }
    }
    return std::nullopt;
  }

 private:
  zmq::socket_t socket_;
};

std::string packed_map(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& fill,
                       std::uint32_t entries) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> p(buf);
  p.pack_map(entries);
  fill(p);
  return {buf.data(), buf.size()};
}

const std::string kTag(proto::kProtocolTag);

class BadInput : public ::testing::Test {
 protected:
  void expect_error(RawPeer& peer, const std::vector<std::string>& parts, ErrorCode code,
                    std::uint64_t req = 0) {
    peer.send(parts);
    auto e = peer.error();
    ASSERT_TRUE(e) << "no ERROR for case with " << parts.size() << " frames\n" << fleet_.logs();
    EXPECT_EQ(e->code, code) << e->message;
    EXPECT_EQ(e->req, req);
  }
  void expect_still_serving() {
    auto pong = fleet_.client().ping();
    ASSERT_TRUE(pong.ok()) << describe(pong.error()) << fleet_.logs();
    EXPECT_TRUE(fleet_.broker().running());
  }

  LocalFleet fleet_;
  zmq::context_t ctx_{1};
};

TEST_F(BadInput, ClientSocketAnswersEveryMalformedMessageWithItsCode) {
  RawPeer peer(ctx_, fleet_.endpoints().clients);
  expect_error(peer, {"just one frame"}, ErrorCode::kBadFrames);
  expect_error(peer, {kTag, "PING", msg::encode(msg::Request{1}), "extra", "more"},
               ErrorCode::kBadFrames);
  expect_error(peer, {"zfleet/9", "PING", msg::encode(msg::Request{1})},
               ErrorCode::kUnsupportedVersion);
  expect_error(peer, {"HTTP/1.1", "GET", "/"}, ErrorCode::kUnsupportedVersion);
  expect_error(peer, {kTag, "", msg::encode(msg::Request{1})}, ErrorCode::kBadFrames);
  expect_error(peer, {kTag, std::string(100, 'X'), msg::encode(msg::Request{1})},
               ErrorCode::kBadFrames);
  expect_error(peer, {kTag, "FROBNICATE", msg::encode(msg::Request{4})}, ErrorCode::kUnknownCommand,
               4);
  expect_error(peer, {kTag, "SUBMIT", "\xc1\xc1\xc1"}, ErrorCode::kMalformedBody);
  expect_error(peer, {kTag, "SUBMIT", "\x93\x01\x02\x03"}, ErrorCode::kMalformedBody);
  expect_error(peer, {kTag, "SUBMIT", std::string("\xdd\xff\xff\xff\xff", 5)},
               ErrorCode::kTooLarge);
  // argv of the wrong type: the error carries the request id.
  expect_error(peer,
               {kTag, "SUBMIT",
                packed_map(
                    [](auto& p) {
                      p.pack("req");
                      p.pack(77);
                      p.pack("task");
                      p.pack_map(2);
                      p.pack("type");
                      p.pack("shell");
                      p.pack("argv");
                      p.pack(12345);
                    },
                    2)},
               ErrorCode::kInvalidField, 77);
  // Oversize field: 2 MiB of stdin.
  msg::SubmitRequest big;
  big.req = 78;
  big.task.argv = {"/bin/true"};
  big.task.stdin_data.assign(2 * 1024 * 1024, 'x');
  expect_error(peer, {kTag, "SUBMIT", msg::encode(big)}, ErrorCode::kTooLarge, 78);
  // Priority out of range.
  msg::SubmitRequest bad_priority;
  bad_priority.req = 79;
  bad_priority.task.argv = {"/bin/true"};
  bad_priority.task.priority = 11;
  expect_error(peer, {kTag, "SUBMIT", msg::encode(bad_priority)}, ErrorCode::kInvalidField, 79);
  expect_error(peer, {kTag, "STATUS", msg::encode(msg::TaskQuery{80, 123456, 0})},
               ErrorCode::kNotFound, 80);
  expect_still_serving();
}

TEST_F(BadInput, MessageOverTheSizeLimitIsDroppedWithoutHarm) {
  {
    RawPeer peer(ctx_, fleet_.endpoints().clients);
    peer.send({kTag, "SUBMIT", std::string(9 * 1024 * 1024, 'x')});
    EXPECT_FALSE(peer.error(500ms));  // libzmq drops the peer; nothing to answer
  }
  expect_still_serving();
}

TEST_F(BadInput, WorkerSocketRejectsUnknownWorkersAndInvalidReady) {
  RawPeer ghost(ctx_, fleet_.endpoints().workers, "ghost");
  msg::Done done;
  done.task_id = 1;
  done.attempt = 1;
  expect_error(ghost, {kTag, "DONE", msg::encode(done)}, ErrorCode::kUnknownWorker);
  expect_error(ghost, {kTag, "HEARTBEAT", msg::encode(msg::Heartbeat{})},
               ErrorCode::kUnknownWorker);
  msg::Ready too_big;
  too_big.worker_id = "ghost";
  too_big.slots = 1'000'000;
  too_big.credit = 1;
  expect_error(ghost, {kTag, "READY", msg::encode(too_big)}, ErrorCode::kInvalidField);
  msg::Ready over_credit;
  over_credit.worker_id = "ghost";
  over_credit.slots = 1;
  over_credit.credit = 5;
  expect_error(ghost, {kTag, "READY", msg::encode(over_credit)}, ErrorCode::kInvalidField);
  expect_error(ghost, {kTag, "READY", "\xff\xff"}, ErrorCode::kMalformedBody);
  expect_error(ghost, {"zfleet/0", "READY", msg::encode_empty()}, ErrorCode::kUnsupportedVersion);
  expect_error(ghost, {kTag, "NOT_A_COMMAND", msg::encode_empty()}, ErrorCode::kUnknownCommand);
  auto workers = fleet_.client().workers();
  ASSERT_TRUE(workers.ok());
  EXPECT_TRUE(workers.value().empty());  // none of that registered anything
  expect_still_serving();
}

TEST_F(BadInput, RandomBytesAtBothSocketsThenRealWorkStillRuns) {
  std::mt19937_64 rng(42);
  {
    RawPeer client(ctx_, fleet_.endpoints().clients);
    RawPeer worker(ctx_, fleet_.endpoints().workers, "noise");
    for (int i = 0; i < 2000; ++i) {
      std::vector<std::string> parts(1 + rng() % 5);
      for (auto& p : parts) {
        p.resize(rng() % 200);
        for (auto& c : p)
          c = static_cast<char>(rng());
      }
      if (rng() % 2 && parts.size() >= 3) parts[0] = kTag;
      (i % 2 ? client : worker).send(parts);
    }
  }
  expect_still_serving();
  fleet_.add_worker("real", 1);
  msg::TaskSpec spec;
  spec.argv = {"/bin/echo", "alive"};
  auto id = fleet_.client().submit(spec);
  ASSERT_TRUE(id.ok());
  std::optional<msg::TaskView> done;
  ASSERT_TRUE(test_support::eventually(
      [&] {
        auto r = fleet_.client().result(id.value(), 1000ms);
        if (r.ok() && msg::is_final(r.value().state)) done = r.value();
        return done.has_value();
      },
      20s))
      << fleet_.logs();
  EXPECT_EQ(done->state, msg::TaskState::kSucceeded);
  EXPECT_EQ(done->outcome->stdout_tail, "alive\n");
  auto stats = fleet_.client().stats();
  ASSERT_TRUE(stats.ok());
  std::map<std::string, std::uint64_t> s(stats.value().begin(), stats.value().end());
  EXPECT_GT(s["bad_frames"] + s["bad_versions"] + s["bad_bodies"], 0u);
}

}  // namespace
}  // namespace zfleet
