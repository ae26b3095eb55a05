// The wire's command table: every (command, direction) pair the protocol
// has, once, with its body type and the roles that may send it. Everything
// else about commands is derived from this one list: the proto::cmd::k*
// name constants, `enum class Command`, name lookup both ways, the
// direction and senders of a command, and (common/wire/bodies.hpp) the
// body-type trait and a decode-and-dispatch. It is an X-macro, not a
// generated file, so there is no generator step to keep current and the
// compiler sees every expansion: a row cannot drift from its constant.
//
// Invariants (checked in tests/unit/command_table_test.cpp): a wire name is
// unique per direction; a name shared by several directions is introduced
// once (ZFLEET_WIRE_NAME) and its other directions reuse its constant
// (ZFLEET_WIRE_ALSO), so every name is spelt in exactly one place. Lookup is
// exact and case-sensitive, as the protocol is (PROTOCOL.md §2.3).
//
// This header depends on nothing of zfleet: common/protocol.hpp includes it
// for the constants, and the body types in the table are only tokens here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace zfleet::wire {

enum class Direction : std::uint8_t {
  kClientToBroker,
  kBrokerToClient,
  kWorkerToBroker,
  kBrokerToWorker,
};

// Who may send a command. A placeholder for the authorisation that
// CurveZMQ identities will carry; nothing enforces it yet.
enum class Roles : std::uint8_t {
  kNone = 0,
  kProducer = 1U << 0,
  kObserver = 1U << 1,
  kAdmin = 1U << 2,
  kWorker = 1U << 3,
  kBroker = 1U << 4,  // replies and broker -> worker commands
};

constexpr Roles operator|(Roles a, Roles b) {
  return static_cast<Roles>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr Roles operator&(Roles a, Roles b) {
  return static_cast<Roles>(static_cast<std::uint8_t>(a) & static_cast<std::uint8_t>(b));
}
constexpr bool has_any(Roles set, Roles wanted) {
  return (set & wanted) != Roles::kNone;
}

// Role sets the table uses; named so a row reads as a policy, not bit soup.
namespace roles {
inline constexpr Roles kProducers = Roles::kProducer | Roles::kAdmin;
inline constexpr Roles kObservers = Roles::kObserver | Roles::kProducer | Roles::kAdmin;
inline constexpr Roles kAdmins = Roles::kAdmin;
inline constexpr Roles kWorkers = Roles::kWorker;
inline constexpr Roles kBroker = Roles::kBroker;
}  // namespace roles

}  // namespace zfleet::wire

// The table. NAME(id, constant, "WIRE NAME", direction, body, senders)
// introduces a wire name; ALSO(id, constant, direction, body, senders) is the
// same name in another direction. `id` names the Command enumerator,
// `direction` a Direction enumerator, `body` a type of common/messages.hpp
// (msg::Empty: no fields) and `senders` a wire::roles set.
// clang-format off
#define ZFLEET_WIRE_COMMANDS(NAME, ALSO)                                                          \
  /* client -> broker */                                                                          \
  NAME(Submit, kSubmit, "SUBMIT", kClientToBroker, msg::SubmitRequest, kProducers)                \
  NAME(Status, kStatus, "STATUS", kClientToBroker, msg::TaskQuery, kProducers)                    \
  NAME(Result, kResult, "RESULT", kClientToBroker, msg::TaskQuery, kProducers)                    \
  NAME(Stats, kStats, "STATS", kClientToBroker, msg::Request, kObservers)                         \
  NAME(Workers, kWorkers, "WORKERS", kClientToBroker, msg::Request, kObservers)                   \
  NAME(Projects, kProjects, "PROJECTS", kClientToBroker, msg::Request, kObservers)                \
  NAME(SetLimit, kSetLimit, "SET_LIMIT", kClientToBroker, msg::SetLimitRequest, kAdmins)          \
  NAME(Ping, kPing, "PING", kClientToBroker, msg::Request, kObservers)                            \
  NAME(Cancel, kCancel, "CANCEL", kClientToBroker, msg::TaskQuery, kProducers)                    \
  NAME(DlqList, kDlqList, "DLQ_LIST", kClientToBroker, msg::DlqListRequest, kObservers)           \
  NAME(DlqRetry, kDlqRetry, "DLQ_RETRY", kClientToBroker, msg::TaskQuery, kAdmins)                \
  NAME(DlqPurge, kDlqPurge, "DLQ_PURGE", kClientToBroker, msg::Request, kAdmins)                  \
  NAME(SetPolicy, kSetPolicy, "SET_POLICY", kClientToBroker, msg::SetPolicyRequest, kAdmins)      \
  NAME(Suspend, kSuspend, "SUSPEND", kClientToBroker, msg::TaskQuery, kAdmins)                    \
  NAME(Resume, kResume, "RESUME", kClientToBroker, msg::TaskQuery, kAdmins)                       \
  NAME(Logs, kLogs, "LOGS", kClientToBroker, msg::TaskQuery, kProducers)                          \
  /* broker -> client */                                                                          \
  NAME(Submitted, kSubmitted, "SUBMITTED", kBrokerToClient, msg::SubmittedReply, kBroker)         \
  NAME(StatusReply, kStatusReply, "STATUS_REPLY", kBrokerToClient, msg::TaskReply, kBroker)       \
  NAME(ResultReply, kResultReply, "RESULT_REPLY", kBrokerToClient, msg::TaskReply, kBroker)       \
  NAME(StatsReply, kStatsReply, "STATS_REPLY", kBrokerToClient, msg::StatsReply, kBroker)         \
  NAME(WorkersReply, kWorkersReply, "WORKERS_REPLY", kBrokerToClient, msg::WorkersReply, kBroker) \
  NAME(ProjectsReply, kProjectsReply, "PROJECTS_REPLY", kBrokerToClient, msg::ProjectsReply,      \
       kBroker)                                                                                   \
  NAME(Ok, kOk, "OK", kBrokerToClient, msg::OkReply, kBroker)                                     \
  NAME(Pong, kPong, "PONG", kBrokerToClient, msg::PongReply, kBroker)                             \
  NAME(DlqReply, kDlqReply, "DLQ_REPLY", kBrokerToClient, msg::DlqReply, kBroker)                 \
  NAME(LogsReply, kLogsReply, "LOGS_REPLY", kBrokerToClient, msg::LogsReply, kBroker)             \
  NAME(Error, kError, "ERROR", kBrokerToClient, msg::ErrorReply, kBroker)                         \
  /* worker -> broker */                                                                          \
  NAME(Ready, kReady, "READY", kWorkerToBroker, msg::Ready, kWorkers)                             \
  NAME(Started, kStarted, "STARTED", kWorkerToBroker, msg::Started, kWorkers)                     \
  NAME(Credit, kCredit, "CREDIT", kWorkerToBroker, msg::Credit, kWorkers)                         \
  NAME(Done, kDone, "DONE", kWorkerToBroker, msg::Done, kWorkers)                                 \
  NAME(Failed, kFailed, "FAILED", kWorkerToBroker, msg::Failed, kWorkers)                         \
  NAME(Reject, kReject, "REJECT", kWorkerToBroker, msg::Reject, kWorkers)                         \
  NAME(Drain, kDrain, "DRAIN", kWorkerToBroker, msg::Empty, kWorkers)                             \
  NAME(Disconnect, kDisconnect, "DISCONNECT", kWorkerToBroker, msg::Disconnect, kWorkers)         \
  NAME(Heartbeat, kHeartbeat, "HEARTBEAT", kWorkerToBroker, msg::Heartbeat, kWorkers)             \
  NAME(Event, kEvent, "EVENT", kWorkerToBroker, msg::Event, kWorkers)                             \
  NAME(Output, kOutput, "OUTPUT", kWorkerToBroker, msg::OutputChunk, kWorkers)                    \
  /* broker -> worker */                                                                          \
  NAME(Welcome, kWelcome, "WELCOME", kBrokerToWorker, msg::Welcome, kBroker)                      \
  NAME(Task, kTask, "TASK", kBrokerToWorker, msg::TaskAssignment, kBroker)                        \
  ALSO(HeartbeatToWorker, kHeartbeat, kBrokerToWorker, msg::Heartbeat, kBroker)                   \
  ALSO(DisconnectToWorker, kDisconnect, kBrokerToWorker, msg::Disconnect, kBroker)                \
  ALSO(ErrorToWorker, kError, kBrokerToWorker, msg::ErrorReply, kBroker)                          \
  ALSO(CancelToWorker, kCancel, kBrokerToWorker, msg::CancelAttempt, kBroker)                     \
  ALSO(SuspendToWorker, kSuspend, kBrokerToWorker, msg::CancelAttempt, kBroker)                   \
  ALSO(ResumeToWorker, kResume, kBrokerToWorker, msg::CancelAttempt, kBroker)
// clang-format on

// The name constants: proto::cmd::kSubmit, ... Only NAME rows define one.
namespace zfleet::proto::cmd {
#define ZFLEET_WIRE_NAME_CONSTANT(id, constant, name, direction, body, senders) \
  inline constexpr std::string_view constant = name;
#define ZFLEET_WIRE_NO_CONSTANT(id, constant, direction, body, senders)
ZFLEET_WIRE_COMMANDS(ZFLEET_WIRE_NAME_CONSTANT, ZFLEET_WIRE_NO_CONSTANT)
#undef ZFLEET_WIRE_NAME_CONSTANT
#undef ZFLEET_WIRE_NO_CONSTANT
}  // namespace zfleet::proto::cmd

namespace zfleet::wire {

struct CommandInfo {
  std::string_view name;
  Direction direction;
  Roles senders;
};

// Row shapes, shared by every expansion below: ALSO rows take their name
// from the constant their NAME row defined.
#define ZFLEET_WIRE_ROW(id, constant, name, direction, body, senders) \
  ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders)

#define ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders) id,
enum class Command : std::uint8_t { ZFLEET_WIRE_COMMANDS(ZFLEET_WIRE_ROW, ZFLEET_WIRE_ALSO_ROW) };
#undef ZFLEET_WIRE_ALSO_ROW

#define ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders) +1
inline constexpr std::size_t kCommandCount =
    0 ZFLEET_WIRE_COMMANDS(ZFLEET_WIRE_ROW, ZFLEET_WIRE_ALSO_ROW);
#undef ZFLEET_WIRE_ALSO_ROW

#define ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders) Command::id,
inline constexpr std::array<Command, kCommandCount> kAllCommands = {
    ZFLEET_WIRE_COMMANDS(ZFLEET_WIRE_ROW, ZFLEET_WIRE_ALSO_ROW)};
#undef ZFLEET_WIRE_ALSO_ROW

// Indexed by the enumerator's value, which the enum's declaration order fixes.
#define ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders) \
  CommandInfo{proto::cmd::constant, Direction::direction, roles::senders},
inline constexpr std::array<CommandInfo, kCommandCount> kCommandInfo = {
    ZFLEET_WIRE_COMMANDS(ZFLEET_WIRE_ROW, ZFLEET_WIRE_ALSO_ROW)};
#undef ZFLEET_WIRE_ALSO_ROW

#undef ZFLEET_WIRE_ROW

constexpr const CommandInfo& info(Command command) {
  return kCommandInfo[static_cast<std::size_t>(command)];
}
constexpr std::string_view command_name(Command command) {
  return info(command).name;
}
constexpr Direction direction(Command command) {
  return info(command).direction;
}
constexpr Roles senders(Command command) {
  return info(command).senders;
}

// The command `name` is in `direction`; exact, case-sensitive match.
constexpr std::optional<Command> find_command(std::string_view name, Direction dir) {
  for (const Command command : kAllCommands) {
    if (direction(command) == dir && command_name(command) == name) return command;
  }
  return std::nullopt;
}

}  // namespace zfleet::wire
