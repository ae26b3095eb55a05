// The real zfleetctl binary, its stdout, stderr and exit status compared
// exactly: usage errors (no broker needed: a command line that wrongly
// parsed would fail to reach the unreachable broker with exit 4 instead), and
// what `submit --wait` prints for module and http tasks.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdlib.h>

#include <charconv>
#include <filesystem>
#include <sstream>

#include "tests/support/ctl_run.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::CtlOutput;
using test_support::LocalFleet;

class ZfleetctlUsage : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zfleet-ctl-usage-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  CtlOutput ctl(std::vector<std::string> args) {
    // Port 1 on loopback: nothing listens, so a parse that wrongly succeeded
    // shows as exit 4 within the timeout instead of a usage error.
    args.insert(args.begin(), {"--broker", "tcp://127.0.0.1:1", "--timeout-ms", "300"});
    return test_support::run_ctl_split(dir_, runs_, args);
  }

  std::string dir_;
  int runs_ = 0;
};

constexpr int kUsage = 2;
const std::string kCommands =
    "submit, status, result, cancel, dlq, stats, workers, projects, set-limit, set-policy, ping, "
    "events, logs, suspend, resume";

TEST_F(ZfleetctlUsage, UnknownVerbListsTheCommands) {
  auto run = ctl({"frobnicate"});
  EXPECT_EQ(run.code, kUsage);
  EXPECT_EQ(run.err, "zfleetctl: unknown command 'frobnicate'; the commands are: " + kCommands +
                         "\nrun 'zfleetctl --help' for usage\n");
  EXPECT_EQ(run.out, "");
}

TEST_F(ZfleetctlUsage, MisspelledVerbSuggestsTheNearest) {
  auto run = ctl({"sumbit", "--wait", "--", "/bin/true"});
  EXPECT_EQ(run.code, kUsage);
  EXPECT_EQ(run.err,
            "zfleetctl: unknown command 'sumbit'; did you mean 'submit'?\n"
            "run 'zfleetctl --help' for usage\n");
  EXPECT_EQ(run.out, "");
}

TEST_F(ZfleetctlUsage, NoVerbListsTheCommands) {
  auto run = ctl({});
  EXPECT_EQ(run.code, kUsage);
  EXPECT_EQ(run.err, "zfleetctl: no command given; the commands are: " + kCommands +
                         "\nrun 'zfleetctl --help' for usage\n");
  EXPECT_EQ(run.out, "");
}

TEST_F(ZfleetctlUsage, BadNumberNamesTheArgumentAndTheVerb) {
  auto run = ctl({"status", "abc"});
  EXPECT_EQ(run.code, kUsage);
  EXPECT_EQ(run.err,
            "zfleetctl status: ID: 'abc' is not a number\n"
            "run 'zfleetctl status --help' for usage\n");
  run = ctl({"submit", "--timeout-ms", "-1", "--", "/bin/true"});
  EXPECT_EQ(run.code, kUsage);
  EXPECT_EQ(run.err,
            "zfleetctl submit: --timeout-ms: '-1' must not be negative\n"
            "run 'zfleetctl submit --help' for usage\n");
}

TEST_F(ZfleetctlUsage, UnknownFlagSuggestsTheNearestFlagOfTheVerb) {
  auto run = ctl({"submit", "--priorty", "3", "--", "/bin/true"});
  EXPECT_EQ(run.code, kUsage);
  EXPECT_EQ(run.err,
            "zfleetctl submit: unknown option '--priorty'; did you mean '--priority'?\n"
            "run 'zfleetctl submit --help' for usage\n");
  EXPECT_EQ(run.out, "");
}

TEST_F(ZfleetctlUsage, HelpIsNoError) {
  auto run = ctl({"status", "--help"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("Usage: zfleetctl status"), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");
}

class ZfleetctlWaitOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet_.add_worker("w1", 2);
    ASSERT_TRUE(fleet_.await_workers(1, 10s)) << fleet_.logs();
  }

  CtlOutput ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker", fleet_.endpoints().clients});
    return test_support::run_ctl_split(fleet_.dir(), runs_, args);
  }

  // The task id of "zfleetctl: task N ..." on stderr; 0 when absent.
  static std::uint64_t task_id(const std::string& err) {
    const std::string marker = "zfleetctl: task ";
    const auto at = err.find(marker);
    if (at == std::string::npos) return 0;
    std::uint64_t id = 0;
    const char* first = err.data() + at + marker.size();
    const auto [end, ec] = std::from_chars(first, err.data() + err.size(), id);
    if (ec != std::errc{} || end == first || *end != ' ') return 0;
    return id;
  }

  // The value of `result`'s "result" line.
  std::string result_field(std::uint64_t id) {
    auto run = ctl({"result", std::to_string(id)});
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("result ")) continue;
      const auto value = line.find_first_not_of(' ', 6);
      return value == std::string::npos ? std::string{} : line.substr(value);
    }
    return {};
  }

  LocalFleet fleet_;
  int runs_ = 0;
};

TEST_F(ZfleetctlWaitOutput, ModuleTaskPrintsItsResultLikeResultDoes) {
  auto run = ctl(
      {"submit", "--type", "module", "--module", "hash", "--args", R"({"data": "abc"})", "--wait"});
  ASSERT_EQ(run.code, 0) << run.out << run.err << fleet_.logs();
  // SHA-256 of "abc".
  EXPECT_EQ(run.out,
            R"({"algorithm":"sha256","digest":)"
            R"("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","bytes":3})"
            "\n");
  const std::uint64_t id = task_id(run.err);
  ASSERT_NE(id, 0u) << run.err;
  EXPECT_EQ(run.err.rfind("zfleetctl: task " + std::to_string(id) + " succeeded: exit 0 after ", 0),
            0u)
      << run.err;
  EXPECT_EQ(result_field(id) + "\n", run.out);
}

TEST_F(ZfleetctlWaitOutput, HttpTaskPrintsItsResponseLikeResultDoes) {
  // Denied by the worker's built-in rules before any connection, so the
  // test needs no network; the result still carries status and error.
  auto run = ctl({"submit", "--type", "http", "--url", "http://169.254.169.254/latest/meta-data/",
                  "--max-attempts", "1", "--wait"});
  EXPECT_EQ(run.code, 1) << run.out << run.err << fleet_.logs();
  ASSERT_FALSE(run.out.empty()) << run.err;
  EXPECT_EQ(run.out.find('\n'), run.out.size() - 1) << "one line: " << run.out;
  const auto response = nlohmann::json::parse(run.out);
  EXPECT_EQ(response.at("status"), 0) << run.out;
  EXPECT_EQ(response.at("url"), "http://169.254.169.254/latest/meta-data/") << run.out;
  EXPECT_NE(response.at("error").get<std::string>().find("denied"), std::string::npos) << run.out;
  const std::uint64_t id = task_id(run.err);
  ASSERT_NE(id, 0u) << run.err;
  EXPECT_EQ(result_field(id) + "\n", run.out);
}

TEST_F(ZfleetctlWaitOutput, ShellTaskPrintsNoResultLine) {
  auto run = ctl({"submit", "--wait", "--", "/bin/echo", "hello"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out, "hello\n");
}

}  // namespace
}  // namespace zfleet
