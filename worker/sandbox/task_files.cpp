// Files sent with a task, written below its directory; see task_files.hpp.
#include "worker/sandbox/task_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

// Errors the same files would meet again in any fresh directory: the spec
// itself names a file twice or puts a file where a directory must be.
bool is_permanent(int error_number) {
  switch (error_number) {
    case EEXIST:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
      return true;
    default:
      return false;  // ENOSPC, EDQUOT, EIO, EMFILE, ENOMEM...: the host, not the task
  }
}

class FileWriter {
 public:
  FileWriter(int root, uid_t uid, gid_t gid, std::string& error, bool& permanent)
      : root_(root),
        uid_(uid),
        gid_(gid),
        chown_(uid != ::geteuid()),
        error_(error),
        permanent_(permanent) {}

  bool write(const msg::TaskFile& file) {
    const std::string& path = file.path;
    if (const std::string problem = msg::task_file_path_problem(path); !problem.empty()) {
      return refuse("files: path '" + path + "' " + problem);
    }
    if (file.mode > proto::kMaxTaskFileMode) {
      return refuse("files: mode of '" + path + "' must be permission bits (<= 0777)");
    }
    // `dir` is borrowed while it is the root, owned below it.
    UniqueFd owned;
    int dir = root_;
    std::size_t start = 0;
    for (std::size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', start)) {
      const std::string part = path.substr(start, slash - start);
      const std::string shown = path.substr(0, slash);
      const bool made = ::mkdirat(dir, part.c_str(), 0700) == 0;
      if (!made && errno != EEXIST) return failed("cannot create directory '" + shown + "'");
      // A directory someone else made (the cwd's, say) is fine; a link is not.
      UniqueFd next(::openat(dir, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next) return failed("cannot open directory '" + shown + "'");
      if (made && !hand_over(next.get(), 0700)) return failed("cannot hand over '" + shown + "'");
      owned = std::move(next);
      dir = owned.get();
      start = slash + 1;
    }
    const std::string leaf = path.substr(start);
    UniqueFd fd(
        ::openat(dir, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return failed("cannot create '" + path + "'");
    if (!write_all(fd.get(), file.data)) return failed("cannot write '" + path + "'");
    if (!hand_over(fd.get(), static_cast<mode_t>(file.mode))) {
      return failed("cannot hand over '" + path + "'");
    }
    // Some filesystems report a failed write-back only here.
    if (::close(fd.release()) != 0) return failed("cannot write '" + path + "'");
    return true;
  }

 private:
  static bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      if (n == 0) {
        errno = EIO;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Owner first: a chown may clear mode bits, and the umask never applies
  // to fchmod, so the mode ends exactly as asked.
  bool hand_over(int fd, mode_t mode) const {
    if (chown_ && ::fchown(fd, uid_, gid_) != 0) return false;
    return ::fchmod(fd, mode) == 0;
  }

  bool refuse(std::string message) {
    error_ = std::move(message);
    permanent_ = true;
    return false;
  }

  bool failed(const std::string& what) {
    const int saved = errno;
    error_ = "files: " + what + ": " + std::strerror(saved);
    permanent_ = is_permanent(saved);
    return false;
  }

  int root_;
  uid_t uid_;
  gid_t gid_;
  bool chown_;
  std::string& error_;
  bool& permanent_;
};

}  // namespace

bool write_task_files(const std::string& dir, const std::vector<msg::TaskFile>& files, uid_t uid,
                      gid_t gid, std::string& error, bool* permanent) {
  bool is_permanent_failure = false;
  if (permanent != nullptr) *permanent = false;
  if (files.empty()) return true;
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    error = "files: cannot open the task directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  FileWriter writer(root.get(), uid, gid, error, is_permanent_failure);
  for (const auto& file : files) {
    if (!writer.write(file)) {
      if (permanent != nullptr) *permanent = is_permanent_failure;
      return false;
    }
  }
  return true;
}

}  // namespace zfleet::worker
