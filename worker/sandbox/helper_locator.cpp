// See helper_locator.hpp. ZFLEET_HELPER_DIR_FROM_BIN comes from
// worker/CMakeLists.txt (the install layout of packaging/).
#include "worker/sandbox/helper_locator.hpp"

#include <sys/stat.h>
#include <unistd.h>

#ifndef ZFLEET_HELPER_DIR_FROM_BIN
#define ZFLEET_HELPER_DIR_FROM_BIN ""
#endif

namespace zfleet::worker {

namespace {

std::string join(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

// The directory of this executable, or empty when /proc is not there.
std::string own_directory() {
  char buffer[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return {};
  const std::string path(buffer, static_cast<std::size_t>(n));
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

}  // namespace

std::vector<std::string> helper_candidates(std::string_view exe_dir, std::string_view name,
                                           std::string_view helper_dir_from_bin) {
  std::vector<std::string> out;
  if (exe_dir.empty()) return out;
  out.push_back(join(exe_dir, name));
  if (!helper_dir_from_bin.empty() && helper_dir_from_bin != ".") {
    out.push_back(join(join(exe_dir, helper_dir_from_bin), name));
  }
  return out;
}

std::string find_helper(std::string_view exe_dir, std::string_view name,
                        std::string_view helper_dir_from_bin,
                        const std::function<bool(const std::string&)>& usable) {
  for (const std::string& candidate : helper_candidates(exe_dir, name, helper_dir_from_bin)) {
    if (usable(candidate)) return candidate;
  }
  return {};
}

std::string find_own_helper(std::string_view name) {
  return find_helper(own_directory(), name, ZFLEET_HELPER_DIR_FROM_BIN,
                     [](const std::string& path) {
                       struct stat st {};
                       return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                              ::access(path.c_str(), X_OK) == 0;
                     });
}

}  // namespace zfleet::worker
