// Plays fuzzed records at a Broker core (in-memory store, fake clock) as
// clients or as workers, and checks what a daemon must always do with
// hostile input: never crash, and answer only with well-formed bodies.
// Shared by the client-side and worker-side targets; they differ only in
// which socket the records arrive on and which commands they may name.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "common/codec.hpp"
#include "common/messages.hpp"
#include "common/protocol.hpp"
#include "fuzz/fuzz_records.hpp"

namespace zfleet::fuzz {

enum class Side { kClients, kWorkers };

inline void check_well_formed(const std::string& body) {
  codec::DecodeError error;
  if (!codec::parse_body(body, error)) std::abort();  // the broker sent garbage
}

// `commands[selector % size]` names each record's command; a selector past
// the list's end sends the body's first bytes as the command instead, so
// unknown and odd command names are reached too.
inline void play(Side side, const std::vector<std::string>& commands, const std::uint8_t* data,
                 std::size_t size) {
  FakeClock clock;
  broker::MemoryTaskStore store;
  broker::Broker core(broker::BrokerSettings{}, clock, store);
  // The other side is already there, so the fuzzed side reaches the paths
  // that need it: a worker with credit for clients' tasks to go to, and
  // queued tasks 1..3 for fuzzed workers to be handed and to answer.
  if (side == Side::kClients) {
    msg::Ready ready;
    ready.worker_id = "fixed-worker";
    ready.slots = 2;
    ready.credit = 2;
    ready.task_types = {"shell", "noop", "http", "module"};
    core.on_worker(
        {"fixed-worker", "zfleet/1", std::string(proto::cmd::kReady), msg::encode(ready)});
  } else {
    for (std::uint64_t req = 1; req <= 3; ++req) {
      msg::SubmitRequest submit;
      submit.req = req;
      submit.task.argv = {"/bin/true"};
      core.on_client(
          {"fixed-client", "zfleet/1", std::string(proto::cmd::kSubmit), msg::encode(submit)});
    }
  }
  core.before_sleep();
  core.outbox().clear();
  core.events().clear();
  int n = 0;
  for (auto& record : split_records(data, size)) {
    std::string command;
    if (record.selector < commands.size() * 2) {
      command = commands[record.selector % commands.size()];
    } else {
      command = record.body.substr(0, record.selector % 40);
    }
    // A few peers, so one input can mix connections (a duplicate worker id,
    // a second client waiting on a task the first submitted).
    const std::string identity = "peer" + std::to_string(record.selector % 3);
    const frames::Received m{identity, "zfleet/1", command, std::move(record.body)};
    if (side == Side::kClients) {
      core.on_client(m);
    } else {
      core.on_worker(m);
    }
    core.before_sleep();
    if (++n % 4 == 0) {
      clock.advance(Millis{1500});  // past a heartbeat: expiry, retries, waiters
      core.on_timer();
      core.before_sleep();
    }
    for (const auto& out : core.outbox())
      check_well_formed(out.body);
    core.outbox().clear();
    for (const auto& event : core.events())
      check_well_formed(event.body);
    core.events().clear();
  }
}

}  // namespace zfleet::fuzz
