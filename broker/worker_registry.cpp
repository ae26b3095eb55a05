// WorkerRegistry: credit, leases and liveness of workers; see worker_registry.hpp.
#include "broker/worker_registry.hpp"

#include <algorithm>

namespace zfleet::broker {

WorkerRecord& WorkerRegistry::upsert(const std::string& identity, const msg::Ready& ready,
                                     TimePoint now) {
  auto [it, inserted] = workers_.try_emplace(identity);
  WorkerRecord& w = it->second;
  w.identity = identity;
  w.name = ready.worker_id;
  w.hostname = ready.hostname;
  w.pid = ready.pid;
  w.slots = ready.slots;
  w.min_slots = ready.min_slots;
  w.max_slots = ready.max_slots;
  w.capacity = std::max(ready.slots, ready.max_slots);
  w.labels = ready.labels;
  w.layers = ready.layers;
  w.task_types = ready.task_types;
  w.modules = ready.modules;
  w.limits = ready.limits;
  w.draining = false;
  if (inserted) w.connected_at = now;
  w.last_seen = now;
  const std::uint32_t held = static_cast<std::uint32_t>(w.leases.size());
  w.credit = std::min<std::uint32_t>(ready.credit, w.capacity > held ? w.capacity - held : 0);
  rotate_in(w);
  return w;
}

WorkerRecord* WorkerRegistry::find(const std::string& identity) {
  auto it = workers_.find(identity);
  return it == workers_.end() ? nullptr : &it->second;
}

std::optional<WorkerRecord> WorkerRegistry::remove(const std::string& identity) {
  auto it = workers_.find(identity);
  if (it == workers_.end()) return std::nullopt;
  WorkerRecord w = std::move(it->second);
  workers_.erase(it);
  // The rotation entry is dropped lazily by next_with_credit().
  return w;
}

void WorkerRegistry::add_credit(WorkerRecord& w, std::uint32_t credit) {
  if (w.draining) return;
  const std::uint32_t held = static_cast<std::uint32_t>(w.leases.size());
  const std::uint32_t room = w.capacity > held ? w.capacity - held : 0;
  w.credit = std::min<std::uint64_t>(static_cast<std::uint64_t>(w.credit) + credit, room);
  rotate_in(w);
}

void WorkerRegistry::set_credit(WorkerRecord& w, std::uint32_t credit) {
  const auto held = static_cast<std::uint32_t>(w.leases.size());
  w.credit = w.draining ? 0 : std::min(credit, w.capacity > held ? w.capacity - held : 0U);
  rotate_in(w);
}

void WorkerRegistry::set_draining(WorkerRecord& w) {
  w.draining = true;
  w.credit = 0;
}

void WorkerRegistry::rotate_in(WorkerRecord& w) {
  if (w.credit > 0 && !w.in_rotation) {
    rotation_.push_back(w.identity);
    w.in_rotation = true;
  }
}

WorkerRecord* WorkerRegistry::next_with_credit() {
  while (!rotation_.empty()) {
    WorkerRecord* w = find(rotation_.front());
    if (w == nullptr) {  // removed since it entered the rotation
      rotation_.pop_front();
      continue;
    }
    if (w->credit == 0 || w->draining) {
      rotation_.pop_front();
      w->in_rotation = false;
      continue;
    }
    return w;
  }
  return nullptr;
}

WorkerRecord* WorkerRegistry::next_with_credit_where(
    const std::function<bool(const WorkerRecord&)>& fits) {
  for (const std::string& identity : rotation_) {
    WorkerRecord* w = find(identity);
    if (w != nullptr && w->credit > 0 && !w->draining && fits(*w)) return w;
  }
  return nullptr;
}

WorkerRecord* WorkerRegistry::find_by_name(const std::string& name) {
  for (auto& [identity, w] : workers_) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

void WorkerRegistry::lease(WorkerRecord& w, std::uint64_t task_id) {
  w.leases.insert(task_id);
  if (w.credit > 0) --w.credit;
  // Move it to the back so the next dispatch goes to another worker.
  if (!rotation_.empty() && rotation_.front() == w.identity) {
    rotation_.pop_front();
    w.in_rotation = false;
    rotate_in(w);
  }
}

bool WorkerRegistry::unlease(WorkerRecord& w, std::uint64_t task_id) {
  return w.leases.erase(task_id) > 0;
}

std::vector<std::string> WorkerRegistry::expired(TimePoint now) const {
  std::vector<std::string> out;
  for (const auto& [identity, w] : workers_) {
    if (now - w.last_seen > liveness_window()) out.push_back(identity);
  }
  return out;
}

std::optional<TimePoint> WorkerRegistry::next_expiry() const {
  std::optional<TimePoint> earliest;
  for (const auto& [identity, w] : workers_) {
    const TimePoint at = w.last_seen + liveness_window() + Millis{1};
    if (!earliest || at < *earliest) earliest = at;
  }
  return earliest;
}

}  // namespace zfleet::broker
