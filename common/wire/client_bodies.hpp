// The bodies clients and the broker exchange (PROTOCOL.md §4), each declared
// by its field list (see fields.hpp; the list order is the canonical key
// order) with its encode/decode overloads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error_code.hpp"
#include "common/protocol.hpp"
#include "common/wire/fields.hpp"
#include "common/wire/task_spec.hpp"
#include "common/wire/task_views.hpp"

namespace zfleet::msg {

using Counters = wire::Counters;

struct SubmitRequest {
  std::uint64_t req = 0;  // chosen by the client, echoed in the reply
  TaskSpec task;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &SubmitRequest::req),
        wire::field("task", &SubmitRequest::task).required(),
    };
  }
};

struct SubmittedReply {
  std::uint64_t req = 0;
  std::uint64_t id = 0;
  bool duplicate = false;  // the idempotency key was seen: `id` is the original task

  static constexpr auto fields() {
    using R = SubmittedReply;
    return std::tuple{
        wire::field("req", &R::req),
        wire::field("id", &R::id).required(),
        wire::field("duplicate", &R::duplicate).omit_default(),
    };
  }
};

// Body of STATUS and RESULT. RESULT with wait_ms > 0 is answered when the task
// reaches a final state or wait_ms passes, whichever is first.
struct TaskQuery {
  std::uint64_t req = 0;
  std::uint64_t id = 0;
  std::uint64_t wait_ms = 0;

  static constexpr auto fields() {
    using Q = TaskQuery;
    return std::tuple{
        wire::field("req", &Q::req),
        wire::field("id", &Q::id).required(),
        wire::field("wait_ms", &Q::wait_ms).omit_default().max(proto::kMaxWaitMs),
    };
  }
};

// Body of STATUS_REPLY and RESULT_REPLY.
struct TaskReply {
  std::uint64_t req = 0;
  TaskView task;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &TaskReply::req),
        wire::field("task", &TaskReply::task).required(),
    };
  }
};

// Body of STATS, WORKERS, PROJECTS and PING: just the request id.
struct Request {
  std::uint64_t req = 0;

  static constexpr auto fields() { return std::tuple{wire::field("req", &Request::req)}; }
};

struct StatsReply {
  std::uint64_t req = 0;
  Counters stats;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &StatsReply::req),
        wire::field("stats", &StatsReply::stats).required(),
    };
  }
};

struct WorkerView {
  std::string id;
  std::string hostname;
  std::uint64_t pid = 0;
  std::uint32_t slots = 0;
  std::uint32_t busy = 0;
  std::uint32_t credit = 0;
  std::vector<std::string> labels;
  std::uint64_t tasks_done = 0;
  std::uint64_t connected_ms = 0;  // time since READY
  std::uint64_t idle_ms = 0;       // time since its last message
  bool draining = false;
  std::uint32_t min_slots = 0;  // adaptive slots: `slots` moves between these
  std::uint32_t max_slots = 0;
  std::vector<std::string> layers;      // sandbox layers this worker's host applies
  std::vector<std::string> task_types;  // e.g. shell, module, http, noop
  std::vector<std::string> modules;     // modules it can load
  std::optional<TaskLimits> limits;     // absent: a worker that does not report them

  static constexpr auto fields() {
    using W = WorkerView;
    // Adaptive slots show both bounds, or neither for a fixed count.
    constexpr auto adaptive = [](const W& w) { return w.max_slots != 0; };
    return std::tuple{
        wire::field("id", &W::id).required().max_bytes(proto::kMaxIdentityBytes),
        wire::field("hostname", &W::hostname).max_bytes(proto::kMaxPathBytes),
        wire::field("pid", &W::pid),
        wire::field("slots", &W::slots),
        wire::field("busy", &W::busy),
        wire::field("credit", &W::credit),
        wire::field("labels", &W::labels)
            .max_items(proto::kMaxLabels)
            .max_bytes(proto::kMaxLabelBytes)
            .max_total(proto::kMaxLabels * proto::kMaxLabelBytes),
        wire::field("tasks_done", &W::tasks_done),
        wire::field("connected_ms", &W::connected_ms),
        wire::field("idle_ms", &W::idle_ms),
        wire::field("draining", &W::draining),
        wire::field("min_slots", &W::min_slots).written_when(adaptive),
        wire::field("max_slots", &W::max_slots).written_when(adaptive),
        wire::field("layers", &W::layers)
            .omit_default()
            .max_items(32)
            .max_bytes(128)
            .max_total(32 * 128),
        wire::field("task_types", &W::task_types)
            .omit_default()
            .max_items(32)
            .max_bytes(proto::kMaxNameBytes)
            .max_total(32 * proto::kMaxNameBytes),
        wire::field("modules", &W::modules)
            .omit_default()
            .max_items(1024)
            .max_bytes(proto::kMaxNameBytes)
            .max_total(1024 * proto::kMaxNameBytes),
        wire::field("limits", &W::limits),
    };
  }
};

struct WorkersReply {
  std::uint64_t req = 0;
  std::vector<WorkerView> workers;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &WorkersReply::req),
        wire::field("workers", &WorkersReply::workers).required().max_items(proto::kMaxListItems),
    };
  }
};

struct ProjectView {
  std::string name;
  std::uint32_t limit = 0;  // 0: unlimited
  RetryPolicy policy;       // the project's own settings (0/empty: broker default)
  std::uint64_t queued = 0;
  std::uint64_t running = 0;
  std::uint64_t peak_running = 0;  // the most ever running at once
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t dead = 0;
  std::uint64_t cancelled = 0;

  static constexpr auto fields() {
    using P = ProjectView;
    return std::tuple{
        wire::field("name", &P::name).required().max_bytes(proto::kMaxNameBytes),
        wire::field("limit", &P::limit),
        wire::field("queued", &P::queued),
        wire::field("running", &P::running),
        wire::field("peak_running", &P::peak_running),
        wire::field("succeeded", &P::succeeded),
        wire::field("failed", &P::failed),
        wire::field("dead", &P::dead),
        wire::field("cancelled", &P::cancelled),
        wire::field("policy", &P::policy).omit_default(),
    };
  }
};

struct ProjectsReply {
  std::uint64_t req = 0;
  std::vector<ProjectView> projects;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &ProjectsReply::req),
        wire::field("projects", &ProjectsReply::projects)
            .required()
            .max_items(proto::kMaxListItems),
    };
  }
};

struct SetLimitRequest {
  std::uint64_t req = 0;
  std::string project;
  std::uint32_t limit = 0;  // 0: unlimited

  static constexpr auto fields() {
    using S = SetLimitRequest;
    return std::tuple{
        wire::field("req", &S::req),
        wire::field("project", &S::project).required().max_bytes(proto::kMaxNameBytes),
        wire::field("limit", &S::limit).required().max(proto::kMaxProjectLimit),
    };
  }
  static MaybeError check(const SetLimitRequest& m);  // the project's name
};

struct SetPolicyRequest {
  std::uint64_t req = 0;
  std::string project;
  RetryPolicy policy;

  static constexpr auto fields() {
    using S = SetPolicyRequest;
    return std::tuple{
        wire::field("req", &S::req),
        wire::field("project", &S::project).required().max_bytes(proto::kMaxNameBytes),
        wire::field("policy", &S::policy).required(),
    };
  }
  static MaybeError check(const SetPolicyRequest& m);  // the name, validate(policy)
};

struct DlqListRequest {
  std::uint64_t req = 0;
  std::uint64_t limit = 100;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &DlqListRequest::req),
        wire::field("limit", &DlqListRequest::limit).max(proto::kMaxDlqList),
    };
  }
};

struct DlqReply {
  std::uint64_t req = 0;
  std::uint64_t total = 0;  // dead tasks held; `tasks` lists the oldest `limit`
  std::vector<TaskView> tasks;

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &DlqReply::req),
        wire::field("total", &DlqReply::total),
        // Each item's errors read "task: ...", as in STATUS_REPLY.
        wire::field("tasks", &DlqReply::tasks)
            .required()
            .max_items(proto::kMaxListItems)
            .errors_as("task"),
    };
  }
};

struct OkReply {
  std::uint64_t req = 0;
  std::uint64_t count = 0;  // DLQ_PURGE: tasks purged

  static constexpr auto fields() {
    return std::tuple{
        wire::field("req", &OkReply::req),
        wire::field("count", &OkReply::count).omit_default(),
    };
  }
};

struct PongReply {
  std::uint64_t req = 0;
  std::string version;
  std::uint64_t uptime_ms = 0;
  std::string events;  // the PUB endpoint as bound; "*" hosts mean "this broker's host"

  static constexpr auto fields() {
    using P = PongReply;
    return std::tuple{
        wire::field("req", &P::req),
        wire::field("version", &P::version).max_bytes(proto::kMaxNameBytes),
        wire::field("uptime_ms", &P::uptime_ms),
        wire::field("events", &P::events).omit_default().max_bytes(proto::kMaxPathBytes),
    };
  }
};

// LOGS_REPLY: what the broker holds of a task's output. Running tasks: the
// last bytes streamed so far; finished ones: the outcome's tails. `*_offset`
// is the position of the first byte held in the whole stream, so a follower
// can join the live OUTPUT events without a gap or a repeat.
struct LogsReply {
  std::uint64_t req = 0;
  std::uint64_t id = 0;
  TaskState state = TaskState::kQueued;
  std::string stdout_data;
  std::string stderr_data;
  std::uint64_t stdout_offset = 0;
  std::uint64_t stderr_offset = 0;

  static constexpr auto fields() {
    using L = LogsReply;
    return std::tuple{
        wire::field("req", &L::req),
        wire::field("id", &L::id).required(),
        wire::field("state", &L::state).required().max_bytes(32),
        wire::field("stdout", &L::stdout_data).bin().max_bytes(proto::kMaxMessageBytes),
        wire::field("stderr", &L::stderr_data).bin().max_bytes(proto::kMaxMessageBytes),
        wire::field("stdout_offset", &L::stdout_offset),
        wire::field("stderr_offset", &L::stderr_offset),
    };
  }
};

struct ErrorReply {
  std::uint64_t req = 0;  // 0 when the request's id could not be read
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  static constexpr auto fields() {
    using E = ErrorReply;
    return std::tuple{
        wire::field("req", &E::req),
        wire::field("code", &E::code).required(),
        // The code's name, for people reading the bytes; readers use the
        // number, so it is written and never read.
        wire::custom<E>("name", [](codec::MapWriter& w, std::string_view key,
                                   const E& e) { w.str(key, error_name(e.code)); }),
        wire::field("message", &E::message).max_bytes(proto::kMaxErrorMessageBytes),
    };
  }
};

std::string encode(const SubmitRequest& m);
std::string encode(const SubmittedReply& m);
std::string encode(const TaskQuery& m);
std::string encode(const TaskReply& m);
std::string encode(const Request& m);
std::string encode(const StatsReply& m);
std::string encode(const WorkersReply& m);
std::string encode(const ProjectsReply& m);
std::string encode(const SetLimitRequest& m);
std::string encode(const OkReply& m);
std::string encode(const SetPolicyRequest& m);
std::string encode(const DlqListRequest& m);
std::string encode(const DlqReply& m);
std::string encode(const PongReply& m);
std::string encode(const LogsReply& m);
std::string encode(const ErrorReply& m);

// `root` is a body from codec::parse_body().
MaybeError decode(const msgpack::object& root, SubmitRequest& out);
MaybeError decode(const msgpack::object& root, SubmittedReply& out);
MaybeError decode(const msgpack::object& root, TaskQuery& out);
MaybeError decode(const msgpack::object& root, TaskReply& out);
MaybeError decode(const msgpack::object& root, Request& out);
MaybeError decode(const msgpack::object& root, StatsReply& out);
MaybeError decode(const msgpack::object& root, WorkersReply& out);
MaybeError decode(const msgpack::object& root, ProjectsReply& out);
MaybeError decode(const msgpack::object& root, SetLimitRequest& out);
MaybeError decode(const msgpack::object& root, OkReply& out);
MaybeError decode(const msgpack::object& root, SetPolicyRequest& out);
MaybeError decode(const msgpack::object& root, DlqListRequest& out);
MaybeError decode(const msgpack::object& root, DlqReply& out);
MaybeError decode(const msgpack::object& root, PongReply& out);
MaybeError decode(const msgpack::object& root, LogsReply& out);
MaybeError decode(const msgpack::object& root, ErrorReply& out);

// The request id of a body that failed to decode, where one can be read, so
// the ERROR reply can still be matched by the client.
std::uint64_t peek_req(const msgpack::object& root);

}  // namespace zfleet::msg
