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
#include <vector>

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

// A broker (events on) and one worker with 2 slots; the broker's client
// endpoint, or empty after a failure was recorded.
std::string start_fleet(const std::string& dir, FleetProcess& broker, FleetProcess& worker) {
  const std::string ready = dir + "/ready";
  broker = FleetProcess::start(
      ZFLEET_BROKER_BIN,
      {"--clients", "tcp://127.0.0.1:*", "--workers", "tcp://127.0.0.1:*", "--events",
       "tcp://127.0.0.1:*", "--ready-file", ready, "--data-dir", dir + "/data"},
      ProcessOptions::log_to(dir + "/broker.log"));
  const auto endpoints = test_support::read_ready_file(ready, 15s);
  if (!endpoints) {
    ADD_FAILURE() << "no ready file; broker log:\n" << broker.log_tail();
    return {};
  }
  worker = FleetProcess::start(ZFLEET_WORKER_BIN,
                               {"--broker", endpoints->workers, "--slots", "2", "--id",
                                "py-spec-w1", "--work-dir", dir + "/work"},
                               ProcessOptions::log_to(dir + "/worker.log"));
  return endpoints->clients;
}

// Runs one of schemas/examples/ against the fleet and expects exit 0.
void run_example(const std::string& dir, const std::string& script,
                 const std::vector<std::string>& args, FleetProcess& broker, FleetProcess& worker) {
  const std::string log = dir + "/" + script + ".log";
  std::vector<std::string> argv{source_path("schemas/examples/" + script)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto status = FleetProcess::run(kPython, argv, 90s, ProcessOptions::log_to(log));
  ASSERT_TRUE(status.has_value()) << script << " did not finish within 90 s";
  EXPECT_TRUE(status->success()) << status->describe() << "\n"
                                 << read_text(log) << "\nbroker log:\n"
                                 << broker.log_tail() << "\nworker log:\n"
                                 << worker.log_tail();
  EXPECT_TRUE(broker.running()) << "the broker died: " << broker.log_tail();
  EXPECT_TRUE(worker.running()) << "the worker died: " << worker.log_tail();
}

bool fleet_built() {
  return ::access(ZFLEET_BROKER_BIN, X_OK) == 0 && ::access(ZFLEET_WORKER_BIN, X_OK) == 0;
}

// PROTOCOL.md §4 (producer), §5 (worker), §7 (credit dispatch): 20 tasks
// submitted pipelined by the Python client run on a real worker and their
// outputs come back through RESULT long-polls.
TEST_F(PythonClient, SubmitAndWaitRunsTwentyEchoTasksOnARealFleet) {
  if (!fleet_built()) GTEST_SKIP() << "the broker or worker is not built";
  const std::string clients = start_fleet(dir_, broker_, worker_);
  ASSERT_FALSE(clients.empty());
  run_example(dir_, "submit_and_wait.py", {"--broker", clients, "-n", "20", "--timeout", "60"},
              broker_, worker_);
}

// PROTOCOL.md §13 (events endpoint), §4.16 (SUSPEND, RESUME), §4.17 (LOGS):
// a task followed live from Python: its events and output arrive, it does
// not finish while suspended, and LOGS holds its whole output at the end.
TEST_F(PythonClient, FollowTaskSeesEventsOutputSuspendAndResume) {
  if (!fleet_built()) GTEST_SKIP() << "the broker or worker is not built";
  const std::string clients = start_fleet(dir_, broker_, worker_);
  ASSERT_FALSE(clients.empty());
  run_example(dir_, "follow_task.py", {"--broker", clients, "--timeout", "60"}, broker_, worker_);
}

}  // namespace
}  // namespace zfleet
