// The broker's start, with the real binary: an endpoint it cannot bind
// (clients, workers or events) stops it at once with the reason on its
// terminal, rather than a broker that runs without part of its contract.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "tests/support/fleet_process.hpp"

namespace zfleet {
namespace {

using test_support::FleetProcess;
using test_support::ProcessOptions;
using namespace std::chrono_literals;

class BrokerStartup : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zfleet-startup-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // Something else holds a port: a ZeroMQ socket bound to an ephemeral one.
    holder_.bind("tcp://127.0.0.1:*");
    taken_ = holder_.get(zmq::sockopt::last_endpoint);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs the broker with `endpoints` in place of the free ones; its status
  // and everything it printed.
  std::pair<std::optional<test_support::ExitStatus>, std::string> run_broker(
      const std::string& clients, const std::string& workers, const std::string& events) {
    const std::string log = dir_ + "/broker.log";
    auto status = FleetProcess::run(ZFLEET_BROKER_BIN,
                                    {"--clients", clients, "--workers", workers, "--events", events,
                                     "--data-dir", dir_ + "/data"},
                                    10s, ProcessOptions::log_to(log));
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return {status, text.str()};
  }

  std::string dir_;
  zmq::context_t context_{1};
  zmq::socket_t holder_{context_, zmq::socket_type::pub};
  std::string taken_;
};

TEST_F(BrokerStartup, TakenEventsPortStopsTheBrokerWithTheReason) {
  const auto [status, output] = run_broker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", taken_);
  ASSERT_TRUE(status) << "the broker kept running without its events socket:\n" << output;
  EXPECT_TRUE(status->exited);
  EXPECT_EQ(status->code, 1) << output;
  EXPECT_NE(output.find("cannot bind events endpoint " + taken_), std::string::npos) << output;
  EXPECT_NE(output.find("Address already in use"), std::string::npos) << output;
  EXPECT_NE(output.find("--events ''"), std::string::npos) << output;
}

TEST_F(BrokerStartup, TakenClientsPortStopsTheBrokerWithTheReason) {
  const auto [status, output] = run_broker(taken_, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  ASSERT_TRUE(status) << output;
  EXPECT_EQ(status->code, 1) << output;
  EXPECT_NE(output.find("cannot bind " + taken_), std::string::npos) << output;
}

TEST_F(BrokerStartup, EmptyEventsEndpointRunsWithoutEvents) {
  const std::string ready = dir_ + "/ready";
  auto broker =
      FleetProcess::start(ZFLEET_BROKER_BIN,
                          {"--clients", "tcp://127.0.0.1:*", "--workers", "tcp://127.0.0.1:*",
                           "--events", "", "--data-dir", dir_ + "/data", "--ready-file", ready},
                          ProcessOptions::log_to(dir_ + "/broker.log"));
  ASSERT_TRUE(test_support::read_ready_file(ready, 10s)) << broker.log_tail();
  EXPECT_NE(broker.log_tail().find("events off"), std::string::npos) << broker.log_tail();
  EXPECT_TRUE(broker.terminate().success());
}

}  // namespace
}  // namespace zfleet
