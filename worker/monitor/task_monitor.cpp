// Live monitoring of one attempt; the rules are in task_monitor.hpp.
#include "worker/monitor/task_monitor.hpp"

#include <algorithm>

namespace zfleet::worker {

TaskMonitor::TaskMonitor(MonitorPolicy policy, TimePoint started)
    : policy_(policy),
      last_activity_(started),
      resumed_at_(started),
      next_sample_(started + policy.sample_every) {}

void TaskMonitor::on_output(TimePoint now, std::size_t bytes) {
  if (bytes == 0) return;
  output_bytes_ += bytes;
  activity(now);
}

void TaskMonitor::on_progress(TimePoint now, const ProgressMark& mark) {
  activity(now);
  percent_ = std::min<std::uint32_t>(mark.percent, 100);
  message_ = mark.message;
  const bool window_open = !last_progress_sent_ || now - *last_progress_sent_ >= kProgressInterval;
  if (window_open || *percent_ == 100) {
    emit_progress(now);
  } else {
    progress_held_ = true;
  }
}

void TaskMonitor::on_usage(TimePoint /*now*/, const GroupUsage& usage) {
  usage_ = usage;
  peak_rss_kb_ = std::max(peak_rss_kb_, usage.rss_kb);
  if (policy_.memory_soft_kb > 0) {
    if (soft_armed_ && usage.rss_kb > policy_.memory_soft_kb) {
      soft_armed_ = false;
      emit(MonitorEvent::Kind::kMemorySoft);
    } else if (!soft_armed_ && usage.rss_kb * 10 < policy_.memory_soft_kb * 9) {
      soft_armed_ = true;
    }
  }
  if (policy_.memory_hard_kb > 0 && !hard_sent_ && usage.rss_kb > policy_.memory_hard_kb) {
    hard_sent_ = true;
    killing_ = true;
    emit(MonitorEvent::Kind::kMemoryHard);
  }
}

void TaskMonitor::on_suspend(TimePoint /*now*/) {
  suspended_ = true;
}

void TaskMonitor::on_resume(TimePoint now) {
  if (!suspended_) return;
  suspended_ = false;
  resumed_at_ = now;
}

void TaskMonitor::on_timer(TimePoint now) {
  if (const auto due = progress_deadline(); due && now >= *due) emit_progress(now);
  if (const auto due = stall_deadline(); due && now >= *due) {
    stalled_ = true;
    if (policy_.kill_on_stall) {
      killing_ = true;
      emit(MonitorEvent::Kind::kStallKill, now - idle_since());
    } else {
      emit(MonitorEvent::Kind::kStalled, now - idle_since());
    }
  }
}

std::optional<TimePoint> TaskMonitor::next_deadline() const {
  std::optional<TimePoint> next;
  const auto consider = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (policy_.sample_every > Millis{0}) consider(next_sample_);
  consider(stall_deadline());
  consider(progress_deadline());
  return next;
}

bool TaskMonitor::sample_due(TimePoint now) const {
  return policy_.sample_every > Millis{0} && now >= next_sample_;
}

void TaskMonitor::sampled(TimePoint now) {
  next_sample_ = now + policy_.sample_every;
}

void TaskMonitor::take_events(std::vector<MonitorEvent>& out) {
  out.insert(out.end(), std::make_move_iterator(events_.begin()),
             std::make_move_iterator(events_.end()));
  events_.clear();
}

void TaskMonitor::activity(TimePoint now) {
  if (stalled_ && !killing_) emit(MonitorEvent::Kind::kActive, now - idle_since());
  stalled_ = false;
  last_activity_ = now;
}

void TaskMonitor::emit(MonitorEvent::Kind kind, Millis idle) {
  MonitorEvent event;
  event.kind = kind;
  event.percent = percent_.value_or(0);
  event.message = message_;
  if (usage_) {
    event.rss_kb = usage_->rss_kb;
    event.cpu_ms = usage_->cpu_ms;
  }
  event.idle = idle;
  events_.push_back(std::move(event));
}

void TaskMonitor::emit_progress(TimePoint now) {
  last_progress_sent_ = now;
  progress_held_ = false;
  emit(MonitorEvent::Kind::kProgress);
}

TimePoint TaskMonitor::idle_since() const {
  return std::max(last_activity_, resumed_at_);
}

std::optional<TimePoint> TaskMonitor::stall_deadline() const {
  if (policy_.stall_after <= Millis{0} || suspended_ || stalled_ || killing_) return std::nullopt;
  return idle_since() + policy_.stall_after;
}

std::optional<TimePoint> TaskMonitor::progress_deadline() const {
  if (!progress_held_) return std::nullopt;
  return *last_progress_sent_ + kProgressInterval;
}

}  // namespace zfleet::worker
