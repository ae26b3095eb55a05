// LiveLogs: the output tails (LiveLog) of running attempts, by task id, and
// what an OUTPUT chunk adds to them: the new part to republish to followers
// and the bytes the worker skipped before it.
//
// Invariant: a task has a log only while its attempt runs; the broker
// forgets it when the attempt ends (then LOGS reads the outcome's tails).
// The caller accepts a chunk only from the holder of the current attempt
// (Leases), so a log never mixes two attempts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/live_log.hpp"
#include "common/messages.hpp"

namespace zfleet::broker {

class LiveLogs {
 public:
  explicit LiveLogs(std::size_t capacity = LiveLog::kDefaultCapacity) : capacity_(capacity) {}

  // The part of a chunk that was new.
  struct Taken {
    std::uint64_t offset = 0;   // its stream offset
    std::string_view data;      // a view into the chunk's data
    std::uint64_t skipped = 0;  // bytes the worker skipped just before it
  };

  // Appends `chunk` to the log of its task (made at its first chunk).
  // Returns nullopt when it held nothing new (a repeat after a reconnect).
  std::optional<Taken> append(const msg::OutputChunk& chunk);
  // The log of the running attempt of `task_id`, or null (no output yet).
  const LiveLog* find(std::uint64_t task_id) const;
  void forget(std::uint64_t task_id) { logs_.erase(task_id); }
  std::size_t size() const { return logs_.size(); }

  // Subscribers follow a stream under "log.<task id>.<stream>".
  static std::string topic(const msg::OutputChunk& chunk);
  // The chunk republished for what `taken` took of `chunk`: the new bytes
  // only, at their offset, so followers see each byte once.
  static msg::OutputChunk relayed(const msg::OutputChunk& chunk, const Taken& taken);

 private:
  std::size_t capacity_;
  std::unordered_map<std::uint64_t, LiveLog> logs_;
};

}  // namespace zfleet::broker
