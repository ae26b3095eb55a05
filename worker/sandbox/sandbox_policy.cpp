// Sandbox policies and how they combine; see sandbox_policy.hpp.
#include "worker/sandbox/sandbox_policy.hpp"

#include <algorithm>

namespace zfleet::worker {

namespace {

std::optional<std::uint64_t> min_set(const std::optional<std::uint64_t>& a,
                                     const std::optional<std::uint64_t>& b) {
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

Need stricter(Need a, Need b) {
  return (a == Need::kRequired || b == Need::kRequired) ? Need::kRequired : Need::kOptional;
}

double share(const CpuMax& cpu) {
  return cpu.period_us == 0 ? 0.0 : static_cast<double>(cpu.quota_us) / cpu.period_us;
}

// The smaller share of a CPU (quota over period); on a tie the base's.
std::optional<CpuMax> min_cpu(const std::optional<CpuMax>& a, const std::optional<CpuMax>& b) {
  if (!a || !b) return a ? a : b;
  return share(*b) < share(*a) ? b : a;
}

void put(std::string& out, const char* name, const std::optional<std::uint64_t>& value,
         const char* unit) {
  out += ' ';
  out += name;
  out += '=';
  out += value ? std::to_string(*value) + unit : "-";
}

}  // namespace

SandboxPolicy SandboxPolicy::defaults(bool running_as_root) {
  SandboxPolicy policy;
  policy.rlimits.open_files = 1024;
  policy.rlimits.file_size_bytes = std::uint64_t{1} << 30;  // 1 GiB
  if (running_as_root) policy.run_as_user = "nobody";
  policy.cgroup.pids_max = 512;
  return policy;
}

SandboxPolicy tighten(const SandboxPolicy& base, const SandboxPolicy& request) {
  SandboxPolicy out = base;
  auto& r = out.rlimits;
  r.cpu_seconds = min_set(base.rlimits.cpu_seconds, request.rlimits.cpu_seconds);
  r.address_space_bytes =
      min_set(base.rlimits.address_space_bytes, request.rlimits.address_space_bytes);
  r.open_files = min_set(base.rlimits.open_files, request.rlimits.open_files);
  r.processes = min_set(base.rlimits.processes, request.rlimits.processes);
  r.file_size_bytes = min_set(base.rlimits.file_size_bytes, request.rlimits.file_size_bytes);
  r.core_dumps = base.rlimits.core_dumps && request.rlimits.core_dumps;
  r.need = stricter(base.rlimits.need, request.rlimits.need);

  out.no_new_privs = base.no_new_privs || request.no_new_privs;
  out.no_new_privs_need = stricter(base.no_new_privs_need, request.no_new_privs_need);
  out.run_as_user = base.run_as_user;
  out.run_as_user_need = stricter(base.run_as_user_need, request.run_as_user_need);
  const bool host = base.network == NetworkMode::kHost && request.network == NetworkMode::kHost;
  out.network = host ? NetworkMode::kHost : NetworkMode::kNone;
  out.network_need = stricter(base.network_need, request.network_need);
  out.seccomp = base.seccomp || request.seccomp;
  out.seccomp_need = stricter(base.seccomp_need, request.seccomp_need);
  out.private_tmp = base.private_tmp || request.private_tmp;
  out.private_tmp_need = stricter(base.private_tmp_need, request.private_tmp_need);
  out.tmp_size_bytes = std::min(base.tmp_size_bytes, request.tmp_size_bytes);

  auto& c = out.cgroup;
  c.memory_max_bytes = min_set(base.cgroup.memory_max_bytes, request.cgroup.memory_max_bytes);
  c.pids_max = min_set(base.cgroup.pids_max, request.cgroup.pids_max);
  c.cpu_max = min_cpu(base.cgroup.cpu_max, request.cgroup.cpu_max);
  c.need = stricter(base.cgroup.need, request.cgroup.need);
  return out;
}

std::string describe(const SandboxPolicy& p) {
  std::string out = "rlimits:";
  put(out, "cpu", p.rlimits.cpu_seconds, "s");
  put(out, "as", p.rlimits.address_space_bytes, "B");
  put(out, "nofile", p.rlimits.open_files, "");
  put(out, "nproc", p.rlimits.processes, "");
  put(out, "fsize", p.rlimits.file_size_bytes, "B");
  out += p.rlimits.core_dumps ? " core=on" : " core=off";
  out += p.no_new_privs ? " no_new_privs=on" : " no_new_privs=off";
  out += " user=" + (p.run_as_user.empty() ? std::string("(worker's)") : p.run_as_user);
  out += p.network == NetworkMode::kNone ? " net=none" : " net=host";
  out += p.seccomp ? " seccomp=on" : " seccomp=off";
  out += p.private_tmp ? " tmp=" + std::to_string(p.tmp_size_bytes) + "B" : " tmp=host";
  out += " cgroup:";
  put(out, "memory", p.cgroup.memory_max_bytes, "B");
  put(out, "pids", p.cgroup.pids_max, "");
  out += " cpu=";
  out += p.cgroup.cpu_max ? std::to_string(p.cgroup.cpu_max->quota_us) + "/" +
                                std::to_string(p.cgroup.cpu_max->period_us) + "us"
                          : "-";
  return out;
}

}  // namespace zfleet::worker
