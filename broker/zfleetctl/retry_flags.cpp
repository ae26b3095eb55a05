// Retry-policy flags -> msg::RetryPolicy, and its summary; see retry_flags.hpp.
#include "broker/zfleetctl/retry_flags.hpp"

#include <algorithm>

#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {

namespace {

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool is_retry_kind(std::string_view kind) {
  return std::find(std::begin(msg::kRetryKinds), std::end(msg::kRetryKinds), kind) !=
         std::end(msg::kRetryKinds);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

}  // namespace

std::optional<std::string> parse_retry_on(std::string_view text, std::vector<std::string>& out) {
  std::vector<std::string> kinds;
  if (!trim(text).empty()) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = text.find(',', start);
      const std::string_view kind = trim(text.substr(start, comma - start));
      if (!is_retry_kind(kind)) {
        return "unknown retry kind '" + std::string(kind) +
               "' (exit, signal, timeout, lost, error)";
      }
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.emplace_back(kind);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  out = std::move(kinds);
  return std::nullopt;
}

std::optional<std::string> check_policy(const msg::RetryPolicy& p) {
  if (p.max_attempts > proto::kMaxAttempts) {
    return "max attempts must be at most " + std::to_string(proto::kMaxAttempts);
  }
  if (p.backoff_ms > proto::kMaxBackoffMs || p.backoff_max_ms > proto::kMaxBackoffMs) {
    return "backoff must be at most " + std::to_string(proto::kMaxBackoffMs) + " ms (one day)";
  }
  if (auto error = msg::validate(p)) return error->message;
  return std::nullopt;
}

std::optional<std::string> build_policy(const RetryFlags& flags, msg::RetryPolicy& out) {
  msg::RetryPolicy policy;
  policy.max_attempts = flags.max_attempts;
  policy.backoff_ms = flags.backoff_ms;
  policy.backoff_max_ms = flags.backoff_max_ms;
  if (auto error = parse_retry_on(flags.retry_on, policy.retry_on)) return "--retry-on: " + *error;
  if (auto error = check_policy(policy)) return error;
  out = std::move(policy);
  return std::nullopt;
}

std::string describe_policy(const msg::RetryPolicy& p) {
  std::vector<std::string> parts;
  if (p.max_attempts != 0) {
    parts.push_back(std::to_string(p.max_attempts) +
                    (p.max_attempts == 1 ? " attempt" : " attempts"));
  }
  if (p.backoff_ms != 0 && p.backoff_max_ms != 0) {
    parts.push_back("backoff " + format_duration_ms(p.backoff_ms) + ".." +
                    format_duration_ms(p.backoff_max_ms));
  } else if (p.backoff_ms != 0) {
    parts.push_back("backoff " + format_duration_ms(p.backoff_ms));
  } else if (p.backoff_max_ms != 0) {
    parts.push_back("backoff max " + format_duration_ms(p.backoff_max_ms));
  }
  if (!p.retry_on.empty()) parts.push_back("on " + join(p.retry_on));
  if (parts.empty()) return "-";
  std::string out = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i)
    out += ", " + parts[i];
  return out;
}

}  // namespace zfleet::ctl
