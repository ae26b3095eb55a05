// What is wrong with a number typed on zfleetctl's command line, in words a
// user reads at a glance ("'-5' must not be negative"). CLI11 converts
// unsigned options with strtoull, which takes "-5" as 18446744073709551611
// and "010" as 8; require_plain_unsigned() makes every unsigned option accept
// only decimal digits, read as decimal, so what is typed is what is sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace zfleet::ctl {

enum class NumberKind { kUnsigned, kSigned, kReal };

// Empty when `text` is a well-formed number of that kind; otherwise the
// reason, quoting the text: "'abc' is not a number", "'1.5' is not a whole
// number", "'-5' must not be negative", "'99999999999999999999' is out of
// range" (beyond 64 bits). An integer that fits 64 bits but not its option is
// left to the caller.
std::string number_problem(std::string_view text, NumberKind kind);

// The kind CLI11 converts an option's values to, from its type name ("UINT",
// "INT", "FLOAT"); nullopt for anything that is not a number.
std::optional<NumberKind> option_number_kind(const CLI::Option& option);

// Adds a decimal-digits-only check to every unsigned option of `app` and of
// its subcommands, recursively. Call after every option is added.
void require_plain_unsigned(CLI::App& app);

}  // namespace zfleet::ctl
