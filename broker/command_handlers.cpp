// The rows of the broker's command tables (command_handlers.hpp). Handlers
// that take more than (identity, body) are adapted here, so Broker's own
// members keep their natural signatures.
#include "broker/command_handlers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "broker/broker.hpp"

namespace zfleet::broker {

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

  static const std::array<ClientCommand, 16>& client() {
    namespace cmd = proto::cmd;
    static const std::array<ClientCommand, 16> rows{{
        {cmd::kSubmit, [](Broker& b, Id i, Body m) { b.submit(i, m); }, true},
        {cmd::kStatus, [](Broker& b, Id i, Body m) { b.query(i, m, false); }, false},
        {cmd::kResult, [](Broker& b, Id i, Body m) { b.query(i, m, true); }, false},
        {cmd::kCancel, [](Broker& b, Id i, Body m) { b.cancel(i, m); }, true},
        {cmd::kSetLimit, [](Broker& b, Id i, Body m) { b.set_limit(i, m); }, true},
        {cmd::kSetPolicy, [](Broker& b, Id i, Body m) { b.set_policy(i, m); }, true},
        {cmd::kDlqList, [](Broker& b, Id i, Body m) { b.dlq_list(i, m); }, false},
        {cmd::kDlqRetry, [](Broker& b, Id i, Body m) { b.dlq_retry(i, m); }, true},
        {cmd::kDlqPurge, &with_req<&Broker::dlq_purge>, true},
        {cmd::kSuspend, [](Broker& b, Id i, Body m) { b.suspend_or_resume(i, m, true); }, false},
        {cmd::kResume, [](Broker& b, Id i, Body m) { b.suspend_or_resume(i, m, false); }, false},
        {cmd::kLogs, [](Broker& b, Id i, Body m) { b.logs(i, m); }, false},
        {cmd::kStats, &with_req<&Broker::reply_stats>, false},
        {cmd::kWorkers, &with_req<&Broker::reply_workers>, false},
        {cmd::kProjects, &with_req<&Broker::reply_projects>, false},
        {cmd::kPing, &with_req<&Broker::reply_pong>, false},
    }};
    return rows;
  }

  static const std::array<WorkerCommand, 11>& worker() {
    namespace cmd = proto::cmd;
    using W = WorkerRecord*;
    static const std::array<WorkerCommand, 11> rows{{
        // READY registers the sender, so it is the one row without a record.
        {cmd::kReady, [](Broker& b, Id i, W, Body m) { b.ready(i, m); }, true, false},
        {cmd::kHeartbeat, [](Broker& b, Id, W w, Body m) { b.heartbeat(*w, m); }, false, true},
        {cmd::kEvent, [](Broker& b, Id, W w, Body m) { b.worker_event(*w, m); }, false, true},
        {cmd::kOutput, [](Broker& b, Id, W w, Body m) { b.output(*w, m); }, false, true},
        {cmd::kStarted, [](Broker& b, Id, W w, Body m) { b.started(*w, m); }, false, true},
        {cmd::kDone, [](Broker& b, Id, W w, Body m) { b.done(*w, m); }, true, true},
        {cmd::kFailed, [](Broker& b, Id, W w, Body m) { b.failed(*w, m); }, true, true},
        {cmd::kReject, [](Broker& b, Id, W w, Body m) { b.reject(*w, m); }, true, true},
        {cmd::kCredit, [](Broker& b, Id i, W w, Body m) { b.credit(i, *w, m); }, false, true},
        {cmd::kDrain,
         [](Broker& b, Id, W w, Body) {
           spdlog::info("worker {} is draining", w->name);
           b.workers_.set_draining(*w);
         },
         false, true},
        // Its leases go back to the queue.
        {cmd::kDisconnect,
         [](Broker& b, Id i, W, Body) {
           ++b.stats_.workers_disconnected;
           b.lose_worker(i, "disconnected");
         },
         true, true},
    }};
    return rows;
  }
};

std::span<const ClientCommand> client_commands() {
  return CommandRows::client();
}
std::span<const WorkerCommand> worker_commands() {
  return CommandRows::worker();
}

const ClientCommand* find_client_command(CommandKey command) {
  const auto rows = client_commands();
  auto it = std::find_if(rows.begin(), rows.end(),
                         [&](const ClientCommand& row) { return row.command == command; });
  return it == rows.end() ? nullptr : &*it;
}

const WorkerCommand* find_worker_command(CommandKey command) {
  const auto rows = worker_commands();
  auto it = std::find_if(rows.begin(), rows.end(),
                         [&](const WorkerCommand& row) { return row.command == command; });
  return it == rows.end() ? nullptr : &*it;
}

}  // namespace zfleet::broker
