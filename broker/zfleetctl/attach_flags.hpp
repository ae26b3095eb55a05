// Files sent with a task: `submit --attach FILE[=NAME]`, `--script FILE` and a
// task file's "attach" list. Each local file is read here, bounded by the
// protocol's caps, and becomes a msg::TaskFile the worker writes into the
// task's directory before the task starts. The mode travels too: a file its
// owner may execute arrives 0755, any other 0644.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/messages.hpp"

namespace zfleet::ctl {

// "FILE" or "FILE=NAME": the local file and the path it gets in the task
// directory (default: FILE's last component). A FILE that itself exists with
// an '=' in its name is taken whole.
struct AttachSpec {
  std::string local;
  std::string path;
};
std::optional<std::string> parse_attach(std::string_view text, AttachSpec& out);

// Reads every attachment into `out` (appending), refusing a missing file, a
// directory, an unsafe NAME, the same NAME twice, and more than the
// protocol's caps (PROTOCOL.md §4.1 "files"). `flag` names the source in
// messages ("--attach", or a task file's "'attach'").
std::optional<std::string> read_attachments(const std::vector<std::string>& attach,
                                            std::vector<msg::TaskFile>& out,
                                            std::string_view flag = "--attach");

// --script FILE: attaches FILE as its last component, executable, and makes
// the command run it ("./NAME" followed by the arguments after --). The
// task directory is where "./NAME" resolves, so --cwd is refused with it.
std::optional<std::string> apply_script(const std::string& script, const std::string& cwd,
                                        std::vector<std::string>& argv,
                                        std::vector<msg::TaskFile>& files);

}  // namespace zfleet::ctl
