// Spec tests of what a shell task's child gets, through the real broker and
// a real zfleet-worker with its default sandbox: how argv[0] is found (PATH),
// the base environment, a program that cannot be executed, and output_cap 0.
#include <chrono>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/spec/wire_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using spec::Message;
using spec::SpecFleet;
using spec::WirePeer;

// In the worker's own environment: a sandboxed child must not see it.
constexpr const char* kWorkerOnly = "ZFLEET_SPEC_WORKER_ONLY";

class TaskProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet_.add_worker("spec-real-1", 2, {{kWorkerOnly, "leaked"}});
    ASSERT_TRUE(fleet_.await_workers(client_, 1)) << fleet_.logs();
  }

  // Submits `spec` and returns its final view (a failure if it is not final
  // within 60 s).
  msg::TaskView run(const msg::TaskSpec& spec) {
    const Message m =
        client_.call(proto::cmd::kSubmit, msg::encode(msg::SubmitRequest{++req_, spec}));
    EXPECT_EQ(m.command, proto::cmd::kSubmitted);
    const std::uint64_t id = spec::decoded<msg::SubmittedReply>(m).id;
    msg::TaskView view;
    const bool final = test_support::eventually(
        [&] {
          const Message r =
              client_.call(proto::cmd::kResult, msg::encode(msg::TaskQuery{++req_, id, 5'000}));
          view = spec::decoded<msg::TaskReply>(r).task;
          return msg::is_final(view.state);
        },
        60s, 10ms);
    EXPECT_TRUE(final) << "task " << id << " is " << msg::state_name(view.state) << "\n"
                       << fleet_.logs();
    return view;
  }

  // The NAME=value lines a child printed with `env`.
  static std::map<std::string, std::string> environment_of(const msg::TaskView& view) {
    std::map<std::string, std::string> out;
    if (!view.outcome) return out;
    std::istringstream lines(view.outcome->stdout_tail);
    for (std::string line; std::getline(lines, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
  }

  SpecFleet fleet_;
  zmq::context_t context_{1};
  WirePeer client_{context_, fleet_.clients()};
  std::uint64_t req_ = 0;
};

// PROTOCOL.md §4.1 "The program and its environment": argv[0] without a '/'
// is found in the sandbox's default PATH, and the child's environment is
// exactly PATH, HOME, TMPDIR and LANG: nothing of the worker's.
TEST_F(TaskProgram, NameWithoutSlashIsFoundInTheDefaultPathWithAScrubbedEnvironment) {
  msg::TaskSpec spec;
  spec.argv = {"env"};
  const auto view = run(spec);
  ASSERT_EQ(msg::state_name(view.state), "succeeded")
      << (view.outcome ? view.outcome->error : "") << fleet_.logs();
  ASSERT_FALSE(view.outcome->sandbox.empty()) << "the worker ran the task unsandboxed";
  const auto env = environment_of(view);
  std::vector<std::string> names;
  for (const auto& [name, value] : env)
    names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"HOME", "LANG", "PATH", "TMPDIR"}))
      << view.outcome->stdout_tail;
  EXPECT_EQ(env.count(kWorkerOnly), 0u);
  EXPECT_EQ(env.at("PATH"), "/usr/local/bin:/usr/bin:/bin");
  EXPECT_EQ(env.at("LANG"), "C.UTF-8");
  EXPECT_EQ(env.at("HOME"), env.at("TMPDIR"));
}

// PROTOCOL.md §4.1 "The program and its environment": a PATH in the task's
// env is the one searched, and every env entry is added to (or replaces one
// of) the base variables.
TEST_F(TaskProgram, TaskPathIsSearchedAndEnvEntriesOverrideTheBase) {
  msg::TaskSpec spec;
  spec.argv = {"env"};
  spec.env = {{"PATH", "/nonexistent-zfleet-spec:/usr/bin"}, {"LANG", "C"}, {"EXTRA", "1"}};
  const auto view = run(spec);
  ASSERT_EQ(msg::state_name(view.state), "succeeded")
      << (view.outcome ? view.outcome->error : "") << fleet_.logs();
  const auto env = environment_of(view);
  EXPECT_EQ(env.at("PATH"), "/nonexistent-zfleet-spec:/usr/bin");
  EXPECT_EQ(env.at("LANG"), "C");
  EXPECT_EQ(env.at("EXTRA"), "1");
}

// PROTOCOL.md §4.1, §5.6, §6.5 (spawn): a name not in the task's PATH, and a
// path that does not exist, end `failed` after one attempt with the reason in
// the outcome's error; they are not retried.
TEST_F(TaskProgram, ProgramThatCannotBeExecutedFailsAfterOneAttempt) {
  msg::TaskSpec not_in_path;
  not_in_path.argv = {"true"};
  not_in_path.env = {{"PATH", "/nonexistent-zfleet-spec"}};
  auto view = run(not_in_path);
  EXPECT_EQ(msg::state_name(view.state), "failed");
  EXPECT_EQ(view.attempts, 1u);
  ASSERT_TRUE(view.outcome.has_value());
  EXPECT_EQ(view.outcome->error, "spawn: not found in PATH: true");
  EXPECT_FALSE(view.outcome->exit_code.has_value());

  msg::TaskSpec missing;
  missing.argv = {"/nonexistent-zfleet-spec/program"};
  view = run(missing);
  EXPECT_EQ(msg::state_name(view.state), "failed");
  EXPECT_EQ(view.attempts, 1u);
  ASSERT_TRUE(view.outcome.has_value());
  EXPECT_NE(view.outcome->error.find("No such file or directory"), std::string::npos)
      << view.outcome->error;
}

// PROTOCOL.md §4.1 (output_cap): an explicit 0 keeps no output bytes in the
// outcome, while stdout_bytes and stderr_bytes still count what was written.
TEST_F(TaskProgram, OutputCapZeroKeepsNothingButCountsTheBytes) {
  msg::TaskSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo hello; echo oops >&2"};
  spec.output_cap = 0;
  const auto view = run(spec);
  ASSERT_EQ(msg::state_name(view.state), "succeeded")
      << (view.outcome ? view.outcome->error : "") << fleet_.logs();
  EXPECT_EQ(view.outcome->stdout_tail, "");
  EXPECT_EQ(view.outcome->stderr_tail, "");
  EXPECT_EQ(view.outcome->stdout_bytes, 6u);
  EXPECT_EQ(view.outcome->stderr_bytes, 5u);

  spec.output_cap = 3;
  const auto capped = run(spec);
  EXPECT_EQ(capped.outcome->stdout_tail, "lo\n");
  EXPECT_EQ(capped.outcome->stdout_bytes, 6u);
}

}  // namespace
}  // namespace zfleet
