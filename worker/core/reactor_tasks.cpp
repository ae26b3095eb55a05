// The reactor's task-type plumbing: the types it advertises, suspend and
// resume, the events and live output sent to the broker, and
// adaptive slots. Part of Reactor (see reactor.hpp).
#include <dirent.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/protocol.hpp"
#include "worker/core/reactor.hpp"

namespace zfleet::worker {

namespace {

constexpr Millis kSlotCheckEvery{1000};

}  // namespace

void bound_result(msg::Outcome& o) {
  if (o.result.size() <= proto::kMaxResultBytes) return;
  const std::size_t size = o.result.size();
  std::string().swap(o.result);
  o.signal.reset();
  o.exit_code = 1;
  if (!o.stderr_tail.empty() && o.stderr_tail.back() != '\n') o.stderr_tail += '\n';
  o.stderr_tail += "zfleet: the result is " + std::to_string(size) + " bytes, over the limit of " +
                   std::to_string(proto::kMaxResultBytes) + "\n";
}

// Module names deployed in `dir` (<name>.so), for READY and the log.
std::vector<std::string> list_modules(const std::string& dir) {
  std::vector<std::string> names;
  if (dir.empty()) return names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name.size() <= 3 || name.compare(name.size() - 3, 3, ".so") != 0) continue;
    name.resize(name.size() - 3);
    if (name.rfind("libzfleet_", 0) == 0) name = name.substr(10);
    if (msg::valid_module_name(name)) names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.size() > 1024) names.resize(1024);
  return names;
}

std::vector<std::string> Reactor::task_types() const {
  std::vector<std::string> types = executors().kinds();
  types.push_back("noop");
  return types;
}

void Reactor::on_suspend(std::string_view body, bool suspend, TimePoint now) {
  msg::CancelAttempt which;
  if (auto error = msg::decode_bytes(body, which)) {
    ++counters_.bad_messages;
    spdlog::debug("bad {}: {}", suspend ? "SUSPEND" : "RESUME", error->message);
    return;
  }
  const bool done = suspend ? executors().suspend(which.task_id, which.attempt, now)
                            : executors().resume(which.task_id, which.attempt, now);
  if (done) {
    ++(suspend ? counters_.suspends : counters_.resumes);
    spdlog::info("task {} attempt {} {}", which.task_id, which.attempt,
                 suspend ? "suspended" : "resumed");
  } else {
    spdlog::debug("{} for task {} attempt {}: not running here in that state",
                  suspend ? "SUSPEND" : "RESUME", which.task_id, which.attempt);
  }
}

// Events go out every turn (they are few); live output at most every
// --output-flush-ms, so a chatty task costs a bounded number of messages.
void Reactor::flush_events(TimePoint now) {
  for (Executor* e : executors().executors())
    e->take_events(events_);
  if (link_.connected()) {
    for (const auto& e : events_) {
      if (send(proto::cmd::kEvent, msg::encode(e))) ++counters_.events_sent;
    }
  }
  events_.clear();
  if (now < next_output_flush_) return;
  next_output_flush_ = now + Millis(config_.output_flush_ms);
  chunks_.clear();
  for (Executor* e : executors().executors())
    e->take_output(chunks_);
  if (!link_.connected()) return;
  for (const auto& c : chunks_) {
    if (send(proto::cmd::kOutput, msg::encode(c))) ++counters_.output_chunks_sent;
  }
}

void Reactor::update_slots(TimePoint now) {
  if (!governor_ || now < next_slot_check_) return;
  next_slot_check_ = now + kSlotCheckEvery;
  const auto host = read_host_load();
  if (!host) return;
  const auto change = governor_->update(now, static_cast<std::uint32_t>(busy()), *host);
  if (!change) return;
  msg::Event e;
  e.at_ms = clock_.wall_ms();
  e.from = change->from;
  e.to = change->to;
  e.message = change->reason;
  if (change->refused) {
    e.kind = "slots_refused";
    spdlog::info("slots stay at {}: {}", change->from, change->reason);
  } else {
    e.kind = change->to > change->from ? "slots_up" : "slots_down";
    spdlog::info("slots {} -> {}: {}", change->from, change->to, change->reason);
    slots_ = governor_->slots();
    grant_credit();
  }
  events_.push_back(std::move(e));
}

}  // namespace zfleet::worker
