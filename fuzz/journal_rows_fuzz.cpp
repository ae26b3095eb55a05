// Fuzz target: the journal's row decoders (a task's spec blob and its
// outcome blob). A damaged journal must be reported, never crash recovery.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  zfleet::msg::TaskSpec spec;
  if (!zfleet::msg::decode_spec(bytes, spec)) (void)zfleet::msg::validate(spec);
  zfleet::msg::Outcome outcome;
  (void)zfleet::msg::decode_outcome(bytes, outcome);
  return 0;
}
