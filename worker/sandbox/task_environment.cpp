// Child environment blocks; see task_environment.hpp.
#include "worker/sandbox/task_environment.hpp"

#include <algorithm>
#include <string_view>

extern char** environ;  // NOLINT: POSIX global

namespace zfleet::worker {

namespace {

std::string_view name_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

}  // namespace

TaskEnvironment::TaskEnvironment() {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    base_.emplace_back(*e);
  point_at(base_, base_pointers_);
}

TaskEnvironment::TaskEnvironment(std::vector<std::string> base) : base_(std::move(base)) {
  point_at(base_, base_pointers_);
}

void TaskEnvironment::point_at(std::vector<std::string>& entries, std::vector<char*>& pointers) {
  pointers.clear();
  pointers.reserve(entries.size() + 1);
  for (auto& entry : entries)
    pointers.push_back(entry.data());
  pointers.push_back(nullptr);
}

char** TaskEnvironment::build(const codec::StringPairs& additions) {
  if (additions.empty()) return base_pointers_.data();
  std::size_t used = 0;
  auto put = [&](std::string_view a, std::string_view b, std::string_view c) {
    if (used == merged_.size()) merged_.emplace_back();
    auto& slot = merged_[used++];
    slot.assign(a).append(b).append(c);
  };
  auto overridden = [&](std::string_view name) {
    return std::any_of(additions.begin(), additions.end(),
                       [&](const auto& kv) { return kv.first == name; });
  };
  for (const auto& entry : base_) {
    if (!overridden(name_of(entry))) put(entry, {}, {});
  }
  for (std::size_t i = 0; i < additions.size(); ++i) {
    const auto& [name, value] = additions[i];
    // With a name given twice, the last value wins, as with repeated `export`.
    const bool repeated_later =
        std::any_of(additions.begin() + static_cast<long>(i) + 1, additions.end(),
                    [&](const auto& kv) { return kv.first == name; });
    if (!repeated_later) put(name, "=", value);
  }
  merged_pointers_.clear();
  for (std::size_t i = 0; i < used; ++i)
    merged_pointers_.push_back(merged_[i].data());
  merged_pointers_.push_back(nullptr);
  return merged_pointers_.data();
}

}  // namespace zfleet::worker
