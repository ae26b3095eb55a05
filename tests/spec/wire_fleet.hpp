// Spec tests through the wire. SpecFleet starts the real zfleet-broker (and,
// for tests that need one, real zfleet-worker daemons) on loopback with
// ephemeral ports in a private temp directory; WirePeer is a bare DEALER
// that writes and reads zfleet/1 frames as a foreign client or worker would,
// so what it sees is what PROTOCOL.md promises, not what common/client.hpp
// makes of it. Everything a SpecFleet started is killed and its directory
// removed when it is destroyed (the directory is kept when the test failed,
// for its logs). Header-only: tests/CMakeLists.txt compiles *_test.cpp only.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <zmq.hpp>

#include "common/messages.hpp"
#include "common/protocol.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fleet_process.hpp"

namespace zfleet::spec {

using namespace std::chrono_literals;
using Packer = msgpack::packer<msgpack::sbuffer>;

// One message as it arrived: its three frames, the tag included.
struct Message {
  std::string tag;
  std::string command;
  std::string body;
};

// A map body with `entries` keys written by `fill`: for bodies the typed
// encoders cannot produce (wrong types, unknown keys).
inline std::string packed_map(std::uint32_t entries, const std::function<void(Packer&)>& fill) {
  msgpack::sbuffer buffer;
  Packer p(buffer);
  p.pack_map(entries);
  fill(p);
  return {buffer.data(), buffer.size()};
}

// `body` decoded as T; a test failure (and a default T) when it does not decode.
template <typename T>
T decoded(const Message& m) {
  T out;
  if (auto error = msg::decode_bytes(m.body, out)) {
    ADD_FAILURE() << m.command << " does not decode: " << error->message;
  }
  return out;
}

class WirePeer {
 public:
  WirePeer(zmq::context_t& context, const std::string& endpoint, const std::string& routing_id = {})
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(proto::kMaxMessageBytes));
    if (!routing_id.empty()) socket_.set(zmq::sockopt::routing_id, routing_id);
    socket_.connect(endpoint);
  }

  void send_frames(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  void send(std::string_view command, const std::string& body) {
    send_frames({std::string(proto::kProtocolTag), std::string(command), body});
  }

  // The next three-frame message within `timeout`; nullopt if none came.
  std::optional<Message> receive(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (auto parts = receive_parts()) {
        if (parts->size() == 3) return Message{(*parts)[0], (*parts)[1], (*parts)[2]};
        ADD_FAILURE() << "a message of " << parts->size() << " frames";
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return std::nullopt;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::min(left, std::chrono::milliseconds{100}));
    }
  }

  // The next message other than HEARTBEAT (a worker peer gets those).
  std::optional<Message> receive_work(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (m && m->command != proto::cmd::kHeartbeat) return m;
    }
    return std::nullopt;
  }

  // Sends one request and returns the reply (a client peer with one request
  // outstanding gets nothing else).
  Message call(std::string_view command, const std::string& body) {
    send(command, body);
    auto reply = receive();
    if (!reply) {
      ADD_FAILURE() << "no reply to " << command;
      return {};
    }
    return *reply;
  }

 private:
  // Every frame of one waiting message; nullopt when none is waiting. The
  // rest of a multipart message arrives with its first frame.
  std::optional<std::vector<std::string>> receive_parts() {
    zmq::message_t part;
    if (!socket_.recv(part, zmq::recv_flags::dontwait)) return std::nullopt;
    std::vector<std::string> parts{part.to_string()};
    while (part.more()) {
      if (!socket_.recv(part, zmq::recv_flags::none)) break;
      parts.push_back(part.to_string());
    }
    return parts;
  }

  zmq::socket_t socket_;
};

class SpecFleet {
 public:
  // A broker with `broker_args` added to its endpoints, data dir and ready file.
  explicit SpecFleet(std::vector<std::string> broker_args = {}) {
    std::string pattern = (std::filesystem::temp_directory_path() / "zfleet-spec-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    // Sandboxed tasks run as other uids and must reach their directories below.
    ::chmod(dir_.c_str(), 0711);
    std::vector<std::string> args = {
        "--clients", "tcp://127.0.0.1:*", "--workers",     "tcp://127.0.0.1:*", "--events",
        "",          "--ready-file",      dir_ + "/ready", "--data-dir",        dir_ + "/data"};
    args.insert(args.end(), broker_args.begin(), broker_args.end());
    broker_ = test_support::FleetProcess::start(
        ZFLEET_BROKER_BIN, args, test_support::ProcessOptions::log_to(dir_ + "/broker.log"));
    auto ready = test_support::read_ready_file(dir_ + "/ready", 15s);
    if (!ready) throw std::runtime_error("the broker did not start: " + broker_.log_tail());
    endpoints_ = *ready;
  }

  ~SpecFleet() {
    for (auto& w : workers_)
      w.kill();
    broker_.kill();
    if (!::testing::Test::HasFailure()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  SpecFleet(const SpecFleet&) = delete;
  SpecFleet& operator=(const SpecFleet&) = delete;

  const std::string& clients() const { return endpoints_.clients; }
  const std::string& workers() const { return endpoints_.workers; }
  const std::string& dir() const { return dir_; }
  test_support::FleetProcess& broker() { return broker_; }

  // Starts a real worker with its defaults (sandbox on) and `env` added to
  // the environment it inherits.
  void add_worker(const std::string& id, unsigned slots,
                  std::vector<std::pair<std::string, std::string>> env = {}) {
    test_support::ProcessOptions options =
        test_support::ProcessOptions::log_to(dir_ + "/worker-" + id + ".log");
    options.env = std::move(env);
    workers_.push_back(test_support::FleetProcess::start(
        ZFLEET_WORKER_BIN,
        {"--broker", endpoints_.workers, "--id", id, "--slots", std::to_string(slots), "--work-dir",
         dir_ + "/work-" + id},
        options));
  }

  // True once the broker lists `count` workers (asked through `client`).
  bool await_workers(WirePeer& client, std::size_t count) {
    return test_support::eventually(
        [&] {
          const Message m = client.call(proto::cmd::kWorkers, msg::encode(msg::Request{1}));
          return m.command == proto::cmd::kWorkersReply &&
                 decoded<msg::WorkersReply>(m).workers.size() == count;
        },
        20s, 50ms);
  }

  std::string logs() const {
    std::string out = "--- broker log:\n" + broker_.log_tail();
    for (const auto& w : workers_)
      out += "\n--- worker log:\n" + w.log_tail();
    return out;
  }

 private:
  std::string dir_;
  test_support::FleetProcess broker_;
  std::vector<test_support::FleetProcess> workers_;
  test_support::ReadyEndpoints endpoints_;
};

}  // namespace zfleet::spec
