// The rows of the broker's command tables (command_handlers.hpp). Handlers
// that take more than (identity, body) are adapted here, so Broker's own
// members keep their natural signatures.
#include "broker/command_handlers.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstddef>

#include "broker/broker.hpp"

namespace zfleet::broker {

namespace {

constexpr std::size_t kClientRows = 16;
constexpr std::size_t kWorkerRows = 11;

}  // namespace

// Broker's friend: the only code besides Broker that names its handlers.
struct CommandRows {
  using Body = const msgpack::object&;
  using Id = const std::string&;

  // A command whose body is a bare request id, answered by `reply`.
  template <void (Broker::*reply)(Id, std::uint64_t)>
  static void with_req(Broker& b, Id identity, Body body) {
    msg::Request request;
    if (!b.decode_or_reply(Peer::kClient, identity, body, request)) return;
    (b.*reply)(identity, request.req);
  }

  static constexpr std::array<ClientCommand, kClientRows> client() {
    using C = wire::Command;
    return {{
        {C::Submit, [](Broker& b, Id i, Body m) { b.submit(i, m); }, true},
        {C::Status, [](Broker& b, Id i, Body m) { b.query(i, m, false); }, false},
        {C::Result, [](Broker& b, Id i, Body m) { b.query(i, m, true); }, false},
        {C::Cancel, [](Broker& b, Id i, Body m) { b.cancel(i, m); }, true},
        {C::SetLimit, [](Broker& b, Id i, Body m) { b.set_limit(i, m); }, true},
        {C::SetPolicy, [](Broker& b, Id i, Body m) { b.set_policy(i, m); }, true},
        {C::DlqList, [](Broker& b, Id i, Body m) { b.dlq_list(i, m); }, false},
        {C::DlqRetry, [](Broker& b, Id i, Body m) { b.dlq_retry(i, m); }, true},
        {C::DlqPurge, &with_req<&Broker::dlq_purge>, true},
        {C::Suspend, [](Broker& b, Id i, Body m) { b.suspend_or_resume(i, m, true); }, false},
        {C::Resume, [](Broker& b, Id i, Body m) { b.suspend_or_resume(i, m, false); }, false},
        {C::Logs, [](Broker& b, Id i, Body m) { b.logs(i, m); }, false},
        {C::Stats, &with_req<&Broker::reply_stats>, false},
        {C::Workers, &with_req<&Broker::reply_workers>, false},
        {C::Projects, &with_req<&Broker::reply_projects>, false},
        {C::Ping, &with_req<&Broker::reply_pong>, false},
    }};
  }

  static constexpr std::array<WorkerCommand, kWorkerRows> worker() {
    using C = wire::Command;
    using W = WorkerRecord*;
    return {{
        // READY registers the sender, so it is the one row without a record.
        {C::Ready, [](Broker& b, Id i, W, Body m) { b.ready(i, m); }, true, false},
        {C::Heartbeat, [](Broker& b, Id, W w, Body m) { b.heartbeat(*w, m); }, false, true},
        {C::Event, [](Broker& b, Id, W w, Body m) { b.worker_event(*w, m); }, false, true},
        {C::Output, [](Broker& b, Id, W w, Body m) { b.output(*w, m); }, false, true},
        {C::Started, [](Broker& b, Id, W w, Body m) { b.started(*w, m); }, false, true},
        {C::Done, [](Broker& b, Id, W w, Body m) { b.done(*w, m); }, true, true},
        {C::Failed, [](Broker& b, Id, W w, Body m) { b.failed(*w, m); }, true, true},
        {C::Reject, [](Broker& b, Id, W w, Body m) { b.reject(*w, m); }, true, true},
        {C::Credit, [](Broker& b, Id i, W w, Body m) { b.credit(i, *w, m); }, false, true},
        {C::Drain,
         [](Broker& b, Id, W w, Body) {
           spdlog::info("worker {} is draining", w->name);
           b.workers_.set_draining(*w);
         },
         false, true},
        // Its leases go back to the queue.
        {C::Disconnect,
         [](Broker& b, Id i, W, Body) {
           ++b.stats_.workers_disconnected;
           b.lose_worker(i, "disconnected");
         },
         true, true},
    }};
  }
};

namespace {

constexpr auto kClient = CommandRows::client();
constexpr auto kWorker = CommandRows::worker();

// Each row's position in its table by command, or -1: no row.
template <class Row, std::size_t N>
constexpr std::array<int, wire::kCommandCount> index_of(const std::array<Row, N>& rows) {
  std::array<int, wire::kCommandCount> index{};
  index.fill(-1);
  for (std::size_t i = 0; i < N; ++i)
    index[static_cast<std::size_t>(rows[i].command)] = static_cast<int>(i);
  return index;
}

// One row for every command of `dir`, and none for another direction.
template <class Row, std::size_t N>
constexpr bool covers_exactly(const std::array<Row, N>& rows, wire::Direction dir) {
  std::array<int, wire::kCommandCount> seen{};
  for (const Row& row : rows) {
    if (wire::direction(row.command) != dir) return false;
    if (++seen[static_cast<std::size_t>(row.command)] != 1) return false;
  }
  for (const wire::Command command : wire::kAllCommands) {
    if (wire::direction(command) == dir && seen[static_cast<std::size_t>(command)] != 1) {
      return false;
    }
  }
  return true;
}

static_assert(covers_exactly(kClient, wire::Direction::kClientToBroker),
              "the client table needs one row per client -> broker command");
static_assert(covers_exactly(kWorker, wire::Direction::kWorkerToBroker),
              "the worker table needs one row per worker -> broker command");

constexpr auto kClientIndex = index_of(kClient);
constexpr auto kWorkerIndex = index_of(kWorker);

}  // namespace

std::span<const ClientCommand> client_commands() {
  return kClient;
}
std::span<const WorkerCommand> worker_commands() {
  return kWorker;
}

const ClientCommand* find_client_command(wire::Command command) {
  const int i = kClientIndex[static_cast<std::size_t>(command)];
  return i < 0 ? nullptr : &kClient[static_cast<std::size_t>(i)];
}

const WorkerCommand* find_worker_command(wire::Command command) {
  const int i = kWorkerIndex[static_cast<std::size_t>(command)];
  return i < 0 ? nullptr : &kWorker[static_cast<std::size_t>(i)];
}

}  // namespace zfleet::broker
