// Module, http and sandbox values of `submit`; see task_type_flags.hpp.
#include "broker/zfleetctl/task_type_flags.hpp"

#include "broker/zfleetctl/msgpack_json.hpp"
#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {

namespace {

using Error = std::optional<std::string>;

Error size_value(const std::string& text, const char* name, std::uint64_t& out) {
  if (text.empty()) return std::nullopt;
  auto bytes = parse_size(text);
  if (!bytes) return std::string(name) + " expects a size like 256M or 1G, got '" + text + "'";
  out = *bytes;
  return std::nullopt;
}

// A JSON number, or for sizes also a string like "256M".
Error json_count(const nlohmann::json& v, const std::string& key, bool size, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return std::nullopt;
  }
  if (size && v.is_string()) return size_value(v.get<std::string>(), key.c_str(), out);
  return "'" + key + "' must be a non-negative integer" + (size ? " or a size like \"256M\"" : "");
}

Error json_strings(const nlohmann::json& v, const std::string& key, std::vector<std::string>& out) {
  if (!v.is_array()) return "'" + key + "' must be an array of strings";
  out.clear();
  for (const auto& item : v) {
    if (!item.is_string()) return "'" + key + "' must be an array of strings";
    out.push_back(item.get<std::string>());
  }
  return std::nullopt;
}

}  // namespace

Error parse_header(std::string_view text, std::pair<std::string, std::string>& out) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return "--header expects 'Name: value', got '" + std::string(text) + "'";
  }
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  out = {std::string(text.substr(0, colon)), std::string(value)};
  return std::nullopt;
}

Error build_http(const HttpFlags& flags, msg::HttpSpec& out) {
  msg::HttpSpec http;
  http.url = flags.url;
  http.method = flags.method;
  for (const auto& header : flags.headers) {
    std::pair<std::string, std::string> pair;
    if (auto error = parse_header(header, pair)) return error;
    http.headers.push_back(std::move(pair));
  }
  http.body = flags.data;
  if (flags.max_response_bytes) http.max_response_bytes = *flags.max_response_bytes;
  if (flags.max_redirects) http.max_redirects = *flags.max_redirects;
  http.allow = flags.allow;
  http.deny = flags.deny;
  if (auto error = msg::validate(http)) return error->message;
  out = std::move(http);
  return std::nullopt;
}

Error build_sandbox(const SandboxFlags& flags, msg::SandboxRequest& out) {
  msg::SandboxRequest s;
  if (auto e = size_value(flags.memory, "--memory", s.memory_bytes)) return e;
  if (auto e = size_value(flags.memory_soft, "--memory-soft", s.memory_soft_bytes)) return e;
  if (auto e = size_value(flags.address_space, "--address-space", s.address_space_bytes)) return e;
  if (auto e = size_value(flags.file_size, "--file-size", s.file_size_bytes)) return e;
  s.cpu_seconds = flags.cpu_seconds;
  s.open_files = flags.open_files;
  s.processes = flags.processes;
  s.network = flags.network;
  s.stall_ms = flags.stall_ms;
  s.kill_on_stall = flags.kill_on_stall;
  if (s.kill_on_stall && s.stall_ms == 0) return std::string("--kill-on-stall needs --stall-ms");
  if (auto error = msg::validate(s)) return error->message;
  out = std::move(s);
  return std::nullopt;
}

Error build_args(const std::string& json_text, std::string& out) {
  if (json_text.empty()) {
    out.clear();
    return std::nullopt;
  }
  const auto value = nlohmann::json::parse(json_text, nullptr, false);
  if (value.is_discarded()) return std::string("--args is not valid JSON");
  std::string packed = json_to_msgpack(Json(value));
  if (packed.size() > proto::kMaxModuleArgsBytes) {
    return "--args is larger than " + std::to_string(proto::kMaxModuleArgsBytes) + " bytes";
  }
  out = std::move(packed);
  return std::nullopt;
}

Error read_http_json(const nlohmann::json& value, msg::HttpSpec& out) {
  if (!value.is_object()) return std::string("'http' must be an object");
  msg::HttpSpec http;
  for (const auto& [key, v] : value.items()) {
    std::uint64_t n = 0;
    if (key == "url" || key == "method" || key == "body") {
      if (!v.is_string()) return "'http." + key + "' must be a string";
      (key == "url" ? http.url : key == "method" ? http.method : http.body) = v.get<std::string>();
    } else if (key == "headers") {
      if (!v.is_object()) return std::string("'http.headers' must be an object of strings");
      for (const auto& [name, header] : v.items()) {
        if (!header.is_string()) return std::string("'http.headers' must be an object of strings");
        http.headers.emplace_back(name, header.get<std::string>());
      }
    } else if (key == "max_response_bytes") {
      if (auto e = json_count(v, "http." + key, true, n)) return e;
      http.max_response_bytes = n;
    } else if (key == "max_redirects") {
      if (auto e = json_count(v, "http." + key, false, n)) return e;
      if (n > proto::kMaxHttpRedirects) return std::string("'http.max_redirects' is too large");
      http.max_redirects = static_cast<std::uint32_t>(n);
    } else if (key == "allow" || key == "deny") {
      if (auto e = json_strings(v, "http." + key, key == "allow" ? http.allow : http.deny)) {
        return e;
      }
    } else {
      return "unknown key 'http." + key + "'";
    }
  }
  if (auto error = msg::validate(http)) return "http: " + error->message;
  out = std::move(http);
  return std::nullopt;
}

Error read_sandbox_json(const nlohmann::json& value, msg::SandboxRequest& out) {
  if (!value.is_object()) return std::string("'sandbox' must be an object");
  msg::SandboxRequest s;
  for (const auto& [key, v] : value.items()) {
    const std::string name = "sandbox." + key;
    if (key == "memory_bytes" || key == "memory") {
      if (auto e = json_count(v, name, true, s.memory_bytes)) return e;
    } else if (key == "memory_soft_bytes" || key == "memory_soft") {
      if (auto e = json_count(v, name, true, s.memory_soft_bytes)) return e;
    } else if (key == "address_space_bytes" || key == "address_space") {
      if (auto e = json_count(v, name, true, s.address_space_bytes)) return e;
    } else if (key == "file_size_bytes" || key == "file_size") {
      if (auto e = json_count(v, name, true, s.file_size_bytes)) return e;
    } else if (key == "cpu_seconds") {
      if (auto e = json_count(v, name, false, s.cpu_seconds)) return e;
    } else if (key == "open_files") {
      if (auto e = json_count(v, name, false, s.open_files)) return e;
    } else if (key == "processes") {
      if (auto e = json_count(v, name, false, s.processes)) return e;
    } else if (key == "stall_ms") {
      if (auto e = json_count(v, name, false, s.stall_ms)) return e;
    } else if (key == "network") {
      if (!v.is_string()) return std::string("'sandbox.network' must be \"none\" or \"host\"");
      s.network = v.get<std::string>();
    } else if (key == "kill_on_stall") {
      if (!v.is_boolean()) return std::string("'sandbox.kill_on_stall' must be true or false");
      s.kill_on_stall = v.get<bool>();
    } else {
      return "unknown key '" + name + "'";
    }
  }
  if (auto error = msg::validate(s)) return "sandbox: " + error->message;
  out = std::move(s);
  return std::nullopt;
}

}  // namespace zfleet::ctl
