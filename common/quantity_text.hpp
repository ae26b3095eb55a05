// Sizes and limits as people write and read them: "64 MiB", "1.4 GiB",
// "256M", "60 s", "1 h". Shared by the worker (its limits in logs and
// outcomes) and zfleetctl (its tables and flags), so a limit reads the same
// wherever it is shown. Every size unit is a power of 1024.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zfleet {

// "512 B", "1.5 KiB", "64 MiB", "1.4 GiB": one decimal below 10, none above.
std::string format_bytes(std::uint64_t bytes);

// "256M" -> 268435456: a byte count with an optional suffix K, M, G or T
// (also KiB, MiB, ..., KB, MB, ...: all powers of 1024) and an optional "B".
// nullopt for anything else or an overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

// A time limit, exact rather than rounded: whole hours, whole minutes from
// ten minutes on, else seconds or milliseconds: "250 ms", "60 s", "90 min",
// "1 h", "3601 s". 0 is "0 s".
std::string format_limit_ms(std::uint64_t ms);
// The same for whole seconds ("60 s", "1 h"), safe for any value.
std::string format_limit_seconds(std::uint64_t seconds);

}  // namespace zfleet
