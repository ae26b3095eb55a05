// The worker's record of its running children; see state_file.hpp.
#include "worker/core/state_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/protocol.hpp"

#include <boost/filesystem/operations.hpp>

namespace zfleet::worker {

namespace {

// A previous life's file can only be as large as its slots allow
// (kMaxSlots lines of ~60 bytes); anything far larger is not ours.
constexpr std::size_t kMaxStateBytes = 4 * 1024 * 1024;

template <typename T>
void append_number(std::string& out, T value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

template <typename T>
bool take_number(std::string_view& line, T& out) {
  while (!line.empty() && line.front() == ' ')
    line.remove_prefix(1);
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), out);
  if (ec != std::errc{} || end == line.data()) return false;
  line.remove_prefix(static_cast<std::size_t>(end - line.data()));
  return true;
}

int write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// The state file may live outside the work directory (--state-file): its
// directory is created like the work directory is.
std::string with_parent_directory(std::string path) {
  const auto parent = boost::filesystem::path(path).parent_path();
  boost::system::error_code ec;
  if (!parent.empty()) boost::filesystem::create_directories(parent, ec);
  return path;
}

// Takes an exclusive lock on `path`, which must still be the file locked:
// a process removing the lock on exit may have unlinked the inode we opened.
UniqueFd take_lock(const std::string& path) {
  for (int tries = 0; tries < 3; ++tries) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
      throw std::runtime_error("cannot create lock file " + path + ": " + std::strerror(errno));
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        throw std::runtime_error("another worker holds " + path +
                                 " (same --state-file or --work-dir); refusing to start");
      }
      throw std::runtime_error("cannot lock " + path + ": " + std::strerror(errno));
    }
    struct stat held;
    struct stat named;
    if (::fstat(fd.get(), &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
      return fd;
    }
  }
  throw std::runtime_error("cannot lock " + path + ": it keeps being replaced");
}

}  // namespace

void format_state(const std::vector<ChildRecord>& records, std::string& out) {
  out.clear();
  out.append(kStateFileHeader).push_back('\n');
  for (const auto& r : records) {
    append_number(out, r.pid);
    out.push_back(' ');
    append_number(out, r.start_time);
    out.push_back(' ');
    append_number(out, r.task_id);
    out.push_back(' ');
    append_number(out, r.attempt);
    out.push_back('\n');
  }
}

bool parse_state(std::string_view text, std::vector<ChildRecord>& out, std::string& error) {
  const auto first_end = text.find('\n');
  if (text.substr(0, first_end) != kStateFileHeader) {
    error = "not a state file of this version (expected '" + std::string(kStateFileHeader) + "')";
    return false;
  }
  text.remove_prefix(first_end == std::string_view::npos ? text.size() : first_end + 1);
  std::size_t line_number = 1;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.empty()) continue;
    ChildRecord r;
    if (!take_number(line, r.pid) || !take_number(line, r.start_time) ||
        !take_number(line, r.task_id) || !take_number(line, r.attempt) || !line.empty() ||
        r.pid <= 0) {
      error = "malformed line " + std::to_string(line_number);
      return false;
    }
    out.push_back(r);
  }
  return true;
}

StateFile::StateFile(std::string path)
    : path_(with_parent_directory(std::move(path))),
      temp_path_(path_ + ".tmp"),
      lock_path_(path_ + ".lock"),
      lock_(take_lock(lock_path_)) {}

std::string StateFile::exchange_identity(const std::string& mine) {
  char previous[proto::kMaxIdentityBytes + 1];
  ssize_t n;
  do {
    n = ::pread(lock_.get(), previous, sizeof previous, 0);
  } while (n < 0 && errno == EINTR);
  std::string old;
  if (n > 0 && static_cast<std::size_t>(n) <= proto::kMaxIdentityBytes) {
    old.assign(previous, static_cast<std::size_t>(n));
  }
  // Best effort: without it a restart within the liveness window waits for
  // the broker to expire the old registration, which is slower, not wrong.
  if (::ftruncate(lock_.get(), 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(lock_.get(), mine.data(), mine.size(), 0);
  }
  return old;
}

bool StateFile::read(std::vector<ChildRecord>& out, std::string& error) const {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return true;
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  std::string text;
  char chunk[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("cannot read: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > kMaxStateBytes) {
      error = "larger than any state file this worker writes";
      return false;
    }
  }
  return parse_state(text, out, error);
}

int StateFile::write(const std::vector<ChildRecord>& records) {
  format_state(records, buffer_);
  if (!exchange_) return write_by_rename();
  if (!spare_) {
    // No O_TRUNC: truncating a file to zero makes ext4 write it back on close.
    spare_.reset(::open(temp_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!spare_) return errno;
    spare_size_ = SIZE_MAX;
  }
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::pwrite(spare_.get(), buffer_.data() + done, buffer_.size() - done,
                               static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<std::size_t>(n);
  }
  if (spare_size_ > buffer_.size() &&
      ::ftruncate(spare_.get(), static_cast<off_t>(buffer_.size())) != 0) {
    spare_size_ = SIZE_MAX;
    return errno;
  }
  spare_size_ = buffer_.size();
  if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(), RENAME_EXCHANGE) == 0) {
    // The spare is current now; the old current (if this life opened it) is
    // the next spare, else it is opened by name on the next write.
    std::swap(current_, spare_);
    std::swap(current_size_, spare_size_);
    return 0;
  }
  if (errno == ENOENT) {
    // Nothing to exchange with yet (first write of this life, or the file
    // was removed): a plain rename puts it in place.
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return errno;
    current_ = std::move(spare_);
    current_size_ = spare_size_;
    return 0;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
  exchange_ = false;
  spare_.reset();
  current_.reset();
  return write_by_rename();
}

int StateFile::write_by_rename() {
  UniqueFd fd(
      ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return errno;
  if (int e = write_all(fd.get(), buffer_)) {
    ::unlink(temp_path_.c_str());
    return e;
  }
  fd.reset();
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    ::unlink(temp_path_.c_str());
    return e;
  }
  return 0;
}

void StateFile::remove() {
  ::unlink(path_.c_str());
  ::unlink(temp_path_.c_str());
  // Unlinked while still held: a worker starting now either fails to lock
  // this inode or finds it no longer named and creates a fresh one.
  ::unlink(lock_path_.c_str());
}

}  // namespace zfleet::worker
