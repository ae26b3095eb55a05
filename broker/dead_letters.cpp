// See dead_letters.hpp.
#include "broker/dead_letters.hpp"

namespace zfleet::broker {

std::vector<std::uint64_t> DeadLetters::first(std::size_t limit) const {
  std::vector<std::uint64_t> out;
  for (auto it = ids_.begin(); it != ids_.end() && out.size() < limit; ++it)
    out.push_back(*it);
  return out;
}

std::vector<std::uint64_t> DeadLetters::take_all() {
  std::vector<std::uint64_t> out(ids_.begin(), ids_.end());
  ids_.clear();
  return out;
}

}  // namespace zfleet::broker
