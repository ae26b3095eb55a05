// TerminationSchedule decides when a running attempt gets SIGTERM and when
// SIGKILL: at its timeout the process group is asked to stop, and after the
// grace period it is killed. The same escalation serves worker shutdown. Pure
// logic over a clock's time points; the caller delivers the signals.
#pragma once

#include <optional>

#include "common/clock.hpp"

namespace zfleet::worker {

enum class KillStep { kNone, kTerminate, kKill };

enum class KillPhase {
  kRunning,      // no signal sent yet
  kTerminating,  // SIGTERM sent, SIGKILL due at the end of the grace period
  kKilled,       // SIGKILL sent; only the exit is left
};

class TerminationSchedule {
 public:
  // `timeout` zero: the attempt may run for ever. `grace` zero: no SIGTERM,
  // straight to SIGKILL.
  TerminationSchedule(TimePoint started, Millis timeout, Millis grace);

  // The signal due at `now`, if any; each step is returned once.
  KillStep on_timer(TimePoint now);
  // Starts the escalation now (worker shutdown); a no-op once it has begun.
  KillStep terminate_now(TimePoint now);
  KillStep kill_now();
  // Moves the timeout later (time the attempt spent suspended does not count
  // against it); no effect once the escalation has begun.
  void postpone(Millis by);

  std::optional<TimePoint> next_deadline() const;
  KillPhase phase() const { return phase_; }
  // True when the escalation began because the attempt reached its timeout.
  bool timed_out() const { return timed_out_; }

 private:
  KillStep begin(TimePoint now);

  std::optional<TimePoint> timeout_at_;
  Millis grace_;
  TimePoint kill_at_{};
  KillPhase phase_ = KillPhase::kRunning;
  bool timed_out_ = false;
};

}  // namespace zfleet::worker
