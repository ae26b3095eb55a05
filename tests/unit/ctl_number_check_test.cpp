// Numbers typed on zfleetctl's command line: what is wrong with them, and the
// check every unsigned option gets.
#include <gtest/gtest.h>

#include <cstdint>

#include "broker/zfleetctl/number_check.hpp"

namespace zfleet::ctl {
namespace {

TEST(CtlNumberCheck, WellFormedNumbersHaveNoProblem) {
  EXPECT_EQ(number_problem("0", NumberKind::kUnsigned), "");
  EXPECT_EQ(number_problem("18446744073709551615", NumberKind::kUnsigned), "");
  EXPECT_EQ(number_problem("-7", NumberKind::kSigned), "");
  EXPECT_EQ(number_problem("1.5", NumberKind::kReal), "");
  EXPECT_EQ(number_problem("-2e3", NumberKind::kReal), "");
}

TEST(CtlNumberCheck, SaysWhatIsWrongQuotingTheText) {
  EXPECT_EQ(number_problem("abc", NumberKind::kUnsigned), "'abc' is not a number");
  EXPECT_EQ(number_problem("", NumberKind::kSigned), "'' is not a number");
  EXPECT_EQ(number_problem("12ms", NumberKind::kUnsigned), "'12ms' is not a number");
  EXPECT_EQ(number_problem("1.5", NumberKind::kUnsigned), "'1.5' is not a whole number");
  EXPECT_EQ(number_problem("-5", NumberKind::kUnsigned), "'-5' must not be negative");
  EXPECT_EQ(number_problem("18446744073709551616", NumberKind::kUnsigned),
            "'18446744073709551616' is out of range");
}

TEST(CtlNumberCheck, OnlyDecimalNotationIsANumber) {
  // strtod and strtoull take these; a command line should not.
  EXPECT_EQ(number_problem("0x10", NumberKind::kUnsigned), "'0x10' is not a number");
  EXPECT_EQ(number_problem("inf", NumberKind::kReal), "'inf' is not a number");
  EXPECT_EQ(number_problem("nan", NumberKind::kReal), "'nan' is not a number");
}

struct Parsed {
  std::uint64_t count = 0;
  std::int64_t offset = 0;
};

// Parses `args` (after the program name) with require_plain_unsigned applied.
std::string parse(const std::vector<std::string>& args, Parsed& out) {
  CLI::App app{"test", "test"};
  app.add_option("--count", out.count);
  app.add_option("--offset", out.offset);
  require_plain_unsigned(app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return {};
}

TEST(CtlNumberCheck, UnsignedOptionsRefuseWhatStrtoullWouldWrap) {
  Parsed p;
  EXPECT_EQ(parse({"--count", "-5"}, p), "--count: '-5' must not be negative");
  EXPECT_EQ(parse({"--count", "99999999999999999999"}, p),
            "--count: '99999999999999999999' is out of range");
  EXPECT_EQ(p.count, 0u);
}

TEST(CtlNumberCheck, UnsignedOptionsReadLeadingZerosAsDecimal) {
  Parsed p;
  EXPECT_EQ(parse({"--count", "010"}, p), "");
  EXPECT_EQ(p.count, 10u);
  EXPECT_EQ(parse({"--count", "000"}, p), "");
  EXPECT_EQ(p.count, 0u);
}

TEST(CtlNumberCheck, SignedOptionsAreLeftToCli11) {
  Parsed p;
  EXPECT_EQ(parse({"--offset", "-5"}, p), "");
  EXPECT_EQ(p.offset, -5);
}

TEST(CtlNumberCheck, OptionKindComesFromTheConvertedType) {
  CLI::App app;
  std::uint32_t u = 0;
  int i = 0;
  double d = 0;
  std::string s;
  EXPECT_EQ(option_number_kind(*app.add_option("--u", u)->check(CLI::Range(0u, 9u))),
            NumberKind::kUnsigned);
  EXPECT_EQ(option_number_kind(*app.add_option("--i", i)), NumberKind::kSigned);
  EXPECT_EQ(option_number_kind(*app.add_option("--d", d)), NumberKind::kReal);
  EXPECT_EQ(option_number_kind(*app.add_option("--s", s)), std::nullopt);
}

}  // namespace
}  // namespace zfleet::ctl
