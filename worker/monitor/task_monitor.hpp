// TaskMonitor watches one running attempt: it is fed what the worker observes
// (output, progress markers, usage samples, suspend/resume, timer ticks) and
// turns it into events for the broker and kill decisions for the runner. It
// never touches the process itself, so the caller owns every side effect.
//
// Rules (all times from the injected `now`):
//   - Activity is output (bytes > 0) or a progress marker. A usage sample is
//     not activity: a task burning CPU without a word is what "stalled" is
//     meant to catch.
//   - Stalled: no activity for policy.stall_after while not suspended. The
//     idle clock starts at the later of the last activity and the last
//     resume, so time spent suspended never counts. A stall emits one
//     kStalled (kStallKill instead when kill_on_stall) and nothing more until
//     activity returns, which emits kActive. After kStallKill or kMemoryHard
//     the caller is killing the task: no further stall or activity events.
//   - Memory: kMemorySoft when rss rises above memory_soft_kb, re-armed once
//     rss falls below 90% of it (so a task hovering at the mark does not
//     flood); kMemoryHard once, when rss rises above memory_hard_kb.
//   - Progress: at most one kProgress per kProgressInterval, except that a
//     mark reaching 100% goes out at once. A mark held back inside the window
//     is not lost: the latest one goes out at the first on_timer() after the
//     window (next_deadline() includes that moment).
//   - Sampling: the caller asks sample_due(now), samples, feeds on_usage()
//     if it got one, and calls sampled(now) either way so a failing sample
//     does not spin the loop. The first sample is due sample_every after start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "worker/monitor/group_usage.hpp"
#include "worker/monitor/progress_parser.hpp"

namespace zfleet::worker {

struct MonitorPolicy {
  Millis stall_after{0};  // 0: no stall detection
  bool kill_on_stall = false;
  std::uint64_t memory_soft_kb = 0;  // KiB; 0: off
  std::uint64_t memory_hard_kb = 0;  // KiB; 0: off
  Millis sample_every{500};          // 0: never sample
};

struct MonitorEvent {
  enum class Kind {
    kProgress,
    kStalled,
    kActive,  // output resumed after a stall
    kMemorySoft,
    kMemoryHard,  // the caller must kill the task
    kStallKill,   // stalled with kill_on_stall: the caller must kill the task
  };
  Kind kind = Kind::kProgress;
  // The monitor's state when the event was made.
  std::uint32_t percent = 0;  // latest progress, 0 before any marker
  std::string message;        // latest progress message
  std::uint64_t rss_kb = 0;   // latest sample
  std::uint64_t cpu_ms = 0;   // latest sample
  Millis idle{0};             // kStalled, kStallKill: idle so far; kActive: how long it was idle
};

class TaskMonitor {
 public:
  static constexpr Millis kProgressInterval{250};

  TaskMonitor(MonitorPolicy policy, TimePoint started);

  void on_output(TimePoint now, std::size_t bytes);
  void on_progress(TimePoint now, const ProgressMark& mark);
  void on_usage(TimePoint now, const GroupUsage& usage);
  void on_suspend(TimePoint now);
  void on_resume(TimePoint now);
  void on_timer(TimePoint now);
  // The next sample, stall check or held-back progress; nullopt when none.
  std::optional<TimePoint> next_deadline() const;

  bool sample_due(TimePoint now) const;
  void sampled(TimePoint now);

  // Moves the events made so far to `out` (appending), oldest first.
  void take_events(std::vector<MonitorEvent>& out);

  // For the heartbeat snapshot.
  std::optional<std::uint32_t> percent() const { return percent_; }
  const std::string& message() const { return message_; }
  TimePoint last_activity() const { return last_activity_; }
  const std::optional<GroupUsage>& usage() const { return usage_; }
  std::uint64_t peak_rss_kb() const { return peak_rss_kb_; }
  std::uint64_t output_bytes() const { return output_bytes_; }
  bool stalled() const { return stalled_; }
  bool suspended() const { return suspended_; }

 private:
  void activity(TimePoint now);
  void emit(MonitorEvent::Kind kind, Millis idle = Millis{0});
  void emit_progress(TimePoint now);
  TimePoint idle_since() const;
  std::optional<TimePoint> stall_deadline() const;
  std::optional<TimePoint> progress_deadline() const;

  MonitorPolicy policy_;
  TimePoint last_activity_;
  TimePoint resumed_at_;
  TimePoint next_sample_;
  bool suspended_ = false;
  bool stalled_ = false;
  bool killing_ = false;  // a kill event went out
  std::optional<std::uint32_t> percent_;
  std::string message_;
  std::optional<TimePoint> last_progress_sent_;
  bool progress_held_ = false;
  std::optional<GroupUsage> usage_;
  std::uint64_t peak_rss_kb_ = 0;
  std::uint64_t output_bytes_ = 0;
  bool soft_armed_ = true;
  bool hard_sent_ = false;
  std::vector<MonitorEvent> events_;
};

}  // namespace zfleet::worker
