// What the event stream carries: Event and OutputChunk, sent worker ->
// broker (EVENT, OUTPUT) and broker -> subscribers (PUB), each declared by
// its field list (see fields.hpp; the list order is the canonical key
// order). PROTOCOL.md §6.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/protocol.hpp"
#include "common/wire/fields.hpp"

namespace zfleet::msg {

// Something that happened, worker -> broker (EVENT) and broker -> subscribers
// (PUB, topic "task.<id>.<kind>" or "worker.<id>.<kind>"). Kinds: started,
// progress, stalled, active, resource_warning, killed, suspended, resumed,
// finished (tasks); slots_up, slots_down, slots_refused (workers).
struct Event {
  std::string kind;
  std::int64_t at_ms = 0;  // Unix ms
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::string project;  // set by the broker
  std::string worker;   // set by the broker
  std::optional<int> percent;
  std::string message;  // progress message, or what happened in words
  std::uint64_t rss_kb = 0;
  std::uint64_t cpu_ms = 0;
  std::uint64_t idle_ms = 0;
  std::string reason;      // killed: memory, stall, timeout, cancel, ...
  std::string state;       // finished: the task's state
  std::uint32_t from = 0;  // slots_*: the slot count before and after
  std::uint32_t to = 0;

  static constexpr auto fields() {
    using E = Event;
    // A task's event names its attempt; a worker's (task_id 0) neither.
    constexpr auto of_task = [](const E& e) { return e.task_id != 0; };
    // slots_* events carry both counts.
    constexpr auto of_slots = [](const E& e) { return e.from != 0 || e.to != 0; };
    return std::tuple{
        wire::field("kind", &E::kind).required().max_bytes(proto::kMaxEventKindBytes),
        wire::field("at_ms", &E::at_ms),
        wire::field("task_id", &E::task_id).written_when(of_task),
        wire::field("attempt", &E::attempt).written_when(of_task),
        wire::field("project", &E::project).omit_default().max_bytes(proto::kMaxNameBytes),
        wire::field("worker", &E::worker).omit_default().max_bytes(proto::kMaxIdentityBytes),
        wire::field("percent", &E::percent).range(0, 100),
        wire::field("message", &E::message).omit_default().max_bytes(proto::kMaxErrorMessageBytes),
        wire::field("rss_kb", &E::rss_kb).omit_default(),
        wire::field("cpu_ms", &E::cpu_ms).omit_default(),
        wire::field("idle_ms", &E::idle_ms).omit_default(),
        wire::field("reason", &E::reason).omit_default().max_bytes(proto::kMaxErrorMessageBytes),
        wire::field("state", &E::state).omit_default().max_bytes(32),
        wire::field("from", &E::from).written_when(of_slots).max(proto::kMaxSlots),
        wire::field("to", &E::to).written_when(of_slots).max(proto::kMaxSlots),
    };
  }
  static MaybeError check(const Event& m);  // the kind's characters
};

// A chunk of a running task's output, worker -> broker (OUTPUT) and broker ->
// subscribers (PUB, topic "log.<id>.<stream>"). `offset` counts the stream's
// bytes before this chunk; a jump means bytes were skipped (rate cap).
struct OutputChunk {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::string stream;  // "stdout" or "stderr"
  std::uint64_t offset = 0;
  std::string data;

  static constexpr auto fields() {
    using O = OutputChunk;
    return std::tuple{
        wire::field("task_id", &O::task_id).required(),
        wire::field("attempt", &O::attempt).required(),
        wire::field("stream", &O::stream).required().max_bytes(8),
        wire::field("offset", &O::offset),
        wire::field("data", &O::data).required().bin().max_bytes(proto::kMaxOutputChunkBytes),
    };
  }
  static MaybeError check(const OutputChunk& m);  // stdout or stderr
};

std::string encode(const Event& m);
std::string encode(const OutputChunk& m);
MaybeError decode(const msgpack::object& root, Event& out);
MaybeError decode(const msgpack::object& root, OutputChunk& out);

}  // namespace zfleet::msg
