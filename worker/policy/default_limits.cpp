// The default per-task ceilings; see default_limits.hpp.
#include "worker/policy/default_limits.hpp"

#include <algorithm>
#include <charconv>

#include "common/quantity_text.hpp"

namespace zfleet::worker {

namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
// cgroup v1 writes "no limit" as 2^63 rounded down to a page; anything this
// large is no limit on any host that exists.
constexpr std::uint64_t kUnlimitedCgroup = std::uint64_t{1} << 62;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// The memory ceiling and the words that say how it was reached.
std::pair<std::uint64_t, std::string> memory_default(const DefaultLimitInputs& in) {
  if (in.memory.mode == LimitSetting::Mode::kOff) return {0, "off (--default-memory off)"};
  if (in.memory.mode == LimitSetting::Mode::kValue) {
    return {in.memory.value, "set by --default-memory"};
  }
  std::optional<std::uint64_t> pool = in.mem_available_bytes;
  std::string source = pool ? format_bytes(*pool) + " available" : std::string();
  if (in.cgroup_limit_bytes && (!pool || *in.cgroup_limit_bytes < *pool)) {
    pool = in.cgroup_limit_bytes;
    source = "the worker's cgroup limit " + format_bytes(*pool);
  }
  if (!pool) return {kMaxDefaultMemoryBytes, "host memory unknown: the cap"};
  const std::uint64_t slots = std::max<std::uint32_t>(in.slots, 1);
  const std::uint64_t share = *pool / slots;
  std::string basis = source + " / " + std::to_string(slots) + (slots == 1 ? " slot" : " slots");
  std::uint64_t bytes = share / kMiB * kMiB;
  if (bytes > kMaxDefaultMemoryBytes) {
    bytes = kMaxDefaultMemoryBytes;
    basis += ", capped at " + format_bytes(kMaxDefaultMemoryBytes);
  } else if (bytes < kMinDefaultMemoryBytes) {
    bytes = kMinDefaultMemoryBytes;
    basis += ", raised to the floor of " + format_bytes(kMinDefaultMemoryBytes);
  }
  return {bytes, basis};
}

std::uint64_t chosen(const LimitSetting& s, std::uint64_t automatic) {
  switch (s.mode) {
    case LimitSetting::Mode::kAuto:
      return automatic;
    case LimitSetting::Mode::kOff:
      return 0;
    case LimitSetting::Mode::kValue:
      return s.value;
  }
  return automatic;
}

std::string or_none(std::uint64_t value, std::string text) {
  return value == 0 ? std::string("none") : text;
}

}  // namespace

std::optional<LimitSetting> parse_limit_setting(std::string_view text, bool size) {
  if (text == "auto") return LimitSetting{};
  if (text == "off" || text == "none") return LimitSetting{LimitSetting::Mode::kOff, 0};
  const auto value = size ? parse_size(text) : number(text);
  if (!value) return std::nullopt;
  if (*value == 0) return LimitSetting{LimitSetting::Mode::kOff, 0};
  return LimitSetting{LimitSetting::Mode::kValue, *value};
}

DefaultLimits compute_default_limits(const DefaultLimitInputs& in) {
  DefaultLimits out;
  auto [memory, basis] = memory_default(in);
  out.limits.memory_bytes = memory;
  out.memory_basis = std::move(basis);
  out.limits.timeout_ms = in.timeout_ms;
  // Rounded up, so a task that uses one CPU flat out meets its wall clock first.
  const std::uint64_t wall_s = (in.timeout_ms + 999) / 1000;
  out.limits.cpu_seconds = chosen(in.cpu_seconds, wall_s != 0 ? wall_s : kDefaultTimeoutMs / 1000);
  out.limits.processes = chosen(in.processes, kDefaultProcesses);
  return out;
}

std::optional<std::uint64_t> parse_mem_available(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemAvailable:";
  std::size_t at = 0;
  while ((at = meminfo.find(kKey, at)) != std::string_view::npos) {
    if (at == 0 || meminfo[at - 1] == '\n') break;
    at += kKey.size();
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = meminfo.substr(at + kKey.size());
  rest = trim(rest.substr(0, rest.find('\n')));
  if (!rest.ends_with(" kB")) return std::nullopt;
  const auto kb = number(trim(rest.substr(0, rest.size() - 3)));
  if (!kb || *kb > (UINT64_MAX >> 10)) return std::nullopt;
  return *kb << 10;
}

std::optional<std::uint64_t> parse_cgroup_memory_limit(std::string_view text) {
  const auto value = number(trim(text));
  if (!value || *value >= kUnlimitedCgroup) return std::nullopt;
  return value;
}

msg::TaskLimits effective_limits(const AttemptPolicy& base, std::uint64_t timeout_ms, bool rlimits,
                                 bool pids_cgroup) {
  msg::TaskLimits out;
  out.timeout_ms = timeout_ms;
  const auto& s = base.sandbox;
  if (base.sandboxed && s.cgroup.memory_max_bytes) {
    out.memory_bytes = *s.cgroup.memory_max_bytes;
  } else {
    out.memory_bytes = base.monitor.memory_hard_kb * 1024;
  }
  if (base.sandboxed && rlimits) out.cpu_seconds = s.rlimits.cpu_seconds.value_or(0);
  if (base.sandboxed && pids_cgroup) out.processes = s.cgroup.pids_max.value_or(0);
  return out;
}

std::string describe_limits(const msg::TaskLimits& l) {
  return "memory " + or_none(l.memory_bytes, format_bytes(l.memory_bytes)) + ", cpu " +
         or_none(l.cpu_seconds, format_limit_seconds(l.cpu_seconds)) + ", wall " +
         or_none(l.timeout_ms, format_limit_ms(l.timeout_ms)) + ", processes " +
         or_none(l.processes, std::to_string(l.processes));
}

}  // namespace zfleet::worker
