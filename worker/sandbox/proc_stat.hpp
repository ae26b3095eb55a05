// ProcStat reads the few fields of /proc/PID/stat the worker relies on to
// recognise a process across its own restarts: the state (a zombie is as
// good as gone), the process group and setsid() id, and the start time. A pid
// can be reused once its process is reaped; the start time (clock ticks
// since boot, fixed at fork and unchanged by exec) cannot repeat for the
// same pid, so pid + start time names one process for the life of the host.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace zfleet::worker {

struct ProcStat {
  char state = '?';              // R, S, D, Z, T, ... (field 3)
  pid_t pgrp = 0;                // field 5
  pid_t sid = 0;                 // field 6
  std::uint64_t start_time = 0;  // field 22, clock ticks after boot
  // utime + stime + cutime + cstime (fields 14-17), clock ticks: the time of
  // the process and of the children it has reaped.
  std::uint64_t cpu_ticks = 0;
  bool dead() const { return state == 'Z' || state == 'X'; }
};

// nullopt when the process does not exist (or /proc is unreadable).
std::optional<ProcStat> read_proc_stat(pid_t pid);
// Parses the contents of a stat file; exposed for tests. The command name
// (field 2) may hold spaces and parentheses, so parsing starts after the
// last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// Splits off the next field of `rest` (separated by spaces or newlines).
std::string_view next_proc_field(std::string_view& rest);

}  // namespace zfleet::worker
