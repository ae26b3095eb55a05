// The value rules of task specs; see validate.hpp. The messages are part of
// what clients see (ERROR replies, zfleetctl): keep them stable.
#include "common/wire/validate.hpp"

#include <algorithm>
#include <iterator>

namespace zfleet::msg {

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > proto::kMaxNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':' || c == '@';
  });
}

std::string task_file_path_problem(std::string_view path) {
  if (path.empty()) return "is empty";
  if (path.size() > proto::kMaxTaskFilePathBytes) return "is too long";
  if (path.front() == '/') return "must be relative to the task directory";
  if (codec::has_nul(path)) return "may not contain NUL bytes";
  std::size_t parts = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty()) return "has an empty part";
    if (part == "." || part == "..") return "may not have '.' or '..' parts";
    if (part.size() > proto::kMaxTaskFileNameBytes) return "has a part longer than 255 bytes";
    if (++parts > proto::kMaxTaskFilePathParts) return "has more than 16 parts";
    start = end + 1;
  }
  return {};
}

namespace {

MaybeError validate_files(const TaskSpec& s) {
  auto invalid = [](std::string m) { return DecodeError{ErrorCode::kInvalidField, std::move(m)}; };
  if (s.files.empty()) return std::nullopt;
  if (s.type != "shell") return invalid("'files' are only for shell tasks");
  if (!s.cwd.empty() && s.cwd.front() == '/') {
    return invalid("'files' go into the task directory: 'cwd' must then be relative");
  }
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    const auto& path = s.files[i].path;
    if (auto problem = task_file_path_problem(path); !problem.empty()) {
      return invalid("'files' path '" + path + "' " + problem);
    }
    if (s.files[i].mode > proto::kMaxTaskFileMode) {
      return invalid("'files' mode of '" + path + "' must be permission bits (<= 0777)");
    }
    for (std::size_t j = 0; j < i; ++j) {
      const auto& other = s.files[j].path;
      const auto under = [](const std::string& a, const std::string& dir) {
        return a.size() > dir.size() && a.compare(0, dir.size(), dir) == 0 && a[dir.size()] == '/';
      };
      if (other == path) return invalid("'files' name '" + path + "' twice");
      if (under(path, other) || under(other, path)) {
        return invalid("'files' use '" + (under(path, other) ? other : path) +
                       "' as both a file and a directory");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

MaybeError validate(const TaskSpec& s) {
  auto invalid = [](std::string m) { return DecodeError{ErrorCode::kInvalidField, std::move(m)}; };
  if (s.type != "shell" && s.type != "noop" && s.type != "module" && s.type != "http") {
    return invalid("unsupported task type '" + s.type + "' (shell, module, http, noop)");
  }
  if (!valid_name(s.project)) {
    return invalid("'project' must be 1-64 characters of [A-Za-z0-9._:@-]");
  }
  if (s.priority > static_cast<std::uint32_t>(proto::kMaxPriority)) {
    return invalid("'priority' must be 0-10");
  }
  if (s.type == "shell" && s.argv.empty()) return invalid("'argv' must name a program");
  if (s.type == "module" && s.module.empty()) return invalid("'module' must name a module");
  if (!s.module.empty() && !valid_module_name(s.module)) {
    return invalid("'module' must be 1-64 characters of [a-z0-9_-], starting with [a-z0-9]");
  }
  if (s.type == "http") {
    if (auto e = validate(s.http)) return DecodeError{e->code, "http: " + e->message};
  }
  if (auto e = validate(s.sandbox)) return DecodeError{e->code, "sandbox: " + e->message};
  if (!s.argv.empty() && s.argv.front().empty()) return invalid("'argv[0]' is empty");
  for (const auto& a : s.argv) {
    if (codec::has_nul(a)) return invalid("'argv' items may not contain NUL bytes");
  }
  for (const auto& [k, v] : s.env) {
    if (k.empty() || k.find('=') != std::string::npos || codec::has_nul(k) || codec::has_nul(v)) {
      return invalid("'env' names must be non-empty, without '=' or NUL");
    }
  }
  if (codec::has_nul(s.cwd)) return invalid("'cwd' may not contain NUL bytes");
  if (auto e = validate_files(s)) return e;
  if (s.not_before_ms < 0) return invalid("'not_before_ms' may not be negative");
  if (auto e = validate(s.retry)) return DecodeError{e->code, "retry: " + e->message};
  return std::nullopt;
}

MaybeError validate(const RetryPolicy& p) {
  for (const auto& kind : p.retry_on) {
    if (std::find(std::begin(kRetryKinds), std::end(kRetryKinds), kind) == std::end(kRetryKinds)) {
      return DecodeError{ErrorCode::kInvalidField,
                         "'retry_on' items must be exit, signal, timeout, lost, error or spawn"};
    }
  }
  if (p.backoff_max_ms != 0 && p.backoff_ms > p.backoff_max_ms) {
    return DecodeError{ErrorCode::kInvalidField, "'backoff_ms' exceeds 'backoff_max_ms'"};
  }
  return std::nullopt;
}

MaybeError validate(const SandboxRequest& b) {
  if (!b.network.empty() && b.network != "none" && b.network != "host") {
    return DecodeError{ErrorCode::kInvalidField, "'network' must be none or host"};
  }
  if (b.memory_soft_bytes != 0 && b.memory_bytes != 0 && b.memory_soft_bytes > b.memory_bytes) {
    return DecodeError{ErrorCode::kInvalidField, "'memory_soft_bytes' exceeds 'memory_bytes'"};
  }
  return std::nullopt;
}

MaybeError validate(const HttpSpec& h) {
  auto invalid = [](std::string m) { return DecodeError{ErrorCode::kInvalidField, std::move(m)}; };
  static constexpr std::string_view kMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                  "PATCH", "DELETE", "OPTIONS"};
  if (std::find(std::begin(kMethods), std::end(kMethods), h.method) == std::end(kMethods)) {
    return invalid("'method' must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
  }
  const bool http = h.url.rfind("http://", 0) == 0 || h.url.rfind("https://", 0) == 0;
  if (!http) return invalid("'url' must be an http:// or https:// URL");
  for (char c : h.url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return invalid("'url' may not contain spaces or control characters");
    }
  }
  for (const auto& [name, value] : h.headers) {
    if (name.empty()) return invalid("'headers' names may not be empty");
    for (char c : name) {
      const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') ||
                         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      if (!token) return invalid("'headers' name '" + name + "' is not an HTTP token");
    }
    for (char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        return invalid("'headers' values may not contain CR, LF or NUL");
      }
    }
  }
  return std::nullopt;
}

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > proto::kMaxNameBytes) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

}  // namespace zfleet::msg
