// SlotGovernor sizes the worker's slot count to its load: it grows when most
// slots are busy, shrinks after a long quiet spell, and refuses to grow while
// the host is short of memory or overloaded. Plain logic: the caller feeds it
// the busy count and a HostLoad sample and applies (and reports) the change.
//
// Steps: growth doubles the slots (capped at max_slots) and shrinking halves
// them (floored at min_slots and at the busy count). A backlog is usually far
// larger than one slot, so doubling reaches the needed size in log2 steps
// where +1 would take one settle period per slot; halving mirrors it so an
// over-grown worker returns to its floor in as few steps. Running tasks are
// never killed: slots never drop below the busy count.
//
// Timing: changes are at least `settle` apart (counted from construction for
// the first one), so one burst cannot cause a change per call; shrinking also
// needs utilisation at or below idle_ratio on every update for `idle_for`,
// and that spell restarts after each change.
//
// Refusals: when growth is due (busy ratio reached, settle elapsed, below
// max) but a host mark is crossed, update() returns one SlotChange with
// `refused` set per refusal episode; the episode ends when an update sees
// the host back within its marks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace zfleet::worker {

struct SlotPolicy {
  std::uint32_t min_slots = 1;             // raised to 1 when 0
  std::uint32_t max_slots = 1;             // raised to min_slots when below it
  double busy_ratio = 0.8;                 // grow at busy/slots >= this
  double idle_ratio = 0.2;                 // shrink at busy/slots <= this, held for idle_for
  Millis settle{2000};                     // minimum time between changes
  Millis idle_for{10000};                  // how long utilisation must stay low before shrinking
  std::uint64_t min_mem_available_kb = 0;  // KiB; 0: off. Refuse to grow below this
  double max_load_per_core = 0;            // 0: off. Refuse to grow above this 1-min load / cores
};

struct HostLoad {
  std::uint64_t mem_available_kb = 0;  // KiB, /proc/meminfo MemAvailable
  double load1 = 0;                    // 1-minute load average
  std::uint32_t cores = 0;             // online CPUs this process may use
};

// Reads MemAvailable from PROC/meminfo and the 1-minute load from
// PROC/loadavg. `cores` 0: the CPUs this process may run on (its affinity
// mask, else the online count). nullopt when a file is missing or malformed.
std::optional<HostLoad> read_host_load(const std::string& proc_root = "/proc",
                                       std::uint32_t cores = 0);

struct SlotChange {
  std::uint32_t from = 0;
  std::uint32_t to = 0;  // refused: the size growth would have reached
  // e.g. "busy 4/4 slots (100% >= 80%)", "idle 0/8 slots for 10 s (0% <= 20%)",
  // "memory available 180 MiB below 256 MiB mark", "load 3.1 per core above 2.0"
  std::string reason;
  bool refused = false;  // slots did not change
};

class SlotGovernor {
 public:
  SlotGovernor(SlotPolicy policy, TimePoint now);

  std::uint32_t slots() const { return slots_; }
  const SlotPolicy& policy() const { return policy_; }

  // One observation: `busy` slots are running tasks. Returns the change made
  // (slots() already reflects it) or a refusal, or nullopt.
  std::optional<SlotChange> update(TimePoint now, std::uint32_t busy, const HostLoad& host);

 private:
  std::optional<SlotChange> grow(TimePoint now, std::uint32_t busy, const HostLoad& host);
  std::optional<SlotChange> shrink(TimePoint now, std::uint32_t busy);
  std::string host_refusal(const HostLoad& host) const;

  SlotPolicy policy_;
  std::uint32_t slots_;
  TimePoint last_change_;
  std::optional<TimePoint> idle_since_;  // start of the current low-utilisation spell
  bool refusing_ = false;                // a refusal went out this episode
};

}  // namespace zfleet::worker
