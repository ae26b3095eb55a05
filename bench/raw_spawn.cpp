// raw_spawn_bench: the baseline a fleet is measured against. Spawns a program
// (default /bin/true) N times with posix_spawn + waitpid, keeping a fixed
// number of children in flight, and reports spawns per second.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/bench_util.hpp"

extern char** environ;

namespace {

// Reaps one child; false when there was none to reap or it failed.
bool reap_one(long& failures) {
  int status = 0;
  pid_t pid;
  do {
    pid = ::waitpid(-1, &status, 0);
  } while (pid < 0 && errno == EINTR);
  if (pid < 0) return false;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Spawns a program N times with posix_spawn, K in flight; reports spawns/s"};
  long count = 5000;
  long in_flight = 2;
  std::string program = "/bin/true";
  app.add_option("-n,--count", count, "number of spawns")->check(CLI::PositiveNumber);
  app.add_option("-j,--in-flight", in_flight, "children running at once")
      ->check(CLI::PositiveNumber);
  app.add_option("--program", program, "program to spawn (no arguments)");
  CLI11_PARSE(app, argc, argv);

  std::vector<char*> child_argv{program.data(), nullptr};
  long running = 0;
  long started = 0;
  long failures = 0;
  zfleet::bench::Stopwatch clock;
  while (started < count || running > 0) {
    while (started < count && running < in_flight) {
      pid_t pid = 0;
      const int rc =
          ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, child_argv.data(), environ);
      if (rc != 0) {
        std::fprintf(stderr, "raw_spawn_bench: posix_spawn %s: %s\n", program.c_str(),
                     std::strerror(rc));
        return 1;
      }
      ++started;
      ++running;
    }
    if (running > 0 && reap_one(failures)) --running;
  }
  const double seconds = clock.seconds();
  const double rate = static_cast<double>(count) / seconds;
  std::fprintf(stderr, "raw posix_spawn: %ld x %s, %ld in flight: %.3f s, %.0f spawns/s\n", count,
               program.c_str(), in_flight, seconds, rate);
  zfleet::bench::print_result("raw_spawn", {{"count", std::to_string(count)},
                                            {"in_flight", std::to_string(in_flight)},
                                            {"seconds", zfleet::bench::fixed(seconds, 3)},
                                            {"failures", std::to_string(failures)},
                                            {"per_s", zfleet::bench::fixed(rate, 1)}});
  return failures == 0 ? 0 : 1;
}
