// Runs zfleetctl for tests; see ctl_run.hpp.
#include "tests/support/ctl_run.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "tests/support/fleet_process.hpp"

namespace zfleet::test_support {

namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

CtlRun run_ctl(const std::string& dir, int& runs, const std::vector<std::string>& args) {
  const std::string log = dir + "/ctl-" + std::to_string(++runs) + ".log";
  ProcessOptions options;
  options.log_file = log;
  const auto status = FleetProcess::run(ZFLEET_CTL_BIN, args, 60s, options);
  CtlRun out;
  out.output = read_file(log);
  if (status && status->exited) out.code = status->code;
  return out;
}

CtlOutput run_ctl_split(const std::string& dir, int& runs, const std::vector<std::string>& args) {
  const std::string base = dir + "/ctl-" + std::to_string(++runs);
  // sh only sends stderr to a file of its own, then execs zfleetctl.
  std::vector<std::string> sh = {"-c", R"(exec "$0" "$@" 2>"$ZFLEET_TEST_STDERR")", ZFLEET_CTL_BIN};
  sh.insert(sh.end(), args.begin(), args.end());
  ProcessOptions options;
  options.log_file = base + ".out";
  options.env = {{"ZFLEET_TEST_STDERR", base + ".err"}};
  const auto status = FleetProcess::run("/bin/sh", sh, 60s, options);
  CtlOutput result;
  if (status && status->exited) result.code = status->code;
  result.out = read_file(base + ".out");
  result.err = read_file(base + ".err");
  return result;
}

}  // namespace zfleet::test_support
