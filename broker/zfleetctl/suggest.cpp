// Nearest-match suggestions; see suggest.hpp.
#include "broker/zfleetctl/suggest.hpp"

#include <algorithm>

namespace zfleet::ctl {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != lower(prefix[i])) return false;
  }
  return true;
}

// Close enough that the typo is more likely than a different word: one edit
// in a short word, up to three in a long one.
std::size_t max_distance(std::string_view a, std::string_view b) {
  const std::size_t longer = std::max(a.size(), b.size());
  return std::clamp<std::size_t>(longer / 3, 1, 3);
}

constexpr std::size_t kMinPrefix = 3;

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows are enough: a transposition looks two rows back.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d > max_distance(word, candidate)) continue;
    if (best == nullptr || d < best_distance) {
      best = &candidate;
      best_distance = d;
    }
  }
  if (best != nullptr) return *best;
  if (word.size() < kMinPrefix) return std::nullopt;
  const std::string* only = nullptr;
  for (const auto& candidate : candidates) {
    if (!starts_with(candidate, word)) continue;
    if (only != nullptr) return std::nullopt;  // ambiguous: better to list them all
    only = &candidate;
  }
  if (only != nullptr) return *only;
  return std::nullopt;
}

}  // namespace zfleet::ctl
