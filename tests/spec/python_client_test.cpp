// Spec tests through a client written with only pyzmq and msgpack: the golden
// vectors read by Python's msgpack, and schemas/examples/submit_and_wait.py
// against a real zfleet-broker and zfleet-worker. Skipped when
// /usr/bin/python3 lacks zmq or msgpack.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/fleet_process.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::FleetProcess;
using test_support::ProcessOptions;

constexpr const char* kPython = "/usr/bin/python3";

std::string source_path(const std::string& relative) {
  return std::string(ZFLEET_SOURCE_DIR) + "/" + relative;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Why Python cannot run these tests, or empty when it can.
std::string python_unavailable() {
  if (::access(kPython, X_OK) != 0) return std::string(kPython) + " is not installed";
  auto status = FleetProcess::run(kPython, {"-c", "import zmq, msgpack"}, 30s);
  if (!status || !status->success()) {
    return std::string(kPython) +
           " lacks the zmq or msgpack module (apt: python3-zmq python3-msgpack)";
  }
  return {};
}

class PythonClient : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = python_unavailable(); !why.empty()) GTEST_SKIP() << why;
    std::string pattern = (std::filesystem::temp_directory_path() / "zfleet-py-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    worker_.kill();
    broker_.kill();
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
  FleetProcess broker_;
  FleetProcess worker_;
};

// PROTOCOL.md §3.4, §3.5, §2.3: the golden vectors decode and re-encode
// byte for byte with Python's msgpack.
TEST_F(PythonClient, GoldenVectorsRoundTripThroughPythonMsgpack) {
  const std::string log = path("test_vectors.log");
  auto status = FleetProcess::run(kPython, {source_path("schemas/tests/test_vectors.py")}, 120s,
                                  ProcessOptions::log_to(log));
  ASSERT_TRUE(status.has_value()) << "test_vectors.py did not finish within 120 s";
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << read_text(log);
}

// PROTOCOL.md §4 (producer), §5 (worker), §7 (credit dispatch): 20 tasks
// submitted pipelined by the Python client run on a real worker and their
// outputs come back through RESULT long-polls.
TEST_F(PythonClient, SubmitAndWaitRunsTwentyEchoTasksOnARealFleet) {
  for (const char* bin : {ZFLEET_BROKER_BIN, ZFLEET_WORKER_BIN}) {
    if (::access(bin, X_OK) != 0) GTEST_SKIP() << bin << " is not built";
  }
  const std::string ready = path("ready");
  broker_ = FleetProcess::start(ZFLEET_BROKER_BIN,
                                {"--clients", "tcp://127.0.0.1:*", "--workers", "tcp://127.0.0.1:*",
                                 "--ready-file", ready, "--data-dir", path("data")},
                                ProcessOptions::log_to(path("broker.log")));
  const auto endpoints = test_support::read_ready_file(ready, 15s);
  ASSERT_TRUE(endpoints.has_value()) << "no ready file; broker log:\n" << broker_.log_tail();

  worker_ = FleetProcess::start(ZFLEET_WORKER_BIN,
                                {"--broker", endpoints->workers, "--slots", "2", "--id",
                                 "py-spec-w1", "--work-dir", path("work")},
                                ProcessOptions::log_to(path("worker.log")));

  const std::string log = path("submit_and_wait.log");
  auto status = FleetProcess::run(kPython,
                                  {source_path("schemas/examples/submit_and_wait.py"), "--broker",
                                   endpoints->clients, "-n", "20", "--timeout", "60"},
                                  90s, ProcessOptions::log_to(log));
  ASSERT_TRUE(status.has_value()) << "submit_and_wait.py did not finish within 90 s";
  EXPECT_TRUE(status->success()) << status->describe() << "\n"
                                 << read_text(log) << "\nbroker log:\n"
                                 << broker_.log_tail() << "\nworker log:\n"
                                 << worker_.log_tail();
  EXPECT_TRUE(broker_.running()) << "the broker died: " << broker_.log_tail();
  EXPECT_TRUE(worker_.running()) << "the worker died: " << worker_.log_tail();
}

}  // namespace
}  // namespace zfleet
