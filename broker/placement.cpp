// Placement rules and the hold of unplaceable tasks; see placement.hpp.
#include "broker/placement.hpp"

#include <algorithm>

namespace zfleet::broker {

namespace {

bool lists(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

bool can_run(const WorkerRecord& worker, const msg::TaskSpec& spec) {
  if (worker.task_types.empty()) return true;
  if (!lists(worker.task_types, spec.type)) return false;
  return spec.type != "module" || lists(worker.modules, spec.module);
}

std::string unplaced_reason(const msg::TaskSpec& spec, const WorkerRegistry& workers) {
  if (workers.size() == 0) return "no worker connected";
  const bool type_served =
      std::any_of(workers.all().begin(), workers.all().end(), [&](const auto& w) {
        return w.second.task_types.empty() || lists(w.second.task_types, spec.type);
      });
  if (!type_served) return "no connected worker runs " + spec.type + " tasks";
  return "no connected worker has module '" + spec.module + "'";
}

std::string placement_key(const msg::TaskSpec& spec) {
  return spec.type == "module" ? "module:" + spec.module : spec.type;
}

void PlacementHold::hold(const msg::TaskSpec& spec, std::uint64_t id) {
  std::string key = placement_key(spec);
  if (key_of_.count(id) != 0) return;
  auto [it, inserted] = by_key_.try_emplace(key);
  if (inserted) {
    it->second.spec.type = spec.type;
    it->second.spec.module = spec.module;
  }
  it->second.tasks.push_back(Held{id, spec.project, spec.priority});
  ++by_project_[spec.project];
  key_of_.emplace(id, std::move(key));
  ++size_;
}

std::vector<PlacementHold::Held> PlacementHold::release_if(
    const std::function<bool(const msg::TaskSpec&)>& runnable) {
  std::vector<Held> out;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    if (!runnable(it->second.spec)) {
      ++it;
      continue;
    }
    for (Held& h : it->second.tasks) {
      if (key_of_.erase(h.id) == 0) continue;  // removed since (cancelled)
      if (--by_project_[h.project] == 0) by_project_.erase(h.project);
      --size_;
      out.push_back(std::move(h));
    }
    it = by_key_.erase(it);
  }
  return out;
}

bool PlacementHold::remove(std::uint64_t id) {
  auto it = key_of_.find(id);
  if (it == key_of_.end()) return false;
  auto group = by_key_.find(it->second);
  if (group != by_key_.end()) {
    auto& tasks = group->second.tasks;
    auto pos = std::find_if(tasks.begin(), tasks.end(), [&](const Held& h) { return h.id == id; });
    if (pos != tasks.end()) {
      if (--by_project_[pos->project] == 0) by_project_.erase(pos->project);
      tasks.erase(pos);
    }
    if (tasks.empty()) by_key_.erase(group);
  }
  key_of_.erase(it);
  --size_;
  return true;
}

std::uint64_t PlacementHold::held_in(const std::string& project) const {
  auto it = by_project_.find(project);
  return it == by_project_.end() ? 0 : it->second;
}

}  // namespace zfleet::broker
