// What is known about a task: its state, how an attempt ended (Outcome),
// how a running attempt is doing (LiveStatus), the ceilings a worker puts on
// tasks (TaskLimits) and the broker's view of a task (TaskView), each
// declared by its field list (see fields.hpp). Field meanings:
// schemas/PROTOCOL.md §4.2-§4.4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/protocol.hpp"
#include "common/wire/fields.hpp"

namespace zfleet::msg {

// queued -> running -> succeeded | failed | dead | cancelled; scheduled waits
// for not_before_ms or a retry's backoff, then becomes queued. The numeric
// values are stored in the broker's journal: append, never renumber.
enum class TaskState : std::uint8_t {
  kQueued = 0,
  kRunning = 1,
  kSucceeded = 2,
  kFailed = 3,     // failed in a way its retry policy does not retry
  kScheduled = 4,  // waiting until not_before_ms
  kCancelled = 5,
  kDead = 6,  // retryable failures used up its attempts: in the dead-letter list
};
std::string_view state_name(TaskState state);
std::optional<TaskState> state_from_name(std::string_view name);
inline bool is_final(TaskState s) {
  return s == TaskState::kSucceeded || s == TaskState::kFailed || s == TaskState::kCancelled ||
         s == TaskState::kDead;
}

// How one attempt ended, as the worker observed it.
struct Outcome {
  std::optional<int> exit_code;  // set when the process exited
  std::optional<int> signal;     // set when a signal ended it
  bool timed_out = false;        // the worker killed it at its timeout
  bool cancelled = false;        // the worker killed it because it was cancelled
  std::string error;             // why it could not run at all; empty when it ran
  std::string stdout_tail;       // the last output_cap bytes
  std::string stderr_tail;
  std::uint64_t stdout_bytes = 0;  // total bytes produced (>= tail size)
  std::uint64_t stderr_bytes = 0;
  std::int64_t started_at_ms = 0;  // Unix ms
  std::int64_t finished_at_ms = 0;
  std::uint64_t user_cpu_ms = 0;
  std::uint64_t sys_cpu_ms = 0;
  std::uint64_t max_rss_kb = 0;
  std::string result;             // module result / HTTP response: one msgpack object (raw)
  std::string killed_by;          // the worker killed it: "memory", "stall", "cpu", "oom"
  std::string sandbox;            // the layers applied, e.g. "rlimits,seccomp,netns,uid"
  std::uint64_t peak_rss_kb = 0;  // the whole process group's, as sampled
  std::optional<int> progress;    // the last progress marker's percent
  // How it ended in words, when the worker can say more than the fields
  // above: "killed: memory limit 64 MiB", "killed: cpu time limit 1 h".
  std::string message;

  bool succeeded() const {
    return error.empty() && !timed_out && !cancelled && killed_by.empty() && exit_code == 0;
  }

  static constexpr auto fields() {
    using O = Outcome;
    return std::tuple{
        wire::field("exit_code", &O::exit_code),
        wire::field("signal", &O::signal),
        wire::field("timed_out", &O::timed_out),
        wire::field("cancelled", &O::cancelled).omit_default(),
        wire::field("error", &O::error).omit_default().max_bytes(proto::kMaxErrorMessageBytes),
        wire::field("stdout", &O::stdout_tail).bin().max_bytes(proto::kMaxOutputCapBytes),
        wire::field("stderr", &O::stderr_tail).bin().max_bytes(proto::kMaxOutputCapBytes),
        wire::field("stdout_bytes", &O::stdout_bytes),
        wire::field("stderr_bytes", &O::stderr_bytes),
        wire::field("started_at_ms", &O::started_at_ms),
        wire::field("finished_at_ms", &O::finished_at_ms),
        wire::field("user_cpu_ms", &O::user_cpu_ms),
        wire::field("sys_cpu_ms", &O::sys_cpu_ms),
        wire::field("max_rss_kb", &O::max_rss_kb),
        wire::field("result", &O::result).omit_default().raw().max_bytes(proto::kMaxResultBytes),
        wire::field("killed_by", &O::killed_by).omit_default().max_bytes(proto::kMaxNameBytes),
        wire::field("sandbox", &O::sandbox).omit_default().max_bytes(proto::kMaxErrorMessageBytes),
        wire::field("peak_rss_kb", &O::peak_rss_kb).omit_default(),
        wire::field("progress", &O::progress),
        wire::field("message", &O::message).omit_default().max_bytes(proto::kMaxErrorMessageBytes),
    };
  }
};

// A running attempt as its worker last reported it (HEARTBEAT).
struct LiveStatus {
  std::optional<int> progress;  // percent of the last marker
  std::string message;          // its message
  std::uint64_t rss_kb = 0;     // the process group's, now
  std::uint64_t cpu_ms = 0;     // user + system, whole group
  std::uint64_t output_bytes = 0;
  std::uint64_t idle_ms = 0;  // since the last output or progress
  bool suspended = false;
  bool stalled = false;

  static constexpr auto fields() {
    using L = LiveStatus;
    return std::tuple{
        wire::field("progress", &L::progress).range(0, 100),
        wire::field("message", &L::message)
            .omit_default()
            .max_bytes(proto::kMaxProgressMessageBytes),
        wire::field("rss_kb", &L::rss_kb),
        wire::field("cpu_ms", &L::cpu_ms),
        wire::field("output_bytes", &L::output_bytes),
        wire::field("idle_ms", &L::idle_ms),
        wire::field("suspended", &L::suspended).omit_default(),
        wire::field("stalled", &L::stalled).omit_default(),
    };
  }
};

// The ceilings a worker puts on every task (READY, WORKERS_REPLY): what a
// task that asks for nothing gets, and at most what one may ask for
// (timeout_ms excepted: a task's own timeout is honoured). 0: none.
struct TaskLimits {
  std::uint64_t memory_bytes = 0;
  std::uint64_t cpu_seconds = 0;
  std::uint64_t timeout_ms = 0;  // wall clock, for tasks that set no timeout
  std::uint64_t processes = 0;
  bool operator==(const TaskLimits&) const = default;

  static constexpr auto fields() {
    using L = TaskLimits;
    return std::tuple{
        wire::field("memory_bytes", &L::memory_bytes).omit_default(),
        wire::field("cpu_seconds", &L::cpu_seconds).omit_default(),
        wire::field("timeout_ms", &L::timeout_ms).omit_default().max(proto::kMaxTimeoutMs),
        wire::field("processes", &L::processes).omit_default(),
    };
  }
};

struct TaskView {
  std::uint64_t id = 0;
  std::string type;
  std::string project;
  std::uint32_t priority = 0;
  TaskState state = TaskState::kQueued;
  std::uint32_t attempts = 0;
  std::string worker;  // the worker of the current or last attempt
  std::int64_t submitted_at_ms = 0;
  std::int64_t started_at_ms = 0;   // 0: not started
  std::int64_t finished_at_ms = 0;  // 0: not finished
  std::int64_t not_before_ms = 0;   // scheduled tasks: when they become queued
  std::optional<Outcome> outcome;   // RESULT_REPLY: the last attempt's, once there is one
  std::optional<LiveStatus> live;   // running: the worker's last report
  // Queued or scheduled: why it is not running yet (a retry's backoff after a
  // failed attempt, no connected worker able to run it); empty otherwise.
  std::string waiting;

  static constexpr auto fields() {
    using V = TaskView;
    return std::tuple{
        wire::field("id", &V::id).required(),
        wire::field("type", &V::type).max_bytes(proto::kMaxNameBytes),
        wire::field("project", &V::project).max_bytes(proto::kMaxNameBytes),
        wire::field("priority", &V::priority).max(proto::kMaxPriority),
        wire::field("state", &V::state).required().max_bytes(32),
        wire::field("attempts", &V::attempts),
        wire::field("worker", &V::worker).omit_default().max_bytes(proto::kMaxIdentityBytes),
        wire::field("submitted_at_ms", &V::submitted_at_ms),
        wire::field("started_at_ms", &V::started_at_ms).omit_default(),
        wire::field("finished_at_ms", &V::finished_at_ms).omit_default(),
        wire::field("not_before_ms", &V::not_before_ms).omit_default(),
        wire::field("outcome", &V::outcome),
        wire::field("live", &V::live),
        wire::field("waiting", &V::waiting).omit_default().max_bytes(proto::kMaxErrorMessageBytes),
    };
  }
};

// An outcome alone as a msgpack map (the broker's journal stores it this way).
std::string encode_outcome(const Outcome& outcome);
MaybeError decode_outcome(std::string_view bytes, Outcome& out);

}  // namespace zfleet::msg

namespace zfleet::wire {

template <>
struct WireEnum<msg::TaskState> {
  static std::string_view name(msg::TaskState s) { return msg::state_name(s); }
  static MaybeError parse(std::string_view name, msg::TaskState& out);
};

}  // namespace zfleet::wire
