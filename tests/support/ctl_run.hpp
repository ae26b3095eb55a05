// Runs the real zfleetctl binary from a test and hands back its exit status
// and what it printed. Output goes through files under the caller's
// directory (DIR/ctl-N.*, N counting the caller's runs), never a pipe, so a
// chatty command cannot block on a full pipe while the test waits for it.
#pragma once

#include <string>
#include <vector>

namespace zfleet::test_support {

struct CtlRun {
  int code = -1;       // -1: did not exit normally (killed, timed out)
  std::string output;  // stdout and stderr, interleaved as a terminal shows them
};

struct CtlOutput {
  int code = -1;
  std::string out;  // stdout alone
  std::string err;  // stderr alone
};

// zfleetctl ARGS, stdout and stderr together.
CtlRun run_ctl(const std::string& dir, int& runs, const std::vector<std::string>& args);

// zfleetctl ARGS, stdout and stderr kept apart (for exact-output checks).
CtlOutput run_ctl_split(const std::string& dir, int& runs, const std::vector<std::string>& args);

}  // namespace zfleet::test_support
