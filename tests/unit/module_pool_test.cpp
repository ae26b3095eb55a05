// ModulePool with real zfleet-module-runner children and the example and
// test modules. The binaries are found from this executable's own path:
// unit_tests runs from <build>/tests, so <build> is its parent's parent, the
// modules are in <build>/modules and <build>/modules-test and the runner is
// <build>/worker/zfleet-module-runner (modules/CMakeLists.txt makes
// unit_tests depend on them). Time only matters for timeouts and idle
// retirement, driven by a FakeClock; waits for real children poll the pool
// with a generous wall-clock limit.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include "common/clock.hpp"
#include "common/codec.hpp"
#include "common/messages.hpp"
#include "worker/executors/module/module_locator.hpp"
#include "worker/executors/module/module_pool.hpp"
#include "worker/sandbox/child_process.hpp"
#include "worker/sandbox/sandbox.hpp"

namespace zfleet::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path build_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path();
}

std::string action(std::string_view name) {
  codec::MapWriter w;
  w.str("action", name);
  return w.finish();
}

class ModulePoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "zfleet-module-pool-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    scratch_ = pattern;
  }
  void TearDown() override {
    pool_.reset();  // kills and reaps the runners before their directory goes
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }

  ModulePoolOptions options(const std::string& modules = "modules-test") {
    ModulePoolOptions o;
    o.modules_dir = (build_dir() / modules).string();
    o.runner_path = (build_dir() / "worker" / "zfleet-module-runner").string();
    o.work_dir = (scratch_ / "pool").string();
    return o;
  }

  ModulePool& make_pool(ModulePoolOptions o, Sandbox* sandbox = nullptr) {
    pool_ = std::make_unique<ModulePool>(clock_, std::move(o), sandbox);
    return *pool_;
  }

  ModuleJob job(std::uint64_t task, std::string args, std::string module = "crashy") {
    ModuleJob j;
    j.task_id = task;
    j.attempt = 1;
    j.module = std::move(module);
    j.args = std::move(args);
    j.pool_key = "default";
    return j;
  }

  // Runs the poll loop until `done` holds; false after 30 s of wall time.
  template <typename Done>
  bool pump(Done done) {
    const auto limit = std::chrono::steady_clock::now() + 30s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > limit) return false;
      std::vector<zmq_pollitem_t> items;
      pool_->append_poll_items(items);
      zmq_poll(items.data(), static_cast<int>(items.size()), 100);
      pool_->on_poll(items.data(), items.size());
      if (!ChildProcess::pidfd_supported()) pool_->check_exits();
      pool_->on_timer(clock_.now());
      pool_->take_finished(finished_);
    }
    return true;
  }

  bool finished(std::uint64_t task) const {
    for (const auto& o : finished_)
      if (o.task_id == task) return true;
    return false;
  }

  // A copy: pump() appends to finished_, so a reference into it would dangle.
  ModuleOutcome outcome(std::uint64_t task) const {
    for (const auto& o : finished_)
      if (o.task_id == task) return o;
    throw std::logic_error("no outcome");
  }

  // Starts the job and waits for its outcome.
  ModuleOutcome run(const ModuleJob& j) {
    std::string error;
    EXPECT_TRUE(pool_->start(j, error)) << error;
    EXPECT_TRUE(pump([&] { return finished(j.task_id); }));
    return finished(j.task_id) ? outcome(j.task_id) : ModuleOutcome{};
  }

  FakeClock clock_;
  fs::path scratch_;
  std::unique_ptr<ModulePool> pool_;
  std::vector<ModuleOutcome> finished_;
};

TEST_F(ModulePoolTest, EchoReturnsItsArgs) {
  make_pool(options("modules"));
  codec::MapWriter args;
  args.str("hello", "world").u64("n", 42);
  const ModuleOutcome o = run(job(1, args.finish(), "echo"));
  EXPECT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.result, args.finish());
  EXPECT_EQ(o.runner_tasks, 1u);
  EXPECT_GT(o.runner_pid, 0u);
  EXPECT_GT(o.rss_kb, 0u);
  EXPECT_FALSE(o.runner_crashed);
  EXPECT_EQ(pool_->running(), 0u);
  EXPECT_EQ(pool_->runners(), 1u);
}

TEST_F(ModulePoolTest, OneRunnerServesManyTasks) {
  make_pool(options("modules"));
  std::uint64_t pid = 0;
  for (std::uint64_t task = 1; task <= 100; ++task) {
    const ModuleOutcome o = run(job(task, action("n" + std::to_string(task)), "echo"));
    ASSERT_TRUE(o.ok) << o.error;
    if (pid == 0) pid = o.runner_pid;
    EXPECT_EQ(o.runner_pid, pid);
    EXPECT_EQ(o.runner_tasks, task);
  }
  EXPECT_EQ(pool_->runners_started(), 1u);
  EXPECT_EQ(pool_->runners_recycled(), 0u);
}

TEST_F(ModulePoolTest, RecyclesRunnerAfterMaxTasks) {
  auto o = options();
  o.max_tasks_per_runner = 3;
  make_pool(o);
  for (std::uint64_t task = 1; task <= 7; ++task) {
    const ModuleOutcome out = run(job(task, action("echo")));
    ASSERT_TRUE(out.ok) << out.error;
    EXPECT_EQ(out.runner_tasks, (task - 1) % 3 + 1);
  }
  EXPECT_EQ(pool_->runners_started(), 3u);
  EXPECT_EQ(pool_->runners_recycled(), 2u);
  // The retired runners exit on end of stdin and are reaped.
  EXPECT_TRUE(pump([&] { return pool_->runners() == 1; }));
}

TEST_F(ModulePoolTest, RecyclesRunnerAboveMemoryMark) {
  auto o = options();
  o.max_runner_rss_kb = 128 * 1024;
  make_pool(o);
  const ModuleOutcome small = run(job(1, action("echo")));
  ASSERT_TRUE(small.ok) << small.error;
  ASSERT_LT(small.rss_kb, o.max_runner_rss_kb) << "the runner alone exceeds the test's mark";

  codec::MapWriter alloc;
  alloc.str("action", "alloc").u64("mib", 160);
  const ModuleOutcome big = run(job(2, alloc.finish()));
  ASSERT_TRUE(big.ok) << big.error;
  EXPECT_GE(big.rss_kb, 160u * 1024);
  EXPECT_EQ(big.runner_pid, small.runner_pid);
  EXPECT_EQ(pool_->runners_recycled(), 1u);

  const ModuleOutcome after = run(job(3, action("echo")));
  ASSERT_TRUE(after.ok) << after.error;
  EXPECT_NE(after.runner_pid, big.runner_pid);
  EXPECT_EQ(after.runner_tasks, 1u);
  EXPECT_EQ(pool_->runners_started(), 2u);
}

TEST_F(ModulePoolTest, CrashFailsOnlyItsTaskAndNextTaskGetsFreshRunner) {
  make_pool(options());
  std::string error;
  // Two runners at once: the crash must not touch the other's task.
  ASSERT_TRUE(pool_->start(job(1, action("segv")), error)) << error;
  ASSERT_TRUE(pool_->start(job(2, action("echo")), error)) << error;
  EXPECT_EQ(pool_->runners_started(), 2u);
  ASSERT_TRUE(pump([&] { return finished(1) && finished(2); }));

  const ModuleOutcome crashed = outcome(1);
  EXPECT_FALSE(crashed.ok);
  EXPECT_TRUE(crashed.runner_crashed);
  ASSERT_TRUE(crashed.runner_signal.has_value());
  EXPECT_EQ(*crashed.runner_signal, SIGSEGV);
  EXPECT_EQ(crashed.error, "module runner crashed: killed by signal 11 (SIGSEGV)");
  EXPECT_TRUE(outcome(2).ok) << outcome(2).error;

  const ModuleOutcome next = run(job(3, action("segv-free")));
  EXPECT_TRUE(next.ok) << next.error;
  EXPECT_NE(next.runner_pid, crashed.runner_pid);
  EXPECT_EQ(pool_->runners_started(), 2u);  // task 2's idle runner took it

  const ModuleOutcome again = run(job(4, action("segv")));
  EXPECT_TRUE(again.runner_crashed);
  const ModuleOutcome fresh = run(job(5, action("echo")));
  EXPECT_TRUE(fresh.ok) << fresh.error;
  EXPECT_EQ(fresh.runner_tasks, 1u);
  EXPECT_EQ(pool_->runners_started(), 3u);
}

TEST_F(ModulePoolTest, RunnerExitIsReportedWithItsStatus) {
  make_pool(options());
  codec::MapWriter args;
  args.str("action", "exit").u64("code", 7);
  const ModuleOutcome o = run(job(1, args.finish()));
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(o.runner_crashed);
  EXPECT_FALSE(o.runner_signal.has_value());
  EXPECT_EQ(o.error, "module runner crashed: exited with status 7");
}

TEST_F(ModulePoolTest, ModuleErrorFailsTaskButKeepsRunner) {
  make_pool(options());
  codec::MapWriter args;
  args.str("action", "fail").str("text", "bad input");
  const ModuleOutcome failed = run(job(1, args.finish()));
  EXPECT_FALSE(failed.ok);
  EXPECT_FALSE(failed.runner_crashed);
  EXPECT_EQ(failed.error, "bad input");
  const ModuleOutcome next = run(job(2, action("echo")));
  EXPECT_TRUE(next.ok);
  EXPECT_EQ(next.runner_pid, failed.runner_pid);
}

TEST_F(ModulePoolTest, RefusesUnknownModulesAndPathNames) {
  make_pool(options("modules"));
  std::string error;
  EXPECT_FALSE(pool_->start(job(1, action("x"), "nosuch"), error));
  EXPECT_EQ(error,
            "unknown module 'nosuch' (looked in " + (build_dir() / "modules").string() + ")");
  for (const std::string& name :
       std::vector<std::string>{"../modules/echo", "/etc/passwd", "Echo", "echo.so", "", "_echo",
                                "a/b", std::string(65, 'a')}) {
    error.clear();
    EXPECT_FALSE(pool_->start(job(1, action("x"), name), error)) << name;
    EXPECT_NE(error.find("invalid module name"), std::string::npos) << name << ": " << error;
  }
  EXPECT_EQ(pool_->runners_started(), 0u);
}

TEST_F(ModulePoolTest, RefusesSymlinkOutOfModulesDir) {
  const fs::path dir = scratch_ / "deployed";
  fs::create_directory(dir);
  fs::create_symlink(build_dir() / "modules" / "echo.so", dir / "escape.so");
  fs::copy_file(build_dir() / "modules" / "echo.so", dir / "libzfleet_inside.so");
  auto o = options();
  o.modules_dir = dir.string();
  make_pool(o);
  std::string error;
  EXPECT_FALSE(pool_->start(job(1, action("x"), "escape"), error));
  EXPECT_NE(error.find("outside"), std::string::npos) << error;
  // The lib-prefixed name is found too.
  const ModuleOutcome inside = run(job(2, action("x"), "inside"));
  EXPECT_TRUE(inside.ok) << inside.error;
}

TEST_F(ModulePoolTest, LoadFailureFailsTaskWithReason) {
  const fs::path dir = scratch_ / "deployed";
  fs::create_directory(dir);
  std::ofstream(dir / "bogus.so") << "not an ELF file\n";
  auto o = options();
  o.modules_dir = dir.string();
  make_pool(o);
  const ModuleOutcome out = run(job(1, action("x"), "bogus"));
  EXPECT_FALSE(out.ok);
  EXPECT_FALSE(out.runner_crashed);
  EXPECT_NE(out.error.find("module 'bogus' failed to load"), std::string::npos) << out.error;
  EXPECT_TRUE(pump([&] { return pool_->runners() == 0; }));
}

TEST_F(ModulePoolTest, TimeoutKillsRunner) {
  make_pool(options());
  codec::MapWriter args;
  args.str("action", "sleep").u64("ms", 600'000);
  auto j = job(1, args.finish());
  j.timeout = 1000ms;
  std::string error;
  ASSERT_TRUE(pool_->start(j, error)) << error;
  ASSERT_EQ(pool_->next_deadline(), clock_.now() + 1000ms);
  clock_.advance(999ms);
  pool_->on_timer(clock_.now());
  EXPECT_TRUE(pool_->holds(1, 1));
  clock_.advance(1ms);
  ASSERT_TRUE(pump([&] { return finished(1); }));
  const ModuleOutcome o = outcome(1);
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(o.timed_out);
  EXPECT_FALSE(o.runner_crashed);
  EXPECT_EQ(o.error, "module task timed out after 1000 ms");
  EXPECT_TRUE(pump([&] { return pool_->runners() == 0; }));
}

TEST_F(ModulePoolTest, CancelKillsRunner) {
  make_pool(options());
  codec::MapWriter args;
  args.str("action", "sleep").u64("ms", 600'000);
  std::string error;
  ASSERT_TRUE(pool_->start(job(1, args.finish()), error)) << error;
  EXPECT_FALSE(pool_->cancel(1, 2));
  EXPECT_FALSE(pool_->cancel(9, 1));
  EXPECT_TRUE(pool_->cancel(1, 1));
  ASSERT_TRUE(pump([&] { return finished(1); }));
  EXPECT_TRUE(outcome(1).cancelled);
  EXPECT_FALSE(outcome(1).ok);
  EXPECT_FALSE(pool_->holds(1, 1));
}

TEST_F(ModulePoolTest, StopAllEndsRunningTasksAsShutdown) {
  make_pool(options());
  codec::MapWriter args;
  args.str("action", "sleep").u64("ms", 600'000);
  std::string error;
  ASSERT_TRUE(pool_->start(job(1, args.finish()), error)) << error;
  pool_->stop_all();
  ASSERT_TRUE(pump([&] { return finished(1) && pool_->runners() == 0; }));
  EXPECT_TRUE(outcome(1).shutdown);
}

TEST_F(ModulePoolTest, ModuleStdoutGoesToStderrTailNotFraming) {
  make_pool(options());
  codec::MapWriter args;
  args.str("action", "print").str("text", "hello from the module\n");
  const ModuleOutcome printed = run(job(1, args.finish()));
  ASSERT_TRUE(printed.ok) << printed.error;
  EXPECT_NE(printed.stderr_tail.find("hello"), std::string::npos) << printed.stderr_tail;
  EXPECT_NE(printed.stderr_tail.find("err:"), std::string::npos) << printed.stderr_tail;
  const ModuleOutcome next = run(job(2, action("echo")));
  EXPECT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.runner_pid, printed.runner_pid);
  EXPECT_EQ(next.stderr_tail, "");
}

TEST_F(ModulePoolTest, ProgressReportsArriveInOrder) {
  make_pool(options());
  const ModuleOutcome o = run(job(5, action("progress")));
  ASSERT_TRUE(o.ok) << o.error;
  std::vector<ModuleProgress> progress;
  pool_->take_progress(progress);
  ASSERT_EQ(progress.size(), 3u);
  EXPECT_EQ(progress[0].task_id, 5u);
  EXPECT_EQ(progress[0].attempt, 1u);
  EXPECT_EQ(progress[0].percent, 10);
  EXPECT_EQ(progress[0].message, "started");
  EXPECT_EQ(progress[1].percent, 50);
  EXPECT_EQ(progress[2].percent, 100);
  EXPECT_EQ(progress[2].message, "");
  progress.clear();
  pool_->take_progress(progress);
  EXPECT_TRUE(progress.empty());
}

TEST_F(ModulePoolTest, RunnersAreSharedOnlyWithinPoolKey) {
  make_pool(options());
  const ModuleOutcome a = run(job(1, action("echo")));
  auto other = job(2, action("echo"));
  other.pool_key = "other-project";
  const ModuleOutcome b = run(other);
  EXPECT_NE(a.runner_pid, b.runner_pid);
  EXPECT_EQ(pool_->runners_started(), 2u);
  std::vector<ChildRecord> children;
  pool_->children(children);
  EXPECT_EQ(children.size(), 2u);
}

TEST_F(ModulePoolTest, IdleRunnerRetiresAfterIdleTimeout) {
  auto o = options();
  o.idle_timeout = 5000ms;
  make_pool(o);
  ASSERT_TRUE(run(job(1, action("echo"))).ok);
  ASSERT_EQ(pool_->next_deadline(), clock_.now() + 5000ms);
  clock_.advance(5000ms);
  EXPECT_TRUE(pump([&] { return pool_->runners() == 0; }));
  EXPECT_EQ(pool_->runners_recycled(), 0u);
}

TEST_F(ModulePoolTest, IdleRunnersBeyondLimitRetire) {
  auto o = options();
  o.max_idle_runners = 1;
  make_pool(o);
  std::string error;
  for (std::uint64_t task = 1; task <= 3; ++task)
    ASSERT_TRUE(pool_->start(job(task, action("echo")), error)) << error;
  ASSERT_EQ(pool_->runners_started(), 3u);
  ASSERT_TRUE(pump([&] { return finished(1) && finished(2) && finished(3); }));
  EXPECT_TRUE(pump([&] { return pool_->runners() == 1; }));
}

TEST_F(ModulePoolTest, PrivateDirectoriesAreRemovedWithRunners) {
  auto o = options();
  o.max_tasks_per_runner = 1;
  make_pool(o);
  ASSERT_TRUE(run(job(1, action("echo"))).ok);
  EXPECT_TRUE(pump([&] { return pool_->runners() == 0; }));
  EXPECT_TRUE(fs::is_empty(scratch_ / "pool"));
}

TEST_F(ModulePoolTest, LeftoversOfAKilledWorkerAreSweptAtStart) {
  const fs::path pool = scratch_ / "pool";
  fs::create_directories(pool / "runner-1");
  std::ofstream(pool / "runner-1" / "secret") << "from the last life";
  std::ofstream(pool / "unrelated") << "kept";
  make_pool(options());
  EXPECT_FALSE(fs::exists(pool / "runner-1"));
  EXPECT_TRUE(fs::exists(pool / "unrelated"));
  const ModuleOutcome o = run(job(1, action("echo")));
  EXPECT_TRUE(o.ok) << o.error;
}

std::uint64_t as_u64(const std::string& packed) {
  return msgpack::unpack(packed.data(), packed.size()).get().as<std::uint64_t>();
}

// A runner spawned with a policy runs under it: another uid, and a private
// /tmp that hides the host's files but keeps the runner's own directory
// (which lies under /tmp here).
TEST_F(ModulePoolTest, SandboxedRunnerRunsAsItsUserWithAPrivateTmp) {
  const HostCapabilities host = HostCapabilities::detect();
  if (!host.uid_switch || !host.private_tmp) GTEST_SKIP() << "needs root: " << host.describe();
  Sandbox sandbox(host);
  const SandboxPolicy policy = SandboxPolicy::defaults(true);
  make_pool(options(), &sandbox);
  const fs::path host_file = scratch_.string() + "-host-file";
  std::ofstream(host_file) << "host";
  auto sandboxed = [&](std::uint64_t task, std::string args) {
    ModuleJob j = job(task, std::move(args));
    j.policy = &policy;
    return j;
  };

  const ModuleOutcome uid = run(sandboxed(1, action("uid")));
  ASSERT_TRUE(uid.ok) << uid.error << uid.stderr_tail;
  EXPECT_EQ(as_u64(uid.result), 65534u);  // "nobody", the default policy's user

  codec::MapWriter probe;
  probe.str("action", "exists").str("path", host_file.string());
  const ModuleOutcome hidden = run(sandboxed(2, probe.finish()));
  ASSERT_TRUE(hidden.ok) << hidden.error;
  EXPECT_EQ(as_u64(hidden.result), 0u) << "the host's /tmp is visible to the runner";
  EXPECT_EQ(hidden.runner_pid, uid.runner_pid);  // the same runner served both

  codec::MapWriter own;
  own.str("action", "exists").str("path", (scratch_ / "pool" / "runner-1").string());
  const ModuleOutcome kept = run(sandboxed(3, own.finish()));
  ASSERT_TRUE(kept.ok) << kept.error;
  EXPECT_EQ(as_u64(kept.result), 1u) << "the runner lost its own directory";
  fs::remove(host_file);
}

TEST(ModuleName, AcceptsOnlyPlainNames) {
  EXPECT_TRUE(msg::valid_module_name("echo"));
  EXPECT_TRUE(msg::valid_module_name("0hash_v2-fast"));
  EXPECT_TRUE(msg::valid_module_name(std::string(64, 'a')));
  EXPECT_FALSE(msg::valid_module_name(std::string(65, 'a')));
  EXPECT_FALSE(msg::valid_module_name("-x"));
  EXPECT_FALSE(msg::valid_module_name("x.y"));
  EXPECT_FALSE(msg::valid_module_name(".."));
  EXPECT_FALSE(msg::valid_module_name(std::string_view("x\0y", 3)));
}

}  // namespace
}  // namespace zfleet::worker
