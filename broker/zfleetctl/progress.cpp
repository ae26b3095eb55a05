// The terminal progress line; see progress.hpp.
#include "broker/zfleetctl/progress.hpp"

#include <unistd.h>

#include <algorithm>

#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {

namespace {

constexpr std::size_t kBarWidth = 20;
constexpr std::size_t kVerbWidth = 10;

}  // namespace

std::string format_progress(const ProgressCount& c) {
  std::string line(c.verb);
  if (line.size() < kVerbWidth) line.append(kVerbWidth - line.size(), ' ');
  const std::string total = std::to_string(c.total);
  std::string done = std::to_string(c.done);
  if (done.size() < total.size()) done.insert(0, total.size() - done.size(), ' ');
  line += " " + done + "/" + total;
  const double fraction =
      c.total == 0 ? 1.0 : static_cast<double>(std::min(c.done, c.total)) / c.total;
  const auto filled = static_cast<std::size_t>(fraction * kBarWidth);
  line += " [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] ";
  const std::string percent = std::to_string(static_cast<int>(fraction * 100.0));
  line += std::string(3 - std::min<std::size_t>(3, percent.size()), ' ') + percent + "%";
  const double seconds = static_cast<double>(c.elapsed.count()) / 1000.0;
  line += "  " + format_rate(seconds > 0.0 ? static_cast<double>(c.done) / seconds : 0.0);
  if (c.failed > 0) line += "  failed " + std::to_string(c.failed);
  return line;
}

bool is_terminal(std::FILE* stream) {
  return ::isatty(::fileno(stream)) == 1;
}

ProgressBar::ProgressBar(std::FILE* out, bool enabled, const Clock& clock, std::string verb,
                         std::size_t total)
    : out_(out),
      enabled_(enabled),
      clock_(clock),
      verb_(std::move(verb)),
      total_(total),
      started_(clock.now()),
      last_draw_(clock.now()) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::update(std::size_t done, std::size_t failed) {
  if (!enabled_ || finished_) return;
  done_ = done;
  failed_ = failed;
  const TimePoint now = clock_.now();
  if (drawn_ && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw();
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  draw();
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ProgressBar::draw() {
  const std::string line = format_progress(
      {verb_, done_, total_, failed_, std::chrono::duration_cast<Millis>(clock_.now() - started_)});
  // "\033[K" clears what a longer previous line left behind.
  std::fprintf(out_, "\r%s\033[K", line.c_str());
  std::fflush(out_);
  drawn_ = true;
}

}  // namespace zfleet::ctl
