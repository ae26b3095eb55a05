// zfleetctl's usage errors in its own words. CLI11 reports a bad command line
// in its own terms ("Could not convert: id = abc", "A subcommand is
// required") and without saying which program or subcommand complains;
// describe_usage_error() reads the error and what the parser had taken in
// when it was thrown, and says what is wrong the way the rest of zfleetctl
// does:
//
//   zfleetctl: unknown command 'sumbit'; did you mean 'submit'?
//   run 'zfleetctl --help' for usage
//
// An unknown command or option is reported before anything else, as it is
// usually why the rest did not parse. The exit status is always 2
// (ExitCode::kUsage); the wording is for people, scripts use the status.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace zfleet::ctl {

struct UsageError {
  std::string command;  // the (sub)command whose usage was broken: "zfleetctl status"
  std::string message;  // what is wrong, without the command: "ID: 'abc' is not a number"
};

// `root` is the app that threw `error` from parse(). Not for CLI::Success
// (--help), which is not an error.
UsageError describe_usage_error(const CLI::App& root, const CLI::ParseError& error);

// The two lines for stderr, each ending in a newline:
// "<command>: <message>" and "run '<command> --help' for usage".
std::string usage_error_text(const UsageError& error);

}  // namespace zfleet::ctl
