// Sampling a task's processes from /proc; see group_usage.hpp.
#include "worker/monitor/group_usage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>

#include "worker/sandbox/proc_stat.hpp"
#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

template <typename T>
bool to_number(std::string_view s, T& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
}

// Reads a small /proc file whole into `buffer`; empty when it is gone.
std::string_view read_small(const std::string& path, std::array<char, 1024>& buffer) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  // procfs renders stat and statm in one read; a fake tree's files are as short.
  const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
  if (n <= 0) return {};
  return {buffer.data(), static_cast<std::size_t>(n)};
}

struct Scales {
  std::uint64_t page_kb;
  std::uint64_t ticks_per_s;
};

Scales scales() {
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return {page > 0 ? static_cast<std::uint64_t>(page) / 1024 : 4,
          ticks > 0 ? static_cast<std::uint64_t>(ticks) : 100};
}

// Resident KiB of one process: statm's second field, else status' VmRSS.
std::uint64_t resident_kb(const std::string& dir, const Scales& s, std::array<char, 1024>& buf) {
  std::string_view statm = read_small(dir + "/statm", buf);
  if (!statm.empty()) {
    next_proc_field(statm);
    std::uint64_t pages = 0;
    if (to_number(next_proc_field(statm), pages)) return pages * s.page_kb;
  }
  // status is a few KiB: read it through a larger buffer.
  UniqueFd fd(::open((dir + "/status").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  std::array<char, 8192> big;
  const ssize_t n = ::read(fd.get(), big.data(), big.size());
  if (n <= 0) return 0;
  std::string_view status(big.data(), static_cast<std::size_t>(n));
  const auto at = status.find("VmRSS:");
  if (at == std::string_view::npos) return 0;
  std::string_view rest = status.substr(at + 6);
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  std::uint64_t kb = 0;
  return to_number(next_proc_field(rest), kb) ? kb : 0;
}

class Accumulator {
 public:
  explicit Accumulator(const std::string& proc_root) : root_(proc_root), scales_(scales()) {}

  // Adds pid when it exists and (pgid > 0) belongs to group pgid.
  void add(const std::string& pid, pid_t pgid) {
    const std::string dir = root_ + "/" + pid;
    const auto stat = parse_proc_stat(read_small(dir + "/stat", buffer_));
    if (!stat || (pgid > 0 && stat->pgrp != pgid)) return;
    // A zombie's own time is not yet in its parent's cutime, so it counts;
    // it holds no memory and is no longer running.
    ticks_ += stat->cpu_ticks;
    if (stat->dead()) return;
    usage_.rss_kb += resident_kb(dir, scales_, buffer_);
    ++usage_.processes;
  }

  GroupUsage result() {
    usage_.cpu_ms = ticks_ * 1000 / scales_.ticks_per_s;
    return usage_;
  }

 private:
  std::string root_;
  Scales scales_;
  std::array<char, 1024> buffer_{};
  std::uint64_t ticks_ = 0;
  GroupUsage usage_;
};

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::optional<GroupUsage> sample_process_group(pid_t pgid, const std::string& proc_root) {
  if (pgid <= 0) return std::nullopt;
  const std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(proc_root.c_str()), ::closedir);
  if (!dir) return std::nullopt;
  Accumulator total(proc_root);
  while (const dirent* entry = ::readdir(dir.get())) {
    if (all_digits(entry->d_name)) total.add(entry->d_name, pgid);
  }
  return total.result();
}

std::optional<GroupUsage> sample_pids(const std::vector<int>& pids, const std::string& proc_root) {
  if (::access(proc_root.c_str(), R_OK | X_OK) != 0) return std::nullopt;
  Accumulator total(proc_root);
  for (const int pid : pids) {
    if (pid > 0) total.add(std::to_string(pid), 0);
  }
  return total.result();
}

}  // namespace zfleet::worker
