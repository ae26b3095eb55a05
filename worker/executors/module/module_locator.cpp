// Module name validation and lookup; see module_locator.hpp.
#include "worker/executors/module/module_locator.hpp"

#include "common/messages.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <memory>

namespace zfleet::worker {

namespace {

std::string canonical(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : std::string();
}

}  // namespace

bool locate_module(const std::string& modules_dir, const std::string& name, std::string& path,
                   std::string& error) {
  if (!msg::valid_module_name(name)) {
    error = "invalid module name '" + name.substr(0, 80) +
            "' (lowercase letters, digits, '_' and '-', at most 64)";
    return false;
  }
  const std::string root = canonical(modules_dir);
  if (root.empty()) {
    error = "unknown module '" + name + "' (modules directory " + modules_dir + " is missing)";
    return false;
  }
  const std::string prefix = root == "/" ? root : root + "/";
  bool escaped = false;
  for (const std::string& file : {name + ".so", "libzfleet_" + name + ".so"}) {
    const std::string real = canonical(root + "/" + file);
    if (real.empty()) continue;
    // The symlink target must stay below the directory the operator chose.
    if (real.compare(0, prefix.size(), prefix) != 0) {
      escaped = true;
      continue;
    }
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    path = real;
    return true;
  }
  error = escaped ? "module '" + name + "' links outside " + modules_dir + "; refused"
                  : "unknown module '" + name + "' (looked in " + modules_dir + ")";
  return false;
}

}  // namespace zfleet::worker
