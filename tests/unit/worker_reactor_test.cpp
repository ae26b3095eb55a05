// The worker's reactor against a fake broker (a ROUTER socket in the test) on
// loopback: noop tasks, CANCEL of a running attempt, of an unknown one and
// of a result not yet delivered, and the state file following the children.
// The reactor runs in its own thread with its own signal mask; it is stopped
// with a SIGTERM aimed at that thread. Every wait is bounded.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>
#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/frames.hpp"
#include "common/messages.hpp"
#include "tests/support/eventually.hpp"
#include "tests/unit/fake_executor.hpp"
#include "worker/core/reactor.hpp"
#include "worker/core/signal_source.hpp"
#include "worker/core/state_file.hpp"
#include "worker/sandbox/child_process.hpp"
#include "worker/task_kinds.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;
namespace cmd = proto::cmd;

class FakeBroker {
 public:
  FakeBroker() : socket_(context_, zmq::socket_type::router) {
    frames::apply_common_options(socket_, 1000);
    socket_.set(zmq::sockopt::router_handover, 1);  // the worker reconnects with its id
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }

  // The next message other than HEARTBEAT, or nullopt after `limit`.
  std::optional<frames::Received> next(std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return std::nullopt;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
      if (!frames::receive_parts(socket_, parts_)) continue;
      frames::Received m;
      if (frames::parse(parts_, true, m)) continue;
      identity_ = m.identity;
      if (m.command != cmd::kHeartbeat) return m;
    }
  }

  // The next message, which must be `command`; its body decoded into `out`.
  template <typename T>
  ::testing::AssertionResult expect(std::string_view command, T& out) {
    auto m = next();
    if (!m) return ::testing::AssertionFailure() << "nothing arrived; expected " << command;
    if (m->command != command) {
      return ::testing::AssertionFailure() << "got " << m->command << ", expected " << command;
    }
    if (auto e = msg::decode_bytes(m->body, out)) {
      return ::testing::AssertionFailure() << command << " body: " << e->message;
    }
    return ::testing::AssertionSuccess();
  }

  void send(std::string_view command, const std::string& body) {
    ASSERT_TRUE(frames::send_frames(socket_, identity_, command, body));
  }

  void welcome() { send(cmd::kWelcome, msg::encode(msg::Welcome{10'000})); }

  void task(std::uint64_t id, std::vector<std::string> argv, std::string type = "shell") {
    msg::TaskAssignment t;
    t.task_id = id;
    t.attempt = 1;
    t.spec.type = std::move(type);
    t.spec.argv = std::move(argv);
    send(cmd::kTask, msg::encode(t));
  }

  void cancel(std::uint64_t id, std::uint32_t attempt) {
    send(cmd::kCancel, msg::encode(msg::CancelAttempt{id, attempt, "test"}));
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::string endpoint_;
  std::string identity_;
  std::vector<zmq::message_t> parts_;
};

class ReactorTest : public ::testing::Test {
 protected:
  ReactorTest()
      : dir_(boost::filesystem::temp_directory_path() /
             boost::filesystem::unique_path("zfleet-reactor-test-%%%%-%%%%")) {
    config_.broker = broker_.endpoint();
    config_.id = "reactor-test";
    config_.slots = 2;
    config_.heartbeat_ms = 10'000;
    config_.grace_ms = 5000;
    config_.drain_timeout_ms = 5000;
    config_.work_dir = (dir_ / "work").string();
    config_.state_file = (dir_ / "worker-state").string();
  }

  ~ReactorTest() override {
    stop();
    boost::system::error_code ec;
    boost::filesystem::remove_all(dir_, ec);
  }

  // Starts the reactor and answers its READY; returns the READY.
  msg::Ready start(bool welcome = true) {
    std::promise<pid_t> tid;
    auto started = tid.get_future();
    thread_ = std::thread([this, &tid] {
      // Blocks SIGTERM in this thread only, so the signal below reaches the
      // reactor's signalfd and nothing else in the test process.
      SignalSource signals(!ChildProcess::pidfd_supported());
      SystemClock clock;
      try {
        // The sandbox is covered by its own tests; this one is about the loop.
        config_.sandbox = false;
        Reactor reactor(config_, clock, signals, HostCapabilities{}, WorkerPolicy(false, false),
                        std::nullopt, kinds_);
        tid.set_value(static_cast<pid_t>(::syscall(SYS_gettid)));
        exit_code_ = reactor.run();
      } catch (...) {
        tid.set_exception(std::current_exception());
      }
    });
    tid_ = started.get();
    msg::Ready ready;
    EXPECT_TRUE(broker_.expect(cmd::kReady, ready));
    if (welcome) broker_.welcome();
    return ready;
  }

  void stop() {
    if (!thread_.joinable()) return;
    ::syscall(SYS_tgkill, ::getpid(), tid_, SIGTERM);
    thread_.join();
  }

  std::vector<ChildRecord> state_file_records() {
    std::ifstream in(config_.state_file);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<ChildRecord> records;
    std::string error;
    parse_state(text.str(), records, error);
    return records;
  }

  bool eventually(const std::function<bool()>& done) {
    return test_support::eventually(done, 5s, 5ms);
  }

  boost::filesystem::path dir_;
  FakeBroker broker_;
  WorkerConfig config_;
  ExecutorFactory kinds_ = make_task_kinds;  // the daemon's, unless a test swaps it
  std::thread thread_;
  pid_t tid_ = 0;
  std::atomic<int> exit_code_{-1};
};

// Every attempt ends at once with exit code 7, without a child.
class InstantKinds final : public ExecutorSet {
 public:
  InstantKinds() {
    executor_.finish_exit = 7;
    registry_.add("shell", executor_);
  }

 private:
  FakeExecutor executor_;
};

// The core names no kind: whatever the factory registers is advertised in
// READY and gets the tasks of its kind, and its outcome goes back as DONE.
TEST_F(ReactorTest, TasksGoToTheExecutorTheFactoryRegistered) {
  kinds_ = [](const ExecutorContext&) { return std::make_unique<InstantKinds>(); };
  const msg::Ready ready = start();
  EXPECT_EQ(ready.task_types, (std::vector<std::string>{"shell", "noop"}));  // noop: the core's own
  broker_.task(5, {"/bin/false"});
  msg::Started started;
  ASSERT_TRUE(broker_.expect(cmd::kStarted, started));
  EXPECT_EQ(started.pid, 4242U);
  msg::Done done;
  ASSERT_TRUE(broker_.expect(cmd::kDone, done));
  EXPECT_EQ(done.task_id, 5U);
  EXPECT_EQ(done.outcome.exit_code, 7);  // /bin/false would have said 1
  EXPECT_TRUE(boost::filesystem::is_empty(config_.work_dir));
  stop();
  EXPECT_EQ(exit_code_, 0);
}

TEST_F(ReactorTest, NoopIsDoneAtOnceWithoutStartedOrChild) {
  start();
  broker_.task(1, {}, "noop");
  msg::Done done;
  ASSERT_TRUE(broker_.expect(cmd::kDone, done));  // no STARTED before it
  EXPECT_EQ(done.task_id, 1U);
  EXPECT_EQ(done.attempt, 1U);
  EXPECT_EQ(done.credit, 1U);
  EXPECT_EQ(done.outcome.exit_code, 0);
  EXPECT_FALSE(done.outcome.cancelled);
  EXPECT_TRUE(done.outcome.stdout_tail.empty());
  EXPECT_GT(done.outcome.started_at_ms, 0);
  EXPECT_EQ(done.outcome.started_at_ms, done.outcome.finished_at_ms);
  // No private directory was made for it.
  EXPECT_TRUE(boost::filesystem::is_empty(config_.work_dir));
  stop();
  EXPECT_EQ(exit_code_, 0);
}

TEST_F(ReactorTest, CancelStopsARunningTaskAndReportsItCancelled) {
  start();
  broker_.task(7, {"sleep", "100"});
  msg::Started started;
  ASSERT_TRUE(broker_.expect(cmd::kStarted, started));
  // Recorded for a next life before long (once per loop turn).
  ASSERT_TRUE(eventually([&] {
    auto r = state_file_records();
    return r.size() == 1 && r[0].pid == static_cast<pid_t>(started.pid) && r[0].task_id == 7;
  }));
  broker_.cancel(7, 1);
  msg::Done done;
  ASSERT_TRUE(broker_.expect(cmd::kDone, done));
  EXPECT_EQ(done.task_id, 7U);
  EXPECT_EQ(done.credit, 1U);
  EXPECT_TRUE(done.outcome.cancelled);
  EXPECT_FALSE(done.outcome.timed_out);
  EXPECT_EQ(done.outcome.signal, SIGTERM);
  EXPECT_TRUE(eventually([&] { return state_file_records().empty(); }));
  stop();
  // A clean exit leaves no state file behind.
  EXPECT_FALSE(boost::filesystem::exists(config_.state_file));
}

TEST_F(ReactorTest, CancelForAnAttemptNotHeldIsIgnored) {
  start();
  broker_.cancel(99, 1);
  broker_.task(2, {}, "noop");
  msg::Done done;
  ASSERT_TRUE(broker_.expect(cmd::kDone, done));  // nothing answered the CANCEL
  EXPECT_EQ(done.task_id, 2U);
}

TEST_F(ReactorTest, CancelOfAnUndeliveredResultHandsTheAttemptBackWithoutIt) {
  start(false);  // registering: results wait in the outbox until WELCOME
  broker_.task(3, {}, "noop");
  // The worker registers again (after its backoff); READY lists the result.
  broker_.send(cmd::kDisconnect, msg::encode(msg::Disconnect{"test"}));
  msg::Ready ready;
  ASSERT_TRUE(broker_.expect(cmd::kReady, ready));
  ASSERT_EQ(ready.running.size(), 1U);
  EXPECT_EQ(ready.running[0].task_id, 3U);
  EXPECT_EQ(ready.credit, 1U);  // the held result still occupies its slot
  // That attempt is no longer current: the broker says drop it.
  broker_.cancel(3, 1);
  broker_.welcome();
  msg::Reject reject;
  ASSERT_TRUE(broker_.expect(cmd::kReject, reject));  // not the DONE
  EXPECT_EQ(reject.task_id, 3U);
  EXPECT_EQ(reject.reason, "cancelled");
  EXPECT_EQ(reject.credit, 1U);
  // Nothing else follows: the next message answers the next task.
  broker_.task(4, {}, "noop");
  msg::Done done;
  ASSERT_TRUE(broker_.expect(cmd::kDone, done));
  EXPECT_EQ(done.task_id, 4U);
}

TEST_F(ReactorTest, ASecondWorkerOnTheSameStateFileRefusesToStart) {
  start();
  EXPECT_THROW(StateFile{config_.state_file}, std::runtime_error);
}

}  // namespace
}  // namespace zfleet::worker
