// Checks and words for numbers on the command line; see number_check.hpp.
#include "broker/zfleetctl/number_check.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <system_error>

namespace zfleet::ctl {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Digits from `at`; returns how many.
std::size_t skip_digits(std::string_view s, std::size_t& at) {
  const std::size_t from = at;
  while (at < s.size() && is_digit(s[at]))
    ++at;
  return at - from;
}

// [+-]?[0-9]+
bool is_integer(std::string_view s) {
  std::size_t at = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  return skip_digits(s, at) > 0 && at == s.size();
}

// Plain decimal notation only, [+-]?([0-9]+(.[0-9]*)?|.[0-9]+)([eE][+-]?[0-9]+)?:
// strtod would also take "0x1p3", "inf" and "nan", which nobody means as a
// count or a time. (Hand-written: std::regex trips GCC 12's
// -Wmaybe-uninitialized in sanitized builds.)
bool is_decimal(std::string_view s) {
  std::size_t at = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  std::size_t digits = skip_digits(s, at);
  if (at < s.size() && s[at] == '.') {
    ++at;
    digits += skip_digits(s, at);
  }
  if (digits == 0) return false;
  if (at < s.size() && (s[at] == 'e' || s[at] == 'E')) {
    ++at;
    if (at < s.size() && (s[at] == '+' || s[at] == '-')) ++at;
    if (skip_digits(s, at) == 0) return false;
  }
  return at == s.size();
}

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

}  // namespace

std::string number_problem(std::string_view text, NumberKind kind) {
  const std::string value(text);
  if (!is_decimal(value)) return in_quotes(text) + " is not a number";
  if (kind == NumberKind::kReal) return {};
  if (!is_integer(value)) return in_quotes(text) + " is not a whole number";
  if (kind == NumberKind::kUnsigned && value.front() == '-') {
    return in_quotes(text) + " must not be negative";
  }
  // strtoull saturates without a word, so an overflow is caught here.
  std::uint64_t parsed = 0;
  const char* first = value.data() + ((value.front() == '+' || value.front() == '-') ? 1 : 0);
  const auto result = std::from_chars(first, value.data() + value.size(), parsed);
  if (result.ec == std::errc::result_out_of_range) return in_quotes(text) + " is out of range";
  return {};
}

std::optional<NumberKind> option_number_kind(const CLI::Option& option) {
  // The type name is followed by the checks' descriptions ("UINT:INT in
  // [0 - 10]"); only its first word is the converted type.
  const std::string name = option.get_type_name();
  const std::string type = name.substr(0, name.find(':'));
  if (type == "UINT") return NumberKind::kUnsigned;
  if (type == "INT") return NumberKind::kSigned;
  if (type == "FLOAT") return NumberKind::kReal;
  return std::nullopt;
}

void require_plain_unsigned(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option_number_kind(*option) != NumberKind::kUnsigned) continue;
    // A transform, not a check: it also drops a sign and leading zeros, so
    // CLI11's strtoull (base 0) cannot read "010" as octal. No description,
    // so --help shows the option's type as before.
    option->transform(CLI::Validator(
        [](std::string& text) {
          std::string problem = number_problem(text, NumberKind::kUnsigned);
          if (!problem.empty()) return problem;
          const std::size_t start = text.find_first_not_of("+0");
          text = start == std::string::npos ? "0" : text.substr(start);
          return std::string{};
        },
        ""));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    require_plain_unsigned(*sub);
  }
}

}  // namespace zfleet::ctl
