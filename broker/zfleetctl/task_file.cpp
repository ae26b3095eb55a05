// JSON-lines task files; see task_file.hpp.
#include "broker/zfleetctl/task_file.hpp"

#include <nlohmann/json.hpp>

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

Error read_field(const std::string& key, const json& value, msg::TaskSpec& spec) {
  std::uint64_t number = 0;
  Error error;
  if (key == "argv") return read_argv(value, spec.argv);
  if (key == "env") return read_env(value, spec.env);
  if (key == "type") return read_string(value, key, proto::kMaxNameBytes, spec.type);
  if (key == "project") return read_string(value, key, proto::kMaxNameBytes, spec.project);
  if (key == "cwd") return read_string(value, key, proto::kMaxPathBytes, spec.cwd);
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
                                           msg::TaskSpec& out) {
  // The non-throwing parse: a bad line is ordinary input, not an exceptional
  // state, and the rest of the file is still read.
  const json object = json::parse(text, nullptr, false);
  if (object.is_discarded()) return std::string("not valid JSON");
  if (!object.is_object()) return std::string("expected a JSON object");
  if (!object.contains("argv")) return std::string("'argv' is required");
  msg::TaskSpec spec = defaults;
  spec.argv.clear();
  for (const auto& [key, value] : object.items()) {
    if (key == "env") spec.env.clear();
    if (auto error = read_field(key, value, spec)) return error;
  }
  if (auto error = msg::validate(spec)) return error->message;
  out = std::move(spec);
  return std::nullopt;
}

TaskFile read_task_file(std::istream& in, const msg::TaskSpec& defaults) {
  TaskFile file;
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (is_blank(text)) continue;
    msg::TaskSpec spec;
    if (auto error = parse_task_line(text, defaults, spec)) {
      file.errors.push_back({line, std::move(*error)});
    } else {
      file.tasks.push_back({line, std::move(spec)});
    }
  }
  return file;
}

}  // namespace zfleet::ctl
