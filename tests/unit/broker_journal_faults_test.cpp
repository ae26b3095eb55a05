// The broker on a real SQLite journal whose disk fails on demand (a
// JournalFaultVfs): an fsync EIO or a write ENOSPC in the middle of a group
// commit acknowledges nothing of that turn and loses nothing acknowledged
// before it; a result whose commit fails is held and lands once, after the
// disk recovers. What is durable is read back from the file itself, through
// a second connection on the default VFS. Fake clock, no sockets.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <set>

#include "broker/journal_vfs.hpp"
#include "tests/unit/broker_harness.hpp"

namespace zfleet::broker {
namespace {

class BrokerJournalFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zfleet-journal-faults-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/journal.db";
  }
  void TearDown() override {
    harness_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens (or, after a first call, reopens as after kill -9: no further
  // commit) the journal through the fault VFS.
  void open(Journal::Sync sync) {
    harness_.reset();
    store_.reset();
    store_ = std::make_unique<JournalTaskStore>(path_, sync, vfs_.name());
    BrokerSettings s;
    s.rng_seed = 5;
    harness_ = std::make_unique<BrokerHarness>(s, *store_, clock_);
  }

  Broker& b() { return harness_->broker(); }
  BrokerHarness& h() { return *harness_; }

  // One loop turn as the reactor runs it (settle(), unlike the harness's
  // before_sleep(), never throws on a refused commit).
  void turn() {
    b().prepare_turn();
    b().settle();
  }
  void receive_submit(std::uint64_t req) {
    msg::TaskSpec spec;
    spec.argv = {"/bin/true"};
    b().on_client({"c1", "zfleet/1", std::string(proto::cmd::kSubmit),
                   msg::encode(msg::SubmitRequest{req, spec})});
  }
  void client(std::string_view command, std::string body) {
    b().on_client({"c1", "zfleet/1", std::string(command), std::move(body)});
    turn();
  }
  void worker(std::string_view command, std::string body) {
    b().on_worker({"w", "zfleet/1", std::string(command), std::move(body)});
    turn();
  }
  void ready(std::uint32_t slots) {
    msg::Ready r;
    r.worker_id = "w";
    r.slots = slots;
    r.credit = slots;
    worker(proto::cmd::kReady, msg::encode(r));
  }
  void done(const msg::TaskAssignment& a) {
    msg::Done d;
    d.task_id = a.task_id;
    d.attempt = a.attempt;
    d.outcome.exit_code = 0;
    worker(proto::cmd::kDone, msg::encode(d));
  }
  void tick(Millis by) {
    clock_.advance(by);
    b().on_timer();
    turn();
  }
  msg::TaskView status(std::uint64_t id) {
    client(proto::cmd::kStatus, msg::encode(msg::TaskQuery{++req_, id, 0}));
    auto r = h().take_as<msg::TaskReply>(proto::cmd::kStatusReply);
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? msg::TaskView{} : r[0].task;
  }

  // The tasks the journal file holds, by id, as a new connection reads them.
  std::map<std::uint64_t, msg::TaskState> durable() {
    std::map<std::uint64_t, msg::TaskState> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT id, state FROM tasks", -1, &s, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      out[static_cast<std::uint64_t>(sqlite3_column_int64(s, 0))] =
          static_cast<msg::TaskState>(sqlite3_column_int(s, 1));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  // A group commit of three SUBMITs meets `op` failing with `error`.
  void group_commit_fails(Journal::Sync sync, DiskOp op, DiskError error, std::uint32_t after,
                          const std::string& why);

  // Declared first: it outlives the journal opened through it.
  JournalFaultVfs vfs_;
  std::string dir_;
  std::string path_;
  FakeClock clock_;
  std::unique_ptr<JournalTaskStore> store_;
  std::unique_ptr<BrokerHarness> harness_;
  std::uint64_t req_ = 100;
};

void BrokerJournalFaults::group_commit_fails(Journal::Sync sync, DiskOp op, DiskError error,
                                             std::uint32_t after, const std::string& why) {
  open(sync);
  receive_submit(1);
  turn();
  auto first = h().take_as<msg::SubmittedReply>(proto::cmd::kSubmitted);
  ASSERT_EQ(first.size(), 1u);
  const std::uint64_t acked = first[0].id;
  ASSERT_EQ(durable().count(acked), 1u);

  // Three SUBMITs in one turn: one transaction, and it fails.
  vfs_.arm(op, error, after);
  receive_submit(2);
  receive_submit(3);
  receive_submit(4);
  turn();
  EXPECT_GT(vfs_.injected(), 0u) << "the fault was never reached";
  EXPECT_TRUE(b().storage_degraded());
  EXPECT_TRUE(h().take(proto::cmd::kSubmitted).empty()) << "acknowledged what is not durable";
  EXPECT_TRUE(h().take(proto::cmd::kError).empty());
  EXPECT_EQ(durable(), (std::map<std::uint64_t, msg::TaskState>{{acked, msg::TaskState::kQueued}}));

  // While the disk fails, a change is refused with a catalogued error that
  // says why, and reads are answered at once.
  receive_submit(5);
  turn();
  auto refused = h().take_as<msg::ErrorReply>(proto::cmd::kError);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code, ErrorCode::kStorageFull);
  EXPECT_EQ(refused[0].req, 5u);
  EXPECT_NE(refused[0].message.find(path_), std::string::npos) << refused[0].message;
  EXPECT_NE(refused[0].message.find(why), std::string::npos) << refused[0].message;
  EXPECT_EQ(status(acked).state, msg::TaskState::kQueued);
  tick(Millis{150});  // a retry, still refused
  EXPECT_TRUE(b().storage_degraded());
  EXPECT_TRUE(h().take(proto::cmd::kSubmitted).empty());

  // The disk recovers: the held acknowledgements leave once their tasks are
  // in the file; new submissions are acknowledged as usual.
  vfs_.clear();
  tick(Millis{500});
  EXPECT_FALSE(b().storage_degraded());
  auto late = h().take_as<msg::SubmittedReply>(proto::cmd::kSubmitted);
  ASSERT_EQ(late.size(), 3u);
  std::set<std::uint64_t> ids{acked};
  for (std::size_t i = 0; i < late.size(); ++i) {
    EXPECT_EQ(late[i].req, 2 + i);
    ids.insert(late[i].id);
  }
  receive_submit(6);
  turn();
  auto after_recovery = h().take_as<msg::SubmittedReply>(proto::cmd::kSubmitted);
  ASSERT_EQ(after_recovery.size(), 1u);
  ids.insert(after_recovery[0].id);
  ASSERT_EQ(ids.size(), 5u);
  const auto stored = durable();
  for (auto id : ids)
    EXPECT_EQ(stored.count(id), 1u) << "task " << id << " acknowledged but not in the journal";
  EXPECT_EQ(stored.size(), 5u);  // the refused fifth was never created

  // Every acknowledged task runs exactly once.
  ready(8);
  auto tasks = h().take_as<msg::TaskAssignment>(proto::cmd::kTask);
  std::multiset<std::uint64_t> ran;
  for (const auto& t : tasks) {
    ran.insert(t.task_id);
    done(t);
  }
  EXPECT_EQ(ran, std::multiset<std::uint64_t>(ids.begin(), ids.end()));
  tick(Millis{1000});
  EXPECT_TRUE(h().take(proto::cmd::kTask).empty());
  for (const auto& [id, state] : durable())
    EXPECT_EQ(state, msg::TaskState::kSucceeded) << "task " << id;

  // And after a restart nothing runs again.
  open(sync);
  ready(8);
  EXPECT_TRUE(h().take(proto::cmd::kTask).empty());
}

TEST_F(BrokerJournalFaults, FsyncEioInAGroupCommitAcknowledgesNoneOfItsSubmits) {
  // --durability full: the commit's fsync of the WAL is where it fails.
  group_commit_fails(Journal::Sync::kFull, DiskOp::kSync, DiskError::kIo, 0, "disk I/O error");
}

TEST_F(BrokerJournalFaults, WriteEnospcInAGroupCommitAcknowledgesNoneOfItsSubmits) {
  // --durability normal (no fsync per commit); the first WAL write of the
  // commit goes through, the next finds the disk full: a torn commit.
  group_commit_fails(Journal::Sync::kNormal, DiskOp::kWrite, DiskError::kFull, 1,
                     "database or disk is full");
}

TEST_F(BrokerJournalFaults, ResultCommittedDuringAFaultIsHeldAndLandsOnceAfterIt) {
  open(Journal::Sync::kFull);
  receive_submit(1);
  turn();
  auto acks = h().take_as<msg::SubmittedReply>(proto::cmd::kSubmitted);
  ASSERT_EQ(acks.size(), 1u);
  const std::uint64_t id = acks[0].id;
  ready(1);
  auto first = h().take_as<msg::TaskAssignment>(proto::cmd::kTask);
  ASSERT_EQ(first.size(), 1u);
  // A client waits for the result (RESULT with wait_ms).
  client(proto::cmd::kResult, msg::encode(msg::TaskQuery{++req_, id, 60'000}));
  const std::uint64_t waiting = req_;
  EXPECT_TRUE(h().take(proto::cmd::kResultReply).empty());

  vfs_.arm(DiskOp::kSync, DiskError::kIo);
  done(first[0]);
  EXPECT_GT(vfs_.injected(), 0u);
  EXPECT_TRUE(b().storage_degraded());
  // The waiter does not hear of a result the journal does not hold.
  EXPECT_TRUE(h().take(proto::cmd::kResultReply).empty()) << "a result left before it was durable";
  EXPECT_EQ(durable().at(id), msg::TaskState::kRunning);
  // The worker sends the same DONE again: nothing changes twice.
  done(first[0]);
  tick(Millis{150});
  EXPECT_TRUE(b().storage_degraded());
  EXPECT_TRUE(h().take(proto::cmd::kResultReply).empty());
  EXPECT_TRUE(h().take(proto::cmd::kTask).empty());

  vfs_.clear();
  tick(Millis{500});
  EXPECT_FALSE(b().storage_degraded());
  auto results = h().take_as<msg::TaskReply>(proto::cmd::kResultReply);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].req, waiting);
  EXPECT_EQ(results[0].task.state, msg::TaskState::kSucceeded);
  ASSERT_TRUE(results[0].task.outcome.has_value());
  EXPECT_EQ(results[0].task.outcome->exit_code, 0);
  EXPECT_EQ(durable().at(id), msg::TaskState::kSucceeded);
  EXPECT_EQ(status(id).attempts, 1u);
  ready(1);
  EXPECT_TRUE(h().take(proto::cmd::kTask).empty()) << "the task ran twice";

  // A restart reads the result back and runs nothing again.
  open(Journal::Sync::kFull);
  EXPECT_EQ(status(id).state, msg::TaskState::kSucceeded);
  ready(1);
  EXPECT_TRUE(h().take(proto::cmd::kTask).empty());
}

}  // namespace
}  // namespace zfleet::broker
