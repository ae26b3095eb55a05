// Unit tests of the wire command table (common/wire/commands.hpp and
// bodies.hpp): names are unique per direction, lookup round-trips and is
// exact, every golden vector's (command, direction) is a row, and
// decode_and_visit decodes into the row's body type.
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include "common/messages.hpp"
#include "common/protocol.hpp"
#include "common/wire/bodies.hpp"
#include "common/wire/commands.hpp"
#include "schemas/tools/message_table.hpp"
#include "schemas/tools/msgpack_json.hpp"

namespace zfleet {
namespace {

using wire::Command;
using wire::Direction;

static_assert(std::is_same_v<wire::BodyOf_t<Command::Submit>, msg::SubmitRequest>);
static_assert(std::is_same_v<wire::BodyOf_t<Command::Drain>, msg::Empty>);
static_assert(std::is_same_v<wire::BodyOf_t<Command::CancelToWorker>, msg::CancelAttempt>);
static_assert(wire::command_name(Command::HeartbeatToWorker) == proto::cmd::kHeartbeat);
static_assert(wire::find_command("PING", Direction::kClientToBroker) == Command::Ping);

TEST(CommandTable, NamesAreUniquePerDirection) {
  std::set<std::pair<std::string_view, Direction>> seen;
  for (const Command c : wire::kAllCommands) {
    EXPECT_TRUE(seen.emplace(wire::command_name(c), wire::direction(c)).second)
        << wire::command_name(c) << " twice in one direction";
  }
  EXPECT_EQ(seen.size(), wire::kCommandCount);
}

TEST(CommandTable, FindAndNameRoundTripForEveryRow) {
  for (const Command c : wire::kAllCommands) {
    const auto name = wire::command_name(c);
    EXPECT_FALSE(name.empty());
    EXPECT_LE(name.size(), proto::kMaxCommandBytes);
    EXPECT_EQ(wire::find_command(name, wire::direction(c)), c) << name;
  }
}

TEST(CommandTable, EveryRowHasSenders) {
  for (const Command c : wire::kAllCommands) {
    EXPECT_NE(wire::senders(c), wire::Roles::kNone) << wire::command_name(c);
  }
  EXPECT_TRUE(wire::has_any(wire::senders(Command::Submit), wire::Roles::kProducer));
  EXPECT_FALSE(wire::has_any(wire::senders(Command::Submit), wire::Roles::kObserver));
  EXPECT_TRUE(wire::has_any(wire::senders(Command::Stats), wire::Roles::kObserver));
  EXPECT_EQ(wire::senders(Command::SetPolicy), wire::Roles::kAdmin);
  EXPECT_EQ(wire::senders(Command::Ready), wire::Roles::kWorker);
  EXPECT_EQ(wire::senders(Command::Ok), wire::Roles::kBroker);
  EXPECT_EQ(wire::senders(Command::CancelToWorker), wire::Roles::kBroker);
}

TEST(CommandTable, SharedNamesAreDistinctCommandsPerDirection) {
  EXPECT_EQ(wire::find_command("CANCEL", Direction::kClientToBroker), Command::Cancel);
  EXPECT_EQ(wire::find_command("CANCEL", Direction::kBrokerToWorker), Command::CancelToWorker);
  EXPECT_EQ(wire::find_command("HEARTBEAT", Direction::kWorkerToBroker), Command::Heartbeat);
  EXPECT_EQ(wire::find_command("HEARTBEAT", Direction::kBrokerToWorker),
            Command::HeartbeatToWorker);
  EXPECT_FALSE(wire::find_command("HEARTBEAT", Direction::kClientToBroker));
  EXPECT_FALSE(wire::find_command("SUBMIT", Direction::kWorkerToBroker));
}

TEST(CommandTable, UnknownNameIsNotFound) {
  for (const auto dir : {Direction::kClientToBroker, Direction::kBrokerToClient,
                         Direction::kWorkerToBroker, Direction::kBrokerToWorker}) {
    EXPECT_FALSE(wire::find_command("FOO", dir));
    EXPECT_FALSE(wire::find_command("", dir));
  }
}

TEST(CommandTable, LookupIsCaseSensitiveAndExact) {
  EXPECT_FALSE(wire::find_command("submit", Direction::kClientToBroker));
  EXPECT_FALSE(wire::find_command("Submit", Direction::kClientToBroker));
  EXPECT_FALSE(wire::find_command("SUBMIT ", Direction::kClientToBroker));
  EXPECT_FALSE(wire::find_command("SUBMI", Direction::kClientToBroker));
  EXPECT_TRUE(wire::find_command("SUBMIT", Direction::kClientToBroker));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CommandTable, EveryGoldenVectorIsARow) {
  const auto all =
      vectors::Json::parse(read_text(std::string(ZFLEET_SOURCE_DIR) + "/schemas/vectors/v1.json"));
  ASSERT_FALSE(all.empty());
  std::set<Command> covered;
  for (const auto& v : all) {
    SCOPED_TRACE(v.at("name").get<std::string>());
    const auto dir = vectors::find_direction(v.at("direction").get<std::string>());
    ASSERT_TRUE(dir.has_value());
    const auto found = wire::find_command(v.at("command").get<std::string>(), *dir);
    ASSERT_TRUE(found.has_value());
    covered.insert(*found);
  }
  // And the other way: no row is without a vector.
  EXPECT_EQ(covered.size(), wire::kCommandCount);
}

template <typename Expected>
void expect_visits_as(Command command, const std::string& bytes) {
  int calls = 0;
  const auto error = wire::decode_and_visit(command, bytes, [&](auto& body) {
    EXPECT_TRUE((std::is_same_v<std::decay_t<decltype(body)>, Expected>))
        << wire::command_name(command);
    ++calls;
  });
  EXPECT_FALSE(error) << error->message;
  EXPECT_EQ(calls, 1);
}

TEST(CommandTable, DecodeAndVisitPicksTheRowsType) {
  msg::TaskQuery query;
  query.req = 7;
  query.id = 42;
  expect_visits_as<msg::TaskQuery>(Command::Status, msg::encode(query));
  expect_visits_as<msg::TaskQuery>(Command::Cancel, msg::encode(query));

  msg::Request ping;
  ping.req = 3;
  expect_visits_as<msg::Request>(Command::Ping, msg::encode(ping));

  expect_visits_as<msg::Empty>(Command::Drain, msg::encode_empty());

  std::uint64_t seen_req = 0;
  EXPECT_FALSE(wire::decode_and_visit(Command::Status, msg::encode(query), [&](auto& body) {
    if constexpr (std::is_same_v<std::decay_t<decltype(body)>, msg::TaskQuery>) {
      seen_req = body.req;
    }
  }));
  EXPECT_EQ(seen_req, 7U);
}

TEST(CommandTable, DecodeAndVisitReportsAnErrorWithoutVisiting) {
  int calls = 0;
  const auto error =
      wire::decode_and_visit(Command::Submit, std::string("\xc1", 1), [&](auto&) { ++calls; });
  EXPECT_TRUE(error.has_value());
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace zfleet
