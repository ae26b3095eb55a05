// Valid golden vectors: every message type of protocol v1 encoded by the C++
// encoder (canonical form), including each task state, the retry policy,
// delayed tasks, idempotency keys, cancellation and the dead-letter commands,
// plus valid non-canonical bodies a decoder must accept (omitted defaults,
// unknown keys, nil values, other key order).
// Long because it is data: one block per vector in the spec's order, and
// nothing else lives here (invalid bodies are in their own file).
#include <msgpack.hpp>

#include "common/codec.hpp"
#include "common/messages.hpp"
#include "schemas/tools/vector_set.hpp"

namespace zfleet::vectors {

namespace {

namespace c = proto::cmd;
constexpr const char* kCB = "client->broker";
constexpr const char* kBC = "broker->client";
constexpr const char* kWB = "worker->broker";
constexpr const char* kBW = "broker->worker";
constexpr std::int64_t kT0 = 1'700'000'000'000;  // a fixed Unix time in ms

std::string s(std::string_view v) {
  return std::string(v);
}

void shell_true(msgpack::packer<msgpack::sbuffer>& p) {
  p.pack("type").pack("shell").pack("argv").pack_array(1).pack("/bin/true");
}

msg::RetryPolicy retry_policy() {
  msg::RetryPolicy p;
  p.max_attempts = 5;
  p.backoff_ms = 500;
  p.backoff_max_ms = 30'000;
  p.retry_on = {"exit", "timeout", "lost"};
  return p;
}

msg::TaskSpec minimal_spec() {
  msg::TaskSpec spec;
  spec.argv = {"/bin/echo", "hello"};
  return spec;
}

msg::TaskSpec full_spec() {
  msg::TaskSpec spec;
  spec.project = "billing";
  spec.priority = 10;
  spec.argv = {"/usr/bin/env", "sh", "-c", "cat; echo $GREETING"};
  spec.stdin_data = std::string("line 1\n\0\xff", 9);
  spec.env = {{"GREETING", "hi"}, {"LANG", "C.UTF-8"}};
  spec.cwd = "work/sub";
  spec.timeout_ms = 30'000;
  spec.grace_ms = 2'000;
  spec.output_cap = 4'096;
  spec.retry = retry_policy();
  spec.not_before_ms = kT0 + 60'000;
  spec.idempotency_key = "billing:invoice-7731:charge";
  return spec;
}

msg::TaskSpec noop_spec() {
  msg::TaskSpec spec;
  spec.type = "noop";
  spec.project = "bench";
  return spec;
}

msg::Outcome success_outcome() {
  msg::Outcome o;
  o.exit_code = 0;
  o.stdout_tail = "hello\n";
  o.stdout_bytes = 6;
  o.started_at_ms = kT0 + 20;
  o.finished_at_ms = kT0 + 45;
  o.user_cpu_ms = 1;
  o.sys_cpu_ms = 2;
  o.max_rss_kb = 1'536;
  return o;
}

msg::Outcome timed_out_outcome() {
  msg::Outcome o;
  o.signal = 9;
  o.timed_out = true;
  o.stdout_tail = "tick\ntick\n";
  o.stdout_bytes = 70'000;
  o.stderr_tail = std::string("\x00\x01", 2);
  o.stderr_bytes = 2;
  o.started_at_ms = kT0 + 20;
  o.finished_at_ms = kT0 + 32'020;
  o.user_cpu_ms = 29'000;
  o.sys_cpu_ms = 150;
  o.max_rss_kb = 20'480;
  return o;
}

msg::Outcome spawn_error_outcome() {
  msg::Outcome o;
  o.error = "execve /no/such/program: No such file or directory";
  o.started_at_ms = kT0 + 20;
  o.finished_at_ms = kT0 + 21;
  return o;
}

msg::Outcome nonzero_outcome() {
  msg::Outcome o;
  o.exit_code = 3;
  o.stderr_tail = "oops\n";
  o.stderr_bytes = 5;
  o.started_at_ms = kT0 + 20;
  o.finished_at_ms = kT0 + 25;
  return o;
}

msg::Outcome cancelled_outcome() {
  msg::Outcome o;
  o.signal = 15;
  o.cancelled = true;
  o.stdout_tail = "working\n";
  o.stdout_bytes = 8;
  o.started_at_ms = kT0 + 20;
  o.finished_at_ms = kT0 + 5'020;
  o.user_cpu_ms = 4;
  o.max_rss_kb = 2'048;
  return o;
}

msg::Outcome noop_outcome() {
  msg::Outcome o;
  o.exit_code = 0;
  o.started_at_ms = kT0 + 20;
  o.finished_at_ms = kT0 + 20;
  return o;
}

msg::ProjectView project(std::string name, std::uint32_t limit, std::uint64_t queued,
                         std::uint64_t running, std::uint64_t peak, std::uint64_t succeeded,
                         std::uint64_t failed) {
  msg::ProjectView v;
  v.name = std::move(name);
  v.limit = limit;
  v.queued = queued;
  v.running = running;
  v.peak_running = peak;
  v.succeeded = succeeded;
  v.failed = failed;
  return v;
}

msg::TaskView view(msg::TaskState state) {
  msg::TaskView v;
  v.id = 42;
  v.type = "shell";
  v.project = "default";
  v.priority = 5;
  v.state = state;
  v.submitted_at_ms = kT0;
  return v;
}

msg::WorkerView worker_view(std::string id, std::string host, std::uint64_t pid,
                            std::uint32_t slots, std::uint32_t busy, std::uint32_t credit,
                            std::vector<std::string> labels, std::uint64_t done,
                            std::uint64_t connected_ms, std::uint64_t idle_ms, bool draining) {
  msg::WorkerView v;
  v.id = std::move(id);
  v.hostname = std::move(host);
  v.pid = pid;
  v.slots = slots;
  v.busy = busy;
  v.credit = credit;
  v.labels = std::move(labels);
  v.tasks_done = done;
  v.connected_ms = connected_ms;
  v.idle_ms = idle_ms;
  v.draining = draining;
  return v;
}

msg::Ready ready(std::string id, std::string host, std::uint64_t pid, std::uint32_t slots,
                 std::uint32_t credit, std::vector<std::string> labels, std::string version,
                 std::vector<msg::LeaseRef> running) {
  msg::Ready r;
  r.worker_id = std::move(id);
  r.hostname = std::move(host);
  r.pid = pid;
  r.slots = slots;
  r.credit = credit;
  r.labels = std::move(labels);
  r.version = std::move(version);
  r.running = std::move(running);
  return r;
}

msg::Heartbeat heartbeat(std::uint32_t running) {
  msg::Heartbeat h;
  h.running = running;
  return h;
}

template <typename M>
Vector valid(std::string name, std::string_view command, const char* direction, const M& m,
             std::string description) {
  return {std::move(name), s(command), direction, msg::encode(m), std::move(description), {}};
}

void add_client_requests(std::vector<Vector>& out) {
  out.push_back(valid("submit_minimal", c::kSubmit, kCB, msg::SubmitRequest{1, minimal_spec()},
                      "SUBMIT with only the fields the encoder always writes (type, project, "
                      "priority and, for a shell task, argv); every other task field takes "
                      "its default."));
  out.push_back(valid("submit_full", c::kSubmit, kCB, msg::SubmitRequest{2, full_spec()},
                      "SUBMIT with every optional task field set: stdin as bin (may hold any "
                      "byte), env, cwd, timeout_ms, grace_ms, output_cap, a retry policy "
                      "(nested map), not_before_ms and an idempotency_key; priority 10 is the "
                      "highest."));
  {
    msg::TaskSpec delayed = minimal_spec();
    delayed.not_before_ms = kT0 + 3'600'000;
    delayed.idempotency_key = "nightly-report:2023-11-14";
    out.push_back(valid("submit_delayed_with_key", c::kSubmit, kCB, msg::SubmitRequest{20, delayed},
                        "SUBMIT of a task that must not start before not_before_ms (it is "
                        "scheduled until then), with an idempotency key: resending this body "
                        "after a timeout creates no second task."));
  }
  {
    msg::TaskSpec once = minimal_spec();
    once.retry.max_attempts = 1;
    out.push_back(valid("submit_no_retries", c::kSubmit, kCB, msg::SubmitRequest{21, once},
                        "SUBMIT with retry.max_attempts 1: the task is never retried, whatever "
                        "the project's or the broker's policy; the other policy fields are "
                        "inherited."));
  }
  {
    msg::TaskSpec quiet = minimal_spec();
    quiet.output_cap = 0;
    out.push_back(valid("submit_output_cap_zero", c::kSubmit, kCB, msg::SubmitRequest{25, quiet},
                        "SUBMIT with output_cap 0, written because it is not the default "
                        "65536: the outcome keeps no stdout or stderr bytes, stdout_bytes and "
                        "stderr_bytes still count them, live output is unaffected."));
  }
  out.push_back(valid("submit_noop", c::kSubmit, kCB, msg::SubmitRequest{22, noop_spec()},
                      "SUBMIT of a noop task: no argv (the encoder leaves it out); the worker "
                      "completes it at once without starting a child."));
  out.push_back(valid("status", c::kStatus, kCB, msg::TaskQuery{3, 42, 0},
                      "STATUS of task 42; wait_ms is omitted (0)."));
  out.push_back(valid("status_id_zero", c::kStatus, kCB, msg::TaskQuery{26, 0, 0},
                      "STATUS of id 0: a valid body (0 is a uint), but no task has id 0, so "
                      "the broker answers ERROR NOT_FOUND, as for RESULT and CANCEL."));
  out.push_back(valid("result_no_wait", c::kResult, kCB, msg::TaskQuery{4, 42, 0},
                      "RESULT answered at once, whatever the task's state."));
  out.push_back(valid("result_wait", c::kResult, kCB, msg::TaskQuery{5, 42, 30'000},
                      "RESULT long-poll: answered when task 42 is final or after 30000 ms."));
  out.push_back(valid("stats", c::kStats, kCB, msg::Request{6}, "STATS: the body is just req."));
  out.push_back(valid("workers", c::kWorkers, kCB, msg::Request{7}, "WORKERS: just req."));
  out.push_back(valid("projects", c::kProjects, kCB, msg::Request{8}, "PROJECTS: just req."));
  out.push_back(valid("ping", c::kPing, kCB, msg::Request{9}, "PING: just req."));
  out.push_back(valid("set_limit", c::kSetLimit, kCB, msg::SetLimitRequest{10, "billing", 4},
                      "SET_LIMIT: at most 4 tasks of project billing run at once."));
  out.push_back(valid("set_limit_unlimited", c::kSetLimit, kCB,
                      msg::SetLimitRequest{11, "billing", 0}, "SET_LIMIT 0 removes the limit."));
  out.push_back(valid("cancel", c::kCancel, kCB, msg::TaskQuery{30, 42, 0},
                      "CANCEL task 42: the body of STATUS (id; wait_ms is ignored)."));
  out.push_back(valid("dlq_list", c::kDlqList, kCB, msg::DlqListRequest{31, 50},
                      "DLQ_LIST: the first 50 dead tasks in task id (submission) order, and the "
                      "total."));
  out.push_back(valid("dlq_retry", c::kDlqRetry, kCB, msg::TaskQuery{32, 42, 0},
                      "DLQ_RETRY task 42: queue the dead task again with a fresh attempt "
                      "budget."));
  out.push_back(valid("dlq_purge", c::kDlqPurge, kCB, msg::Request{33},
                      "DLQ_PURGE: delete every dead task; the body is just req."));
  out.push_back(valid("set_policy", c::kSetPolicy, kCB,
                      msg::SetPolicyRequest{34, "billing", retry_policy()},
                      "SET_POLICY: project billing's retry policy, used for every field a "
                      "task leaves at 0 or empty."));
  {
    msg::RetryPolicy partial;
    partial.retry_on = {"lost"};
    out.push_back(valid("set_policy_partial", c::kSetPolicy, kCB,
                        msg::SetPolicyRequest{35, "reports", partial},
                        "SET_POLICY with only retry_on: the project retries lost attempts "
                        "only; max_attempts and the backoff come from the broker's "
                        "defaults."));
  }
  out.push_back(valid("set_policy_clear", c::kSetPolicy, kCB,
                      msg::SetPolicyRequest{36, "billing", {}},
                      "SET_POLICY with an empty policy map: the project goes back to the "
                      "broker's defaults."));
}

void add_client_replies(std::vector<Vector>& out) {
  out.push_back(valid("submitted", c::kSubmitted, kBC, msg::SubmittedReply{1, 42},
                      "SUBMITTED: request 1 created task 42 (the task is durable)."));
  {
    msg::SubmittedReply dup;
    dup.req = 20;
    dup.id = 42;
    dup.duplicate = true;
    out.push_back(valid("submitted_duplicate", c::kSubmitted, kBC, dup,
                        "SUBMITTED to a SUBMIT whose idempotency_key the broker accepted "
                        "before: id is the original task's, and nothing was created."));
  }
  out.push_back(valid("status_reply_queued", c::kStatusReply, kBC,
                      msg::TaskReply{3, view(msg::TaskState::kQueued)},
                      "STATUS_REPLY of a queued task: no worker, started_at_ms or "
                      "finished_at_ms yet (minimal task view)."));
  auto running = view(msg::TaskState::kRunning);
  running.attempts = 2;
  running.worker = "w-host-a-1";
  running.started_at_ms = kT0 + 20;
  out.push_back(valid("status_reply_running", c::kStatusReply, kBC, msg::TaskReply{3, running},
                      "STATUS_REPLY of a running task on its second attempt."));
  auto succeeded = view(msg::TaskState::kSucceeded);
  succeeded.attempts = 1;
  succeeded.worker = "w-host-a-1";
  succeeded.started_at_ms = kT0 + 20;
  succeeded.finished_at_ms = kT0 + 45;
  succeeded.outcome = success_outcome();
  out.push_back(valid("result_reply_succeeded", c::kResultReply, kBC, msg::TaskReply{5, succeeded},
                      "RESULT_REPLY of a succeeded task: exit_code 0, not timed out, no error. "
                      "stdout and stderr are bin."));
  auto failed = succeeded;
  failed.state = msg::TaskState::kFailed;
  failed.finished_at_ms = kT0 + 32'020;
  failed.outcome = timed_out_outcome();
  out.push_back(valid("result_reply_timed_out", c::kResultReply, kBC, msg::TaskReply{5, failed},
                      "RESULT_REPLY of a task killed at its timeout: signal set, exit_code "
                      "absent, timed_out true; stdout_bytes counts more than the tail kept."));
  auto spawn = succeeded;
  spawn.state = msg::TaskState::kFailed;
  spawn.outcome = spawn_error_outcome();
  out.push_back(valid("result_reply_spawn_error", c::kResultReply, kBC, msg::TaskReply{5, spawn},
                      "RESULT_REPLY of a task whose program could not be executed (FAILED "
                      "cannot_exec, kind spawn): not retried by the default policy, so it is "
                      "failed after attempt 1; error set, neither exit_code nor signal. A "
                      "spawn_failed FAILED or a DONE with error is kind error instead: "
                      "retried, then dead."));
  out.push_back(valid("result_reply_still_running", c::kResultReply, kBC,
                      msg::TaskReply{5, running},
                      "RESULT_REPLY after wait_ms passed: the task is not final, so there is "
                      "no outcome."));
  {
    auto delayed = view(msg::TaskState::kScheduled);
    delayed.not_before_ms = kT0 + 3'600'000;
    out.push_back(valid("status_reply_scheduled", c::kStatusReply, kBC, msg::TaskReply{3, delayed},
                        "STATUS_REPLY of a delayed task: scheduled until not_before_ms, never "
                        "dispatched yet."));
  }
  {
    auto retry = view(msg::TaskState::kScheduled);
    retry.attempts = 1;
    retry.worker = "w-host-a-1";
    retry.started_at_ms = kT0 + 20;
    retry.not_before_ms = kT0 + 25 + 740;
    retry.outcome = nonzero_outcome();
    out.push_back(valid("result_reply_retry_scheduled", c::kResultReply, kBC,
                        msg::TaskReply{5, retry},
                        "RESULT_REPLY after wait_ms passed while a retry waits out its "
                        "backoff: state scheduled (not final), not_before_ms when it is "
                        "queued again, and the outcome of the attempt that ended (exit 3, "
                        "with exit in its retry_on)."));
  }
  {
    auto cancelled = view(msg::TaskState::kCancelled);
    cancelled.attempts = 1;
    cancelled.worker = "w-host-a-1";
    cancelled.started_at_ms = kT0 + 20;
    cancelled.finished_at_ms = kT0 + 5'000;
    out.push_back(valid("result_reply_cancelled", c::kResultReply, kBC,
                        msg::TaskReply{5, cancelled},
                        "RESULT_REPLY of a task cancelled while running, before its worker "
                        "reported the stopped attempt: final at once, finished_at_ms is the "
                        "time of the CANCEL, no outcome yet (the worker's DONE with cancelled "
                        "true becomes the outcome later; the state does not change)."));
  }
  auto dead = succeeded;
  dead.state = msg::TaskState::kDead;
  dead.attempts = 3;
  dead.worker = "w-host-b-1";
  dead.started_at_ms = kT0 + 7'000;
  dead.finished_at_ms = kT0 + 7'400;
  {
    msg::Outcome killed;
    killed.signal = 9;
    killed.stderr_tail = "Killed\n";
    killed.stderr_bytes = 7;
    killed.started_at_ms = kT0 + 7'000;
    killed.finished_at_ms = kT0 + 7'400;
    killed.max_rss_kb = 4'194'304;
    dead.outcome = killed;
  }
  out.push_back(valid("result_reply_dead", c::kResultReply, kBC, msg::TaskReply{5, dead},
                      "RESULT_REPLY of a dead task: its third attempt also ended by a signal "
                      "(retried by the default policy) and max_attempts is 3, so it is in the "
                      "dead-letter list."));
  auto dead_view = dead;
  dead_view.outcome.reset();
  out.push_back(valid("status_reply_dead", c::kStatusReply, kBC, msg::TaskReply{3, dead_view},
                      "STATUS_REPLY of a dead task (no outcome in STATUS_REPLY)."));
  {
    auto other = dead_view;
    other.id = 57;
    other.project = "billing";
    other.attempts = 5;
    other.submitted_at_ms = kT0 + 100;
    other.finished_at_ms = kT0 + 93'000;
    out.push_back(valid("dlq_reply", c::kDlqReply, kBC, msg::DlqReply{31, 2, {dead_view, other}},
                        "DLQ_REPLY whose views carry no outcome: valid, and a reader must accept "
                        "it, but the reference broker includes each task's last outcome "
                        "(dlq_reply_with_outcome). Tasks in id order; total counts all dead "
                        "tasks the broker holds."));
    out.push_back(valid("dlq_reply_truncated", c::kDlqReply, kBC,
                        msg::DlqReply{31, 1'250, {dead_view}},
                        "DLQ_REPLY to DLQ_LIST limit 1: one task listed of 1250 held."));
    auto older = dead;
    older.id = 41;
    older.project = "billing";
    older.finished_at_ms = kT0 + 9'000;  // died after task 42, listed before it
    out.push_back(valid("dlq_reply_with_outcome", c::kDlqReply, kBC,
                        msg::DlqReply{31, 2, {older, dead}},
                        "DLQ_REPLY as the reference broker sends it: ascending task id "
                        "(submission order, not the order they died: task 41 died after task "
                        "42), each view with its last attempt's outcome, why it died."));
  }
  out.push_back(valid("dlq_reply_empty", c::kDlqReply, kBC, msg::DlqReply{31, 0, {}},
                      "DLQ_REPLY when no task is dead."));
  out.push_back(valid("stats_reply", c::kStatsReply, kBC,
                      msg::StatsReply{6,
                                      {{"tasks_submitted", 120},
                                       {"tasks_succeeded", 117},
                                       {"tasks_failed", 2},
                                       {"queue_depth", 1}}},
                      "STATS_REPLY: counter names to non-negative integers."));
  msg::WorkerView wa =
      worker_view("w-host-a-1", "host-a", 4242, 4, 3, 1, {"linux", "gpu"}, 1000, 60'000, 15, false);
  msg::WorkerView wb = worker_view("w-host-b-1", "host-b", 777, 2, 1, 0, {}, 5, 1'200, 300, true);
  out.push_back(valid("workers_reply", c::kWorkersReply, kBC, msg::WorkersReply{7, {wa, wb}},
                      "WORKERS_REPLY with two workers, the second one draining."));
  out.push_back(valid("workers_reply_empty", c::kWorkersReply, kBC, msg::WorkersReply{7, {}},
                      "WORKERS_REPLY with no worker connected."));
  out.push_back(valid(
      "projects_reply", c::kProjectsReply, kBC,
      msg::ProjectsReply{
          8, {project("billing", 4, 10, 4, 4, 300, 1), project("default", 0, 0, 1, 9, 50, 0)}},
      "PROJECTS_REPLY: limit 0 means unlimited; no policy map when the project "
      "uses the broker's defaults."));
  {
    auto billing = project("billing", 4, 10, 4, 4, 300, 1);
    billing.policy = retry_policy();
    billing.dead = 2;
    billing.cancelled = 7;
    out.push_back(valid("projects_reply_with_policy", c::kProjectsReply, kBC,
                        msg::ProjectsReply{8, {billing}},
                        "PROJECTS_REPLY of a project with a retry policy set by SET_POLICY, "
                        "2 dead tasks held and 7 tasks cancelled."));
  }
  out.push_back(valid("ok", c::kOk, kBC, msg::OkReply{10}, "OK to SET_LIMIT request 10."));
  out.push_back(valid("ok_count", c::kOk, kBC, msg::OkReply{33, 17},
                      "OK to DLQ_PURGE request 33: 17 dead tasks were deleted."));
  {
    msg::PongReply pong;
    pong.req = 9;
    pong.version = "0.1.0";
    pong.uptime_ms = 86'400'000;
    out.push_back(valid("pong", c::kPong, kBC, pong,
                        "PONG: the broker's version and uptime in ms (events off: no events "
                        "key)."));
    pong.events = "tcp://0.0.0.0:5557";
    out.push_back(valid("pong_events", c::kPong, kBC, pong,
                        "PONG of a broker publishing events on a wildcard address: a client "
                        "connects to port 5557 of the host it reached the broker on."));
  }
  out.push_back(valid("error_invalid_field", c::kError, kBC,
                      msg::ErrorReply{2, ErrorCode::kInvalidField, "task: 'priority' must be 0-10"},
                      "ERROR answering request 2: code and name from the catalogue, a message "
                      "for humans."));
  out.push_back(
      valid("error_unsupported_version", c::kError, kBC,
            msg::ErrorReply{0, ErrorCode::kUnsupportedVersion, "this broker speaks zfleet/1"},
            "ERROR with req 0: the request's id could not be read (here frame 0 "
            "named another protocol version; the broker reads no body then). The reply's "
            "own frame 0 is zfleet/1."));
  out.push_back(valid("error_invalid_state", c::kError, kBC,
                      msg::ErrorReply{30, ErrorCode::kInvalidState, "task 42 is succeeded"},
                      "ERROR to CANCEL of a task that is already final (or DLQ_RETRY of a "
                      "task that is not dead)."));
  out.push_back(valid("error_unknown_command", c::kError, kBC,
                      msg::ErrorReply{7, ErrorCode::kUnknownCommand, "unknown command 'submit'"},
                      "ERROR to frame 1 'submit': command names are case-sensitive. The "
                      "request's req (a uint) is echoed; a req of another type gives req 0."));
}

void add_worker_messages(std::vector<Vector>& out) {
  out.push_back(valid("ready_minimal", c::kReady, kWB,
                      ready("w-host-a-1", "host-a", 4242, 4, 4, {}, "0.1.0", {}),
                      "READY of a fresh worker: 4 slots, all offered as credit, no labels, "
                      "nothing running."));
  out.push_back(valid(
      "ready_reconnect", c::kReady, kWB,
      ready("w-host-a-1", "host-a", 4242, 4, 2, {"linux", "zone:a"}, "0.1.0", {{42, 2}, {43, 1}}),
      "READY after a reconnect: two attempts it still runs or holds a result for, so "
      "credit is slots minus 2."));
  out.push_back(valid("started", c::kStarted, kWB, msg::Started{42, 2, 31337, kT0 + 20},
                      "STARTED: attempt 2 of task 42 runs as pid 31337 since started_at_ms, the "
                      "worker's wall clock just after the spawn; task views show it."));
  out.push_back(valid("credit", c::kCredit, kWB, msg::Credit{3},
                      "CREDIT: the worker may take 3 more tasks."));
  out.push_back(valid("done_succeeded", c::kDone, kWB, msg::Done{42, 2, 1, success_outcome()},
                      "DONE of a successful attempt, returning 1 credit."));
  out.push_back(valid("done_exit_nonzero", c::kDone, kWB, msg::Done{42, 2, 1, nonzero_outcome()},
                      "DONE of an attempt that exited with 3: kind exit, which the default "
                      "policy does not retry, so the task fails."));
  out.push_back(valid("done_timed_out", c::kDone, kWB, msg::Done{42, 2, 1, timed_out_outcome()},
                      "DONE of an attempt killed at its timeout (signal 9, timed_out)."));
  out.push_back(valid("done_spawn_error", c::kDone, kWB, msg::Done{42, 2, 0, spawn_error_outcome()},
                      "DONE with error set and credit 0 (the worker keeps the slot closed): kind "
                      "error, retried by the default policy (a program that cannot be "
                      "executed is reported with FAILED cannot_exec instead)."));
  out.push_back(valid("done_cancelled", c::kDone, kWB, msg::Done{42, 2, 1, cancelled_outcome()},
                      "DONE of an attempt the worker stopped after CANCEL: cancelled true, "
                      "ended by SIGTERM. It returns the slot and becomes the task's outcome; "
                      "the task, already cancelled, stays so."));
  out.push_back(valid("done_noop", c::kDone, kWB, msg::Done{44, 1, 1, noop_outcome()},
                      "DONE of a noop task: exit_code 0 with no child and no output."));
  out.push_back(valid("failed", c::kFailed, kWB,
                      msg::Failed{42, 2, 1, "invalid_task", "cwd escapes the task directory"},
                      "FAILED: the worker could not run the attempt at all. Reason invalid_task "
                      "is kind error: retried by the default policy."));
  out.push_back(
      valid("failed_cannot_exec", c::kFailed, kWB,
            msg::Failed{42, 1, 1, "cannot_exec", "spawn: No such file or directory: ./nonexistent"},
            "FAILED cannot_exec: the program cannot be executed and another attempt "
            "would find the same. Kind spawn, which the default policy does not "
            "retry: the task is failed at once, message as its outcome's error."));
  out.push_back(valid("reject", c::kReject, kWB, msg::Reject{42, 3, 0, "draining"},
                      "REJECT: the worker gives the attempt back unrun; the broker requeues it."));
  out.push_back({"drain",
                 s(c::kDrain),
                 kWB,
                 msg::encode_empty(),
                 "DRAIN: an empty map. The worker takes no new tasks.",
                 {}});
  out.push_back(valid("heartbeat_worker", c::kHeartbeat, kWB, heartbeat(3),
                      "HEARTBEAT from a worker running 3 attempts."));
  out.push_back(valid("disconnect_worker", c::kDisconnect, kWB, msg::Disconnect{"shutdown"},
                      "DISCONNECT from a worker that is stopping."));
  out.push_back(valid("welcome", c::kWelcome, kBW, msg::Welcome{1000},
                      "WELCOME: heartbeat every 1000 ms in both directions."));
  out.push_back(valid("task_minimal", c::kTask, kBW, msg::TaskAssignment{42, 1, minimal_spec()},
                      "TASK: attempt 1 of task 42 with a minimal spec."));
  out.push_back(valid("task_full", c::kTask, kBW, msg::TaskAssignment{43, 3, full_spec()},
                      "TASK: attempt 3 of task 43 with every optional spec field set (the "
                      "worker ignores retry, not_before_ms and idempotency_key)."));
  out.push_back(valid("task_noop", c::kTask, kBW, msg::TaskAssignment{44, 1, noop_spec()},
                      "TASK of a noop task: the worker answers DONE with exit_code 0 at once."));
  out.push_back(valid("cancel_worker", c::kCancel, kBW,
                      msg::CancelAttempt{42, 2, "cancelled by a client"},
                      "CANCEL: stop attempt 2 of task 42 (SIGTERM, grace, SIGKILL) and report "
                      "it with DONE."));
  out.push_back(valid("cancel_worker_reconcile", c::kCancel, kBW,
                      msg::CancelAttempt{43, 1, "not the current attempt"},
                      "CANCEL after READY listed an attempt that is no longer current (the "
                      "task was requeued, redispatched or finished meanwhile)."));
  out.push_back(valid("heartbeat_broker", c::kHeartbeat, kBW, heartbeat(0),
                      "HEARTBEAT from the broker (running is always 0 in this direction)."));
  out.push_back(valid("disconnect_broker", c::kDisconnect, kBW, msg::Disconnect{"shutting down"},
                      "DISCONNECT from the broker: the worker should reconnect later."));
  out.push_back(valid("error_unknown_worker", c::kError, kBW,
                      msg::ErrorReply{0, ErrorCode::kUnknownWorker, "send READY first"},
                      "ERROR to a worker that sent DONE before READY: it must send READY."));
}

void add_monitoring(std::vector<Vector>& out) {
  {
    msg::TaskSpec module;
    module.type = "module";
    module.project = "media";
    module.module = "thumbnail";
    module.args = std::string(
        "\x82\xa5width\xcd\x02\x80\xa4tags\x92\xa1"
        "a\xc3",
        19);
    out.push_back(valid("submit_module", c::kSubmit, kCB, msg::SubmitRequest{40, module},
                        "SUBMIT of a module task: no argv; args is one msgpack value of any type "
                        "(here a map) handed to the module as is."));
    msg::TaskSpec named;
    named.type = "module";
    named.module = "2d-plot_v1";
    out.push_back(valid("submit_module_name_rules", c::kSubmit, kCB, msg::SubmitRequest{47, named},
                        "SUBMIT of a module whose name uses every kind of byte allowed: lower "
                        "case, digits (also first), '-' and '_' (not first); 1-64 bytes."));
  }
  {
    msg::TaskSpec http;
    http.type = "http";
    http.http.method = "POST";
    http.http.url = "https://api.example.com/v1/hook";
    http.http.headers = {{"Content-Type", "application/json"}};
    http.http.body = "{\"ok\":true}";
    http.http.max_response_bytes = 65'536;
    http.http.max_redirects = 0;
    http.http.allow = {"api.example.com"};
    http.http.deny = {"10.0.0.0/8"};
    out.push_back(valid("submit_http", c::kSubmit, kCB, msg::SubmitRequest{41, http},
                        "SUBMIT of an http task: the request in the http map; no redirects "
                        "followed; host rules narrow the worker's own."));
  }
  {
    msg::TaskSpec boxed = minimal_spec();
    boxed.sandbox.cpu_seconds = 60;
    boxed.sandbox.memory_bytes = 268'435'456;
    boxed.sandbox.memory_soft_bytes = 201'326'592;
    boxed.sandbox.address_space_bytes = 4'294'967'296;
    boxed.sandbox.open_files = 256;
    boxed.sandbox.processes = 32;
    boxed.sandbox.file_size_bytes = 1'073'741'824;
    boxed.sandbox.network = "none";
    boxed.sandbox.stall_ms = 30'000;
    boxed.sandbox.kill_on_stall = true;
    out.push_back(valid("submit_sandbox", c::kSubmit, kCB, msg::SubmitRequest{42, boxed},
                        "SUBMIT with every sandbox limit: they only tighten the worker's own "
                        "(it applies the smaller of each)."));
  }
  {
    msg::TaskSpec scripted;
    scripted.argv = {"./job.sh", "--fast"};
    scripted.files = {{"job.sh", "#!/bin/sh\nexec sort \"$@\" in/data.txt\n", 0755},
                      {"in/data.txt", std::string("b\na\n\0", 5), proto::kDefaultTaskFileMode}};
    out.push_back(valid("submit_with_files", c::kSubmit, kCB, msg::SubmitRequest{46, scripted},
                        "SUBMIT of a shell task with two files the worker writes into the task "
                        "directory first: an executable script (mode 493 = 0755) that argv runs "
                        "as ./job.sh, and an input in a subdirectory (data as bin, any bytes; "
                        "mode left out: 0644)."));
  }
  out.push_back(valid("suspend", c::kSuspend, kCB, msg::TaskQuery{43, 42, 0},
                      "SUSPEND task 42: the body of STATUS."));
  out.push_back(valid("resume", c::kResume, kCB, msg::TaskQuery{44, 42, 0},
                      "RESUME task 42: the body of STATUS."));
  out.push_back(valid("logs", c::kLogs, kCB, msg::TaskQuery{45, 42, 0},
                      "LOGS of task 42: the body of STATUS."));
  {
    msg::LogsReply running;
    running.req = 45;
    running.id = 42;
    running.state = msg::TaskState::kRunning;
    running.stdout_data = "step 3 of 4\n";
    running.stdout_offset = 20'480;
    out.push_back(valid("logs_reply_running", c::kLogsReply, kBC, running,
                        "LOGS_REPLY of a running task: the last bytes the broker holds and "
                        "the stream offset of their first byte (stderr empty at offset 0)."));
    msg::LogsReply done;
    done.req = 46;
    done.id = 43;
    done.state = msg::TaskState::kSucceeded;
    done.stdout_data = "done\n";
    done.stdout_offset = 995;
    done.stderr_data = "warning\n";
    out.push_back(valid("logs_reply_final", c::kLogsReply, kBC, done,
                        "LOGS_REPLY of a finished task: the outcome's tails; stdout_offset is "
                        "stdout_bytes minus the tail's size."));
  }
  {
    msg::TaskView t;
    t.id = 42;
    t.type = "shell";
    t.project = "etl";
    t.priority = 5;
    t.state = msg::TaskState::kRunning;
    t.attempts = 1;
    t.worker = "w-host-a-1";
    t.submitted_at_ms = kT0;
    t.started_at_ms = kT0 + 5;
    msg::LiveStatus live;
    live.progress = 40;
    live.message = "copying";
    live.rss_kb = 20'480;
    live.cpu_ms = 1'200;
    live.output_bytes = 4'096;
    live.idle_ms = 250;
    live.suspended = true;
    t.live = live;
    out.push_back(valid("status_reply_live", c::kStatusReply, kBC, msg::TaskReply{3, t},
                        "STATUS_REPLY of a running task with its worker's last report in "
                        "live (here suspended)."));
    t.state = msg::TaskState::kFailed;
    t.live.reset();
    t.finished_at_ms = kT0 + 9'000;
    msg::Outcome o;
    o.signal = 9;
    o.stdout_bytes = 0;
    o.started_at_ms = kT0 + 5;
    o.finished_at_ms = kT0 + 9'000;
    o.max_rss_kb = 262'144;
    o.result = std::string("\x81\xa5rows\x00", 8);
    o.killed_by = "memory";
    o.sandbox = "rlimits,cgroup,seccomp,netns";
    o.peak_rss_kb = 262'200;
    o.progress = 70;
    t.outcome = o;
    out.push_back(valid("result_reply_killed", c::kResultReply, kBC, msg::TaskReply{5, t},
                        "RESULT_REPLY of an attempt the worker killed above its memory limit: "
                        "killed_by, the sandbox layers applied, the group's peak RSS, the "
                        "last progress and a result value."));
  }
  {
    msg::WorkerView w = worker_view("w-host-c-1", "host-c", 99, 6, 2, 4, {}, 12, 5'000, 100, false);
    w.min_slots = 2;
    w.max_slots = 8;
    w.layers = {"rlimits", "cgroup", "seccomp"};
    w.task_types = {"shell", "module", "http", "noop"};
    w.modules = {"thumbnail"};
    out.push_back(valid("workers_reply_adaptive", c::kWorkersReply, kBC, msg::WorkersReply{7, {w}},
                        "WORKERS_REPLY of an adaptive worker: slots is its count now, between "
                        "min_slots and max_slots; what it can run and the layers it applies."));
    msg::Ready r = ready("w-host-c-1", "host-c", 99, 6, 6, {}, "0.1.0", {});
    r.min_slots = 2;
    r.max_slots = 8;
    r.layers = w.layers;
    r.task_types = w.task_types;
    r.modules = w.modules;
    out.push_back(valid("ready_adaptive", c::kReady, kWB, r,
                        "READY of a worker whose slot count adapts between 2 and 8 (6 now), "
                        "with its sandbox layers, task types and modules."));
  }
  {
    msg::TaskLimits limits;
    limits.memory_bytes = 1'503'657'984;  // 1434 MiB
    limits.cpu_seconds = 3'600;
    limits.timeout_ms = 3'600'000;
    limits.processes = 512;
    msg::Ready r = ready("w-host-d-1", "host-d", 77, 8, 8, {}, "0.1.0", {});
    r.limits = limits;
    out.push_back(valid("ready_limits", c::kReady, kWB, r,
                        "READY with the ceilings the worker puts on every task: memory, CPU "
                        "time, the wall clock of tasks without a timeout, processes."));
    msg::WorkerView w = worker_view("w-host-d-1", "host-d", 77, 8, 0, 8, {}, 0, 1'000, 20, false);
    limits.cpu_seconds = 0;  // switched off: absent
    w.limits = limits;
    out.push_back(valid("workers_reply_limits", c::kWorkersReply, kBC, msg::WorkersReply{8, {w}},
                        "WORKERS_REPLY with a worker's per-task ceilings; one it does not set "
                        "(here CPU time) is absent from the map."));
    msg::TaskView t;
    t.id = 43;
    t.type = "shell";
    t.project = "etl";
    t.priority = 5;
    t.state = msg::TaskState::kFailed;
    t.attempts = 1;
    t.worker = "w-host-d-1";
    t.submitted_at_ms = kT0;
    t.started_at_ms = kT0 + 5;
    t.finished_at_ms = kT0 + 2'000;
    msg::Outcome o;
    o.signal = 9;
    o.started_at_ms = kT0 + 5;
    o.finished_at_ms = kT0 + 2'000;
    o.max_rss_kb = 65'400;
    o.killed_by = "oom";
    o.sandbox = "rlimits,cgroup-v2(memory,pids,cpu)";
    o.message = "killed: memory limit 64 MiB";
    t.outcome = o;
    out.push_back(valid("result_reply_memory_limit", c::kResultReply, kBC, msg::TaskReply{9, t},
                        "RESULT_REPLY of an attempt the kernel's OOM killer ended in its "
                        "cgroup, with the worker's message naming the limit it ran under."));
  }
  {
    msg::Heartbeat h = heartbeat(1);
    h.slots = 5;
    msg::TaskActivity a;
    a.task_id = 42;
    a.attempt = 1;
    a.status.progress = 40;
    a.status.message = "copying";
    a.status.rss_kb = 20'480;
    a.status.cpu_ms = 1'200;
    a.status.output_bytes = 4'096;
    a.status.idle_ms = 250;
    h.tasks.push_back(a);
    out.push_back(valid("heartbeat_activity", c::kHeartbeat, kWB, h,
                        "HEARTBEAT with the worker's slot count now and one activity entry per "
                        "running attempt."));
  }
  {
    msg::Event e;
    e.kind = "progress";
    e.at_ms = kT0 + 1'000;
    e.task_id = 42;
    e.attempt = 1;
    e.percent = 40;
    e.message = "copying";
    out.push_back(valid("event_progress", c::kEvent, kWB, e,
                        "EVENT: a progress marker of attempt 1 of task 42 (the broker fills "
                        "project and worker when it republishes it)."));
    msg::Event k;
    k.kind = "killed";
    k.at_ms = kT0 + 2'000;
    k.task_id = 42;
    k.attempt = 1;
    k.rss_kb = 262'200;
    k.reason = "memory";
    k.message = "above memory_bytes";
    out.push_back(valid("event_killed", c::kEvent, kWB, k,
                        "EVENT: the worker killed the attempt (reason memory)."));
    msg::Event slots;
    slots.kind = "slots_down";
    slots.at_ms = kT0 + 3'000;
    slots.message = "load 7.9 on 4 cpus";
    slots.from = 6;
    slots.to = 5;
    out.push_back(valid("event_slots_down", c::kEvent, kWB, slots,
                        "EVENT about the worker itself (no task_id): its slot count went from "
                        "6 to 5."));
  }
  out.push_back(valid("output_chunk", c::kOutput, kWB,
                      msg::OutputChunk{42, 1, "stdout", 4'096, "step 3 of 4\n"},
                      "OUTPUT: bytes 4096.. of attempt 1's stdout."));
  out.push_back(valid("suspend_worker", c::kSuspend, kBW, msg::CancelAttempt{42, 1, "client"},
                      "SUSPEND: SIGSTOP attempt 1 of task 42's process group; the body of "
                      "CANCEL."));
  out.push_back(valid("resume_worker", c::kResume, kBW, msg::CancelAttempt{42, 1, "client"},
                      "RESUME: SIGCONT it again."));
}

// Valid bodies that are not the canonical form; the re-encoded form is in
// the vector file as canonical_hex.
void add_non_canonical(std::vector<Vector>& out) {
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(1).pack("task").pack_map(2);
    p.pack("type").pack("shell");
    p.pack("argv").pack_array(1).pack("/bin/true");
    out.push_back({"submit_defaults_omitted",
                   s(c::kSubmit),
                   kCB,
                   std::string(b.data(), b.size()),
                   "SUBMIT without req, project or priority: req is 0, project 'default', "
                   "priority 5.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(3).pack("x-trace").pack("abc");
    p.pack("task").pack_map(5);
    p.pack("argv").pack_array(1).pack("/bin/true");
    p.pack("cwd").pack_nil();
    p.pack("type").pack("shell");
    p.pack("future_field").pack_array(2).pack(1).pack(2);
    p.pack("priority").pack_nil();
    p.pack("req").pack(12);
    out.push_back({"submit_unknown_and_nil_fields",
                   s(c::kSubmit),
                   kCB,
                   std::string(b.data(), b.size()),
                   "Unknown keys are ignored, nil equals absent, and keys may come in any "
                   "order.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(2).pack("id").pack(42).pack("req").pack(13);
    out.push_back({"status_key_order",
                   s(c::kStatus),
                   kCB,
                   std::string(b.data(), b.size()),
                   "Keys in another order than the canonical one.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(3).pack("task_id").pack(42).pack("attempt").pack(2);
    p.pack("exit_code").pack(0);
    out.push_back({"done_minimal",
                   s(c::kDone),
                   kWB,
                   std::string(b.data(), b.size()),
                   "DONE with only task_id, attempt and exit_code: credit defaults to 1, every "
                   "other outcome field to 0, false or empty.",
                   {}});
  }
  {
    std::string deep = "\x82\xa3req\x0f\xa1x";
    for (int i = 0; i < 7; ++i)
      deep += "\x91";
    deep += std::string(1, '\0');
    out.push_back({"ping_nested_at_depth_limit",
                   s(c::kPing),
                   kCB,
                   deep,
                   "An unknown key whose value nests containers 8 deep counting the body "
                   "itself: well within the limit of 16 (ping_nested_16_deep is at it, "
                   "nested_too_deep over it).",
                   {}});
  }
  {
    std::string deep = "\x82\xa3req\x10\xa1x";
    for (int i = 0; i < 15; ++i)
      deep += "\x91";
    deep += std::string(1, '\0');
    out.push_back({"ping_nested_16_deep",
                   s(c::kPing),
                   kCB,
                   deep,
                   "An unknown key whose value nests 15 arrays: with the body map, 16 "
                   "containers, the most a receiver accepts (one more is TOO_LARGE).",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(1).pack("req").pack(14);
    out.push_back({"drain_ignores_fields",
                   s(c::kDrain),
                   kWB,
                   std::string(b.data(), b.size()),
                   "DRAIN with a key: its fields are ignored.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(2).pack("req").pack(23).pack("task").pack_map(1).pack("type").pack("noop");
    out.push_back({"submit_noop_without_argv",
                   s(c::kSubmit),
                   kCB,
                   std::string(b.data(), b.size()),
                   "A noop task needs no argv; the canonical form adds project and priority "
                   "and, like the body, has no argv.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(2).pack("req").pack(24).pack("task").pack_map(4);
    shell_true(p);
    p.pack("retry").pack_map(3);
    p.pack("max_attempts").pack(0);
    p.pack("retry_on").pack_nil();
    p.pack("jitter").pack("none");
    p.pack("idempotency_key").pack("");
    out.push_back({"submit_retry_defaults_spelled_out",
                   s(c::kSubmit),
                   kCB,
                   std::string(b.data(), b.size()),
                   "A retry map holding only defaults (max_attempts 0 = inherit, retry_on "
                   "nil = absent, an unknown key) and an empty idempotency_key equal leaving "
                   "them out: the canonical form has neither.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(1).pack("req").pack(31);
    out.push_back({"dlq_list_limit_omitted",
                   s(c::kDlqList),
                   kCB,
                   std::string(b.data(), b.size()),
                   "DLQ_LIST without limit lists at most 100 tasks; the encoder always "
                   "writes limit.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(3).pack("req").pack(20).pack("id").pack(42).pack("duplicate").pack(false);
    out.push_back({"submitted_duplicate_false",
                   s(c::kSubmitted),
                   kBC,
                   std::string(b.data(), b.size()),
                   "duplicate false equals absent: a new task was created.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(2).pack("req").pack(33).pack("count").pack(0);
    out.push_back({"ok_count_zero",
                   s(c::kOk),
                   kBC,
                   std::string(b.data(), b.size()),
                   "OK with count 0 (DLQ_PURGE found no dead task): the encoder leaves count "
                   "out.",
                   {}});
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(2).pack("task_id").pack(42).pack("attempt").pack(2);
    out.push_back({"cancel_worker_without_reason",
                   s(c::kCancel),
                   kBW,
                   std::string(b.data(), b.size()),
                   "CANCEL to a worker without reason (optional; the encoder writes it, "
                   "empty).",
                   {}});
  }
}

}  // namespace

std::vector<Vector> valid_vectors() {
  std::vector<Vector> out;
  add_client_requests(out);
  add_client_replies(out);
  add_worker_messages(out);
  add_monitoring(out);
  add_non_canonical(out);
  return out;
}

}  // namespace zfleet::vectors
