// Attachments of `submit`; see attach_flags.hpp.
#include "broker/zfleetctl/attach_flags.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "broker/zfleetctl/spec_flags.hpp"

namespace zfleet::ctl {

namespace {

std::string last_component(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/')
    trimmed.pop_back();
  const std::size_t slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

std::size_t total_bytes(const std::vector<msg::TaskFile>& files) {
  std::size_t total = 0;
  for (const auto& f : files)
    total += f.data.size();
  return total;
}

// `flag` names the source in messages: "--attach", "--script", "'attach'".
std::optional<std::string> read_one(const AttachSpec& spec, std::vector<msg::TaskFile>& out,
                                    bool executable, std::string_view flag) {
  const std::string name(flag);
  if (auto problem = msg::task_file_path_problem(spec.path); !problem.empty()) {
    return name + " name '" + spec.path + "' " + problem;
  }
  for (const auto& f : out) {
    if (f.path == spec.path) return name + " names '" + spec.path + "' twice";
  }
  if (out.size() >= proto::kMaxTaskFiles) {
    return "at most " + std::to_string(proto::kMaxTaskFiles) + " files go with a task";
  }
  struct stat st {};
  if (::stat(spec.local.c_str(), &st) != 0) return spec.local + ": " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return spec.local + ": not a regular file";
  const std::size_t room = proto::kMaxTaskFilesBytes - total_bytes(out);
  msg::TaskFile file;
  file.path = spec.path;
  if (auto error = read_input_file(spec.local, room, file.data)) {
    if (static_cast<std::uint64_t>(st.st_size) > room) {
      return spec.local + ": the files of a task may hold " +
             std::to_string(proto::kMaxTaskFilesBytes) + " bytes in all";
    }
    return error;
  }
  file.mode = executable || (st.st_mode & S_IXUSR) != 0 ? 0755 : proto::kDefaultTaskFileMode;
  out.push_back(std::move(file));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_attach(std::string_view text, AttachSpec& out) {
  const std::string whole(text);
  if (whole.empty()) return std::string("--attach needs a file");
  struct stat st {};
  const std::size_t eq = whole.rfind('=');
  if (eq == std::string::npos || ::stat(whole.c_str(), &st) == 0) {
    out = {whole, last_component(whole)};
    return std::nullopt;
  }
  if (eq == 0) return "--attach expects FILE or FILE=NAME, got '" + whole + "'";
  out = {whole.substr(0, eq), whole.substr(eq + 1)};
  return std::nullopt;
}

std::optional<std::string> read_attachments(const std::vector<std::string>& attach,
                                            std::vector<msg::TaskFile>& out,
                                            std::string_view flag) {
  for (const auto& text : attach) {
    AttachSpec spec;
    if (auto error = parse_attach(text, spec)) return error;
    if (auto error = read_one(spec, out, false, flag)) return error;
  }
  return std::nullopt;
}

std::optional<std::string> apply_script(const std::string& script, const std::string& cwd,
                                        std::vector<std::string>& argv,
                                        std::vector<msg::TaskFile>& files) {
  if (script.empty()) return std::nullopt;
  if (!cwd.empty()) {
    return std::string(
        "--script runs from the task directory; with --cwd, --attach the "
        "script and name its path in the command");
  }
  const AttachSpec spec{script, last_component(script)};
  if (auto error = read_one(spec, files, true, "--script")) return error;
  argv.insert(argv.begin(), "./" + spec.path);
  return std::nullopt;
}

}  // namespace zfleet::ctl
