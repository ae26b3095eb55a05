// HostMemory: how much memory the worker may hand out, read once at
// start-up for the default memory ceiling (default_limits.hpp): the host's
// MemAvailable and the lowest memory limit on the worker's own cgroup path
// (a container's or a systemd slice's), v2 memory.max or v1
// memory.limit_in_bytes. Only reads; a file that cannot be read leaves its
// figure unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfleet::worker {

struct HostMemory {
  std::optional<std::uint64_t> available_bytes;
  std::optional<std::uint64_t> cgroup_limit_bytes;  // nullopt: no limit found
};

HostMemory read_host_memory();

// The limit files to read for the cgroup named in `proc_self_cgroup` text,
// from its own directory up to the root of its hierarchy, as mounted per
// `mountinfo` text (/proc/self/mountinfo). Pure, for tests.
std::vector<std::string> cgroup_memory_limit_files(std::string_view proc_self_cgroup,
                                                   std::string_view mountinfo);

}  // namespace zfleet::worker
