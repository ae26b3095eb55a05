// Reading the policy file and resolving an attempt's policy; see worker_policy.hpp.
#include "worker/policy/worker_policy.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

namespace zfleet::worker {

namespace {

using nlohmann::json;

std::uint64_t min_nonzero(std::uint64_t a, std::uint64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

// Reads the limits shared by the worker and project levels (the same names
// as a task's `sandbox` map, PROTOCOL.md §4.1).
bool read_limits(const json& j, msg::SandboxRequest& out, HostRules& http,
                 std::optional<bool>& allow_shell, std::string& error) {
  static const char* const kNumbers[] = {"cpu_seconds",         "memory_bytes", "memory_soft_bytes",
                                         "address_space_bytes", "open_files",   "processes",
                                         "file_size_bytes",     "stall_ms"};
  for (const char* name : kNumbers) {
    if (!j.contains(name)) continue;
    if (!j[name].is_number_unsigned()) {
      error = std::string("'") + name + "' must be a non-negative integer";
      return false;
    }
  }
  auto number = [&](const char* name) { return j.value(name, std::uint64_t{0}); };
  out.cpu_seconds = number("cpu_seconds");
  out.memory_bytes = number("memory_bytes");
  out.memory_soft_bytes = number("memory_soft_bytes");
  out.address_space_bytes = number("address_space_bytes");
  out.open_files = number("open_files");
  out.processes = number("processes");
  out.file_size_bytes = number("file_size_bytes");
  out.stall_ms = number("stall_ms");
  if (j.contains("kill_on_stall")) out.kill_on_stall = j.at("kill_on_stall").get<bool>();
  if (j.contains("network")) out.network = j.at("network").get<std::string>();
  if (j.contains("allow_shell")) allow_shell = j.at("allow_shell").get<bool>();
  if (j.contains("http_allow")) http.allow = j.at("http_allow").get<std::vector<std::string>>();
  if (j.contains("http_deny")) http.deny = j.at("http_deny").get<std::vector<std::string>>();
  if (auto e = msg::validate(out)) {
    error = e->message;
    return false;
  }
  return true;
}

Need read_need(const json& layers, const char* name, Need fallback, bool& off) {
  off = false;
  if (!layers.contains(name)) return fallback;
  const auto value = layers.at(name).get<std::string>();
  if (value == "required") return Need::kRequired;
  if (value == "optional") return Need::kOptional;
  if (value == "off") {
    off = true;
    return Need::kOptional;
  }
  throw std::invalid_argument(std::string("layers.") + name + " must be required, optional or off");
}

// Worker-level limits replace the defaults (the operator may loosen them).
void apply_base_limits(const msg::SandboxRequest& l, AttemptPolicy& p) {
  auto set = [](std::optional<std::uint64_t>& field, std::uint64_t v) {
    if (v != 0) field = v;
  };
  set(p.sandbox.rlimits.cpu_seconds, l.cpu_seconds);
  set(p.sandbox.rlimits.address_space_bytes, l.address_space_bytes);
  set(p.sandbox.rlimits.open_files, l.open_files);
  set(p.sandbox.rlimits.file_size_bytes, l.file_size_bytes);
  set(p.sandbox.cgroup.memory_max_bytes, l.memory_bytes);
  set(p.sandbox.cgroup.pids_max, l.processes);
  if (l.network == "host") p.sandbox.network = NetworkMode::kHost;
  if (l.network == "none") p.sandbox.network = NetworkMode::kNone;
  // Replaces a default mark, which tighten() alone would keep if smaller.
  if (l.memory_bytes != 0) p.monitor.memory_hard_kb = l.memory_bytes / 1024;
  p.monitor = tighten(p.monitor, l);
}

}  // namespace

SandboxPolicy to_request_policy(const msg::SandboxRequest& r) {
  SandboxPolicy p;
  // Unset fields must not tighten anything: start from a permissive request.
  p.rlimits.need = Need::kOptional;
  p.rlimits.core_dumps = true;
  p.no_new_privs = false;
  p.no_new_privs_need = Need::kOptional;
  p.run_as_user_need = Need::kOptional;
  p.seccomp = false;
  p.seccomp_need = Need::kOptional;
  p.private_tmp = false;
  p.private_tmp_need = Need::kOptional;
  p.tmp_size_bytes = std::numeric_limits<std::uint64_t>::max();
  p.network = r.network == "none" ? NetworkMode::kNone : NetworkMode::kHost;
  p.network_need = Need::kOptional;
  p.cgroup.need = Need::kOptional;
  auto set = [](std::optional<std::uint64_t>& field, std::uint64_t v) {
    if (v != 0) field = v;
  };
  set(p.rlimits.cpu_seconds, r.cpu_seconds);
  set(p.rlimits.address_space_bytes, r.address_space_bytes);
  set(p.rlimits.open_files, r.open_files);
  set(p.rlimits.file_size_bytes, r.file_size_bytes);
  set(p.cgroup.memory_max_bytes, r.memory_bytes);
  set(p.cgroup.pids_max, r.processes);
  return p;
}

MonitorPolicy tighten(const MonitorPolicy& base, const msg::SandboxRequest& r) {
  MonitorPolicy out = base;
  const std::uint64_t stall =
      min_nonzero(static_cast<std::uint64_t>(base.stall_after.count()), r.stall_ms);
  out.stall_after = Millis{static_cast<Millis::rep>(stall)};
  out.kill_on_stall = base.kill_on_stall || r.kill_on_stall;
  out.memory_soft_kb = min_nonzero(base.memory_soft_kb, r.memory_soft_bytes / 1024);
  out.memory_hard_kb = min_nonzero(base.memory_hard_kb, r.memory_bytes / 1024);
  if (out.memory_soft_kb != 0 && out.memory_hard_kb != 0 &&
      out.memory_soft_kb > out.memory_hard_kb) {
    out.memory_soft_kb = out.memory_hard_kb;
  }
  return out;
}

bool is_shell(const std::string& program) {
  const auto slash = program.rfind('/');
  const std::string name = slash == std::string::npos ? program : program.substr(slash + 1);
  static const char* const kShells[] = {"sh",  "bash", "dash", "zsh",     "ksh", "mksh",
                                        "csh", "tcsh", "fish", "busybox", "ash"};
  return std::any_of(std::begin(kShells), std::end(kShells),
                     [&](const char* s) { return name == s; });
}

WorkerPolicy::WorkerPolicy(bool running_as_root, bool sandboxed,
                           const std::optional<msg::TaskLimits>& limits) {
  base_.sandbox = SandboxPolicy::defaults(running_as_root);
  base_.sandboxed = sandboxed;
  if (!limits) return;
  auto set_or_clear = [](std::optional<std::uint64_t>& field, std::uint64_t value) {
    if (value != 0) {
      field = value;
    } else {
      field.reset();
    }
  };
  set_or_clear(base_.sandbox.rlimits.cpu_seconds, limits->cpu_seconds);
  set_or_clear(base_.sandbox.cgroup.memory_max_bytes, limits->memory_bytes);
  set_or_clear(base_.sandbox.cgroup.pids_max, limits->processes);
  base_.monitor.memory_hard_kb = limits->memory_bytes / 1024;
}

std::optional<WorkerPolicy> WorkerPolicy::load(const std::string& path, bool running_as_root,
                                               std::string& error,
                                               const std::optional<msg::TaskLimits>& limits) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read policy file " + path;
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto policy = parse(text.str(), running_as_root, error, limits);
  if (!policy) error = path + ": " + error;
  return policy;
}

std::optional<WorkerPolicy> WorkerPolicy::parse(const std::string& text, bool running_as_root,
                                                std::string& error,
                                                const std::optional<msg::TaskLimits>& limits) {
  WorkerPolicy policy(running_as_root, true, limits);
  try {
    const json j = json::parse(text);
    if (!j.is_object()) {
      error = "the policy must be a JSON object";
      return std::nullopt;
    }
    AttemptPolicy& base = policy.base_;
    msg::SandboxRequest limits;
    HostRules http;
    std::optional<bool> shell;
    if (!read_limits(j, limits, http, shell, error)) return std::nullopt;
    apply_base_limits(limits, base);
    base.http = {http};
    base.allow_shell = shell.value_or(true);
    if (j.contains("user")) {
      base.sandbox.run_as_user = j.at("user").get<std::string>();
      if (!running_as_root) base.sandbox.run_as_user.clear();
    }
    if (j.contains("tmp_bytes")) {
      const json& size = j.at("tmp_bytes");
      if (!size.is_number_unsigned() || size.get<std::uint64_t>() < 4096) {
        throw std::invalid_argument("'tmp_bytes' must be an integer of at least 4096");
      }
      base.sandbox.tmp_size_bytes = size.get<std::uint64_t>();
    }
    if (j.contains("sandbox")) {
      const auto mode = j.at("sandbox").get<std::string>();
      if (mode != "on" && mode != "off") throw std::invalid_argument("sandbox must be on or off");
      base.sandboxed = mode == "on";
    }
    if (j.contains("layers")) {
      const json& layers = j.at("layers");
      auto& s = base.sandbox;
      bool off = false;
      s.rlimits.need = read_need(layers, "rlimits", s.rlimits.need, off);
      if (off) throw std::invalid_argument("layers.rlimits cannot be off");
      s.no_new_privs_need = read_need(layers, "no_new_privs", s.no_new_privs_need, off);
      if (off) s.no_new_privs = false;
      s.seccomp_need = read_need(layers, "seccomp", s.seccomp_need, off);
      if (off) s.seccomp = false;
      s.network_need = read_need(layers, "netns", s.network_need, off);
      if (off) s.network = NetworkMode::kHost;
      s.run_as_user_need = read_need(layers, "uid", s.run_as_user_need, off);
      if (off) s.run_as_user.clear();
      s.private_tmp_need = read_need(layers, "private_tmp", s.private_tmp_need, off);
      if (off) s.private_tmp = false;
      s.cgroup.need = read_need(layers, "cgroup", s.cgroup.need, off);
      if (off) {
        s.cgroup.memory_max_bytes.reset();
        s.cgroup.pids_max.reset();
        s.cgroup.cpu_max.reset();
      }
    }
    if (j.contains("projects")) {
      for (const auto& [name, value] : j.at("projects").items()) {
        Override o;
        std::string why;
        if (!value.is_object() || !read_limits(value, o.limits, o.http, o.allow_shell, why)) {
          error = "projects." + name + ": " + (why.empty() ? "must be an object" : why);
          return std::nullopt;
        }
        policy.projects_.emplace(name, std::move(o));
      }
    }
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
  return policy;
}

AttemptPolicy WorkerPolicy::resolve(const std::string& project, const msg::SandboxRequest& request,
                                    const std::vector<std::string>& http_allow,
                                    const std::vector<std::string>& http_deny) const {
  AttemptPolicy p = base_;
  if (auto it = projects_.find(project); it != projects_.end()) {
    const Override& o = it->second;
    p.sandbox = worker::tighten(p.sandbox, to_request_policy(o.limits));
    p.monitor = tighten(p.monitor, o.limits);
    if (!o.http.allow.empty() || !o.http.deny.empty()) p.http.push_back(o.http);
    if (o.allow_shell) p.allow_shell = p.allow_shell && *o.allow_shell;
  }
  p.sandbox = worker::tighten(p.sandbox, to_request_policy(request));
  p.monitor = tighten(p.monitor, request);
  if (!http_allow.empty() || !http_deny.empty()) p.http.push_back({http_allow, http_deny});
  return p;
}

}  // namespace zfleet::worker
