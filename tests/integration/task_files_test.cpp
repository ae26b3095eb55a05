// Files sent with a task, end to end: `zfleetctl submit --script/--attach`
// runs a local script on a worker, the files are journaled with the task (a
// broker killed before any worker saw it still delivers them), and a path
// that would leave the task directory is refused at the broker before it is
// journaled.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/ctl_run.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/final_view.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::eventually;
using test_support::LocalFleet;

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::binary) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

using test_support::final_view;

TEST(TaskFilesEndToEnd, SubmitScriptRunsALocalScriptWithItsAttachment) {
  LocalFleet fleet;
  fleet.add_worker("w1", 1);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  // Not executable here: --script makes it so on the worker.
  write_file(fleet.dir() + "/job.sh",
             "#!/bin/sh\necho \"job $1 read $(cat input.txt) in $(basename \"$PWD\")\"\n"
             "ls -l job.sh | cut -c1-10\n",
             0644);
  write_file(fleet.dir() + "/data.txt", "42", 0600);
  int runs = 0;
  const auto run = test_support::run_ctl(
      fleet.dir(), runs,
      {"--broker", fleet.endpoints().clients, "submit", "--wait", "--attach",
       fleet.dir() + "/data.txt=input.txt", "--script", fleet.dir() + "/job.sh", "--", "first"});
  EXPECT_EQ(run.code, 0) << run.output << fleet.logs();
  EXPECT_NE(run.output.find("job first read 42 in d"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("-rwxr-xr-x"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("succeeded: exit 0"), std::string::npos) << run.output;

  // A task file line attaches the same way.
  std::ofstream(fleet.dir() + "/tasks.jsonl")
      << R"({"argv": ["/bin/cat", "in/x"], "attach": [")" << fleet.dir() << R"(/data.txt=in/x"]})"
      << "\n";
  const auto batch = test_support::run_ctl(fleet.dir(), runs,
                                           {"--broker", fleet.endpoints().clients, "submit",
                                            "--wait", "--file", fleet.dir() + "/tasks.jsonl"});
  EXPECT_EQ(batch.code, 0) << batch.output;  // cat exits 1 when the file is missing
  const auto second = final_view(fleet.client(), 2);
  ASSERT_TRUE(second) << fleet.logs();
  EXPECT_EQ(second->outcome->stdout_tail, "42");
}

TEST(TaskFilesEndToEnd, AttachmentsThatBreakTheRulesNeverLeaveZfleetctl) {
  LocalFleet fleet;
  write_file(fleet.dir() + "/data.txt", "x", 0644);
  int runs = 0;
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker", fleet.endpoints().clients, "submit"});
    return test_support::run_ctl(fleet.dir(), runs, args);
  };
  const auto escape = ctl({"--attach", fleet.dir() + "/data.txt=../evil", "--", "/bin/true"});
  EXPECT_EQ(escape.code, 2) << escape.output;
  EXPECT_NE(escape.output.find("'../evil' may not have '.' or '..' parts"), std::string::npos)
      << escape.output;
  const auto missing = ctl({"--script", fleet.dir() + "/no-such.sh"});
  EXPECT_EQ(missing.code, 2) << missing.output;
  EXPECT_NE(missing.output.find("no-such.sh: No such file or directory"), std::string::npos)
      << missing.output;
  const auto with_cwd = ctl({"--cwd", "sub", "--script", fleet.dir() + "/data.txt"});
  EXPECT_EQ(with_cwd.code, 2) << with_cwd.output;
  EXPECT_NE(with_cwd.output.find("--script runs from the task directory"), std::string::npos)
      << with_cwd.output;
  const auto client_stats = fleet.client().stats();
  ASSERT_TRUE(client_stats.ok());
  for (const auto& [name, value] : client_stats.value()) {
    if (name == "tasks_submitted") {
      EXPECT_EQ(value, 0u) << "nothing reached the broker";
    }
  }
}

TEST(TaskFilesEndToEnd, FilesAreJournaledWithTheTask) {
  LocalFleet fleet;  // no worker yet: the task waits in the journal
  msg::TaskSpec spec;
  spec.argv = {"./run.sh"};
  spec.files = {{"run.sh", "#!/bin/sh\ncat lib/words.txt\n", 0755},
                {"lib/words.txt", std::string("kept\0across", 11) + "\n", 0644}};
  auto id = fleet.client().submit(spec);
  ASSERT_TRUE(id.ok()) << id.error().message;
  fleet.restart_broker();  // SIGKILL
  fleet.add_worker("w1", 1);
  const auto done = final_view(fleet.client(), id.value());
  ASSERT_TRUE(done) << fleet.logs();
  EXPECT_EQ(done->state, msg::TaskState::kSucceeded) << fleet.logs();
  EXPECT_EQ(done->outcome->stdout_tail, std::string("kept\0across", 11) + "\n");
}

TEST(TaskFilesEndToEnd, TheBrokerRefusesAPathLeavingTheTaskDirectory) {
  LocalFleet fleet;
  fleet.add_worker("w1", 1);
  msg::TaskSpec spec;
  spec.argv = {"/bin/true"};
  spec.files = {{"../../escaped", "x", 0644}};
  auto id = fleet.client().submit(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kInvalidField) << id.error().message;
  EXPECT_NE(id.error().message.find("'../../escaped'"), std::string::npos) << id.error().message;
  EXPECT_NE(::access((fleet.dir() + "/escaped").c_str(), F_OK), 0);
  // Nothing was journaled: the next task is the first.
  msg::TaskSpec ok;
  ok.argv = {"/bin/true"};
  auto next = fleet.client().submit(ok);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), 1u);
}

}  // namespace
}  // namespace zfleet
