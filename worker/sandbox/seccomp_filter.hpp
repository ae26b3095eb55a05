// The seccomp program task children load: a deny list of system calls that
// only administrators need (mount, ptrace, module loading, kexec, bpf, ...)
// answered with EPERM, so a task sees a clear error instead of dying. It is
// built once in the parent with libseccomp and exported as raw BPF, because a
// vfork child may only make system calls: it loads the prepared program with
// prctl(PR_SET_SECCOMP) and nothing else.
#pragma once

#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

namespace zfleet::worker {

using SeccompProgram = std::vector<sock_filter>;

// The compiled deny list; nullopt with `error` when libseccomp fails.
std::optional<SeccompProgram> build_seccomp_program(std::string& error);

// Names the filter answers with EPERM (those unknown on this architecture
// are skipped). Exposed for tests and for the worker's start-up log.
const std::vector<const char*>& seccomp_denied_syscalls();

}  // namespace zfleet::worker
