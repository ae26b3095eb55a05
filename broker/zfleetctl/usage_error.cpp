// CLI11's parse errors in zfleetctl's words; see usage_error.hpp. The
// rewording matches the message formats of CLI11 2.1 (Error.hpp and
// Validators.hpp); a message it does not recognise is shown as CLI11 wrote
// it, still with the command and the hint, so an upgrade degrades the wording,
// never the exit status.
#include "broker/zfleetctl/usage_error.hpp"

#include <cctype>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/zfleetctl/number_check.hpp"
#include "broker/zfleetctl/suggest.hpp"

namespace zfleet::ctl {

namespace {

// The deepest subcommand the parser had entered: the command line was about
// its usage.
const CLI::App* current_app(const CLI::App& root) {
  const CLI::App* app = &root;
  for (;;) {
    const std::vector<CLI::App*> chosen = app->get_subcommands();
    if (chosen.empty()) return app;
    app = chosen.front();
  }
}

std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* parent = app->get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

std::vector<std::string> command_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub :
       app->get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

struct FoundOption {
  const CLI::App* owner = nullptr;
  const CLI::Option* option = nullptr;
};

// Options of `app` and of the apps above it: global options may follow the
// subcommand, so an error about one can come from any of them.
FoundOption find_option(const CLI::App* app, std::string_view name) {
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      if (option->get_name() == name ||
          (option->get_positional() && option->get_name(true) == name))
        return {app, option};
    }
  }
  return {};
}

// How the usage text names it: "--priority", or "ID" for a positional.
std::string display_name(const CLI::Option& option) {
  if (option.nonpositional()) return option.get_name();
  std::string name = option.get_name(true);
  for (char& c : name)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::vector<std::string> long_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      for (const auto& name : option->get_lnames())
        names.push_back(name);
    }
  }
  return names;
}

bool looks_like_option(const std::string& item) {
  // "-5" is a negative number given where none was expected, not a flag.
  return item.size() > 1 && item[0] == '-' && item != "--" &&
         !std::isdigit(static_cast<unsigned char>(item[1]));
}

std::string unknown_option(const CLI::App* app, const std::string& typed) {
  const std::string flag = typed.substr(0, typed.find('='));
  std::string message = "unknown option " + in_quotes(flag);
  const std::size_t start = flag.find_first_not_of('-');
  if (start == std::string::npos) return message;
  if (auto near = nearest(flag.substr(start), long_names(app))) {
    message += "; did you mean '--" + *near + "'?";
  }
  return message;
}

std::string unknown_command(const CLI::App* app, const std::string& typed) {
  const std::vector<std::string> names = command_names(app);
  std::string message = "unknown command " + in_quotes(typed);
  if (auto near = nearest(typed, names))
    return message + "; did you mean " + in_quotes(*near) + "?";
  return message + "; the commands are: " + join(names);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "0.000000" -> "0": CLI::Range prints its bounds with std::to_string.
std::string trim_bound(std::string bound) {
  const std::size_t dot = bound.find('.');
  if (dot != std::string::npos && bound.find_first_not_of('0', dot + 1) == std::string::npos)
    bound.erase(dot);
  return bound;
}

// "Value V not in range A to B" (CLI::Range).
std::optional<std::string> reword_range(std::string_view rest) {
  constexpr std::string_view kValue = "Value ";
  constexpr std::string_view kRange = " not in range ";
  constexpr std::string_view kTo = " to ";
  if (!starts_with(rest, kValue)) return std::nullopt;
  const std::size_t range = rest.find(kRange);
  if (range == std::string_view::npos) return std::nullopt;
  const std::size_t to = rest.find(kTo, range + kRange.size());
  if (to == std::string_view::npos) return std::nullopt;
  const std::string value(rest.substr(kValue.size(), range - kValue.size()));
  const std::string low =
      trim_bound(std::string(rest.substr(range + kRange.size(), to - range - kRange.size())));
  const std::string high = trim_bound(std::string(rest.substr(to + kTo.size())));
  std::string problem = number_problem(value, NumberKind::kReal);
  if (!problem.empty()) return problem;
  // CLI::NonNegativeNumber's upper bound is the largest double: no bound
  // anyone typed, so only the lower one is worth saying.
  constexpr std::size_t kHugeBound = 20;
  if (high.size() > kHugeBound) {
    if (value.front() == '-') return in_quotes(value) + " must not be negative";
    return in_quotes(value) + " must be at least " + low;
  }
  return value + " is not between " + low + " and " + high;
}

// "V not in {a,b,c}" (CLI::IsMember).
std::optional<std::string> reword_choice(std::string_view rest) {
  constexpr std::string_view kNotIn = " not in {";
  const std::size_t at = rest.rfind(kNotIn);
  if (at == std::string_view::npos || !ends_with(rest, "}")) return std::nullopt;
  const std::string value(rest.substr(0, at));
  const std::string_view list =
      rest.substr(at + kNotIn.size(), rest.size() - at - kNotIn.size() - 1);
  std::vector<std::string> choices;
  for (std::size_t begin = 0; begin <= list.size();) {
    std::size_t end = list.find(',', begin);
    if (end == std::string_view::npos) end = list.size();
    choices.emplace_back(list.substr(begin, end - begin));
    begin = end + 1;
  }
  std::string message = in_quotes(value) + " is not one of " + join(choices);
  if (auto near = nearest(value, choices)) message += "; did you mean " + in_quotes(*near) + "?";
  return message;
}

// The "NAME: rest" messages, NAME being an option CLI11 names its own way.
struct Named {
  FoundOption found;
  std::string name;  // as zfleetctl shows it
  std::string rest;
};

std::optional<Named> split_named(const CLI::App* app, std::string_view what) {
  const std::size_t colon = what.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  const FoundOption found = find_option(app, what.substr(0, colon));
  if (found.option == nullptr) return std::nullopt;
  return Named{found, display_name(*found.option), std::string(what.substr(colon + 2))};
}

UsageError at_option(const FoundOption& found, std::string message) {
  return {command_path(found.owner), std::move(message)};
}

std::optional<UsageError> reword_conversion(const CLI::App* app, std::string_view what) {
  // "Could not convert: NAME = VALUE"
  constexpr std::string_view kPrefix = "Could not convert: ";
  if (starts_with(what, kPrefix)) {
    const std::string_view body = what.substr(kPrefix.size());
    const std::size_t eq = body.find(" = ");
    if (eq == std::string_view::npos) return std::nullopt;
    const FoundOption found = find_option(app, body.substr(0, eq));
    if (found.option == nullptr) return std::nullopt;
    const std::string value(body.substr(eq + 3));
    const auto kind = option_number_kind(*found.option);
    std::string problem;
    if (kind) {
      problem = number_problem(value, *kind);
      // Well formed but it did not fit the option's type.
      if (problem.empty()) problem = in_quotes(value) + " is out of range";
    } else {
      problem = in_quotes(value) + " is not a valid value";
    }
    return at_option(found, display_name(*found.option) + ": " + problem);
  }
  auto named = split_named(app, what);
  if (!named) return std::nullopt;
  if (named->rest == "too many inputs for a flag") {
    return at_option(named->found, named->name + " takes no value");
  }
  if (named->rest == "Should be true/false or a number") {
    return at_option(named->found, named->name + " takes no value (or true/false)");
  }
  return at_option(named->found, named->name + ": " + named->rest);
}

std::optional<UsageError> reword_required(const CLI::App* app, std::string_view what) {
  if (what == "A subcommand is required") {
    return UsageError{command_path(app),
                      "no command given; the commands are: " + join(command_names(app))};
  }
  constexpr std::string_view kRequired = " is required";
  if (!ends_with(what, kRequired)) return std::nullopt;
  const FoundOption found = find_option(app, what.substr(0, what.size() - kRequired.size()));
  if (found.option == nullptr) return std::nullopt;
  const char* kind = found.option->nonpositional() ? "missing option " : "missing argument ";
  return at_option(found, kind + display_name(*found.option));
}

std::optional<UsageError> reword_validation(const CLI::App* app, std::string_view what) {
  auto named = split_named(app, what);
  if (!named) return std::nullopt;
  std::string problem = named->rest;
  if (auto range = reword_range(named->rest)) {
    problem = *range;
  } else if (auto choice = reword_choice(named->rest)) {
    problem = *choice;
  }
  return at_option(named->found, named->name + ": " + problem);
}

std::optional<UsageError> reword_mismatch(const CLI::App* app, std::string_view what) {
  auto named = split_named(app, what);
  if (!named) return std::nullopt;
  // "N required TYPE missing": the option was last, with no value after it.
  if (ends_with(named->rest, " missing"))
    return at_option(named->found, named->name + " needs a value");
  return at_option(named->found, named->name + ": " + named->rest);
}

std::optional<UsageError> reword_excludes(const CLI::App* app, std::string_view what) {
  constexpr std::string_view kExcludes = " excludes ";
  const std::size_t at = what.find(kExcludes);
  if (at == std::string_view::npos) return std::nullopt;
  const FoundOption found = find_option(app, what.substr(0, at));
  if (found.option == nullptr) return std::nullopt;
  return at_option(found, std::string(what.substr(0, at)) + " and " +
                              std::string(what.substr(at + kExcludes.size())) +
                              " cannot be used together");
}

}  // namespace

UsageError describe_usage_error(const CLI::App& root, const CLI::ParseError& error) {
  const CLI::App* app = current_app(root);
  // What the parser could not place. With fallthrough every unknown word
  // ends up here, whichever subcommand it followed.
  for (const std::string& item : root.remaining(true)) {
    if (item == "--") continue;
    if (looks_like_option(item)) return {command_path(app), unknown_option(app, item)};
    if (!command_names(app).empty()) return {command_path(app), unknown_command(app, item)};
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
      return {command_path(app), "unexpected argument " + in_quotes(item)};
    }
    break;
  }
  const std::string_view what = error.what();
  std::optional<UsageError> reworded;
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    reworded = reword_conversion(app, what);
  } else if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    reworded = reword_required(app, what);
  } else if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr) {
    reworded = reword_validation(app, what);
  } else if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    reworded = reword_mismatch(app, what);
  } else if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    reworded = reword_excludes(app, what);
  }
  if (reworded) return *reworded;
  if (auto named = split_named(app, what)) {
    return at_option(named->found, named->name + ": " + named->rest);
  }
  return {command_path(app), std::string(what)};
}

std::string usage_error_text(const UsageError& error) {
  return error.command + ": " + error.message + "\n" + "run '" + error.command +
         " --help' for usage\n";
}

}  // namespace zfleet::ctl
