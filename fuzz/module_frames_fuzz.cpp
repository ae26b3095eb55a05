// Fuzz target: the pipe frames between zfleet-worker and a module runner,
// both directions: a crashed or hostile module must not take the worker
// down, nor a hostile worker the runner.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "worker/executors/module/module_frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace w = zfleet::worker;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  w::ModuleRequest request;
  (void)w::decode_module_request(bytes, request, error);
  w::ModuleReply reply;
  (void)w::decode_module_reply(bytes, reply, error);
  (void)w::is_one_msgpack_object(bytes);
  return 0;
}
