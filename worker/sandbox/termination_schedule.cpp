// Timeout escalation; see termination_schedule.hpp.
#include "worker/sandbox/termination_schedule.hpp"

namespace zfleet::worker {

TerminationSchedule::TerminationSchedule(TimePoint started, Millis timeout, Millis grace)
    : grace_(grace) {
  if (timeout.count() > 0) timeout_at_ = started + timeout;
}

KillStep TerminationSchedule::on_timer(TimePoint now) {
  switch (phase_) {
    case KillPhase::kRunning:
      if (timeout_at_ && now >= *timeout_at_) {
        timed_out_ = true;
        return begin(now);
      }
      return KillStep::kNone;
    case KillPhase::kTerminating:
      if (now >= kill_at_) return kill_now();
      return KillStep::kNone;
    case KillPhase::kKilled:
      return KillStep::kNone;
  }
  return KillStep::kNone;
}

KillStep TerminationSchedule::terminate_now(TimePoint now) {
  if (phase_ != KillPhase::kRunning) return KillStep::kNone;
  return begin(now);
}

KillStep TerminationSchedule::kill_now() {
  if (phase_ == KillPhase::kKilled) return KillStep::kNone;
  phase_ = KillPhase::kKilled;
  return KillStep::kKill;
}

KillStep TerminationSchedule::begin(TimePoint now) {
  if (grace_.count() <= 0) return kill_now();
  phase_ = KillPhase::kTerminating;
  // The grace period counts from the SIGTERM actually sent, not from the
  // nominal timeout, so a late loop turn never shortens it.
  kill_at_ = now + grace_;
  return KillStep::kTerminate;
}

std::optional<TimePoint> TerminationSchedule::next_deadline() const {
  switch (phase_) {
    case KillPhase::kRunning:
      return timeout_at_;
    case KillPhase::kTerminating:
      return kill_at_;
    case KillPhase::kKilled:
      return std::nullopt;
  }
  return std::nullopt;
}

void TerminationSchedule::postpone(Millis by) {
  if (phase_ == KillPhase::kRunning && timeout_at_) *timeout_at_ += by;
}

}  // namespace zfleet::worker
