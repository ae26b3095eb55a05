// Checks and words for numbers on the command line; see number_check.hpp.
#include "broker/zfleetctl/number_check.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <regex>
#include <system_error>

namespace zfleet::ctl {

namespace {

// Plain decimal notation only: strtod would also take "0x1p3", "inf" and
// "nan", which nobody means as a count or a time.
const std::regex kDecimal{R"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)"};
const std::regex kInteger{R"([+-]?[0-9]+)"};

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

}  // namespace

std::string number_problem(std::string_view text, NumberKind kind) {
  const std::string value(text);
  if (!std::regex_match(value, kDecimal)) return in_quotes(text) + " is not a number";
  if (kind == NumberKind::kReal) return {};
  if (!std::regex_match(value, kInteger)) return in_quotes(text) + " is not a whole number";
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
