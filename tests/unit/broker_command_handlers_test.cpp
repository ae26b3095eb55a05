// The broker's command tables (broker/command_handlers.hpp): one row per
// command, the writes flag agreeing with what the handlers stage, and
// commands in no row refused as unknown.
#include <gtest/gtest.h>

#include <set>

#include "broker/command_handlers.hpp"
#include "tests/unit/broker_harness.hpp"

namespace zfleet::broker {
namespace {

// Counts what a handler stages for the journal; commit() fails while `full`.
class CountingStore final : public MemoryTaskStore {
 public:
  Task& insert(Task task) override {
    ++writes;
    return MemoryTaskStore::insert(std::move(task));
  }
  void saved(const Task&) override { ++writes; }
  void save_project(const ProjectSettings&) override { ++writes; }
  void commit() override {
    if (full) throw JournalError("journal: commit failed: database or disk is full");
  }
  int writes = 0;
  bool full = false;
};

class CommandTables : public ::testing::Test {
 protected:
  void client(std::string_view command, std::string body) {
    b().on_client({"c1", "zfleet/1", std::string(command), std::move(body)});
    b().prepare_turn();
    b().settle();
  }
  void worker(std::string_view command, std::string body) {
    b().on_worker({"w", "zfleet/1", std::string(command), std::move(body)});
    b().prepare_turn();
    b().settle();
  }
  Broker& b() { return h_.broker(); }
  // Runs `command` and says whether the handler staged a journal write.
  bool stages_a_write(std::string_view command, std::string body) {
    const int before = store_.writes;
    client(command, std::move(body));
    return store_.writes > before;
  }
  std::string submit_body(std::uint64_t req) {
    msg::TaskSpec spec;
    spec.argv = {"/bin/true"};
    return msg::encode(msg::SubmitRequest{req, spec});
  }

  FakeClock clock_;
  CountingStore store_;
  BrokerHarness h_{BrokerSettings{}, store_, clock_};
};

TEST(CommandTable, EveryCommandOfAPeersDirectionHasOneRow) {
  std::set<wire::Command> client;
  for (const auto& row : client_commands()) {
    const auto name = wire::command_name(row.command);
    EXPECT_TRUE(client.insert(row.command).second) << name;
    EXPECT_EQ(wire::direction(row.command), wire::Direction::kClientToBroker) << name;
    EXPECT_NE(row.handle, nullptr) << name;
    EXPECT_EQ(find_client_command(row.command), &row);
  }
  std::set<wire::Command> worker;
  for (const auto& row : worker_commands()) {
    const auto name = wire::command_name(row.command);
    EXPECT_TRUE(worker.insert(row.command).second) << name;
    EXPECT_EQ(wire::direction(row.command), wire::Direction::kWorkerToBroker) << name;
    EXPECT_NE(row.handle, nullptr) << name;
    EXPECT_EQ(find_worker_command(row.command), &row);
  }
  for (const wire::Command c : wire::kAllCommands) {
    const auto d = wire::direction(c);
    EXPECT_EQ(client.count(c), d == wire::Direction::kClientToBroker ? 1U : 0U)
        << wire::command_name(c);
    EXPECT_EQ(worker.count(c), d == wire::Direction::kWorkerToBroker ? 1U : 0U)
        << wire::command_name(c);
  }
  EXPECT_EQ(find_worker_command(wire::Command::Submit), nullptr);
  EXPECT_EQ(find_client_command(wire::Command::Ready), nullptr);
  EXPECT_EQ(find_client_command(wire::Command::Pong), nullptr);
  // READY is what registers a worker, so it alone runs without a record.
  for (const auto& row : worker_commands())
    EXPECT_EQ(row.needs_worker, row.command != wire::Command::Ready)
        << wire::command_name(row.command);
}

TEST(CommandTable, WritesFlagOfRepresentativeCommands) {
  using C = wire::Command;
  for (auto c : {C::Submit, C::Cancel, C::SetLimit, C::SetPolicy, C::DlqRetry, C::DlqPurge})
    EXPECT_TRUE(find_client_command(c)->writes_journal) << wire::command_name(c);
  for (auto c : {C::Status, C::Result, C::Stats, C::Ping, C::DlqList, C::Logs})
    EXPECT_FALSE(find_client_command(c)->writes_journal) << wire::command_name(c);
  EXPECT_TRUE(find_worker_command(C::Done)->writes_journal);
  EXPECT_FALSE(find_worker_command(C::Heartbeat)->writes_journal);
}

TEST_F(CommandTables, WritesFlagMatchesWhatTheHandlersStage) {
  namespace cmd = proto::cmd;
  EXPECT_TRUE(stages_a_write(cmd::kSubmit, submit_body(1)));
  EXPECT_TRUE(find_client_command(wire::Command::Submit)->writes_journal);
  EXPECT_TRUE(stages_a_write(cmd::kSetLimit, msg::encode(msg::SetLimitRequest{2, "p", 3})));
  EXPECT_TRUE(find_client_command(wire::Command::SetLimit)->writes_journal);
  EXPECT_TRUE(stages_a_write(cmd::kCancel, msg::encode(msg::TaskQuery{3, 1})));
  EXPECT_TRUE(find_client_command(wire::Command::Cancel)->writes_journal);
  for (auto c : {cmd::kStats, cmd::kPing, cmd::kWorkers, cmd::kProjects}) {
    EXPECT_FALSE(stages_a_write(c, msg::encode(msg::Request{4}))) << c;
    EXPECT_FALSE(find_client_command(*wire::find_command(c, wire::Direction::kClientToBroker))
                     ->writes_journal)
        << c;
  }
  EXPECT_FALSE(stages_a_write(cmd::kStatus, msg::encode(msg::TaskQuery{5, 1})));
  EXPECT_FALSE(find_client_command(wire::Command::Status)->writes_journal);
}

TEST_F(CommandTables, DegradedJournalRefusesExactlyTheWritingRows) {
  namespace cmd = proto::cmd;
  store_.full = true;
  client(cmd::kSubmit, submit_body(1));  // the failed commit degrades storage
  ASSERT_TRUE(b().storage_degraded());
  h_.take(cmd::kSubmitted);
  client(cmd::kSetLimit, msg::encode(msg::SetLimitRequest{2, "p", 3}));
  auto refused = h_.take_as<msg::ErrorReply>(cmd::kError);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code, ErrorCode::kStorageFull);
  EXPECT_EQ(refused[0].req, 2u);
  client(cmd::kPing, msg::encode(msg::Request{3}));
  EXPECT_EQ(h_.take(cmd::kPong).size(), 1u);
  EXPECT_TRUE(h_.take(cmd::kError).empty());
}

TEST_F(CommandTables, UnknownCommandsAreRefusedAndCounted) {
  client("FROB", msg::encode(msg::Request{9}));
  auto e = h_.take_as<msg::ErrorReply>(proto::cmd::kError);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, ErrorCode::kUnknownCommand);
  EXPECT_EQ(e[0].req, 9u);
  // A reply's name is not a command a client may send.
  client(proto::cmd::kPong, msg::encode(msg::Request{10}));
  EXPECT_EQ(h_.take_as<msg::ErrorReply>(proto::cmd::kError).at(0).code, ErrorCode::kUnknownCommand);
  // A client's command from a worker, before it registered: unknown, not
  // "send READY first".
  worker(proto::cmd::kSubmit, msg::encode(msg::Request{11}));
  auto w = h_.take_as<msg::ErrorReply>(proto::cmd::kError);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].code, ErrorCode::kUnknownCommand);
  EXPECT_EQ(b().stats().unknown_commands, 3u);
}

}  // namespace
}  // namespace zfleet::broker
