// CLI11's parse errors in zfleetctl's words, on an app shaped like
// zfleetctl's own (global options with fallthrough, a required subcommand,
// nested subcommands, positionals, ranges and choices).
#include <gtest/gtest.h>

#include <cstdint>

#include "broker/zfleetctl/number_check.hpp"
#include "broker/zfleetctl/usage_error.hpp"

namespace zfleet::ctl {
namespace {

class CtlUsageError : public ::testing::Test {
 protected:
  CtlUsageError() {
    app_.add_option("--broker", broker_, "Broker");
    app_.add_option("--timeout-ms", timeout_ms_)
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}));
    app_.add_flag("--json", json_);
    app_.require_subcommand(1);
    app_.fallthrough();

    CLI::App* submit = app_.add_subcommand("submit");
    submit->add_option("--priority", priority_)->check(CLI::Range(0u, 10u));
    submit->add_option("--type", type_)->check(CLI::IsMember({"shell", "module", "http", "noop"}));
    submit->add_option("--env", env_)->allow_extra_args(false);
    submit->add_option("--wait-ms", wait_ms_)->check(CLI::NonNegativeNumber);
    CLI::Option* delay = submit->add_option("--delay-ms", delay_ms_);
    submit->add_option("--not-before", not_before_)->excludes(delay);
    submit->add_option("argv", argv_);

    app_.add_subcommand("status")->add_option("id", id_)->required();
    CLI::App* limit = app_.add_subcommand("set-limit");
    limit->add_option("project", project_)->required();
    limit->add_option("limit", limit_)->required();
    app_.add_subcommand("ping");
    CLI::App* dlq = app_.add_subcommand("dlq");
    dlq->require_subcommand(1);
    dlq->add_subcommand("list")->add_option("--limit", limit_);
    dlq->add_subcommand("retry")->add_option("id", id_)->required();
    dlq->add_subcommand("purge");
  }

  // The stderr text for `args`, or "parsed" when they are a valid command line.
  std::string error_for(const std::vector<std::string>& args, bool plain_unsigned = false) {
    if (plain_unsigned) require_plain_unsigned(app_);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app_.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return usage_error_text(describe_usage_error(app_, e));
    }
    return "parsed";
  }

  CLI::App app_{"test", "zfleetctl"};
  std::string broker_;
  std::uint64_t timeout_ms_ = 5000;
  bool json_ = false;
  std::uint32_t priority_ = 5;
  std::string type_ = "shell";
  std::vector<std::string> env_;
  std::uint64_t wait_ms_ = 0;
  std::uint64_t delay_ms_ = 0;
  std::int64_t not_before_ = 0;
  std::vector<std::string> argv_;
  std::uint64_t id_ = 0;
  std::string project_;
  std::uint32_t limit_ = 0;
};

TEST_F(CtlUsageError, AValidCommandLineParses) {
  EXPECT_EQ(error_for({"--json", "submit", "--priority", "3", "--", "echo", "hi"}), "parsed");
  EXPECT_EQ(error_for({"status", "7", "--json"}), "parsed");
}

TEST_F(CtlUsageError, MisspelledCommandSuggestsTheNearest) {
  EXPECT_EQ(error_for({"sumbit", "--", "echo"}),
            "zfleetctl: unknown command 'sumbit'; did you mean 'submit'?\n"
            "run 'zfleetctl --help' for usage\n");
}

TEST_F(CtlUsageError, UnknownCommandListsTheCommands) {
  EXPECT_EQ(error_for({"frobnicate"}),
            "zfleetctl: unknown command 'frobnicate'; the commands are: submit, status, "
            "set-limit, ping, dlq\n"
            "run 'zfleetctl --help' for usage\n");
}

TEST_F(CtlUsageError, NoCommandListsTheCommands) {
  EXPECT_EQ(error_for({}),
            "zfleetctl: no command given; the commands are: submit, status, set-limit, ping, dlq\n"
            "run 'zfleetctl --help' for usage\n");
  EXPECT_EQ(error_for({"--json"}),
            "zfleetctl: no command given; the commands are: submit, status, set-limit, ping, dlq\n"
            "run 'zfleetctl --help' for usage\n");
}

TEST_F(CtlUsageError, NestedCommandsAreNamedWithTheirParent) {
  EXPECT_EQ(error_for({"dlq"}),
            "zfleetctl dlq: no command given; the commands are: list, retry, purge\n"
            "run 'zfleetctl dlq --help' for usage\n");
  EXPECT_EQ(error_for({"dlq", "lst"}),
            "zfleetctl dlq: unknown command 'lst'; did you mean 'list'?\n"
            "run 'zfleetctl dlq --help' for usage\n");
  EXPECT_EQ(error_for({"dlq", "retry", "x"}),
            "zfleetctl dlq retry: ID: 'x' is not a number\n"
            "run 'zfleetctl dlq retry --help' for usage\n");
}

TEST_F(CtlUsageError, UnknownOptionSuggestsTheNearestOfThatCommand) {
  EXPECT_EQ(error_for({"submit", "--priorty", "3", "--", "true"}),
            "zfleetctl submit: unknown option '--priorty'; did you mean '--priority'?\n"
            "run 'zfleetctl submit --help' for usage\n");
  // Global options may follow the command, so they are candidates too.
  EXPECT_EQ(error_for({"ping", "--jsn"}),
            "zfleetctl ping: unknown option '--jsn'; did you mean '--json'?\n"
            "run 'zfleetctl ping --help' for usage\n");
  EXPECT_EQ(error_for({"ping", "--frobnicate=3"}),
            "zfleetctl ping: unknown option '--frobnicate'\n"
            "run 'zfleetctl ping --help' for usage\n");
}

TEST_F(CtlUsageError, AnUnknownOptionIsReportedBeforeWhatItBroke) {
  // Without the unknown flag, the id would be the complaint.
  EXPECT_EQ(error_for({"status", "--jsn"}),
            "zfleetctl status: unknown option '--jsn'; did you mean '--json'?\n"
            "run 'zfleetctl status --help' for usage\n");
}

TEST_F(CtlUsageError, BadNumbersReadNaturally) {
  EXPECT_EQ(error_for({"status", "abc"}),
            "zfleetctl status: ID: 'abc' is not a number\n"
            "run 'zfleetctl status --help' for usage\n");
  EXPECT_EQ(error_for({"set-limit", "etl", "1.5"}),
            "zfleetctl set-limit: LIMIT: '1.5' is not a whole number\n"
            "run 'zfleetctl set-limit --help' for usage\n");
}

TEST_F(CtlUsageError, AnUnsignedValueTooLargeForItsTypeIsOutOfRange) {
  EXPECT_EQ(error_for({"set-limit", "etl", "5000000000"}),
            "zfleetctl set-limit: LIMIT: '5000000000' is out of range\n"
            "run 'zfleetctl set-limit --help' for usage\n");
}

TEST_F(CtlUsageError, GlobalOptionErrorsPointAtTheTopLevelHelp) {
  EXPECT_EQ(error_for({"--timeout-ms", "0", "ping"}),
            "zfleetctl: --timeout-ms: 0 is not between 1 and 3600000\n"
            "run 'zfleetctl --help' for usage\n");
  EXPECT_EQ(error_for({"--broker"}),
            "zfleetctl: --broker needs a value\n"
            "run 'zfleetctl --help' for usage\n");
}

TEST_F(CtlUsageError, RangesAndChoicesReadNaturally) {
  EXPECT_EQ(error_for({"submit", "--priority", "11", "--", "true"}),
            "zfleetctl submit: --priority: 11 is not between 0 and 10\n"
            "run 'zfleetctl submit --help' for usage\n");
  EXPECT_EQ(error_for({"submit", "--priority", "x", "--", "true"}),
            "zfleetctl submit: --priority: 'x' is not a number\n"
            "run 'zfleetctl submit --help' for usage\n");
  EXPECT_EQ(error_for({"submit", "--wait-ms", "-5", "--", "true"}),
            "zfleetctl submit: --wait-ms: '-5' must not be negative\n"
            "run 'zfleetctl submit --help' for usage\n");
  EXPECT_EQ(error_for({"submit", "--type", "htp"}),
            "zfleetctl submit: --type: 'htp' is not one of shell, module, http, noop; "
            "did you mean 'http'?\n"
            "run 'zfleetctl submit --help' for usage\n");
}

TEST_F(CtlUsageError, WithPlainUnsignedChecksNegativesAreRefusedEverywhere) {
  EXPECT_EQ(error_for({"set-limit", "etl", "-1"}, true),
            "zfleetctl set-limit: LIMIT: '-1' must not be negative\n"
            "run 'zfleetctl set-limit --help' for usage\n");
  EXPECT_EQ(error_for({"submit", "--delay-ms", "-5", "--", "true"}, true),
            "zfleetctl submit: --delay-ms: '-5' must not be negative\n"
            "run 'zfleetctl submit --help' for usage\n");
}

TEST_F(CtlUsageError, MissingValuesAndArgumentsAreNamed) {
  EXPECT_EQ(error_for({"status"}),
            "zfleetctl status: missing argument ID\n"
            "run 'zfleetctl status --help' for usage\n");
  EXPECT_EQ(error_for({"submit", "--env"}),
            "zfleetctl submit: --env needs a value\n"
            "run 'zfleetctl submit --help' for usage\n");
}

TEST_F(CtlUsageError, ExtraArgumentsAndExclusiveOptions) {
  EXPECT_EQ(error_for({"status", "1", "2"}),
            "zfleetctl status: unexpected argument '2'\n"
            "run 'zfleetctl status --help' for usage\n");
  EXPECT_EQ(error_for({"submit", "--delay-ms", "1", "--not-before", "2", "--", "true"}),
            "zfleetctl submit: --delay-ms and --not-before cannot be used together\n"
            "run 'zfleetctl submit --help' for usage\n");
}

TEST_F(CtlUsageError, AMessageItDoesNotKnowIsKeptWithTheCommandAndHint) {
  const UsageError e = describe_usage_error(app_, CLI::HorribleError("something odd"));
  EXPECT_EQ(e.command, "zfleetctl");
  EXPECT_EQ(e.message, "something odd");
}

}  // namespace
}  // namespace zfleet::ctl
