// Human renderings of the quantities zfleetctl shows: durations, Unix
// timestamps, sizes, rates and signal names. Pure functions, so the tables and
// reports built from them are testable byte for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zfleet::ctl {

// "350 ms", "1.23 s", "2m03s", "1h02m", "3d04h".
std::string format_duration_ms(std::uint64_t ms);

// ISO 8601 in UTC with milliseconds ("2024-11-24T22:31:05.123Z"); "-" for 0,
// which the protocol uses for "not yet".
std::string format_timestamp_ms(std::int64_t unix_ms);

// "512 B", "1.5 KiB", "12.3 MiB", "1.2 GiB".
std::string format_bytes(std::uint64_t bytes);

// "256M" -> 268435456: a byte count with an optional binary suffix K, M, G or
// T (also KiB, MiB, ..., KB, MB, ...: all powers of 1024) and an optional "B".
// nullopt for anything else or an overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

// "1234/s", "12.5/s"; "-" when nothing can be said yet.
std::string format_rate(double per_second);

// "SIGKILL" for 9, "SIG77" for numbers without a common name.
std::string signal_name(int signal);

}  // namespace zfleet::ctl
