// Building the task seccomp program; see seccomp_filter.hpp.
#include "worker/sandbox/seccomp_filter.hpp"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

// Namespace flags clone(2) must not carry: a new user namespace would give
// the task capabilities inside it, and the rest are pointless without them.
constexpr unsigned long kCloneNamespaceFlags[] = {CLONE_NEWNS,    CLONE_NEWUTS, CLONE_NEWIPC,
                                                  CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNET,
                                                  CLONE_NEWCGROUP};

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

// SCMP_A0() and friends are C compound literals, which C++ does not have.
scmp_arg_cmp masked_eq(unsigned int arg, scmp_datum_t mask, scmp_datum_t value) {
  scmp_arg_cmp cmp{};
  cmp.arg = arg;
  cmp.op = SCMP_CMP_MASKED_EQ;
  cmp.datum_a = mask;
  cmp.datum_b = value;
  return cmp;
}

std::string failure(const char* what, int rc) {
  return std::string("seccomp: ") + what + ": " + std::strerror(-rc);
}

}  // namespace

const std::vector<const char*>& seccomp_denied_syscalls() {
  static const std::vector<const char*> names = {
      // Other processes and the kernel's own state.
      "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "syslog", "acct", "quotactl",
      "quotactl_fd", "reboot", "swapon", "swapoff", "kexec_load", "kexec_file_load", "init_module",
      "finit_module", "delete_module", "bpf", "perf_event_open", "userfaultfd", "iopl", "ioperm",
      "uselib", "vhangup", "lookup_dcookie",
      // Keys: the keyring is not namespaced.
      "keyctl", "add_key", "request_key",
      // Filesystems and namespaces; ours are set up before the filter loads.
      "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsmount", "fsconfig",
      "fspick", "move_mount", "open_tree", "mount_setattr", "unshare", "setns", "open_by_handle_at",
      "name_to_handle_at",
      // Clocks and names shared with the whole host.
      "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime",
      "clock_adjtime64", "adjtimex", "sethostname", "setdomainname"};
  return names;
}

std::optional<SeccompProgram> build_seccomp_program(std::string& error) {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) {
    error = "seccomp: seccomp_init failed";
    return std::nullopt;
  }
  // 32-bit and x32 programs reach the kernel through other syscall tables; the
  // same rules cover them. Other ABIs fall to libseccomp's bad-arch action
  // (kill), so nothing slips past the list through a foreign ABI.
  if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
    for (std::uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
      const int rc = seccomp_arch_add(ctx.get(), arch);
      if (rc != 0 && rc != -EEXIST) {
        error = failure("arch_add", rc);
        return std::nullopt;
      }
    }
  }
  const auto deny = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : seccomp_denied_syscalls()) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    const int rc = seccomp_rule_add(ctx.get(), deny, nr, 0);
    // EDOM/EINVAL: a pseudo-syscall libseccomp cannot place on every ABI.
    if (rc != 0 && rc != -EDOM && rc != -EINVAL) {
      error = failure(name, rc);
      return std::nullopt;
    }
  }
  for (unsigned long flag : kCloneNamespaceFlags) {
    const scmp_arg_cmp cmp = masked_eq(0, flag, flag);
    const int rc = seccomp_rule_add_array(ctx.get(), deny, SCMP_SYS(clone), 1, &cmp);
    if (rc != 0) {
      error = failure("clone", rc);
      return std::nullopt;
    }
  }
  // clone3 passes its flags in memory a filter cannot read. ENOSYS makes libc
  // fall back to clone, whose flags the rules above do see.
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
      rc != 0 && rc != -EDOM) {
    error = failure("clone3", rc);
    return std::nullopt;
  }
  // TIOCSTI types input into a terminal, to be run by whoever reads it. The
  // kernel reads the request as 32 bits, so only those are compared.
  const scmp_arg_cmp tiocsti = masked_eq(1, 0xffffffffUL, TIOCSTI);
  if (int rc = seccomp_rule_add_array(ctx.get(), deny, SCMP_SYS(ioctl), 1, &tiocsti); rc != 0) {
    error = failure("ioctl", rc);
    return std::nullopt;
  }

  // libseccomp 2.5 exports only to an fd; a memfd keeps it off the disk.
  UniqueFd fd(::memfd_create("zfleet-seccomp", MFD_CLOEXEC));
  if (!fd) {
    error = std::string("seccomp: memfd_create: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (int rc = seccomp_export_bpf(ctx.get(), fd.get()); rc != 0) {
    error = failure("export", rc);
    return std::nullopt;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || st.st_size <= 0 ||
      st.st_size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    error = "seccomp: exported program has an unexpected size";
    return std::nullopt;
  }
  SeccompProgram program(static_cast<std::size_t>(st.st_size) / sizeof(sock_filter));
  const ssize_t n = ::pread(fd.get(), program.data(), static_cast<std::size_t>(st.st_size), 0);
  if (n != st.st_size) {
    error = "seccomp: cannot read the exported program back";
    return std::nullopt;
  }
  if (program.size() > BPF_MAXINSNS) {
    error = "seccomp: program longer than the kernel accepts";
    return std::nullopt;
  }
  return program;
}

}  // namespace zfleet::worker
