// "Did you mean ...?" for zfleetctl's usage errors: the edit distance between
// what was typed and what exists, and the nearest candidate when it is close
// enough that suggesting it helps rather than puzzles. Pure functions; the
// comparison ignores ASCII case.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfleet::ctl {

// Optimal string alignment distance: inserting, deleting or replacing a
// character, or swapping two adjacent ones ("sumbit" -> "submit"), costs 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`: the smallest edit distance, if it is at
// most a third of the longer word (at least 1, at most 3); otherwise the one
// candidate `word` is a prefix of, when `word` has 3 or more characters and
// only one candidate starts with it. Ties go to the earlier candidate.
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace zfleet::ctl
