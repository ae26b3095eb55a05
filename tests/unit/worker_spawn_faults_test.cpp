// A spawn that fails (through a Spawner that fails on demand, then spawns for
// real): EAGAIN and ENOMEM fail the attempt as retryable, ENOENT and EACCES
// as permanent, each with a reason naming the errno; the attempt's directory,
// pool uid and pipes are released (no fd leaks, the WorkArea's spare
// directory comes back) and the slot is free for the next task. Checked at
// the TaskRunner (unconfined, and sandboxed as a pool uid when root) and at
// the reactor against a fake broker on loopback.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <thread>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>
#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/frames.hpp"
#include "common/messages.hpp"
#include "tests/unit/sandbox_probe.hpp"
#include "worker/core/reactor.hpp"
#include "worker/core/signal_source.hpp"
#include "worker/executors/child/task_runner.hpp"
#include "worker/sandbox/spawner.hpp"
#include "worker/sandbox/work_area.hpp"
#include "worker/task_kinds.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;
namespace cmd = proto::cmd;

// Fails the next spawns with an errno, as ChildProcess::spawn reports one,
// then hands spawns to the real spawner. What each failed spawn was given is
// noted, to show the attempt held its resources at that moment.
class FailingSpawner final : public Spawner {
 public:
  void fail_next(int error_number, int times = 1) {
    errno_ = error_number;
    pending_ = times;
  }
  std::optional<ChildProcess> spawn(const SpawnRequest& request, std::string& error,
                                    int* error_number) override {
    if (pending_.load() > 0) {
      --pending_;
      ++failed;
      const int e = errno_.load();
      cwd_existed = request.cwd != nullptr && boost::filesystem::is_directory(request.cwd);
      pipes_open =
          ::fcntl(request.stdout_fd, F_GETFD) >= 0 && ::fcntl(request.stderr_fd, F_GETFD) >= 0;
      if (request.sandbox != nullptr && request.sandbox->switch_user) uid = request.sandbox->uid;
      error = spawn_error_message(request, std::error_code(e, std::system_category()));
      if (error_number != nullptr) *error_number = e;
      return std::nullopt;
    }
    return process_spawner().spawn(request, error, error_number);
  }

  std::atomic<int> failed{0};
  bool cwd_existed = false;
  bool pipes_open = false;
  std::optional<uid_t> uid;

 private:
  std::atomic<int> errno_{0};
  std::atomic<int> pending_{0};
};

int open_fds() {
  int n = 0;
  for (boost::filesystem::directory_iterator it("/proc/self/fd"), end; it != end; ++it)
    ++n;
  return n;
}

struct Fault {
  int error_number;
  bool permanent;
};

void PrintTo(const Fault& f, std::ostream* out) {
  *out << strerrorname_np(f.error_number);
}

const Fault kFaults[] = {{EAGAIN, false}, {ENOMEM, false}, {ENOENT, true}, {EACCES, true}};

std::string fault_name(const ::testing::TestParamInfo<Fault>& info) {
  return strerrorname_np(info.param.error_number);
}

// What the attempt's reason says for `e`, for a task run as "echo".
std::string expected_reason(int e) {
  return "spawn: " + std::string(std::strerror(e)) + ": echo (";
}

class SpawnFaults : public ::testing::TestWithParam<Fault> {
 protected:
  SpawnFaults()
      : root_(boost::filesystem::temp_directory_path() /
              boost::filesystem::unique_path("zfleet-spawn-faults-%%%%-%%%%")),
        area_(root_.string()) {}
  ~SpawnFaults() override {
    boost::system::error_code ec;
    boost::filesystem::remove_all(root_, ec);
  }

  static RunnerOptions options() {
    RunnerOptions o;
    o.grace = 200ms;
    return o;
  }
  static msg::TaskAssignment task(std::uint64_t id) {
    msg::TaskAssignment t;
    t.task_id = id;
    t.attempt = 1;
    t.spec.argv = {"echo", "ran", std::to_string(id)};
    t.spec.stdin_data = "input";  // a stdin pipe too
    return t;
  }

  // Runs `t` to its end; the outcome, or nullopt if it did not start.
  std::optional<msg::Outcome> run(TaskRunner& runner, const msg::TaskAssignment& t,
                                  const AttemptPolicy* policy = nullptr) {
    const StartResult started = policy != nullptr ? runner.start(t, *policy) : runner.start(t);
    EXPECT_TRUE(started.started) << started.error;
    if (!started.started) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::vector<zmq_pollitem_t> items;
    while (runner.running() > 0 && std::chrono::steady_clock::now() < deadline) {
      runner.on_timer(clock_.now());
      items.clear();
      runner.append_poll_items(items);
      zmq::poll(items, 100ms);
      runner.on_poll(items.data(), items.size());
    }
    std::vector<FinishedAttempt> done;
    runner.take_finished(done);
    EXPECT_EQ(done.size(), 1U);
    if (done.empty()) return std::nullopt;
    return done.front().outcome;
  }

  // The fault on `runner`'s next spawn: checks the start's result and that
  // nothing of the attempt is left, then that the next task runs.
  void fail_then_run(TaskRunner& runner, const AttemptPolicy* policy = nullptr) {
    const Fault f = GetParam();
    // One task first: whatever is opened once (the /dev/null of the work
    // area, the pidfd probe) is open before the count, and one private
    // directory waits as a spare.
    auto warm = run(runner, task(1), policy);
    ASSERT_TRUE(warm.has_value());
    ASSERT_EQ(warm->exit_code, 0) << warm->stderr_tail;
    const std::size_t spare = area_.spare();
    ASSERT_GE(spare, 1U);
    const int fds = open_fds();

    spawner_.fail_next(f.error_number);
    const StartResult started =
        policy != nullptr ? runner.start(task(2), *policy) : runner.start(task(2));
    ASSERT_EQ(spawner_.failed, 1);
    EXPECT_FALSE(started.started);
    EXPECT_EQ(started.permanent, f.permanent);
    EXPECT_EQ(started.error.rfind(expected_reason(f.error_number), 0), 0U) << started.error;
    // Held when the spawn was tried, released after.
    EXPECT_TRUE(spawner_.cwd_existed);
    EXPECT_TRUE(spawner_.pipes_open);
    EXPECT_EQ(runner.running(), 0U);
    EXPECT_EQ(area_.spare(), spare);
    EXPECT_EQ(open_fds(), fds) << "the attempt's pipes leaked";
    std::vector<FinishedAttempt> none;
    runner.take_finished(none);
    EXPECT_TRUE(none.empty());

    auto next = run(runner, task(3), policy);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->exit_code, 0) << next->stderr_tail;
    EXPECT_EQ(next->stdout_tail, "ran 3\n");
    EXPECT_EQ(area_.spare(), spare);
    EXPECT_EQ(open_fds(), fds);
  }

  SystemClock clock_;
  boost::filesystem::path root_;
  WorkArea area_;
  TaskEnvironment env_;
  FailingSpawner spawner_;
};

TEST_P(SpawnFaults, RunnerReleasesTheAttemptAndClassifiesTheErrno) {
  TaskRunner runner(clock_, options(), area_, env_, nullptr, nullptr, &spawner_);
  fail_then_run(runner);
}

TEST_P(SpawnFaults, SandboxedRunnerAlsoGivesBackThePoolUid) {
  if (!testing::running_as_root()) GTEST_SKIP() << "needs root to run a task as a pool uid";
  constexpr uid_t kUidBase = 232000;  // away from the worker's default range
  HostCapabilities host = testing::detected_host();
  host.cgroup = CgroupSetup{};  // no cgroup leaves made by a unit test
  std::string why;
  if (!host.uid_switch || !probe_uid_switch(kUidBase + 1, why))
    GTEST_SKIP() << "cannot switch to uid " << kUidBase << ": " << why;
  ::chmod(root_.c_str(), 0711);  // a task uid reaches its directory by name
  Sandbox sandbox(host);
  UidPool uids(kUidBase, 2);
  AttemptPolicy policy;
  policy.sandbox = SandboxPolicy::defaults(true);
  policy.sandbox.cgroup = CgroupLayer{};
  policy.monitor.sample_every = Millis{0};
  TaskRunner runner(clock_, options(), area_, env_, &sandbox, &uids, &spawner_);
  fail_then_run(runner, &policy);
  ASSERT_TRUE(spawner_.uid.has_value()) << "the failed spawn was not given a pool uid";
  EXPECT_GE(*spawner_.uid, kUidBase);
  EXPECT_EQ(uids.in_use(), 0U);
}

INSTANTIATE_TEST_SUITE_P(Errnos, SpawnFaults, ::testing::ValuesIn(kFaults), fault_name);

// The broker's end of the worker socket, reduced to what these tests need.
class FakeBroker {
 public:
  FakeBroker() : socket_(context_, zmq::socket_type::router) {
    frames::apply_common_options(socket_, 1000);
    socket_.set(zmq::sockopt::router_handover, 1);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }

  // The next message but HEARTBEAT, which must be `command`, decoded.
  template <typename T>
  ::testing::AssertionResult expect(std::string_view command, T& out) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return ::testing::AssertionFailure() << "no " << command << " came";
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
      if (!frames::receive_parts(socket_, parts_)) continue;
      frames::Received m;
      if (frames::parse(parts_, true, m)) continue;
      identity_ = m.identity;
      if (m.command == cmd::kHeartbeat) continue;
      if (m.command != command)
        return ::testing::AssertionFailure() << "got " << m.command << ", expected " << command;
      if (auto e = msg::decode_bytes(m.body, out))
        return ::testing::AssertionFailure() << command << " body: " << e->message;
      return ::testing::AssertionSuccess();
    }
  }
  void send(std::string_view command, const std::string& body) {
    ASSERT_TRUE(frames::send_frames(socket_, identity_, command, body));
  }
  void task(std::uint64_t id) {
    msg::TaskAssignment t;
    t.task_id = id;
    t.attempt = 1;
    t.spec.argv = {"echo", "ran"};
    send(cmd::kTask, msg::encode(t));
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::string endpoint_;
  std::string identity_;
  std::vector<zmq::message_t> parts_;
};

class ReactorSpawnFaults : public ::testing::TestWithParam<Fault> {
 protected:
  ReactorSpawnFaults()
      : dir_(boost::filesystem::temp_directory_path() /
             boost::filesystem::unique_path("zfleet-reactor-spawn-%%%%-%%%%")) {
    config_.broker = broker_.endpoint();
    config_.id = "spawn-faults";
    config_.slots = 1;  // a slot the failed attempt kept would refuse the next task
    config_.heartbeat_ms = 10'000;
    config_.drain_timeout_ms = 5000;
    config_.work_dir = (dir_ / "work").string();
    config_.state_file = (dir_ / "worker-state").string();
    config_.sandbox = false;  // the sandbox has its own tests
  }
  ~ReactorSpawnFaults() override {
    stop();
    boost::system::error_code ec;
    boost::filesystem::remove_all(dir_, ec);
  }

  void start() {
    std::promise<pid_t> tid;
    auto started = tid.get_future();
    thread_ = std::thread([this, &tid] {
      // SIGTERM is blocked in this thread only: stop() reaches the reactor.
      SignalSource signals(!ChildProcess::pidfd_supported());
      SystemClock clock;
      try {
        Reactor reactor(config_, clock, signals, HostCapabilities{}, WorkerPolicy(false, false),
                        std::nullopt, make_task_kinds, &spawner_);
        tid.set_value(static_cast<pid_t>(::syscall(SYS_gettid)));
        reactor.run();
      } catch (...) {
        tid.set_exception(std::current_exception());
      }
    });
    tid_ = started.get();
    msg::Ready ready;
    ASSERT_TRUE(broker_.expect(cmd::kReady, ready));
    ASSERT_EQ(ready.credit, 1U);
    broker_.send(cmd::kWelcome, msg::encode(msg::Welcome{10'000}));
  }
  void stop() {
    if (!thread_.joinable()) return;
    ::syscall(SYS_tgkill, ::getpid(), tid_, SIGTERM);
    thread_.join();
  }

  boost::filesystem::path dir_;
  FakeBroker broker_;
  WorkerConfig config_;
  FailingSpawner spawner_;
  std::thread thread_;
  pid_t tid_ = 0;
};

TEST_P(ReactorSpawnFaults, FailedSpawnIsReportedAndFreesTheSlot) {
  const Fault f = GetParam();
  spawner_.fail_next(f.error_number);
  start();
  broker_.task(1);
  msg::Failed failed;
  ASSERT_TRUE(broker_.expect(cmd::kFailed, failed));
  EXPECT_EQ(failed.task_id, 1U);
  EXPECT_EQ(failed.credit, 1U);
  EXPECT_EQ(failed.reason, f.permanent ? "cannot_exec" : "spawn_failed");
  EXPECT_EQ(failed.message.rfind(expected_reason(f.error_number), 0), 0U) << failed.message;
  EXPECT_EQ(spawner_.failed, 1);

  // The only slot is free again: the next task starts and finishes.
  broker_.task(2);
  msg::Started started;
  ASSERT_TRUE(broker_.expect(cmd::kStarted, started));
  EXPECT_EQ(started.task_id, 2U);
  msg::Done done;
  ASSERT_TRUE(broker_.expect(cmd::kDone, done));
  EXPECT_EQ(done.task_id, 2U);
  EXPECT_EQ(done.outcome.exit_code, 0);
  EXPECT_EQ(done.outcome.stdout_tail, "ran\n");
  EXPECT_EQ(done.credit, 1U);
}

INSTANTIATE_TEST_SUITE_P(Errnos, ReactorSpawnFaults, ::testing::ValuesIn(kFaults), fault_name);

}  // namespace
}  // namespace zfleet::worker
