// Module names and where their libraries live. A name is what a task names
// ([a-z0-9][a-z0-9_-]{0,63}), never a path; it resolves to
// <modules_dir>/<name>.so, else <modules_dir>/libzfleet_<name>.so, and the
// file found (after following symlinks) must still lie inside modules_dir,
// so a task can load only what the operator deployed there.
#pragma once

#include <string>
#include <string_view>

namespace zfleet::worker {

// Names are checked with msg::valid_module_name (the protocol's rule).
// The canonical path of module `name`; false with `error` when the name is
// invalid or no acceptable file exists.
bool locate_module(const std::string& modules_dir, const std::string& name, std::string& path,
                   std::string& error);

}  // namespace zfleet::worker
