// The broker's command tables: for each peer, one row per command that peer
// sends (wire::Command, common/wire/commands.hpp), naming the handler and
// whether the command changes the journal. Broker::on_client / on_worker
// resolve the received name in the peer's direction (wire::find_command)
// and dispatch through the row; a name of another direction (READY from a
// client, a reply's name) or of none is refused with UNKNOWN_COMMAND and
// counted. A degraded journal refuses exactly the client rows marked
// writes_journal (broker_storage.cpp). Adding a command is its row in the
// wire table, then a row here and its handler.
//
// Invariants (checked at compile time in command_handlers.cpp):
//  - The client table has exactly one row for each client -> broker
//    command, the worker table one for each worker -> broker command, and
//    no row names a command of another direction.
//  - writes_journal is true iff the handler may stage a change in the
//    journal; a client row so marked is refused with STORAGE_FULL while the
//    journal cannot be written. Worker rows are never refused (a worker's
//    report is kept and its acknowledgement held, broker_storage.cpp); their
//    flag only documents the handler.
//  - A worker row with needs_worker is run only for a registered worker, and
//    gets that worker's record.
#pragma once

#include <span>
#include <string>

#include "common/codec.hpp"
#include "common/wire/commands.hpp"

namespace zfleet::broker {

class Broker;
struct WorkerRecord;

struct ClientCommand {
  wire::Command command;
  void (*handle)(Broker& broker, const std::string& identity, const msgpack::object& body);
  bool writes_journal;
};

struct WorkerCommand {
  wire::Command command;
  // `worker` is the sender's record when needs_worker, else null.
  void (*handle)(Broker& broker, const std::string& identity, WorkerRecord* worker,
                 const msgpack::object& body);
  bool writes_journal;
  bool needs_worker;
};

std::span<const ClientCommand> client_commands();
std::span<const WorkerCommand> worker_commands();
// The row for `command`, or null when the peer does not send it.
const ClientCommand* find_client_command(wire::Command command);
const WorkerCommand* find_worker_command(wire::Command command);

}  // namespace zfleet::broker
