// The TaskRunner's watch over running attempts: reading their output (tail,
// live chunks, progress markers), sampling the group's memory and CPU,
// turning the TaskMonitor's findings into events and kills, and suspending
// and resuming. Part of TaskRunner (see task_runner.hpp).
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "worker/executors/child/task_runner.hpp"
#include "worker/monitor/group_usage.hpp"

namespace zfleet::worker {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string mib(std::uint64_t kb) {
  return std::to_string(kb / 1024) + " MiB";
}

}  // namespace

void TaskRunner::read_stream(Attempt& a, StreamState& s, std::size_t budget, TimePoint now) {
  thread_local std::string buffer(kReadChunk, '\0');
  std::size_t total = 0;
  while (total < budget) {
    const ssize_t n = ::read(s.fd.get(), buffer.data(), std::min(kReadChunk, budget - total));
    if (n > 0) {
      const std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
      const std::uint64_t offset = s.tail.total_bytes();
      s.tail.append(bytes);
      total += bytes.size();
      if (!s.live) continue;
      a.monitor.on_output(now, bytes.size());
      if (s.pending.empty()) s.pending_offset = offset;
      if (s.pending_offset + s.pending.size() == offset && s.pending.size() < options_.chunk_cap) {
        s.pending.append(bytes.substr(0, options_.chunk_cap - s.pending.size()));
      }
      marks_.clear();
      s.progress.feed(bytes, marks_);
      for (const auto& mark : marks_)
        a.monitor.on_progress(now, mark);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    s.fd.reset();  // end of file, or an error that will not go away
    return;
  }
}

void TaskRunner::event(const Attempt& a, std::string kind, std::string message) {
  msg::Event e;
  e.kind = std::move(kind);
  e.at_ms = clock_.wall_ms();
  e.task_id = a.task_id;
  e.attempt = a.attempt;
  e.message = std::move(message);
  if (const auto& usage = a.monitor.usage()) {
    e.rss_kb = usage->rss_kb;
    e.cpu_ms = usage->cpu_ms;
  }
  if (auto p = a.monitor.percent()) e.percent = static_cast<int>(*p);
  events_.push_back(std::move(e));
}

void TaskRunner::kill_for(Attempt& a, const char* reason, const std::string& message, bool at_once,
                          TimePoint now) {
  if (!a.child || a.child->reaped()) return;  // it already ended on its own
  if (!a.killed_by.empty() || a.schedule.phase() != KillPhase::kRunning) return;
  a.killed_by = reason;
  event(a, "killed", message);
  events_.back().reason = reason;
  apply(a, at_once ? a.schedule.kill_now() : a.schedule.terminate_now(now));
}

void TaskRunner::watch(Attempt& a, TimePoint now) {
  if (!a.child || a.child->reaped()) return;
  if (a.monitor.sample_due(now)) {
    std::optional<GroupUsage> usage;
    if (a.sandbox && a.sandbox->cgroup.active()) {
      // The leaf also holds what left the process group.
      usage = sample_pids(a.sandbox->cgroup.pids());
    } else {
      usage = sample_process_group(a.child->pid());
    }
    if (usage) a.monitor.on_usage(now, *usage);
    a.monitor.sampled(now);
  }
  a.monitor.on_timer(now);
  drain_monitor(a, now);
}

void TaskRunner::drain_monitor(Attempt& a, TimePoint now) {
  monitor_events_.clear();
  a.monitor.take_events(monitor_events_);
  const MonitorPolicy& policy = a.monitor_policy;
  for (const auto& m : monitor_events_) {
    switch (m.kind) {
      case MonitorEvent::Kind::kProgress:
        event(a, "progress", m.message);
        break;
      case MonitorEvent::Kind::kStalled:
        event(a, "stalled", "no output or progress for " + std::to_string(m.idle.count()) + " ms");
        events_.back().idle_ms = static_cast<std::uint64_t>(m.idle.count());
        break;
      case MonitorEvent::Kind::kActive:
        event(a, "active", "output again after " + std::to_string(m.idle.count()) + " ms");
        events_.back().idle_ms = static_cast<std::uint64_t>(m.idle.count());
        break;
      case MonitorEvent::Kind::kMemorySoft:
        event(a, "resource_warning",
              "memory " + mib(m.rss_kb) + " above the soft mark of " + mib(policy.memory_soft_kb));
        events_.back().reason = "memory";
        break;
      case MonitorEvent::Kind::kMemoryHard:
        kill_for(
            a, "memory",
            "memory " + mib(m.rss_kb) + " above the hard limit of " + mib(policy.memory_hard_kb),
            true, now);
        break;
      case MonitorEvent::Kind::kStallKill:
        kill_for(a, "stall", "no output or progress for " + std::to_string(m.idle.count()) + " ms",
                 false, now);
        break;
    }
  }
}

bool TaskRunner::suspend(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) {
  for (auto& a : attempts_) {
    if (a->task_id != task_id || a->attempt != attempt) continue;
    if (a->suspended_at || a->schedule.phase() != KillPhase::kRunning) return false;
    a->child->signal_group(SIGSTOP);
    a->suspended_at = now;
    a->monitor.on_suspend(now);
    event(*a, "suspended");
    return true;
  }
  return false;
}

bool TaskRunner::resume(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) {
  for (auto& a : attempts_) {
    if (a->task_id != task_id || a->attempt != attempt) continue;
    if (!a->suspended_at) return false;
    a->child->signal_group(SIGCONT);
    a->schedule.postpone(std::chrono::duration_cast<Millis>(now - *a->suspended_at));
    a->suspended_at.reset();
    a->monitor.on_resume(now);
    event(*a, "resumed");
    return true;
  }
  return false;
}

void TaskRunner::take_events(std::vector<msg::Event>& out) {
  for (auto& e : events_)
    out.push_back(std::move(e));
  events_.clear();
}

void TaskRunner::take_output(std::vector<msg::OutputChunk>& out) {
  for (auto& a : attempts_) {
    for (auto* s : {&a->out, &a->err}) {
      if (s->pending.empty()) continue;
      msg::OutputChunk chunk;
      chunk.task_id = a->task_id;
      chunk.attempt = a->attempt;
      chunk.stream = s == &a->out ? "stdout" : "stderr";
      chunk.offset = s->pending_offset;
      chunk.data = std::move(s->pending);
      s->pending.clear();
      out.push_back(std::move(chunk));
    }
  }
}

void TaskRunner::activity(TimePoint now, std::vector<msg::TaskActivity>& out) const {
  for (const auto& a : attempts_) {
    msg::TaskActivity t;
    t.task_id = a->task_id;
    t.attempt = a->attempt;
    auto& s = t.status;
    if (auto p = a->monitor.percent()) s.progress = static_cast<int>(*p);
    s.message = a->monitor.message();
    if (const auto& usage = a->monitor.usage()) {
      s.rss_kb = usage->rss_kb;
      s.cpu_ms = usage->cpu_ms;
    }
    s.output_bytes = a->out.tail.total_bytes() + a->err.tail.total_bytes();
    const TimePoint since = a->suspended_at ? *a->suspended_at : now;
    s.idle_ms = static_cast<std::uint64_t>(std::max<Millis::rep>(
        0, std::chrono::duration_cast<Millis>(since - a->monitor.last_activity()).count()));
    s.suspended = a->suspended_at.has_value();
    s.stalled = a->monitor.stalled();
    out.push_back(std::move(t));
  }
}

}  // namespace zfleet::worker
