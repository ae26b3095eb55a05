// The bodies workers and the broker exchange (PROTOCOL.md §5), each declared
// by its field list (see fields.hpp; the list order is the canonical key
// order) with its encode/decode overloads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol.hpp"
#include "common/wire/fields.hpp"
#include "common/wire/task_spec.hpp"
#include "common/wire/task_views.hpp"

namespace zfleet::msg {

struct LeaseRef {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("task_id", &LeaseRef::task_id).required(),
        wire::field("attempt", &LeaseRef::attempt).required(),
    };
  }
};

struct Ready {
  std::string worker_id;
  std::string hostname;
  std::uint64_t pid = 0;
  std::uint32_t slots = 0;   // capacity
  std::uint32_t credit = 0;  // tasks the broker may send now
  std::vector<std::string> labels;
  std::string version;
  std::vector<LeaseRef> running;  // attempts still running from before a reconnect
  std::uint32_t min_slots = 0;    // adaptive slots; 0: fixed at `slots`
  std::uint32_t max_slots = 0;
  std::vector<std::string> layers;
  std::vector<std::string> task_types;
  std::vector<std::string> modules;
  // The routing id of this worker's previous life (from its state file): a
  // restart may take over that registration while it still looks alive.
  std::string replaces;
  std::optional<TaskLimits> limits;  // its per-task ceilings

  static constexpr auto fields() {
    using R = Ready;
    // Adaptive slots show both bounds, or neither for a fixed count.
    constexpr auto adaptive = [](const R& r) { return r.max_slots != 0; };
    return std::tuple{
        wire::field("worker_id", &R::worker_id).required().max_bytes(proto::kMaxNameBytes),
        wire::field("hostname", &R::hostname).max_bytes(proto::kMaxPathBytes),
        wire::field("pid", &R::pid),
        wire::field("slots", &R::slots).required().max(proto::kMaxSlots),
        wire::field("credit", &R::credit).required().max(proto::kMaxSlots),
        wire::field("labels", &R::labels)
            .max_items(proto::kMaxLabels)
            .max_bytes(proto::kMaxLabelBytes)
            .max_total(proto::kMaxLabels * proto::kMaxLabelBytes),
        wire::field("version", &R::version).max_bytes(proto::kMaxNameBytes),
        wire::field("running", &R::running).max_items(proto::kMaxSlots),
        wire::field("min_slots", &R::min_slots).written_when(adaptive).max(proto::kMaxSlots),
        wire::field("max_slots", &R::max_slots).written_when(adaptive).max(proto::kMaxSlots),
        wire::field("layers", &R::layers)
            .omit_default()
            .max_items(32)
            .max_bytes(128)
            .max_total(32 * 128),
        wire::field("task_types", &R::task_types)
            .omit_default()
            .max_items(32)
            .max_bytes(proto::kMaxNameBytes)
            .max_total(32 * proto::kMaxNameBytes),
        wire::field("modules", &R::modules)
            .omit_default()
            .max_items(1024)
            .max_bytes(proto::kMaxNameBytes)
            .max_total(1024 * proto::kMaxNameBytes),
        wire::field("replaces", &R::replaces).omit_default().max_bytes(proto::kMaxIdentityBytes),
        wire::field("limits", &R::limits),
    };
  }
  // Slots within min..max, the worker id's characters, credit <= slots.
  static MaybeError check(const Ready& m);
};

struct Welcome {
  std::uint32_t heartbeat_ms = proto::kDefaultHeartbeatMs;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("heartbeat_ms", &Welcome::heartbeat_ms).required().max(proto::kMaxHeartbeatMs),
    };
  }
  static MaybeError check(const Welcome& m);  // at least kMinHeartbeatMs
};

struct TaskAssignment {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  TaskSpec spec;

  static constexpr auto fields() {
    using T = TaskAssignment;
    return std::tuple{
        wire::field("task_id", &T::task_id).required(),
        wire::field("attempt", &T::attempt).required(),
        // Errors read "task: ...", as in SUBMIT.
        wire::field("spec", &T::spec).required().errors_as("task"),
    };
  }
};

struct Started {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint64_t pid = 0;
  std::int64_t started_at_ms = 0;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("task_id", &Started::task_id).required(),
        wire::field("attempt", &Started::attempt).required(),
        wire::field("pid", &Started::pid),
        wire::field("started_at_ms", &Started::started_at_ms),
    };
  }
};

struct Credit {
  std::uint32_t credit = 0;

  static constexpr auto fields() {
    return std::tuple{wire::field("credit", &Credit::credit).required().max(proto::kMaxSlots)};
  }
};

struct Done {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint32_t credit = 1;  // credit returned with this result
  Outcome outcome;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("task_id", &Done::task_id).required(),
        wire::field("attempt", &Done::attempt).required(),
        wire::field("credit", &Done::credit).max(proto::kMaxSlots),
        wire::flat(&Done::outcome),
    };
  }
};

struct Failed {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint32_t credit = 1;
  std::string reason;  // short machine word: spawn_failed, invalid_task, ...
  std::string message;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("task_id", &Failed::task_id).required(),
        wire::field("attempt", &Failed::attempt).required(),
        wire::field("credit", &Failed::credit).max(proto::kMaxSlots),
        wire::field("reason", &Failed::reason).required().max_bytes(proto::kMaxNameBytes),
        wire::field("message", &Failed::message).max_bytes(proto::kMaxErrorMessageBytes),
    };
  }
};

struct Reject {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint32_t credit = 0;
  std::string reason;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("task_id", &Reject::task_id).required(),
        wire::field("attempt", &Reject::attempt).required(),
        wire::field("credit", &Reject::credit).max(proto::kMaxSlots),
        wire::field("reason", &Reject::reason).max_bytes(proto::kMaxErrorMessageBytes),
    };
  }
};

// Broker -> worker: stop this attempt (SIGTERM, grace, SIGKILL) and report it.
struct CancelAttempt {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::string reason;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("task_id", &CancelAttempt::task_id).required(),
        wire::field("attempt", &CancelAttempt::attempt).required(),
        wire::field("reason", &CancelAttempt::reason).max_bytes(proto::kMaxErrorMessageBytes),
    };
  }
};

struct TaskActivity {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  LiveStatus status;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("task_id", &TaskActivity::task_id).required(),
        wire::field("attempt", &TaskActivity::attempt).required(),
        wire::flat(&TaskActivity::status),
    };
  }
};

struct Heartbeat {
  std::uint32_t running = 0;        // worker -> broker: attempts running now
  std::uint32_t slots = 0;          // worker -> broker: its slot count now (adaptive); 0: unchanged
  std::vector<TaskActivity> tasks;  // worker -> broker: one per running attempt

  static constexpr auto fields() {
    return std::tuple{
        wire::field("running", &Heartbeat::running).max(proto::kMaxSlots),
        wire::field("slots", &Heartbeat::slots).omit_default().max(proto::kMaxSlots),
        wire::field("tasks", &Heartbeat::tasks).omit_default().max_items(proto::kMaxSlots),
    };
  }
};

struct Disconnect {
  std::string reason;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("reason", &Disconnect::reason).max_bytes(proto::kMaxErrorMessageBytes),
    };
  }
};

std::string encode(const Ready& m);
std::string encode(const Welcome& m);
std::string encode(const TaskAssignment& m);
std::string encode(const Started& m);
std::string encode(const Credit& m);
std::string encode(const Done& m);
std::string encode(const Failed& m);
std::string encode(const Reject& m);
std::string encode(const CancelAttempt& m);
std::string encode(const Heartbeat& m);
std::string encode(const Disconnect& m);

// `root` is a body from codec::parse_body().
MaybeError decode(const msgpack::object& root, Ready& out);
MaybeError decode(const msgpack::object& root, Welcome& out);
MaybeError decode(const msgpack::object& root, TaskAssignment& out);
MaybeError decode(const msgpack::object& root, Started& out);
MaybeError decode(const msgpack::object& root, Credit& out);
MaybeError decode(const msgpack::object& root, Done& out);
MaybeError decode(const msgpack::object& root, Failed& out);
MaybeError decode(const msgpack::object& root, Reject& out);
MaybeError decode(const msgpack::object& root, CancelAttempt& out);
MaybeError decode(const msgpack::object& root, Heartbeat& out);
MaybeError decode(const msgpack::object& root, Disconnect& out);

}  // namespace zfleet::msg
