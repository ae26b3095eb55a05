// Per-attempt directories; see work_area.hpp.
#include "worker/sandbox/work_area.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <boost/filesystem/operations.hpp>

namespace zfleet::worker {

namespace {

// The layout getdents64(2) fills in; glibc only declares it with _GNU_SOURCE
// extensions, so it is spelled out here.
struct LinuxDirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

bool is_dot_entry(const char* name) {
  return std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0;
}

}  // namespace

bool is_clean_private_directory(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return false;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 07777) != 0700) {
    return false;
  }
  // An empty directory lists only "." and "..", which fit in one small read.
  alignas(8) std::array<char, 1024> buffer;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, fd.get(), buffer.data(), buffer.size());
    if (n < 0) return false;
    if (n == 0) return true;
    for (long offset = 0; offset < n;) {
      const auto* entry = reinterpret_cast<const LinuxDirent64*>(buffer.data() + offset);
      if (!is_dot_entry(entry->d_name)) return false;
      offset += entry->d_reclen;
    }
  }
}

WorkArea::WorkArea(std::string root, std::size_t max_spare)
    : root_(std::move(root)), max_spare_(max_spare) {
  while (root_.size() > 1 && root_.back() == '/')
    root_.pop_back();
  boost::system::error_code ec;
  boost::filesystem::create_directories(root_, ec);
  if (ec || !boost::filesystem::is_directory(root_)) {
    throw std::runtime_error("cannot create work directory " + root_ + ": " + ec.message());
  }
  // Tasks running as other uids must reach their own directory by name but
  // not list the others'.
  ::chmod(root_.c_str(), 0711);
  dev_null_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null_)
    throw std::runtime_error("cannot open /dev/null: " + std::string(strerror(errno)));
}

WorkArea::~WorkArea() {
  for (const auto& path : spare_)
    remove(path);
  ::rmdir(root_.c_str());  // only if nothing else is left in it
}

bool WorkArea::acquire(std::string& path, std::string& error) {
  while (!spare_.empty()) {
    path = std::move(spare_.back());
    spare_.pop_back();
    // Checked again on the way out: something may have written into it
    // since it came back.
    if (is_clean_private_directory(path)) return true;
    remove(path);
  }
  path = root_ + "/d" + std::to_string(next_name_++);
  if (::mkdir(path.c_str(), 0700) == 0) return true;
  if (errno == EEXIST) {
    // Left over by an earlier life of this worker: start clean.
    remove(path);
    if (::mkdir(path.c_str(), 0700) == 0) return true;
  }
  error = "cannot create task directory " + path + ": " + std::strerror(errno);
  return false;
}

void WorkArea::release(const std::string& path) {
  if (spare_.size() < max_spare_ && is_clean_private_directory(path)) {
    spare_.push_back(path);
    return;
  }
  remove(path);
}

void WorkArea::remove(const std::string& path) {
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return;
  boost::system::error_code ec;
  boost::filesystem::remove_all(path, ec);
  if (ec) spdlog::warn("cannot remove task directory {}: {}", path, ec.message());
}

}  // namespace zfleet::worker
