// Task directories and scrubbed environments; see task_home.hpp.
#include "worker/sandbox/task_home.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

// Refuses a directory owned by neither `from` nor `uid` (any owner if `from` is -1).
bool chown_directory(const std::string& path, uid_t uid, gid_t gid, uid_t from,
                     std::string& error) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    error = "cannot open task directory " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    error = "cannot stat task directory " + path + ": " + std::strerror(errno);
    return false;
  }
  // Someone else's directory: never hand it over.
  if (from != static_cast<uid_t>(-1) && st.st_uid != from && st.st_uid != uid) {
    error = "task directory " + path + " belongs to uid " + std::to_string(st.st_uid);
    return false;
  }
  if (::fchown(fd.get(), uid, gid) != 0 || ::fchmod(fd.get(), 0700) != 0) {
    error = "cannot hand task directory " + path + " over: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

char** ScrubbedEnvironment::build(
    const std::string& home, const std::vector<std::pair<std::string, std::string>>& additions) {
  entries_.clear();
  entries_.push_back(std::string("PATH=") + kSafePath);
  entries_.push_back("HOME=" + home);
  entries_.push_back("TMPDIR=" + home);
  entries_.emplace_back("LANG=C.UTF-8");
  for (const auto& [name, value] : additions) {
    if (name.empty() || name.find('=') != std::string::npos) continue;
    const std::string prefix = name + "=";
    std::erase_if(entries_, [&](const std::string& e) { return e.starts_with(prefix); });
    entries_.push_back(prefix + value);
  }
  pointers_.clear();
  for (auto& entry : entries_)
    pointers_.push_back(entry.data());
  pointers_.push_back(nullptr);
  return pointers_.data();
}

bool make_private_directory(const std::string& path, uid_t uid, gid_t gid, std::string& error) {
  const bool fresh = ::mkdir(path.c_str(), 0700) == 0;
  if (!fresh && errno != EEXIST) {
    error = "cannot create task directory " + path + ": " + std::strerror(errno);
    return false;
  }
  return chown_directory(path, uid, gid, ::geteuid(), error);
}

bool reclaim_private_directory(const std::string& path, std::string& error) {
  // Whatever uid the task ran as; the path is ours, inside the work area.
  return chown_directory(path, ::geteuid(), ::getegid(), static_cast<uid_t>(-1), error);
}

}  // namespace zfleet::worker
