// Reading the host's memory figures; see host_memory.hpp.
#include "worker/policy/host_memory.hpp"

#include <fstream>
#include <sstream>

#include "worker/policy/default_limits.hpp"

namespace zfleet::worker {

namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool has_option(const std::string& list, std::string_view option) {
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == option) return true;
  }
  return false;
}

struct CgroupMount {
  std::string root;   // the hierarchy path mounted there
  std::string point;  // where
};

// The mount of the v2 hierarchy (`v1` false) or of v1's memory controller.
std::optional<CgroupMount> find_mount(std::string_view mountinfo, bool v1) {
  std::istringstream lines{std::string(mountinfo)};
  std::string line;
  while (std::getline(lines, line)) {
    // id parent dev root point options [optional...] - fstype source super
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, options, word, fstype, source, super;
    fields >> id >> parent >> dev >> root >> point >> options;
    while (fields >> word && word != "-") {
    }
    fields >> fstype >> source >> super;
    if (v1 ? (fstype == "cgroup" && has_option(super, "memory")) : fstype == "cgroup2") {
      return CgroupMount{root, point};
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> cgroup_memory_limit_files(std::string_view proc_self_cgroup,
                                                   std::string_view mountinfo) {
  std::istringstream lines{std::string(proc_self_cgroup)};
  std::string line;
  std::optional<std::string> v1_path;
  std::optional<std::string> v2_path;
  while (std::getline(lines, line)) {
    // hierarchy-id:controllers:path
    const auto first = line.find(':');
    const auto second = line.find(':', first == std::string::npos ? first : first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) v2_path = path;
    if (has_option(controllers, "memory")) v1_path = path;
  }
  // A v1 memory hierarchy, where there is one, holds the limits; else v2.
  const bool v1 = v1_path.has_value();
  const auto path = v1 ? v1_path : v2_path;
  const auto mount = path ? find_mount(mountinfo, v1) : std::nullopt;
  if (!mount || path->empty() || path->front() != '/') return {};
  // Inside a cgroup namespace both are "/"; without one the mount may show
  // only part of the hierarchy, whose path is then a prefix of ours.
  std::string relative = *path;
  if (mount->root != "/") {
    if (relative.compare(0, mount->root.size(), mount->root) != 0) return {};
    relative.erase(0, mount->root.size());
  }
  const char* file = v1 ? "/memory.limit_in_bytes" : "/memory.max";
  std::vector<std::string> out;
  while (true) {
    while (relative.size() > 1 && relative.back() == '/')
      relative.pop_back();
    const std::string dir =
        relative == "/" || relative.empty() ? mount->point : mount->point + relative;
    out.push_back(dir + file);
    if (relative == "/" || relative.empty()) break;
    relative.erase(relative.rfind('/'));
  }
  return out;
}

HostMemory read_host_memory() {
  HostMemory out;
  if (auto meminfo = slurp("/proc/meminfo")) out.available_bytes = parse_mem_available(*meminfo);
  const auto cgroup = slurp("/proc/self/cgroup");
  const auto mountinfo = slurp("/proc/self/mountinfo");
  if (!cgroup || !mountinfo) return out;
  for (const auto& file : cgroup_memory_limit_files(*cgroup, *mountinfo)) {
    const auto text = slurp(file);
    const auto limit = text ? parse_cgroup_memory_limit(*text) : std::nullopt;
    if (limit && (!out.cgroup_limit_bytes || *limit < *out.cgroup_limit_bytes)) {
      out.cgroup_limit_bytes = limit;
    }
  }
  return out;
}

}  // namespace zfleet::worker
