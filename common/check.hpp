// ZFLEET_CHECK(cond, what): an invariant whose breach would lose or corrupt
// data (a task in two queues, an index past an array, a counter wrapping).
// Unlike assert() it is compiled into every build: it prints file:line and
// `what` to stderr and aborts, so a supervisor restarts the daemon from its
// journal instead of letting it run on with damaged state. Keep assert() for
// hot checks that only matter while developing.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace zfleet::detail {

[[noreturn]] inline void check_failed(const char* expr, const char* what, const char* file,
                                      int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", file, line, what, expr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace zfleet::detail

#define ZFLEET_CHECK(cond, what)                                         \
  do {                                                                   \
    if (!(cond)) [[unlikely]]                                            \
      ::zfleet::detail::check_failed(#cond, (what), __FILE__, __LINE__); \
  } while (0)
