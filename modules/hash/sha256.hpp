// SHA-256 (FIPS 180-4) and FNV-1a 64, the digests the hash module offers.
// Written here rather than taken from a crypto library: the project depends
// on none, and a module should not pull one in for a dozen lines.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zfleet::modules {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  std::array<std::uint8_t, 32> finish();

 private:
  void block(const std::uint8_t* p);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> pending_{};
  std::size_t pending_size_ = 0;
  std::uint64_t total_bytes_ = 0;
};

std::uint64_t fnv1a64(std::string_view bytes);

// Lowercase hex.
std::string to_hex(const std::uint8_t* bytes, std::size_t size);
std::string sha256_hex(std::string_view bytes);
std::string fnv1a64_hex(std::string_view bytes);

}  // namespace zfleet::modules
