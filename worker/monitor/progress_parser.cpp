// Finding progress markers in a task's output; see progress_parser.hpp.
#include "worker/monitor/progress_parser.hpp"

#include <algorithm>
#include <charconv>

namespace zfleet::worker {

namespace {

constexpr std::string_view kPrefix = "::progress ";

// Whether `partial` (the start of a line) can still grow into a marker.
bool may_be_marker(std::string_view partial) {
  const std::size_t n = std::min(partial.size(), kPrefix.size());
  return partial.substr(0, n) == kPrefix.substr(0, n);
}

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed UTF-8 sequence at the start of `s`, 0 if none.
// Overlong forms, surrogates and code points above U+10FFFF are rejected.
std::size_t sequence_length(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;  // bounds for the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  const auto b1 = static_cast<unsigned char>(s[1]);
  if (b1 < lo || b1 > hi) return 0;
  for (std::size_t i = 2; i < len; ++i) {
    if (!is_continuation(static_cast<unsigned char>(s[i]))) return 0;
  }
  return len;
}

}  // namespace

std::string sanitize_utf8(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  while (!text.empty()) {
    const std::size_t len = sequence_length(text);
    const auto c = static_cast<unsigned char>(text[0]);
    const bool control = len == 1 && ((c < 0x20 && c != '\t') || c == 0x7F);
    const bool keep = len > 0 && !control;
    const std::size_t take = keep ? len : 1;
    if (out.size() + take > max_bytes) break;
    if (keep) {
      out.append(text.substr(0, len));
    } else {
      out.push_back('?');
    }
    text.remove_prefix(take);
  }
  return out;
}

bool ProgressParser::parse_line(std::string_view line, ProgressMark& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!line.starts_with(kPrefix)) return false;
  line.remove_prefix(kPrefix.size());
  const std::size_t digits = std::min(line.find_first_not_of("0123456789"), line.size());
  if (digits == 0 || digits > 3) return false;
  std::uint32_t percent = 0;
  std::from_chars(line.data(), line.data() + digits, percent);
  if (percent > 100) return false;
  line.remove_prefix(digits);
  if (line.starts_with('%')) line.remove_prefix(1);
  if (!line.empty() && line.front() != ' ') return false;
  if (!line.empty()) line.remove_prefix(1);
  out.percent = percent;
  out.message = sanitize_utf8(line, kMaxMessageBytes);
  return true;
}

void ProgressParser::discard() {
  line_.clear();
  discarding_ = true;
}

void ProgressParser::feed(std::string_view chunk, std::vector<ProgressMark>& out) {
  for (;;) {
    const std::size_t newline = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, newline);
    if (!discarding_) {
      if (line_.size() + piece.size() > kMaxLineBytes) {
        discard();
      } else {
        line_.append(piece);
        if (!may_be_marker(line_)) discard();
      }
    }
    if (newline == std::string_view::npos) return;
    ProgressMark mark;
    if (!discarding_ && parse_line(line_, mark)) out.push_back(std::move(mark));
    line_.clear();
    discarding_ = false;
    chunk.remove_prefix(newline + 1);
  }
}

}  // namespace zfleet::worker
