// Typed messages of protocol v1 and their msgpack bodies. One struct per body
// shape; encode() writes the canonical form (keys in the order below, absent
// optionals omitted), decode() accepts any key order, ignores unknown keys,
// treats nil as absent and validates every limit in protocol.hpp.
// Field meanings, units and defaults are specified in schemas/PROTOCOL.md.
// About 500 lines because it holds every body struct of the protocol; it is
// the one place the wire structs are declared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/codec.hpp"
#include "common/error_code.hpp"
#include "common/protocol.hpp"

namespace zfleet::msg {

using codec::DecodeError;
using MaybeError = std::optional<DecodeError>;

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

// Which endings of an attempt are retried: "exit" (non-zero exit code),
// "signal", "timeout", "lost" (the worker or broker went away), "error" (the
// task could not be started).
// "spawn": the program could not be executed at all (FAILED with reason
// cannot_exec: missing, not executable, not a valid binary); not retried by
// default, since trying again finds the same file.
inline constexpr std::string_view kRetryKinds[] = {"exit", "signal", "timeout",
                                                   "lost", "error",  "spawn"};

// Absent fields (0 / empty) inherit from the project's policy, then the
// broker's defaults.
struct RetryPolicy {
  std::uint32_t max_attempts = 0;     // attempts in all, the first included
  std::uint64_t backoff_ms = 0;       // delay before the 2nd attempt; doubles each time
  std::uint64_t backoff_max_ms = 0;   // cap on that delay
  std::vector<std::string> retry_on;  // subset of kRetryKinds
  bool operator==(const RetryPolicy&) const = default;
};

// Limits a task asks for. The worker applies the tighter of each and its own
// policy (per project, then worker-wide): a task can ask for less, never more.
// 0 / empty: the worker's.
struct SandboxRequest {
  std::uint64_t cpu_seconds = 0;          // CPU time of the task (RLIMIT_CPU)
  std::uint64_t memory_bytes = 0;         // hard mark: cgroup memory.max, and killed above it
  std::uint64_t memory_soft_bytes = 0;    // a resource_warning event above it
  std::uint64_t address_space_bytes = 0;  // RLIMIT_AS
  std::uint64_t open_files = 0;           // RLIMIT_NOFILE
  std::uint64_t processes = 0;            // pids.max of the task's cgroup
  std::uint64_t file_size_bytes = 0;      // RLIMIT_FSIZE
  std::string network;                    // "none" (loopback only) or "host"
  std::uint64_t stall_ms = 0;             // no output or progress this long: "stalled"
  bool kill_on_stall = false;             // ... and killed, not just reported
  bool operator==(const SandboxRequest&) const = default;
};

// An "http" task's request; see PROTOCOL.md §3.
struct HttpSpec {
  std::string method = "GET";
  std::string url;
  codec::StringPairs headers;
  std::string body;
  std::uint64_t max_response_bytes = 0;  // body bytes kept; 0: the default (1 MiB)
  std::uint32_t max_redirects = proto::kDefaultHttpRedirects;  // 0: none followed
  // Host rules that narrow the worker's own: a task may deny more hosts and
  // limit itself to an allow list, never reach what the worker denies.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool operator==(const HttpSpec&) const = default;
};

// A file the worker writes into the task's directory before the task starts
// (a script, a small input). See PROTOCOL.md §4.1 "files".
struct TaskFile {
  std::string path;  // relative to the task directory; no "..", "." or empty parts
  std::string data;  // the contents, any bytes
  std::uint32_t mode = proto::kDefaultTaskFileMode;  // permission bits only (<= 0777)
  bool operator==(const TaskFile&) const = default;
};

// What to run. Sent by producers in SUBMIT and by the broker in TASK.
struct TaskSpec {
  // "shell" (argv in a sandboxed child), "module" (a plugin in a runner
  // child), "http" (a request from a sandboxed child), or "noop" (completes
  // at once, no child: diagnostics).
  std::string type = "shell";
  std::string project = std::string(proto::kDefaultProject);
  std::uint32_t priority = proto::kDefaultPriority;
  std::vector<std::string> argv;
  std::string stdin_data;        // bytes written to the child's stdin, then closed
  codec::StringPairs env;        // added to the child's environment
  std::string cwd;               // working directory; empty: the worker's task directory
  std::vector<TaskFile> files;   // "shell": written into the task directory first
  std::uint64_t timeout_ms = 0;  // 0: the worker's default
  std::uint64_t grace_ms = 0;    // SIGTERM -> SIGKILL delay; 0: the worker's default
  std::uint64_t output_cap = proto::kDefaultOutputCapBytes;  // bytes kept per stream (tail)
  RetryPolicy retry;               // per-task overrides of the project's policy
  std::int64_t not_before_ms = 0;  // Unix ms; 0: as soon as possible
  std::string idempotency_key;     // repeats within the broker's window return the first id
  std::string module;              // "module": the plugin's name
  std::string args;                // "module": one msgpack object (raw bytes); empty: nil
  HttpSpec http;                   // "http"
  SandboxRequest sandbox;
};

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
};

// ---- client <-> broker -----------------------------------------------------

struct SubmitRequest {
  std::uint64_t req = 0;  // chosen by the client, echoed in the reply
  TaskSpec task;
};

struct SubmittedReply {
  std::uint64_t req = 0;
  std::uint64_t id = 0;
  bool duplicate = false;  // the idempotency key was seen: `id` is the original task
};

// Body of STATUS and RESULT. RESULT with wait_ms > 0 is answered when the task
// reaches a final state or wait_ms passes, whichever is first.
struct TaskQuery {
  std::uint64_t req = 0;
  std::uint64_t id = 0;
  std::uint64_t wait_ms = 0;
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
};

// Body of STATUS_REPLY and RESULT_REPLY.
struct TaskReply {
  std::uint64_t req = 0;
  TaskView task;
};

// Body of STATS, WORKERS, PROJECTS and PING: just the request id.
struct Request {
  std::uint64_t req = 0;
};

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

struct StatsReply {
  std::uint64_t req = 0;
  Counters stats;
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
};

struct WorkersReply {
  std::uint64_t req = 0;
  std::vector<WorkerView> workers;
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
};

struct ProjectsReply {
  std::uint64_t req = 0;
  std::vector<ProjectView> projects;
};

struct SetLimitRequest {
  std::uint64_t req = 0;
  std::string project;
  std::uint32_t limit = 0;  // 0: unlimited
};

struct SetPolicyRequest {
  std::uint64_t req = 0;
  std::string project;
  RetryPolicy policy;
};

struct DlqListRequest {
  std::uint64_t req = 0;
  std::uint64_t limit = 100;
};

struct DlqReply {
  std::uint64_t req = 0;
  std::uint64_t total = 0;  // dead tasks held; `tasks` lists the oldest `limit`
  std::vector<TaskView> tasks;
};

struct OkReply {
  std::uint64_t req = 0;
  std::uint64_t count = 0;  // DLQ_PURGE: tasks purged
};

struct PongReply {
  std::uint64_t req = 0;
  std::string version;
  std::uint64_t uptime_ms = 0;
  std::string events;  // the PUB endpoint as bound; "*" hosts mean "this broker's host"
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
};

struct ErrorReply {
  std::uint64_t req = 0;  // 0 when the request's id could not be read
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

// ---- worker <-> broker -----------------------------------------------------

struct LeaseRef {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
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
};

struct Welcome {
  std::uint32_t heartbeat_ms = proto::kDefaultHeartbeatMs;
};

struct TaskAssignment {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  TaskSpec spec;
};

struct Started {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint64_t pid = 0;
  std::int64_t started_at_ms = 0;
};

struct Credit {
  std::uint32_t credit = 0;
};

struct Done {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint32_t credit = 1;  // credit returned with this result
  Outcome outcome;
};

struct Failed {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint32_t credit = 1;
  std::string reason;  // short machine word: spawn_failed, invalid_task, ...
  std::string message;
};

struct Reject {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint32_t credit = 0;
  std::string reason;
};

// Broker -> worker: stop this attempt (SIGTERM, grace, SIGKILL) and report it.
struct CancelAttempt {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::string reason;
};

struct TaskActivity {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  LiveStatus status;
};

struct Heartbeat {
  std::uint32_t running = 0;        // worker -> broker: attempts running now
  std::uint32_t slots = 0;          // worker -> broker: its slot count now (adaptive); 0: unchanged
  std::vector<TaskActivity> tasks;  // worker -> broker: one per running attempt
};

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
};

struct Disconnect {
  std::string reason;
};

// ---- codec -----------------------------------------------------------------

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
std::string encode(const CancelAttempt& m);
std::string encode(const PongReply& m);
std::string encode(const ErrorReply& m);
std::string encode(const Ready& m);
std::string encode(const Welcome& m);
std::string encode(const TaskAssignment& m);
std::string encode(const Started& m);
std::string encode(const Credit& m);
std::string encode(const Done& m);
std::string encode(const Failed& m);
std::string encode(const Reject& m);
std::string encode(const Heartbeat& m);
std::string encode(const Disconnect& m);
std::string encode(const LogsReply& m);
std::string encode(const Event& m);
std::string encode(const OutputChunk& m);
// DRAIN has an empty map for a body.
std::string encode_empty();

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
MaybeError decode(const msgpack::object& root, CancelAttempt& out);
MaybeError decode(const msgpack::object& root, PongReply& out);
MaybeError decode(const msgpack::object& root, ErrorReply& out);
MaybeError decode(const msgpack::object& root, Ready& out);
MaybeError decode(const msgpack::object& root, Welcome& out);
MaybeError decode(const msgpack::object& root, TaskAssignment& out);
MaybeError decode(const msgpack::object& root, Started& out);
MaybeError decode(const msgpack::object& root, Credit& out);
MaybeError decode(const msgpack::object& root, Done& out);
MaybeError decode(const msgpack::object& root, Failed& out);
MaybeError decode(const msgpack::object& root, Reject& out);
MaybeError decode(const msgpack::object& root, Heartbeat& out);
MaybeError decode(const msgpack::object& root, Disconnect& out);
MaybeError decode(const msgpack::object& root, LogsReply& out);
MaybeError decode(const msgpack::object& root, Event& out);
MaybeError decode(const msgpack::object& root, OutputChunk& out);

// Decodes a whole body in one step (parse_body + decode).
template <typename T>
MaybeError decode_bytes(std::string_view bytes, T& out) {
  DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return error;
  return decode(body->root(), out);
}

// The request id of a body that failed to decode, where one can be read, so
// the ERROR reply can still be matched by the client.
std::uint64_t peek_req(const msgpack::object& root);

// Validates a task spec's values (type, project name, priority, argv, ...).
MaybeError validate(const TaskSpec& spec);
// Why `path` cannot name a task file (TaskFile::path), or empty when it can:
// relative, 1-16 parts of 1-255 bytes, none "." or "..", no NUL, at most
// kMaxTaskFilePathBytes. The worker checks again before writing.
std::string task_file_path_problem(std::string_view path);
MaybeError validate(const RetryPolicy& policy);
MaybeError validate(const SandboxRequest& sandbox);
MaybeError validate(const HttpSpec& http);
// Module names: [a-z0-9][a-z0-9_-]{0,63}, so a name can never be a path.
bool valid_module_name(std::string_view name);

// The spec alone as a msgpack map (the broker's journal stores it this way).
std::string encode_spec(const TaskSpec& spec);
MaybeError decode_spec(std::string_view bytes, TaskSpec& out);
std::string encode_outcome(const Outcome& outcome);
MaybeError decode_outcome(std::string_view bytes, Outcome& out);

}  // namespace zfleet::msg
