// ProgressParser finds progress marker lines in one output stream of a task.
// It is fed the raw chunks read from the pipe, split anywhere (mid-line,
// mid-marker), and keeps only the partial line that can still become a
// marker, so memory stays bounded however a task writes.
//
// Marker format (one line of the task's stdout or stderr):
//
//   ::progress <percent>[%][ <message>]\n
//
//   - The line starts with exactly "::progress " (one space).
//   - <percent> is a decimal integer 0-100 written in 1-3 digits, optionally
//     followed by '%'.
//   - Optionally one space and a free-text <message> (the rest of the line).
//   - The line ends with "\n"; a "\r" just before it is stripped. A last line
//     without "\n" is not a marker.
//   Examples: "::progress 40", "::progress 75% copying files".
//   Not markers: "::progress abc", "::progress 140", "::progressive",
//   "::progress 40x", "::progress  40" (two spaces).
//
// A line longer than kMaxLineBytes (counting a trailing "\r", not the "\n")
// is never a marker; it is skipped without being buffered. The message is
// cut to at most kMaxMessageBytes and is always valid UTF-8: a byte that does
// not start a well-formed sequence becomes '?', and so does an ASCII control
// character (other than tab), because messages end up on terminals; the cut
// never splits a multibyte sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zfleet::worker {

struct ProgressMark {
  std::uint32_t percent = 0;  // 0-100
  std::string message;        // valid UTF-8, at most ProgressParser::kMaxMessageBytes
};

class ProgressParser {
 public:
  static constexpr std::size_t kMaxLineBytes = 4096;
  static constexpr std::size_t kMaxMessageBytes = 256;

  // Appends to `out` every marker completed by `chunk`, in stream order.
  // Cost is linear in the chunk; lines that cannot be markers are skipped
  // with a newline search only.
  void feed(std::string_view chunk, std::vector<ProgressMark>& out);

  // Parses one complete line (without its "\n"); exposed for tests.
  static bool parse_line(std::string_view line, ProgressMark& out);

 private:
  void discard();

  std::string line_;         // the partial line, only while it may be a marker
  bool discarding_ = false;  // skipping to the next "\n"
};

// Cuts `text` to at most `max_bytes` of valid UTF-8 (see above).
std::string sanitize_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace zfleet::worker
