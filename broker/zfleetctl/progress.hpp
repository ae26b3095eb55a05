// The progress line of `submit --file` on a terminal:
//   "submitted   512/1000 [##########..........]  51%  1234/s"
//   "done        998/1000 [###################.]  99%  310/s  failed 2"
// Redrawn in place with '\r', at most every kRedrawInterval so a fast loop
// does not spend its time writing to the terminal. Disabled (a no-op) when
// stderr is not a terminal, so logs and pipes never see control characters.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace zfleet::ctl {

struct ProgressCount {
  std::string_view verb;  // "submitted", "done"
  std::size_t done = 0;
  std::size_t total = 0;
  std::size_t failed = 0;
  Millis elapsed{0};
};

std::string format_progress(const ProgressCount& count);

class ProgressBar {
 public:
  static constexpr Millis kRedrawInterval{100};

  ProgressBar(std::FILE* out, bool enabled, const Clock& clock, std::string verb,
              std::size_t total);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();

  void update(std::size_t done, std::size_t failed);
  // Draws the final state and ends the line; later updates are ignored.
  void finish();

 private:
  void draw();

  std::FILE* out_;
  bool enabled_;
  const Clock& clock_;
  std::string verb_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  TimePoint started_;
  TimePoint last_draw_;
  bool drawn_ = false;
  bool finished_ = false;
};

// True when `stream` is a terminal.
bool is_terminal(std::FILE* stream);

}  // namespace zfleet::ctl
