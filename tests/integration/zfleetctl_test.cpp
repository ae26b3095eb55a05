// The zfleetctl binary against a real fleet: exit codes, human and JSON
// output, batch submission from a JSON-lines file, and an unreachable broker.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "tests/support/ctl_run.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::CtlRun;
using test_support::LocalFleet;

class Zfleetctl : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet_.add_worker("w1", 2);
    ASSERT_TRUE(fleet_.await_workers(1, 10s)) << fleet_.logs();
  }

  CtlRun ctl(std::vector<std::string> args, const std::string& endpoint = {}) {
    args.insert(args.begin(),
                {"--broker", endpoint.empty() ? fleet_.endpoints().clients : endpoint});
    return test_support::run_ctl(fleet_.dir(), runs_, args);
  }

  LocalFleet fleet_;
  int runs_ = 0;
};

TEST_F(Zfleetctl, SubmitWaitPrintsOutputAndExitsWithTheTaskCode) {
  auto ok = ctl({"submit", "--wait", "--", "/bin/echo", "hello from zfleet"});
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("hello from zfleet"), std::string::npos) << ok.output;
  auto failing = ctl({"submit", "--wait", "--", "/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(failing.code, 3) << failing.output;
}

TEST_F(Zfleetctl, JsonOutputIsParseable) {
  auto submitted = ctl({"--json", "submit", "--project", "etl", "--", "/bin/true"});
  ASSERT_EQ(submitted.code, 0) << submitted.output;
  const auto id = nlohmann::json::parse(submitted.output).at("id").get<std::uint64_t>();
  auto result = ctl({"--json", "result", std::to_string(id), "--wait"});
  ASSERT_EQ(result.code, 0) << result.output;
  EXPECT_EQ(nlohmann::json::parse(result.output).at("state"), "succeeded") << result.output;
  auto workers = ctl({"--json", "workers"});
  ASSERT_EQ(workers.code, 0) << workers.output;
  const auto list = nlohmann::json::parse(workers.output);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("id"), "w1");
}

TEST_F(Zfleetctl, SetLimitShowsInProjects) {
  auto set = ctl({"set-limit", "etl", "3"});
  ASSERT_EQ(set.code, 0) << set.output;
  auto projects = ctl({"--json", "projects"});
  ASSERT_EQ(projects.code, 0) << projects.output;
  bool found = false;
  for (const auto& p : nlohmann::json::parse(projects.output)) {
    if (p.at("name") == "etl") {
      found = true;
      EXPECT_EQ(p.at("limit"), 3);
    }
  }
  EXPECT_TRUE(found) << projects.output;
}

TEST_F(Zfleetctl, SubmitFileRunsEveryLineAndReportsInvalidOnes) {
  const std::string file = fleet_.dir() + "/tasks.jsonl";
  {
    std::ofstream out(file);
    for (int i = 0; i < 50; ++i)
      out << R"({"argv": ["/bin/echo", ")" << i << R"("]})"
          << "\n";
    out << R"({"argv": "not a list"})"
        << "\n";
  }
  auto run = ctl({"submit", "--file", file, "--wait"});
  EXPECT_EQ(run.code, 1) << run.output;  // one invalid line
  EXPECT_NE(run.output.find(":51"), std::string::npos) << run.output;
  auto stats = fleet_.client().stats();
  ASSERT_TRUE(stats.ok());
  std::map<std::string, std::uint64_t> s(stats.value().begin(), stats.value().end());
  EXPECT_EQ(s["tasks_succeeded"], 50u);
}

TEST_F(Zfleetctl, UnknownTaskIsBrokerErrorExitFive) {
  auto run = ctl({"status", "999999"});
  EXPECT_EQ(run.code, 5) << run.output;
  EXPECT_NE(run.output.find("NOT_FOUND"), std::string::npos) << run.output;
}

TEST_F(Zfleetctl, UnreachableBrokerExitsFourWithinTheTimeout) {
  const auto started = std::chrono::steady_clock::now();
  auto run = ctl({"--timeout-ms", "300", "ping"}, "tcp://127.0.0.1:1");
  EXPECT_EQ(run.code, 4) << run.output;
  EXPECT_NE(run.output.find("cannot reach the broker"), std::string::npos) << run.output;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

}  // namespace
}  // namespace zfleet
