// Human renderings of durations, timestamps, sizes, rates and signals.
#include "broker/zfleetctl/units.hpp"

#include <cctype>

#include <algorithm>
#include <array>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <utility>

#include "common/quantity_text.hpp"

namespace zfleet::ctl {

namespace {

template <typename... Args>
std::string printf_string(const char* format, Args... args) {
  std::array<char, 64> buffer{};
  const int n = std::snprintf(buffer.data(), buffer.size(), format, args...);
  if (n < 0) return {};
  return std::string(buffer.data(), std::min(static_cast<std::size_t>(n), buffer.size() - 1));
}

}  // namespace

std::string format_duration_ms(std::uint64_t ms) {
  constexpr std::uint64_t kSecond = 1000;
  constexpr std::uint64_t kMinute = 60 * kSecond;
  constexpr std::uint64_t kHour = 60 * kMinute;
  constexpr std::uint64_t kDay = 24 * kHour;
  if (ms < kSecond) return std::to_string(ms) + " ms";
  if (ms < kMinute) return printf_string("%.2f s", static_cast<double>(ms) / kSecond);
  if (ms < kHour) {
    return printf_string("%llum%02llus", static_cast<unsigned long long>(ms / kMinute),
                         static_cast<unsigned long long>(ms % kMinute / kSecond));
  }
  if (ms < kDay) {
    return printf_string("%lluh%02llum", static_cast<unsigned long long>(ms / kHour),
                         static_cast<unsigned long long>(ms % kHour / kMinute));
  }
  return printf_string("%llud%02lluh", static_cast<unsigned long long>(ms / kDay),
                       static_cast<unsigned long long>(ms % kDay / kHour));
}

std::string format_timestamp_ms(std::int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  // Floor division so times before 1970 still print a valid date.
  std::int64_t seconds = unix_ms / 1000;
  std::int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_ms);
  std::array<char, 32> date{};
  const std::size_t n = std::strftime(date.data(), date.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(date.data(), n) + printf_string(".%03dZ", static_cast<int>(millis));
}

std::string format_bytes(std::uint64_t bytes) {
  return zfleet::format_bytes(bytes);
}

std::string format_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second <= 0.0) return "-";
  return printf_string(per_second < 100.0 ? "%.1f/s" : "%.0f/s", per_second);
}

std::string signal_name(int signal) {
  static constexpr std::array<std::pair<int, const char*>, 20> kNames{{
      {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
      {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
      {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
      {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},   {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},
  }};
  for (const auto& [number, name] : kNames) {
    if (number == signal) return name;
  }
  return "SIG" + std::to_string(signal);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  return zfleet::parse_size(text);
}

}  // namespace zfleet::ctl
