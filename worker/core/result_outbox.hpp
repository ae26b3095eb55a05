// ResultOutbox holds the results (DONE, FAILED, REJECT) not yet handed to the
// broker: every result passes through it, and it empties whenever the link is
// registered. While the broker is unreachable it keeps them, bounded by count
// and bytes (the oldest are dropped and counted), so a long partition cannot
// grow the worker without limit. Credit is decided when a result is sent,
// since the worker may have started draining meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/messages.hpp"

namespace zfleet::worker {

enum class ResultKind {
  kDone,
  kFailed,
  kReject,
  // A result dropped because the broker cancelled its attempt before it was
  // delivered: sent as REJECT "cancelled" with the slot's credit, so the
  // broker ends the lease and gets the slot back without the outcome.
  kDropped,
};

struct PendingResult {
  ResultKind kind = ResultKind::kDone;
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  msg::Outcome outcome;  // kDone
  std::string reason;    // kFailed, kReject
  std::string message;   // kFailed

  // The command and body to send; `credit` is what the message returns.
  std::string_view command() const;
  std::string encode(std::uint32_t credit) const;
  std::size_t bytes() const;
  // DONE, FAILED and a dropped result free the slot the broker counted; a
  // REJECT frees nothing the broker did not already take back.
  bool returns_slot() const { return kind != ResultKind::kReject; }
};

class ResultOutbox {
 public:
  ResultOutbox(std::size_t max_items, std::size_t max_bytes)
      : max_items_(max_items), max_bytes_(max_bytes) {}

  void push(PendingResult result);
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  const PendingResult& front() const { return items_.front(); }
  void pop_front();
  // CANCEL for an attempt whose result waits here: the result is replaced,
  // in place, by a kDropped one. False when no result of it is held.
  bool drop(std::uint64_t task_id, std::uint32_t attempt);

  // Slots whose credit the broker gets back only when these are delivered.
  std::uint32_t slots_held() const;
  // Attempts that finished but are unreported: the broker must keep their
  // leases until the results arrive, so READY lists them as held.
  void append_leases(std::vector<msg::LeaseRef>& out) const;
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t max_items_;
  std::size_t max_bytes_;
  std::deque<PendingResult> items_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace zfleet::worker
