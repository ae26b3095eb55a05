// The broker's command tables: for each peer, one row per command it
// accepts, naming the handler and whether the command changes the journal.
// Broker::on_client / on_worker dispatch through these rows, and a degraded
// journal refuses exactly the client rows marked writes_journal
// (broker_storage.cpp), so adding a command is adding one row here.
//
// Invariants:
//  - A command appears at most once per table; a command in no row is
//    refused with UNKNOWN_COMMAND (and counted) by the caller.
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
#include <string_view>

#include "common/codec.hpp"

namespace zfleet::broker {

class Broker;
struct WorkerRecord;

// What a row is keyed by: the command's name as received. The one place to
// change when commands become an enum.
using CommandKey = std::string_view;

struct ClientCommand {
  CommandKey command;
  void (*handle)(Broker& broker, const std::string& identity, const msgpack::object& body);
  bool writes_journal;
};

struct WorkerCommand {
  CommandKey command;
  // `worker` is the sender's record when needs_worker, else null.
  void (*handle)(Broker& broker, const std::string& identity, WorkerRecord* worker,
                 const msgpack::object& body);
  bool writes_journal;
  bool needs_worker;
};

std::span<const ClientCommand> client_commands();
std::span<const WorkerCommand> worker_commands();
// The row for `command`, or null when no row names it.
const ClientCommand* find_client_command(CommandKey command);
const WorkerCommand* find_worker_command(CommandKey command);

}  // namespace zfleet::broker
