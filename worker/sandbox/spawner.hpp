// Spawner: how TaskRunner starts a task's child process. The worker uses
// ProcessSpawner, which is ChildProcess::spawn and nothing more; the
// interface is the seam through which tests make a spawn fail the way a
// loaded host does (EAGAIN, ENOMEM from vfork) or a bad task does (ENOENT,
// EACCES from exec) without exhausting or breaking the machine.
// Contract of spawn(): that of ChildProcess::spawn, including the message
// (spawn_error_message() for an errno of the spawn itself) and the errno.
#pragma once

#include <optional>
#include <string>

#include "worker/sandbox/child_process.hpp"

namespace zfleet::worker {

class Spawner {
 public:
  virtual ~Spawner() = default;
  virtual std::optional<ChildProcess> spawn(const SpawnRequest& request, std::string& error,
                                            int* error_number) = 0;
};

class ProcessSpawner final : public Spawner {
 public:
  std::optional<ChildProcess> spawn(const SpawnRequest& request, std::string& error,
                                    int* error_number) override {
    return ChildProcess::spawn(request, error, error_number);
  }
};

// The real spawner, shared (it holds no state).
Spawner& process_spawner();

}  // namespace zfleet::worker
