// Flags of a single `submit` -> msg::TaskSpec; see spec_flags.hpp.
#include "broker/zfleetctl/spec_flags.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "broker/zfleetctl/attach_flags.hpp"

namespace zfleet::ctl {

std::optional<std::string> parse_env_assignment(std::string_view text,
                                                std::pair<std::string, std::string>& out) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return "--env expects NAME=VALUE, got '" + std::string(text) + "'";
  }
  out = {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  return std::nullopt;
}

std::optional<std::string> resolve_not_before(std::optional<std::uint64_t> delay_ms,
                                              std::optional<std::int64_t> not_before_ms,
                                              std::int64_t now_ms, std::int64_t& out) {
  if (delay_ms && not_before_ms) return std::string("give --delay-ms or --not-before, not both");
  if (not_before_ms) {
    if (*not_before_ms < 0) return std::string("--not-before is a Unix time in ms, not negative");
    out = *not_before_ms;
  } else if (delay_ms) {
    // Bounded like a backoff so the sum cannot overflow; a longer delay is a
    // --not-before.
    if (*delay_ms > proto::kMaxTimeoutMs) {
      return "--delay-ms must be at most " + std::to_string(proto::kMaxTimeoutMs) + " (7 days)";
    }
    out = now_ms + static_cast<std::int64_t>(*delay_ms);
  } else {
    out = 0;
  }
  return std::nullopt;
}

std::optional<std::string> check_idempotency_key(std::string_view key) {
  if (key.size() > proto::kMaxIdempotencyKeyBytes) {
    return "idempotency key is longer than " + std::to_string(proto::kMaxIdempotencyKeyBytes) +
           " bytes";
  }
  return std::nullopt;
}

std::optional<std::string> apply_flags(const SpecFlags& flags, std::string stdin_data,
                                       std::int64_t now_ms, msg::TaskSpec& out) {
  msg::TaskSpec spec;
  spec.type = flags.type;
  spec.project = flags.project;
  spec.priority = flags.priority;
  spec.argv = flags.argv;
  spec.cwd = flags.cwd;
  spec.timeout_ms = flags.timeout_ms;
  spec.grace_ms = flags.grace_ms;
  spec.output_cap = flags.output_cap;
  spec.stdin_data = std::move(stdin_data);
  for (const auto& assignment : flags.env) {
    std::pair<std::string, std::string> pair;
    if (auto error = parse_env_assignment(assignment, pair)) return error;
    spec.env.push_back(std::move(pair));
  }
  if (spec.output_cap > proto::kMaxOutputCapBytes) {
    return "--output-cap must be at most " + std::to_string(proto::kMaxOutputCapBytes);
  }
  if (spec.timeout_ms > proto::kMaxTimeoutMs || spec.grace_ms > proto::kMaxTimeoutMs) {
    return "--timeout-ms and --grace-ms must be at most " + std::to_string(proto::kMaxTimeoutMs);
  }
  if (auto error = build_policy(flags.retry, spec.retry)) return error;
  if (auto error =
          resolve_not_before(flags.delay_ms, flags.not_before_ms, now_ms, spec.not_before_ms)) {
    return error;
  }
  if (auto error = check_idempotency_key(flags.idempotency_key)) return error;
  spec.idempotency_key = flags.idempotency_key;
  spec.module = flags.module;
  if (auto error = build_args(flags.args_json, spec.args)) return error;
  if (spec.type == "http") {
    if (auto error = build_http(flags.http, spec.http)) return error;
  }
  if (auto error = build_sandbox(flags.sandbox, spec.sandbox)) return error;
  if (auto error = read_attachments(flags.attach, spec.files)) return error;
  if (auto error = apply_script(flags.script, spec.cwd, spec.argv, spec.files)) return error;
  out = std::move(spec);
  return std::nullopt;
}

std::optional<std::string> build_spec(const SpecFlags& flags, std::string stdin_data,
                                      std::int64_t now_ms, msg::TaskSpec& out) {
  msg::TaskSpec spec;
  if (auto error = apply_flags(flags, std::move(stdin_data), now_ms, spec)) return error;
  if (auto error = msg::validate(spec)) return error->message;
  out = std::move(spec);
  return std::nullopt;
}

std::optional<std::string> read_bounded(std::istream& in, std::size_t max_bytes, std::string& out) {
  std::string data;
  std::array<char, 64 * 1024> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    data.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes) {
      return "input is larger than " + std::to_string(max_bytes) + " bytes";
    }
  }
  if (in.bad()) return std::string("read error");
  out = std::move(data);
  return std::nullopt;
}

std::optional<std::string> read_input_file(const std::string& path, std::size_t max_bytes,
                                           std::string& out) {
  if (path == "-") {
    if (auto error = read_bounded(std::cin, max_bytes, out)) return "standard input: " + *error;
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return path + ": " + std::strerror(errno);
  if (auto error = read_bounded(file, max_bytes, out)) return path + ": " + *error;
  return std::nullopt;
}

}  // namespace zfleet::ctl
