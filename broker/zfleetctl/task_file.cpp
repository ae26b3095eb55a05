// JSON-lines task files; see task_file.hpp.
#include "broker/zfleetctl/task_file.hpp"

#include <limits>

#include <nlohmann/json.hpp>

#include "broker/zfleetctl/attach_flags.hpp"
#include "broker/zfleetctl/msgpack_json.hpp"
#include "broker/zfleetctl/retry_flags.hpp"
#include "broker/zfleetctl/spec_flags.hpp"

namespace zfleet::ctl {

namespace {

using nlohmann::json;
using Error = std::optional<std::string>;

Error read_string(const json& value, std::string_view key, std::size_t max_bytes,
                  std::string& out) {
  if (!value.is_string()) return "'" + std::string(key) + "' must be a string";
  out = value.get<std::string>();
  if (out.size() > max_bytes) {
    return "'" + std::string(key) + "' is longer than " + std::to_string(max_bytes) + " bytes";
  }
  return std::nullopt;
}

Error read_count(const json& value, std::string_view key, std::uint64_t max, std::uint64_t& out) {
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() > max) {
    return "'" + std::string(key) + "' must be an integer 0-" + std::to_string(max);
  }
  out = value.get<std::uint64_t>();
  return std::nullopt;
}

Error read_argv(const json& value, std::vector<std::string>& out) {
  if (!value.is_array()) return "'argv' must be an array of strings";
  if (value.size() > proto::kMaxArgvItems) {
    return "'argv' has more than " + std::to_string(proto::kMaxArgvItems) + " items";
  }
  std::size_t total = 0;
  for (const auto& item : value) {
    if (!item.is_string()) return "'argv' must be an array of strings";
    out.push_back(item.get<std::string>());
    total += out.back().size();
  }
  if (total > proto::kMaxArgvBytes) return "'argv' is larger than 1 MiB";
  return std::nullopt;
}

Error read_env(const json& value, codec::StringPairs& out) {
  if (!value.is_object()) return "'env' must be an object of strings";
  if (value.size() > proto::kMaxEnvItems) {
    return "'env' has more than " + std::to_string(proto::kMaxEnvItems) + " entries";
  }
  std::size_t total = 0;
  for (const auto& [name, item] : value.items()) {
    if (!item.is_string()) return "'env' value of '" + name + "' must be a string";
    out.emplace_back(name, item.get<std::string>());
    total += name.size() + out.back().second.size();
  }
  if (total > proto::kMaxEnvBytes) return "'env' is larger than 1 MiB";
  return std::nullopt;
}

// An array of kinds, or the same as one comma-separated string.
Error read_retry_on(const json& value, std::vector<std::string>& out) {
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (!item.is_string()) return "'retry_on' must be an array of strings";
      text += (text.empty() ? "" : ",") + item.get<std::string>();
    }
  } else {
    return "'retry_on' must be an array of strings";
  }
  if (auto error = parse_retry_on(text, out)) return "'retry_on': " + *error;
  return std::nullopt;
}

// The keys of a line's retry policy; false when `key` is not one of them.
bool read_retry_field(const std::string& key, const json& value, msg::RetryPolicy& policy,
                      Error& error) {
  std::uint64_t number = 0;
  if (key == "max_attempts") {
    error = read_count(value, key, proto::kMaxAttempts, number);
    policy.max_attempts = static_cast<std::uint32_t>(number);
  } else if (key == "backoff_ms") {
    error = read_count(value, key, proto::kMaxBackoffMs, policy.backoff_ms);
  } else if (key == "backoff_max_ms") {
    error = read_count(value, key, proto::kMaxBackoffMs, policy.backoff_max_ms);
  } else if (key == "retry_on") {
    error = read_retry_on(value, policy.retry_on);
  } else {
    return false;
  }
  return true;
}

// When to start: "not_before_ms" or "delay_ms", read together so a line with
// both is an error rather than one silently winning.
Error read_start(const json& object, std::int64_t now_ms, msg::TaskSpec& spec) {
  std::optional<std::uint64_t> delay;
  std::optional<std::int64_t> not_before;
  std::uint64_t number = 0;
  if (object.contains("delay_ms")) {
    if (auto error = read_count(object["delay_ms"], "delay_ms", proto::kMaxTimeoutMs, number)) {
      return error;
    }
    delay = number;
  }
  if (object.contains("not_before_ms")) {
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (auto error = read_count(object["not_before_ms"], "not_before_ms", kMax, number)) {
      return error;
    }
    not_before = static_cast<std::int64_t>(number);
  }
  if (!delay && !not_before) return std::nullopt;  // the default's start time stands
  if (delay && not_before) return std::string("give 'delay_ms' or 'not_before_ms', not both");
  return resolve_not_before(delay, not_before, now_ms, spec.not_before_ms);
}

// Local files, read when the task file is: "attach": ["job.sh", "in.csv=input.csv"].
Error read_attach(const json& value, std::vector<msg::TaskFile>& out) {
  if (!value.is_array()) return "'attach' must be an array of strings (FILE or FILE=NAME)";
  std::vector<std::string> attach;
  for (const auto& item : value) {
    if (!item.is_string()) return "'attach' must be an array of strings (FILE or FILE=NAME)";
    attach.push_back(item.get<std::string>());
  }
  out.clear();
  return read_attachments(attach, out, "'attach'");
}

Error read_field(const std::string& key, const json& value, msg::TaskSpec& spec) {
  std::uint64_t number = 0;
  Error error;
  if (read_retry_field(key, value, spec.retry, error)) return error;
  if (key == "delay_ms" || key == "not_before_ms") return std::nullopt;  // read_start()
  if (key == "idempotency_key") {
    return read_string(value, key, proto::kMaxIdempotencyKeyBytes, spec.idempotency_key);
  }
  if (key == "argv") return read_argv(value, spec.argv);
  if (key == "module") return read_string(value, key, proto::kMaxNameBytes, spec.module);
  if (key == "args") {
    spec.args = json_to_msgpack(Json(value));
    if (spec.args.size() > proto::kMaxModuleArgsBytes) return std::string("'args' is too large");
    return std::nullopt;
  }
  if (key == "http") return read_http_json(value, spec.http);
  if (key == "sandbox") return read_sandbox_json(value, spec.sandbox);
  if (key == "env") return read_env(value, spec.env);
  if (key == "type") return read_string(value, key, proto::kMaxNameBytes, spec.type);
  if (key == "project") return read_string(value, key, proto::kMaxNameBytes, spec.project);
  if (key == "cwd") return read_string(value, key, proto::kMaxPathBytes, spec.cwd);
  if (key == "attach") return read_attach(value, spec.files);
  if (key == "stdin") return read_string(value, key, proto::kMaxStdinBytes, spec.stdin_data);
  if (key == "priority") {
    error = read_count(value, key, proto::kMaxPriority, number);
    spec.priority = static_cast<std::uint32_t>(number);
    return error;
  }
  if (key == "timeout_ms") return read_count(value, key, proto::kMaxTimeoutMs, spec.timeout_ms);
  if (key == "grace_ms") return read_count(value, key, proto::kMaxTimeoutMs, spec.grace_ms);
  if (key == "output_cap") {
    return read_count(value, key, proto::kMaxOutputCapBytes, spec.output_cap);
  }
  return "unknown key '" + key + "'";
}

// Nothing but whitespace (including a CR left by a file with CRLF endings).
bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

std::optional<std::string> parse_task_line(std::string_view text, const msg::TaskSpec& defaults,
                                           std::int64_t now_ms, msg::TaskSpec& out) {
  // The non-throwing parse: a bad line is ordinary input, not an exceptional
  // state, and the rest of the file is still read.
  const json object = json::parse(text, nullptr, false);
  if (object.is_discarded()) return std::string("not valid JSON");
  if (!object.is_object()) return std::string("expected a JSON object");
  msg::TaskSpec spec = defaults;
  spec.argv.clear();
  for (const auto& [key, value] : object.items()) {
    if (key == "env") spec.env.clear();
    if (auto error = read_field(key, value, spec)) return error;
  }
  if (spec.type == "shell" && !object.contains("argv")) return std::string("'argv' is required");
  if (auto error = read_start(object, now_ms, spec)) return error;
  if (auto error = check_policy(spec.retry)) return error;
  if (auto error = msg::validate(spec)) return error->message;
  out = std::move(spec);
  return std::nullopt;
}

TaskFile read_task_file(std::istream& in, const msg::TaskSpec& defaults, std::int64_t now_ms) {
  TaskFile file;
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (is_blank(text)) continue;
    msg::TaskSpec spec;
    if (auto error = parse_task_line(text, defaults, now_ms, spec)) {
      file.errors.push_back({line, std::move(*error)});
    } else {
      file.tasks.push_back({line, std::move(spec)});
    }
  }
  return file;
}

}  // namespace zfleet::ctl
