// Reading /proc/PID/stat; see proc_stat.hpp.
#include "worker/sandbox/proc_stat.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdio>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

template <typename T>
bool to_number(std::string_view s, T& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

std::string_view next_proc_field(std::string_view& rest) {
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n'))
    rest.remove_prefix(1);
  const auto end = rest.find_first_of(" \n");
  const std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return field;
}

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  ProcStat out;
  // Field 3 onwards; field 22 is the 20th after the command name.
  std::string_view fields[20];
  for (auto& f : fields) {
    f = next_proc_field(rest);
    if (f.empty()) return std::nullopt;
  }
  if (fields[0].size() != 1) return std::nullopt;
  out.state = fields[0].front();
  if (!to_number(fields[2], out.pgrp) || !to_number(fields[3], out.sid) ||
      !to_number(fields[19], out.start_time)) {
    return std::nullopt;
  }
  for (std::size_t i = 11; i <= 14; ++i) {  // fields 14-17
    std::uint64_t ticks = 0;
    if (!to_number(fields[i], ticks)) return std::nullopt;
    out.cpu_ticks += ticks;
  }
  return out;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::array<char, 32> path;
  std::snprintf(path.data(), path.size(), "/proc/%d/stat", static_cast<int>(pid));
  UniqueFd fd(::open(path.data(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  // The whole line is well under 1 KiB: a 16-byte command name and 50
  // numbers. One read returns it at once (procfs renders it in one go).
  std::array<char, 1024> buffer;
  const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
  if (n <= 0) return std::nullopt;
  return parse_proc_stat(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
}

}  // namespace zfleet::worker
