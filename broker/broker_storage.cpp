// Broker: what happens when the journal cannot be written (disk full, I/O
// error). The broker stays up: the changes of the turns since the last good
// commit stay staged in the store and in memory, and every message that
// depends on them (acknowledgements, dispatches, waiters' answers, events)
// is held until a commit succeeds; replies that only read (status, result,
// stats, workers, errors, heartbeats) still go out. Commands that would
// change the journal are refused with STORAGE_FULL and change nothing;
// nothing is dispatched. The commit is retried with a doubling delay (100 ms
// to 5 s); one log line when writes start failing, one when they resume.
//
// While degraded, reads describe the state in memory, which includes results
// not yet durable: a broker killed before the journal recovers loses those
// changes and, as after any crash, runs the affected attempts again.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.hpp"

namespace zfleet::broker {

namespace {

constexpr Millis kFirstRetry{100};
constexpr Millis kMaxRetry{5000};
// Events held while degraded beyond this are dropped (counted): they are
// notifications, and a long outage must not grow the broker without bound.
constexpr std::size_t kMaxHeldEvents = 100'000;

bool only_reads(std::string_view command) {
  namespace cmd = proto::cmd;
  return command == cmd::kError || command == cmd::kHeartbeat || command == cmd::kWelcome ||
         command == cmd::kStatusReply || command == cmd::kResultReply ||
         command == cmd::kStatsReply || command == cmd::kWorkersReply ||
         command == cmd::kProjectsReply || command == cmd::kDlqReply || command == cmd::kPong ||
         command == cmd::kLogsReply;
}

}  // namespace

bool Broker::refuse_if_storage_down(const std::string& identity, const msgpack::object& body) {
  if (!storage_.degraded) return false;
  ++stats_.submits_refused_storage;
  reply_error(Peer::kClient, identity, msg::peek_req(body), ErrorCode::kStorageFull,
              "the broker cannot write its journal " + store_.location() + " (" + storage_.error +
                  "); nothing was changed: retry later");
  return true;
}

void Broker::settle() {
  const TimePoint now = clock_.now();
  if (storage_.degraded && now < storage_.retry_at) return hold_writes();
  try {
    store_.commit();
  } catch (const JournalError& e) {
    ++stats_.journal_write_failures;
    if (!storage_.degraded) {
      storage_.degraded = true;
      storage_.since = now;
      storage_.delay = kFirstRetry;
      storage_.error = e.what();
      spdlog::error(
          "{}: refusing changes with STORAGE_FULL and holding replies that need the "
          "journal; retrying",
          e.what());
    } else {
      storage_.delay = std::min(storage_.delay * 2, kMaxRetry);
      storage_.error = e.what();
    }
    storage_.retry_at = now + storage_.delay;
    return hold_writes();
  }
  if (!storage_.degraded) return;
  storage_.degraded = false;
  spdlog::info("journal {} writable again after {} ms: sending {} held messages and {} events",
               store_.location(), (now - storage_.since).count(), storage_.outbox.size(),
               storage_.events.size());
  // Held first: they were produced before this turn's.
  storage_.outbox.insert(storage_.outbox.end(), std::make_move_iterator(outbox_.begin()),
                         std::make_move_iterator(outbox_.end()));
  outbox_.swap(storage_.outbox);
  storage_.outbox.clear();
  storage_.events.insert(storage_.events.end(), std::make_move_iterator(events_.begin()),
                         std::make_move_iterator(events_.end()));
  events_.swap(storage_.events);
  storage_.events.clear();
  // What waited for the journal may run now, without waiting for the next
  // turn; its dispatches commit before they leave, like any others.
  if (queue_.queued() > 0) {
    dispatch();
    settle();
  }
}

void Broker::hold_writes() {
  auto reads = std::stable_partition(outbox_.begin(), outbox_.end(), [](const Outgoing& o) {
    return only_reads(o.command) && !o.needs_commit;
  });
  storage_.outbox.insert(storage_.outbox.end(), std::make_move_iterator(reads),
                         std::make_move_iterator(outbox_.end()));
  outbox_.erase(reads, outbox_.end());
  for (auto& e : events_) {
    if (storage_.events.size() >= kMaxHeldEvents) {
      ++stats_.events_dropped_storage;
      continue;
    }
    storage_.events.push_back(std::move(e));
  }
  events_.clear();
}

std::optional<TimePoint> Broker::storage_retry_at() const {
  if (!storage_.degraded) return std::nullopt;
  return storage_.retry_at;
}

}  // namespace zfleet::broker
