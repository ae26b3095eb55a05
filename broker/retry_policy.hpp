// Retry decisions. An attempt's ending is classified (success, exit, signal,
// timeout, lost, error, cancelled); the task's policy, filled in field by field
// from the project's and then the broker's defaults, says whether that kind is
// retried, how many attempts there may be, and how long to wait before the next
// (exponential backoff with jitter, capped). Pure functions of their inputs.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "common/messages.hpp"

namespace zfleet::broker {

// kSpawn: FAILED with reason cannot_exec (the program cannot be executed);
// only classify()'s caller knows it, from the FAILED reason.
enum class Ending { kSuccess, kExit, kSignal, kTimeout, kLost, kError, kSpawn, kCancelled };

std::string_view ending_name(Ending e);  // "exit", "signal", ... as in retry_on
Ending classify(const msg::Outcome& outcome);
// How an attempt ended, in words for events: "exit code 3", "signal 9", ...
std::string describe_outcome(const msg::Outcome& outcome);

struct ResolvedPolicy {
  std::uint32_t max_attempts = 3;
  std::uint64_t backoff_ms = 1000;
  std::uint64_t backoff_max_ms = 60'000;
  std::vector<std::string> retry_on = {"lost", "signal", "error"};

  bool retries(Ending e) const;
};

// task's field if set, else the project's, else `defaults`.
ResolvedPolicy resolve(const msg::RetryPolicy& task, const msg::RetryPolicy& project,
                       const ResolvedPolicy& defaults);

// Delay before attempt number `next_attempt` (2 for the first retry): the
// exponential step min(cap, base * 2^(next_attempt - 2)), jittered uniformly
// into [step/2, step] so retries of many tasks do not arrive together.
std::uint64_t backoff_delay_ms(const ResolvedPolicy& p, std::uint32_t next_attempt,
                               std::mt19937_64& rng);

}  // namespace zfleet::broker
