// A journal that refuses writes (disk full, I/O error): the broker stays up,
// refuses changes with STORAGE_FULL, answers reads, holds what depends on the
// failed commits and sends it, in order, once a commit succeeds. Fake clock,
// and a store whose commit fails on demand.
#include <gtest/gtest.h>

#include "tests/unit/broker_harness.hpp"

namespace zfleet::broker {
namespace {

// Records what was committed; commit() throws while `full` is set, keeping
// what is staged (like JournalTaskStore).
class FillableStore final : public MemoryTaskStore {
 public:
  void saved(const Task& task) override { staged_.push_back(task.id); }
  Task& insert(Task task) override {
    Task& t = MemoryTaskStore::insert(std::move(task));
    staged_.push_back(t.id);
    return t;
  }
  void commit() override {
    ++commits_tried;
    if (full)
      throw JournalError("journal /data/journal.db: commit failed: database or disk is full");
    for (auto id : staged_)
      if (const Task* t = find(id)) durable[id] = t->state;
    staged_.clear();
  }
  std::string location() const override { return "/data/journal.db"; }

  bool full = false;
  int commits_tried = 0;
  std::map<std::uint64_t, msg::TaskState> durable;

 private:
  std::vector<std::uint64_t> staged_;
};

class BrokerStorage : public ::testing::Test {
 protected:
  // One loop turn as the reactor runs it.
  void turn() {
    b().prepare_turn();
    b().settle();
  }
  void client(std::string_view command, std::string body) {
    b().on_client({"c1", "zfleet/1", std::string(command), std::move(body)});
    turn();
  }
  void worker(std::string_view command, std::string body) {
    b().on_worker({"w", "zfleet/1", std::string(command), std::move(body)});
    turn();
  }
  void tick(Millis by) {
    clock_.advance(by);
    b().on_timer();
    turn();
  }
  Broker& b() { return h_.broker(); }
  std::uint64_t submit_req(std::uint64_t req) {
    msg::TaskSpec spec;
    spec.argv = {"/bin/true"};
    client(proto::cmd::kSubmit, msg::encode(msg::SubmitRequest{req, spec}));
    return req;
  }

  FakeClock clock_;
  FillableStore store_;
  BrokerHarness h_{BrokerSettings{}, store_, clock_};
};

TEST_F(BrokerStorage, FullDiskHoldsAcksRefusesChangesAnswersReadsAndResumesWithoutLoss) {
  msg::Ready r;
  r.worker_id = "w";
  r.slots = 1;
  r.credit = 1;
  worker(proto::cmd::kReady, msg::encode(r));
  submit_req(1);
  auto first = h_.take_as<msg::TaskAssignment>(proto::cmd::kTask);
  ASSERT_EQ(first.size(), 1u);
  h_.take(proto::cmd::kSubmitted);

  store_.full = true;
  submit_req(2);  // accepted in memory; its commit fails: the ack is held
  EXPECT_TRUE(b().storage_degraded());
  EXPECT_TRUE(h_.take(proto::cmd::kSubmitted).empty());

  // A change is refused with a catalogued error naming the journal.
  submit_req(3);
  auto refused = h_.take_as<msg::ErrorReply>(proto::cmd::kError);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code, ErrorCode::kStorageFull);
  EXPECT_EQ(refused[0].req, 3u);
  EXPECT_NE(refused[0].message.find("/data/journal.db"), std::string::npos);
  EXPECT_NE(refused[0].message.find("disk is full"), std::string::npos);

  // Reads still answer, at once.
  client(proto::cmd::kStats, msg::encode(msg::Request{4}));
  auto stats = h_.take_as<msg::StatsReply>(proto::cmd::kStatsReply);
  ASSERT_EQ(stats.size(), 1u);
  auto counter = [&](const std::string& name) {
    for (const auto& [k, v] : stats[0].stats)
      if (k == name) return v;
    return std::uint64_t{999};
  };
  EXPECT_EQ(counter("storage_degraded"), 1u);
  EXPECT_EQ(counter("submits_refused_storage"), 1u);

  // The running task finishes; its result is kept in memory, nothing is
  // dispatched (an attempt number must be journaled first).
  msg::Done d;
  d.task_id = first[0].task_id;
  d.attempt = first[0].attempt;
  d.credit = 1;
  d.outcome.exit_code = 0;
  worker(proto::cmd::kDone, msg::encode(d));
  EXPECT_TRUE(h_.take(proto::cmd::kTask).empty());

  // Retries back off: no commit attempt before the first retry is due.
  const int tried = store_.commits_tried;
  tick(Millis{50});
  EXPECT_EQ(store_.commits_tried, tried);
  tick(Millis{60});
  EXPECT_EQ(store_.commits_tried, tried + 1);

  // Space returns: the held ack leaves, everything is durable, and the
  // second task is dispatched once.
  store_.full = false;
  tick(Millis{1000});
  EXPECT_FALSE(b().storage_degraded());
  auto acks = h_.take_as<msg::SubmittedReply>(proto::cmd::kSubmitted);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].req, 2u);
  EXPECT_EQ(store_.durable.at(first[0].task_id), msg::TaskState::kSucceeded);
  EXPECT_EQ(store_.durable.count(acks[0].id), 1u);
  auto second = h_.take_as<msg::TaskAssignment>(proto::cmd::kTask);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].task_id, acks[0].id);
  EXPECT_EQ(store_.durable.size(), 2u);  // the refused third was never created
}

}  // namespace
}  // namespace zfleet::broker
