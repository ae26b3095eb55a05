// Formatting and parsing sizes and limits; see quantity_text.hpp.
#include "common/quantity_text.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace zfleet {

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  constexpr std::array<const char*, 5> kUnits{"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  std::array<char, 32> buffer{};
  const int n = std::snprintf(buffer.data(), buffer.size(), value < 10.0 ? "%.1f %s" : "%.0f %s",
                              value, kUnits[unit]);
  return n < 0 ? std::string() : std::string(buffer.data());
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  std::uint64_t value = 0;
  for (; digits < text.size() && text[digits] >= '0' && text[digits] <= '9'; ++digits) {
    const std::uint64_t digit = static_cast<std::uint64_t>(text[digits] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (digits == 0) return std::nullopt;
  std::string unit;
  for (char c : text.substr(digits))
    unit.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (unit.ends_with("IB")) {
    unit.erase(unit.size() - 2);
  } else if (unit.size() > 1 && unit.ends_with("B")) {
    unit.pop_back();
  } else if (unit == "B") {
    unit.clear();
  }
  int shift = 0;
  if (unit == "K") {
    shift = 10;
  } else if (unit == "M") {
    shift = 20;
  } else if (unit == "G") {
    shift = 30;
  } else if (unit == "T") {
    shift = 40;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  if (shift != 0 && value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::string format_limit_ms(std::uint64_t ms) {
  if (ms % 1000 != 0) return std::to_string(ms) + " ms";
  const std::uint64_t s = ms / 1000;
  // Seconds up to ten minutes: "60 s" reads at a glance, "1 min" less so.
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + " h";
  if (s >= 600 && s % 60 == 0) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

std::string format_limit_seconds(std::uint64_t seconds) {
  if (seconds > UINT64_MAX / 1000) return std::to_string(seconds) + " s";
  return format_limit_ms(seconds * 1000);
}

}  // namespace zfleet
