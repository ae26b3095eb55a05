// Adaptive slot count; the rules are in slot_governor.hpp.
#include "worker/monitor/slot_governor.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

std::string format(const char* pattern, auto... args) {
  std::array<char, 160> buffer;
  const int n = std::snprintf(buffer.data(), buffer.size(), pattern, args...);
  return std::string(buffer.data(), static_cast<std::size_t>(std::clamp(n, 0, 159)));
}

long percent(std::uint32_t busy, std::uint32_t slots) {
  return std::lround(100.0 * busy / slots);
}

// "10 s", "2.5 s".
std::string seconds(Millis d) {
  if (d.count() % 1000 == 0) return format("%lld s", static_cast<long long>(d.count() / 1000));
  return format("%.1f s", static_cast<double>(d.count()) / 1000.0);
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  std::string out;
  std::array<char, 4096> buffer;
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n <= 0) break;
    out.append(buffer.data(), static_cast<std::size_t>(n));
    if (out.size() > 64 * 1024) break;  // meminfo is ~1.5 KiB; do not trust a fake tree
  }
  return out;
}

std::uint32_t usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<std::uint32_t>(n);
  }
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<std::uint32_t>(online) : 1;
}

std::string_view first_token(std::string_view s) {
  const auto start = s.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  s.remove_prefix(start);
  return s.substr(0, s.find_first_of(" \t\n"));
}

}  // namespace

std::optional<HostLoad> read_host_load(const std::string& proc_root, std::uint32_t cores) {
  HostLoad host;
  const std::string meminfo = read_file(proc_root + "/meminfo");
  constexpr std::string_view kKey = "MemAvailable:";
  const auto at = meminfo.find(kKey);
  if (at == std::string::npos || (at > 0 && meminfo[at - 1] != '\n')) return std::nullopt;
  const std::string_view mem = first_token(std::string_view(meminfo).substr(at + kKey.size()));
  if (std::from_chars(mem.data(), mem.data() + mem.size(), host.mem_available_kb).ptr !=
          mem.data() + mem.size() ||
      mem.empty()) {
    return std::nullopt;
  }
  const std::string loadavg = read_file(proc_root + "/loadavg");
  const std::string_view load = first_token(loadavg);
  const auto [end, ec] = std::from_chars(load.data(), load.data() + load.size(), host.load1);
  if (load.empty() || ec != std::errc{} || end != load.data() + load.size() || host.load1 < 0) {
    return std::nullopt;
  }
  host.cores = cores > 0 ? cores : usable_cores();
  return host;
}

SlotGovernor::SlotGovernor(SlotPolicy policy, TimePoint now) : policy_(policy), last_change_(now) {
  policy_.min_slots = std::max<std::uint32_t>(policy_.min_slots, 1);
  policy_.max_slots = std::max(policy_.max_slots, policy_.min_slots);
  slots_ = policy_.min_slots;
}

std::optional<SlotChange> SlotGovernor::update(TimePoint now, std::uint32_t busy,
                                               const HostLoad& host) {
  if (host_refusal(host).empty()) refusing_ = false;
  const double ratio = static_cast<double>(busy) / slots_;
  if (ratio <= policy_.idle_ratio) {
    if (!idle_since_) idle_since_ = now;
  } else {
    idle_since_.reset();
  }
  if (ratio >= policy_.busy_ratio) return grow(now, busy, host);
  return shrink(now, busy);
}

std::optional<SlotChange> SlotGovernor::grow(TimePoint now, std::uint32_t busy,
                                             const HostLoad& host) {
  if (slots_ >= policy_.max_slots || now - last_change_ < policy_.settle) return std::nullopt;
  const std::uint32_t to = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(std::uint64_t{slots_} * 2, policy_.max_slots));
  if (std::string refusal = host_refusal(host); !refusal.empty()) {
    if (refusing_) return std::nullopt;
    refusing_ = true;
    return SlotChange{slots_, to, std::move(refusal), true};
  }
  SlotChange change{slots_, to,
                    format("busy %u/%u slots (%ld%% >= %ld%%)", busy, slots_, percent(busy, slots_),
                           std::lround(policy_.busy_ratio * 100)),
                    false};
  slots_ = to;
  last_change_ = now;
  idle_since_.reset();
  return change;
}

std::optional<SlotChange> SlotGovernor::shrink(TimePoint now, std::uint32_t busy) {
  if (!idle_since_ || now - *idle_since_ < policy_.idle_for || now - last_change_ < policy_.settle)
    return std::nullopt;
  const std::uint32_t to = std::max({slots_ / 2, policy_.min_slots, busy});
  if (to >= slots_) return std::nullopt;
  SlotChange change{slots_, to,
                    format("idle %u/%u slots for %s (%ld%% <= %ld%%)", busy, slots_,
                           seconds(now - *idle_since_).c_str(), percent(busy, slots_),
                           std::lround(policy_.idle_ratio * 100)),
                    false};
  slots_ = to;
  last_change_ = now;
  idle_since_ = now;
  return change;
}

std::string SlotGovernor::host_refusal(const HostLoad& host) const {
  std::string out;
  if (policy_.min_mem_available_kb > 0 && host.mem_available_kb < policy_.min_mem_available_kb) {
    out = format("memory available %llu MiB below %llu MiB mark",
                 static_cast<unsigned long long>(host.mem_available_kb / 1024),
                 static_cast<unsigned long long>(policy_.min_mem_available_kb / 1024));
  }
  if (policy_.max_load_per_core > 0 && host.cores > 0) {
    const double per_core = host.load1 / host.cores;
    if (per_core > policy_.max_load_per_core) {
      if (!out.empty()) out += "; ";
      out += format("load %.1f per core above %.1f", per_core, policy_.max_load_per_core);
    }
  }
  return out;
}

}  // namespace zfleet::worker
