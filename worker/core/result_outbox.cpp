// Undelivered results; see result_outbox.hpp.
#include "worker/core/result_outbox.hpp"

#include <spdlog/spdlog.h>

#include "common/protocol.hpp"

namespace zfleet::worker {

std::string_view PendingResult::command() const {
  switch (kind) {
    case ResultKind::kDone:
      return proto::cmd::kDone;
    case ResultKind::kFailed:
      return proto::cmd::kFailed;
    case ResultKind::kReject:
    case ResultKind::kDropped:
      return proto::cmd::kReject;
  }
  return proto::cmd::kDone;
}

std::string PendingResult::encode(std::uint32_t credit) const {
  switch (kind) {
    case ResultKind::kDone:
      return msg::encode(msg::Done{task_id, attempt, credit, outcome});
    case ResultKind::kFailed:
      return msg::encode(msg::Failed{task_id, attempt, credit, reason, message});
    case ResultKind::kReject:
      return msg::encode(msg::Reject{task_id, attempt, credit, reason});
    case ResultKind::kDropped:
      return msg::encode(msg::Reject{task_id, attempt, credit, "cancelled"});
  }
  return {};
}

std::size_t PendingResult::bytes() const {
  return sizeof(*this) + outcome.stdout_tail.size() + outcome.stderr_tail.size() +
         outcome.error.size() + reason.size() + message.size();
}

void ResultOutbox::push(PendingResult result) {
  bytes_ += result.bytes();
  items_.push_back(std::move(result));
  while (items_.size() > 1 && (items_.size() > max_items_ || bytes_ > max_bytes_)) {
    const auto& old = items_.front();
    spdlog::warn("result outbox full: dropping the result of task {} attempt {}", old.task_id,
                 old.attempt);
    ++dropped_;
    pop_front();
  }
}

void ResultOutbox::pop_front() {
  bytes_ -= items_.front().bytes();
  items_.pop_front();
}

bool ResultOutbox::drop(std::uint64_t task_id, std::uint32_t attempt) {
  for (auto& r : items_) {
    if (r.task_id != task_id || r.attempt != attempt) continue;
    bytes_ -= r.bytes();
    PendingResult dropped;
    dropped.kind = ResultKind::kDropped;
    dropped.task_id = task_id;
    dropped.attempt = attempt;
    r = std::move(dropped);
    bytes_ += r.bytes();
    return true;
  }
  return false;
}

std::uint32_t ResultOutbox::slots_held() const {
  std::uint32_t n = 0;
  for (const auto& r : items_)
    n += r.returns_slot() ? 1 : 0;
  return n;
}

void ResultOutbox::append_leases(std::vector<msg::LeaseRef>& out) const {
  for (const auto& r : items_) {
    if (r.returns_slot()) out.push_back({r.task_id, r.attempt});
  }
}

}  // namespace zfleet::worker
