// The ceilings a real worker puts on every task when nobody names any:
// reported to the broker and shown by `zfleetctl workers`, and enforced, with
// an outcome that names the limit. The kill by the kernel's OOM killer needs
// root and a memory cgroup and skips, saying so, without them; the kill by
// the worker's own sampling runs anywhere.
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/ctl_run.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test_support::CtlRun;
using test_support::LocalFleet;

// Touches every page of 200 MiB, then holds it, so any sampling sees it.
const std::vector<std::string> kHog = {"/usr/bin/python3", "-c",
                                       "import time\n"
                                       "s = bytearray(200 << 20)\n"
                                       "s[::4096] = b'x' * len(s[::4096])\n"
                                       "time.sleep(15)\n"};

class DefaultLimits : public ::testing::Test {
 protected:
  CtlRun ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker", fleet_.endpoints().clients});
    return test_support::run_ctl(fleet_.dir(), runs_, args);
  }

  void start_worker(std::vector<std::string> args) {
    fleet_.add_worker("w1", 1, std::move(args));
    ASSERT_TRUE(fleet_.await_workers(1, 10s)) << fleet_.logs();
  }

  json the_worker() {
    const auto workers = ctl({"--json", "workers"});
    EXPECT_EQ(workers.code, 0) << workers.output;
    const json list = json::parse(workers.output, nullptr, false);
    if (!list.is_array() || list.size() != 1) {
      ADD_FAILURE() << workers.output;
      return json::object();
    }
    return list[0];
  }

  // The layer name of a cgroup setup with the given controller, e.g.
  // "cgroup-v1(memory,pids,cpu)" holds memory.
  bool has_cgroup_controller(const json& worker, const std::string& controller) {
    for (const auto& layer : worker.value("layers", json::array())) {
      const std::string name = layer.get<std::string>();
      if (name.rfind("cgroup", 0) == 0 && name.find(controller) != std::string::npos) return true;
    }
    return false;
  }

  // Submits `argv` with one attempt and signal endings not retried, so a
  // kill ends the task `failed`; returns its RESULT as --json shows it.
  json run_to_the_end(const std::vector<std::string>& argv, std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"--json",     "submit", "--max-attempts", "1",
                                     "--retry-on", "lost",   "--timeout-ms",   "30000"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("--");
    args.insert(args.end(), argv.begin(), argv.end());
    const auto submitted = ctl(args);
    EXPECT_EQ(submitted.code, 0) << submitted.output;
    const json reply = json::parse(submitted.output, nullptr, false);
    if (!reply.contains("id")) return json::object();
    id_ = std::to_string(reply.at("id").get<std::uint64_t>());
    const auto result = ctl({"--json", "result", id_, "--wait"});
    const json view = json::parse(result.output, nullptr, false);
    EXPECT_TRUE(view.is_object()) << result.output;
    return view.is_object() ? view : json::object();
  }

  LocalFleet fleet_;
  std::string id_;
  int runs_ = 0;
};

TEST_F(DefaultLimits, AWorkerReportsTheCeilingsItWorkedOut) {
  start_worker({});
  const json limits = the_worker().value("limits", json());
  ASSERT_TRUE(limits.is_object()) << the_worker().dump();
  const auto memory = limits.at("memory_bytes").get<std::uint64_t>();
  EXPECT_GE(memory, std::uint64_t{256} << 20);
  EXPECT_LE(memory, std::uint64_t{4} << 30);
  EXPECT_EQ(limits.at("timeout_ms"), 3'600'000);
  const std::string log = fleet_.worker(0).log_tail(16384);
  EXPECT_NE(log.find("default task limits: memory "), std::string::npos) << log;
  EXPECT_NE(log.find("task limits: memory "), std::string::npos) << log;
  EXPECT_EQ(log.find("memory=-"), std::string::npos) << log;
}

TEST_F(DefaultLimits, ZfleetctlWorkersShowsCeilingsTheOperatorSet) {
  start_worker({"--default-memory", "64M", "--default-cpu-seconds", "off", "--default-processes",
                "100", "--default-timeout-ms", "600000"});
  const json worker = the_worker();
  const json limits = worker.value("limits", json());
  ASSERT_TRUE(limits.is_object()) << worker.dump();
  EXPECT_EQ(limits.at("memory_bytes"), 64 << 20);
  EXPECT_TRUE(limits.at("cpu_seconds").is_null());
  EXPECT_EQ(limits.at("timeout_ms"), 600'000);
  // Processes are held by a pids cgroup only; where there is none the
  // worker does not claim the ceiling.
  if (has_cgroup_controller(worker, "pids")) {
    EXPECT_EQ(limits.at("processes"), 100);
  } else {
    EXPECT_TRUE(limits.at("processes").is_null());
  }
  const auto table = ctl({"workers"});
  ASSERT_EQ(table.code, 0) << table.output;
  EXPECT_NE(table.output.find("LIMITS"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("mem 64 MiB, cpu none, wall 10 min"), std::string::npos)
      << table.output;
}

TEST_F(DefaultLimits, ATaskPastTheDefaultMemoryIsKilledWithTheLimitNamed) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root: without a memory cgroup the limit is RLIMIT_DATA, and a task "
                    "past it sees a refused allocation instead of the kernel's kill";
  }
  start_worker({"--default-memory", "64M"});
  if (!has_cgroup_controller(the_worker(), "memory")) {
    GTEST_SKIP() << "needs a cgroup memory controller this worker can use: "
                 << the_worker().value("layers", json::array()).dump();
  }
  const json view = run_to_the_end(kHog);
  ASSERT_TRUE(view.contains("outcome") && view.at("outcome").is_object()) << view.dump();
  EXPECT_EQ(view.at("state"), "failed") << view.dump();
  EXPECT_EQ(view.at("outcome").at("killed_by"), "oom") << view.dump();
  EXPECT_EQ(view.at("outcome").at("message"), "killed: memory limit 64 MiB") << view.dump();
  const auto human = ctl({"result", id_});
  EXPECT_NE(human.output.find("killed: memory limit 64 MiB (SIGKILL)"), std::string::npos)
      << human.output;

  // Asking for more than the default gets the default: it is a ceiling.
  const json asked = run_to_the_end(kHog, {"--memory", "1G"});
  ASSERT_TRUE(asked.contains("outcome") && asked.at("outcome").is_object()) << asked.dump();
  EXPECT_EQ(asked.at("outcome").at("message"), "killed: memory limit 64 MiB") << asked.dump();

  // A task within it runs.
  const json fine = run_to_the_end({"/usr/bin/python3", "-c", "s = bytearray(8 << 20)"});
  EXPECT_EQ(fine.at("state"), "succeeded") << fine.dump();
}

TEST_F(DefaultLimits, WithoutTheCgroupLayerTheWorkersSamplingKillsAtTheDefault) {
  const std::string policy = fleet_.dir() + "/policy.json";
  {
    std::ofstream out(policy);
    out << R"({"layers": {"cgroup": "off"}})";
  }
  start_worker({"--default-memory", "64M", "--policy", policy});
  const json view = run_to_the_end(kHog);
  std::remove(policy.c_str());
  ASSERT_TRUE(view.contains("outcome") && view.at("outcome").is_object()) << view.dump();
  EXPECT_EQ(view.at("state"), "failed") << view.dump();
  EXPECT_EQ(view.at("outcome").at("killed_by"), "memory") << view.dump();
  EXPECT_EQ(view.at("outcome").at("message"), "killed: memory limit 64 MiB") << view.dump();
}

}  // namespace
}  // namespace zfleet
