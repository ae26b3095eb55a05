// Broker: running attempts as their workers report them. HEARTBEAT activity
// and EVENTs update the task's live status, OUTPUT fills its LiveLog, and all
// of it is republished to subscribers. Reports are fenced like results: only
// the worker holding the current attempt may speak for it; anything else is
// dropped and counted (events_rejected). Clients read it back with STATUS,
// LOGS, and steer it with SUSPEND / RESUME.
//
// None of this is journaled: it describes a process, not the task's fate. A
// restarted broker shows it again from the worker's next heartbeat (a
// suspended attempt included); output held before the restart is gone.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.hpp"

namespace zfleet::broker {

namespace {

// Kinds only the broker reports; a worker sending one is refused.
bool broker_kind(std::string_view kind) {
  return kind == "submitted" || kind == "started" || kind == "finished" || kind == "retrying" ||
         kind == "requeued" || kind == "cancelled";
}

std::string clipped(std::string text) {
  if (text.size() > proto::kMaxProgressMessageBytes) text.resize(proto::kMaxProgressMessageBytes);
  return text;
}

}  // namespace

void Broker::forget_live(Task& task) {
  task.live.reset();
  live_logs_.forget(task.id);
}

void Broker::set_worker_slots(WorkerRecord& w, std::uint32_t slots) {
  // Shown by WORKERS only: what to offer as credit stays the worker's call.
  w.slots = std::min(slots, std::max(w.capacity, 1U));
}

void Broker::heartbeat(WorkerRecord& w, const msgpack::object& body) {
  msg::Heartbeat h;
  if (!decode_or_reply(Peer::kWorker, w.identity, body, h)) return;
  if (h.slots != 0) set_worker_slots(w, h.slots);
  for (auto& activity : h.tasks) {
    // Attempts it no longer holds (ended, moved): a report that crossed a
    // decision; not worth a counter.
    if (Task* task = leases_.held(w, activity.task_id, activity.attempt)) {
      activity.status.message = clipped(std::move(activity.status.message));
      task->live = std::move(activity.status);
    }
  }
}

void Broker::worker_event(WorkerRecord& w, const msgpack::object& body) {
  msg::Event event;
  if (!decode_or_reply(Peer::kWorker, w.identity, body, event)) return;
  if (broker_kind(event.kind)) {
    ++stats_.events_rejected;
    return;
  }
  if (event.task_id == 0) {
    if ((event.kind == "slots_up" || event.kind == "slots_down") && event.to != 0) {
      set_worker_slots(w, event.to);
    }
    ++stats_.events_relayed;
    return emit_worker_event(w, std::move(event));
  }
  Task* task = leases_.held(w, event.task_id, event.attempt);
  if (task == nullptr) {
    ++stats_.events_rejected;
    return;
  }
  msg::LiveStatus& live = task->live ? *task->live : task->live.emplace();
  if (event.kind == "progress") {
    live.progress = event.percent;
    live.message = clipped(event.message);
    live.idle_ms = 0;
    live.stalled = false;
  } else if (event.kind == "stalled") {
    live.stalled = true;
    live.idle_ms = event.idle_ms;
  } else if (event.kind == "active") {
    live.stalled = false;
    live.idle_ms = 0;
  } else if (event.kind == "suspended") {
    live.suspended = true;
  } else if (event.kind == "resumed") {
    live.suspended = false;
  }
  if (event.rss_kb != 0) live.rss_kb = event.rss_kb;
  if (event.cpu_ms != 0) live.cpu_ms = event.cpu_ms;
  ++stats_.events_relayed;
  event.worker = w.name;
  emit_task_event(*task, std::move(event));
}

void Broker::output(WorkerRecord& w, const msgpack::object& body) {
  msg::OutputChunk chunk;
  if (!decode_or_reply(Peer::kWorker, w.identity, body, chunk)) return;
  Task* task = leases_.held(w, chunk.task_id, chunk.attempt);
  if (task == nullptr) {
    ++stats_.events_rejected;
    return;
  }
  auto taken = live_logs_.append(chunk);
  if (!taken) return;  // a repeat after a reconnect
  ++stats_.output_chunks;
  stats_.output_bytes += taken->data.size();
  stats_.output_skipped_bytes += taken->skipped;
  if (task->live) task->live->output_bytes += taken->data.size();
  std::string topic = LiveLogs::topic(chunk);
  if (!wants_event(topic)) return;
  events_.push_back({std::move(topic), msg::encode(LiveLogs::relayed(chunk, *taken))});
}

void Broker::suspend_or_resume(const std::string& identity, const msgpack::object& body,
                               bool suspend) {
  msg::TaskQuery q;
  const Task* task = find_queried_task(identity, body, q);
  if (task == nullptr) return;
  if (task->state != msg::TaskState::kRunning) {
    return reply_error(Peer::kClient, identity, q.req, ErrorCode::kInvalidState,
                       "task " + std::to_string(q.id) + " is " +
                           std::string(msg::state_name(task->state)) + ", not running");
  }
  ++(suspend ? stats_.suspends_sent : stats_.resumes_sent);
  send(Peer::kWorker, task->worker_identity, suspend ? proto::cmd::kSuspend : proto::cmd::kResume,
       msg::encode(msg::CancelAttempt{task->id, task->attempts, "client"}));
  // The worker confirms with a suspended / resumed event once it has done it.
  send(Peer::kClient, identity, proto::cmd::kOk, msg::encode(msg::OkReply{q.req, 0}));
}

void Broker::logs(const std::string& identity, const msgpack::object& body) {
  msg::TaskQuery q;
  const Task* task = find_queried_task(identity, body, q);
  if (task == nullptr) return;
  msg::LogsReply reply;
  reply.req = q.req;
  reply.id = task->id;
  reply.state = task->state;
  if (task->state == msg::TaskState::kRunning) {
    if (const LiveLog* log = live_logs_.find(task->id)) {
      reply.stdout_data = log->data(true);
      reply.stderr_data = log->data(false);
      reply.stdout_offset = log->offset(true);
      reply.stderr_offset = log->offset(false);
    }
  } else if (msg::is_final(task->state) && task->outcome) {
    const msg::Outcome& o = *task->outcome;
    reply.stdout_data = o.stdout_tail;
    reply.stderr_data = o.stderr_tail;
    // The tails are the streams' last bytes.
    reply.stdout_offset =
        o.stdout_bytes - std::min<std::uint64_t>(o.stdout_bytes, o.stdout_tail.size());
    reply.stderr_offset =
        o.stderr_bytes - std::min<std::uint64_t>(o.stderr_bytes, o.stderr_tail.size());
  }
  send(Peer::kClient, identity, proto::cmd::kLogsReply, msg::encode(reply));
}

}  // namespace zfleet::broker
