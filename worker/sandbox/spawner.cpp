// The worker's one real Spawner; see spawner.hpp.
#include "worker/sandbox/spawner.hpp"

namespace zfleet::worker {

Spawner& process_spawner() {
  static ProcessSpawner spawner;
  return spawner;
}

}  // namespace zfleet::worker
