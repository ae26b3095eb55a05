// Pipe creation for child stdio; see unique_fd.hpp.
#include "worker/sandbox/unique_fd.hpp"

#include <fcntl.h>

#include <cerrno>

namespace zfleet::worker {

int make_pipe(Pipe& out, NonBlockingEnd nonblocking) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno;
  out.read.reset(fds[0]);
  out.write.reset(fds[1]);
  const int fd = nonblocking == NonBlockingEnd::kRead ? fds[0] : fds[1];
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    const int error = errno;
    out.read.reset();
    out.write.reset();
    return error;
  }
  return 0;
}

}  // namespace zfleet::worker
