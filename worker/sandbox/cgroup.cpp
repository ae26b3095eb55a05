// Task cgroup leaves; see cgroup.hpp.
#include "worker/sandbox/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

constexpr int kReleaseRounds = 500;  // ~0.5 s at 1 ms a round

struct Mount {
  std::string point;
  std::string fstype;
  std::string super_options;
};

std::optional<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// Returns 0 or the errno of the open or write.
int write_file(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    return errno;
  return 0;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool has_token(const std::string& list, const std::string& token, char separator) {
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, separator)) {
    if (item == token) return true;
  }
  return false;
}

// mountinfo escapes blanks in paths as octal (\040).
std::string unescape(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size()) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::vector<Mount> cgroup_mounts() {
  std::vector<Mount> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // id parent dev root point options [optional...] - fstype source super
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, options, word;
    fields >> id >> parent >> dev >> root >> point >> options;
    while (fields >> word && word != "-") {
    }
    Mount m;
    std::string source;
    fields >> m.fstype >> source >> m.super_options;
    if (m.fstype != "cgroup" && m.fstype != "cgroup2") continue;
    m.point = unescape(point);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

// mkdir that tolerates an existing directory; `created` says which it was.
bool make_dir(const std::string& path, bool& created) {
  created = ::mkdir(path.c_str(), 0755) == 0;
  return created || errno == EEXIST;
}

std::vector<int> read_pids(const std::string& dir) {
  std::vector<int> pids;
  const auto text = read_file(dir + "/cgroup.procs");
  if (!text) return pids;
  std::istringstream in(*text);
  int pid = 0;
  while (in >> pid)
    pids.push_back(pid);
  return pids;
}

void sleep_ms(long ms) {
  timespec ts{0, ms * 1000000L};
  ::nanosleep(&ts, nullptr);
}

// Creates and removes a leaf under `parent`; true when `file` appears in it.
bool probe_leaf(const std::string& parent, const char* file) {
  const std::string leaf = parent + "/probe-" + std::to_string(::getpid());
  bool created = false;
  if (!make_dir(leaf, created)) return false;
  const bool ok = file == nullptr || exists(leaf + "/" + file);
  ::rmdir(leaf.c_str());
  return ok;
}

std::string v2_enable_list(const CgroupSetup& s) {
  std::string list = "+memory +pids";
  if (s.cpu) list += " +cpu";
  return list;
}

CgroupSetup probe_v2(const Mount& mount, const std::string& dir_name,
                     std::vector<std::string>& notes) {
  CgroupSetup s;
  const auto available = read_file(mount.point + "/cgroup.controllers").value_or("");
  auto controller = [&](const char* name) {
    return has_token(available.substr(0, available.find('\n')), name, ' ');
  };
  if (!controller("memory") || !controller("pids")) {
    notes.push_back("cgroup v2 at " + mount.point + " lacks the memory or pids controller");
    return s;
  }
  s.v2_dir = mount.point + "/" + dir_name;
  bool created = false;
  if (!make_dir(s.v2_dir, created)) {
    notes.push_back("cannot create " + s.v2_dir + ": " + std::strerror(errno));
    return CgroupSetup{};
  }
  // What the parent delegates to our directory, not what the mount has.
  const auto delegated = read_file(s.v2_dir + "/cgroup.controllers").value_or("");
  s.memory = has_token(delegated.substr(0, delegated.find('\n')), "memory", ' ');
  s.pids = has_token(delegated.substr(0, delegated.find('\n')), "pids", ' ');
  s.cpu = has_token(delegated.substr(0, delegated.find('\n')), "cpu", ' ');
  s.kill_file = exists(s.v2_dir + "/cgroup.kill");
  const bool enabled = s.memory && s.pids &&
                       write_file(s.v2_dir + "/cgroup.subtree_control", v2_enable_list(s)) == 0;
  const bool usable = enabled && probe_leaf(s.v2_dir, "memory.max");
  if (created) ::rmdir(s.v2_dir.c_str());
  if (!usable) {
    notes.push_back("cgroup v2: memory and pids cannot be enabled under " + s.v2_dir);
    return CgroupSetup{};
  }
  s.version = CgroupVersion::kV2;
  return s;
}

// The zfleet directory in the v1 hierarchy of `controller`, "" if unusable.
std::string probe_v1(const std::vector<Mount>& mounts, const char* controller,
                     const char* limit_file, const std::string& dir_name,
                     std::vector<std::string>& notes) {
  for (const auto& mount : mounts) {
    if (mount.fstype != "cgroup" || !has_token(mount.super_options, controller, ',')) continue;
    const std::string dir = mount.point + "/" + dir_name;
    bool created = false;
    if (!make_dir(dir, created)) {
      notes.push_back("cannot create " + dir + ": " + std::strerror(errno));
      return {};
    }
    const bool ok = probe_leaf(dir, limit_file);
    if (created) ::rmdir(dir.c_str());
    if (ok) return dir;
    notes.push_back("cannot create a leaf under " + dir);
    return {};
  }
  return {};
}

bool valid_leaf_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// Writes `limits` into a fresh leaf; returns an error message or "".
std::string write_limits(CgroupVersion version, const std::string& dir, const std::string& parent,
                         const CgroupSetup& setup, const CgroupLayer& limits) {
  auto set = [&](const char* file, const std::string& value) -> std::string {
    const int e = write_file(dir + "/" + file, value);
    return e == 0 ? ""
                  : std::string("cannot write ") + file + "=" + value + ": " + std::strerror(e);
  };
  std::string error;
  if (version == CgroupVersion::kV2) {
    if (limits.memory_max_bytes) {
      error = set("memory.max", std::to_string(*limits.memory_max_bytes));
      // Swap would let a task exceed its limit; absent without swap support.
      if (error.empty() && exists(dir + "/memory.swap.max")) error = set("memory.swap.max", "0");
    }
    if (error.empty() && limits.pids_max) error = set("pids.max", std::to_string(*limits.pids_max));
    if (error.empty() && limits.cpu_max) {
      error = set("cpu.max", std::to_string(limits.cpu_max->quota_us) + " " +
                                 std::to_string(limits.cpu_max->period_us));
    }
    return error;
  }
  if (parent == setup.v1_memory_dir && limits.memory_max_bytes) {
    const std::string bytes = std::to_string(*limits.memory_max_bytes);
    error = set("memory.limit_in_bytes", bytes);
    // memory+swap, only with swap accounting; must not be below the limit,
    // hence written second.
    if (error.empty() && exists(dir + "/memory.memsw.limit_in_bytes"))
      error = set("memory.memsw.limit_in_bytes", bytes);
  }
  if (parent == setup.v1_pids_dir && limits.pids_max)
    error = set("pids.max", std::to_string(*limits.pids_max));
  if (parent == setup.v1_cpu_dir && limits.cpu_max) {
    error = set("cpu.cfs_period_us", std::to_string(limits.cpu_max->period_us));
    if (error.empty()) error = set("cpu.cfs_quota_us", std::to_string(limits.cpu_max->quota_us));
  }
  return error;
}

}  // namespace

std::vector<std::string> CgroupSetup::parent_dirs() const {
  std::vector<std::string> dirs;
  if (version == CgroupVersion::kV2) {
    dirs.push_back(v2_dir);
  } else if (version == CgroupVersion::kV1) {
    for (const auto* dir : {&v1_memory_dir, &v1_pids_dir, &v1_cpu_dir}) {
      if (!dir->empty()) dirs.push_back(*dir);
    }
  }
  return dirs;
}

std::string CgroupSetup::layer_name() const {
  if (version == CgroupVersion::kNone) return "";
  std::string list;
  for (auto [on, name] : {std::pair{memory, "memory"}, {pids, "pids"}, {cpu, "cpu"}}) {
    if (!on) continue;
    if (!list.empty()) list += ',';
    list += name;
  }
  return std::string(version == CgroupVersion::kV2 ? "cgroup-v2(" : "cgroup-v1(") + list + ")";
}

CgroupSetup detect_cgroups(const std::string& dir_name, std::vector<std::string>& notes) {
  const auto mounts = cgroup_mounts();
  for (const auto& mount : mounts) {
    if (mount.fstype != "cgroup2") continue;
    CgroupSetup s = probe_v2(mount, dir_name, notes);
    if (s.version == CgroupVersion::kV2) return s;
  }
  CgroupSetup s;
  s.v1_memory_dir = probe_v1(mounts, "memory", "memory.limit_in_bytes", dir_name, notes);
  s.v1_pids_dir = probe_v1(mounts, "pids", "pids.max", dir_name, notes);
  s.v1_cpu_dir = probe_v1(mounts, "cpu", "cpu.cfs_quota_us", dir_name, notes);
  s.memory = !s.v1_memory_dir.empty();
  s.pids = !s.v1_pids_dir.empty();
  s.cpu = !s.v1_cpu_dir.empty();
  if (s.memory || s.pids || s.cpu) s.version = CgroupVersion::kV1;
  if (mounts.empty()) notes.emplace_back("no cgroup filesystem mounted");
  return s;
}

std::string cgroup_leaf_name(int worker_pid, const std::string& task_id, std::uint32_t attempt) {
  std::string safe;
  for (char c : task_id) {
    if (safe.size() == 48) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    safe += ok ? c : '_';
  }
  return "w" + std::to_string(worker_pid) + "-" + safe + "-" + std::to_string(attempt);
}

std::optional<CgroupLease> CgroupLease::create(const CgroupSetup& setup, const std::string& name,
                                               const CgroupLayer& limits, std::string& error) {
  if (!valid_leaf_name(name)) {
    error = "invalid cgroup leaf name: " + name;
    return std::nullopt;
  }
  CgroupLease lease;
  lease.version_ = setup.version;
  lease.kill_file_ = setup.kill_file;
  for (const auto& parent : setup.parent_dirs()) {
    bool created = false;
    if (!make_dir(parent, created)) {
      error = "cannot create " + parent + ": " + std::strerror(errno);
      return std::nullopt;  // `lease` removes what it made so far
    }
    if (created && setup.version == CgroupVersion::kV2) {
      const int e = write_file(parent + "/cgroup.subtree_control", v2_enable_list(setup));
      if (e != 0) {
        error = "cannot enable controllers in " + parent + ": " + std::strerror(e);
        return std::nullopt;
      }
    }
    const std::string dir = parent + "/" + name;
    int rc = ::mkdir(dir.c_str(), 0755);
    // A neighbouring worker may have removed the parent as we made it.
    if (rc != 0 && errno == ENOENT && make_dir(parent, created)) {
      if (created && setup.version == CgroupVersion::kV2)
        write_file(parent + "/cgroup.subtree_control", v2_enable_list(setup));
      rc = ::mkdir(dir.c_str(), 0755);
    }
    if (rc != 0) {
      error = "cannot create cgroup " + dir + ": " + std::strerror(errno);
      return std::nullopt;
    }
    lease.dirs_.push_back(dir);
    if (setup.version == CgroupVersion::kV2 || parent == setup.v1_memory_dir)
      lease.memory_dir_ = dir;
    error = write_limits(setup.version, dir, parent, setup, limits);
    if (!error.empty()) {
      error = "cgroup " + dir + ": " + error;
      return std::nullopt;
    }
  }
  return lease;
}

CgroupLease::CgroupLease(CgroupLease&& other) noexcept
    : version_(other.version_),
      kill_file_(other.kill_file_),
      memory_dir_(std::move(other.memory_dir_)),
      dirs_(std::exchange(other.dirs_, {})) {}

CgroupLease& CgroupLease::operator=(CgroupLease&& other) noexcept {
  if (this != &other) {
    release();
    version_ = other.version_;
    kill_file_ = other.kill_file_;
    memory_dir_ = std::move(other.memory_dir_);
    dirs_ = std::exchange(other.dirs_, {});
  }
  return *this;
}

CgroupLease::~CgroupLease() {
  release();
}

std::vector<std::string> CgroupLease::procs_files() const {
  std::vector<std::string> files;
  for (const auto& dir : dirs_)
    files.push_back(dir + "/cgroup.procs");
  return files;
}

std::vector<int> CgroupLease::pids() const {
  std::vector<int> all;
  for (const auto& dir : dirs_) {
    for (int pid : read_pids(dir)) {
      if (std::find(all.begin(), all.end(), pid) == all.end()) all.push_back(pid);
    }
  }
  return all;
}

std::optional<std::uint64_t> CgroupLease::oom_kills() const {
  if (memory_dir_.empty()) return std::nullopt;
  const char* file = version_ == CgroupVersion::kV2 ? "/memory.events" : "/memory.oom_control";
  const auto text = read_file(memory_dir_ + file);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return std::nullopt;
}

bool CgroupLease::release(std::string* error) {
  if (dirs_.empty()) return true;
  // cgroup.kill reaches every process at once, even one forking as fast as
  // it can; on v1 the loop below does the same, a round at a time.
  if (kill_file_) write_file(dirs_.front() + "/cgroup.kill", "1");
  std::vector<std::string> left = dirs_;
  for (int round = 0; round < kReleaseRounds && !left.empty(); ++round) {
    for (int pid : pids())
      ::kill(pid, SIGKILL);
    // rmdir fails with EBUSY until the last process has exited.
    std::erase_if(
        left, [](const std::string& dir) { return ::rmdir(dir.c_str()) == 0 || errno == ENOENT; });
    if (!left.empty()) sleep_ms(1);
  }
  if (!left.empty() && error != nullptr) {
    *error = "cgroup " + left.front() + " still busy: " + std::strerror(errno);
  }
  dirs_.clear();
  memory_dir_.clear();
  return left.empty();
}

std::size_t sweep_stale_cgroup_leaves(const CgroupSetup& setup) {
  std::size_t removed = 0;
  for (const auto& parent : setup.parent_dirs()) {
    DIR* dir = ::opendir(parent.c_str());
    if (dir == nullptr) continue;
    std::vector<std::string> stale;
    while (const dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (name[0] != 'w') continue;
      char* end = nullptr;
      const long pid = std::strtol(name + 1, &end, 10);
      if (end == name + 1 || *end != '-' || pid <= 0) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
      stale.emplace_back(name);
    }
    ::closedir(dir);
    for (const auto& name : stale) {
      CgroupLease lease;
      lease.version_ = setup.version;
      lease.kill_file_ = setup.kill_file;
      lease.dirs_.push_back(parent + "/" + name);
      if (lease.release()) ++removed;
    }
  }
  return removed;
}

}  // namespace zfleet::worker
