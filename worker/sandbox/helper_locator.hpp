// Where zfleet-worker finds its helper executables (zfleet-module-runner,
// zfleet-http-fetch) when no flag names them. First beside its own binary
// (the build tree), then in the install's helper directory, reached from the
// worker's own directory by a path fixed at configure time (bin/ ->
// libexec/zfleet/ by default), so an install prefix still works after it is
// moved or copied elsewhere. Never PATH: a helper runs inside the sandbox
// and must be the one built with this worker.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace zfleet::worker {

// The paths tried for helper `name`, in order, for a worker binary in
// `exe_dir`; `helper_dir_from_bin` is the relative path from the installed
// bin directory to the helper directory (empty: only beside the binary).
std::vector<std::string> helper_candidates(std::string_view exe_dir, std::string_view name,
                                           std::string_view helper_dir_from_bin);

// The first candidate `usable` accepts, or empty when none is.
std::string find_helper(std::string_view exe_dir, std::string_view name,
                        std::string_view helper_dir_from_bin,
                        const std::function<bool(const std::string&)>& usable);

// find_helper() for this worker binary: its directory from /proc/self/exe,
// the configured helper directory, and "executable by us" as the test.
std::string find_own_helper(std::string_view name);

}  // namespace zfleet::worker
