// Rules on a task spec's values that no single field's bound can state
// (type, names, argv, env, files, http, sandbox, retry policy), shared by the
// decoders (TaskSpec::check, SET_POLICY) and by code that builds specs
// itself. Every refusal is INVALID_FIELD with a message naming the field.
#pragma once

#include <string>
#include <string_view>

#include "common/wire/task_spec.hpp"

namespace zfleet::msg {

// Validates a task spec's values (type, project name, priority, argv, ...).
MaybeError validate(const TaskSpec& spec);
// Why `path` cannot name a task file (TaskFile::path), or empty when it can:
// relative, 1-16 parts of 1-255 bytes, none "." or "..", no NUL, at most
// kMaxTaskFilePathBytes. The worker checks again before writing.
std::string task_file_path_problem(std::string_view path);
MaybeError validate(const RetryPolicy& policy);
MaybeError validate(const SandboxRequest& sandbox);
MaybeError validate(const HttpSpec& http);
// Module names: [a-z0-9][a-z0-9_-]{0,63}, so a name can never be a path.
bool valid_module_name(std::string_view name);
// Project names, worker ids and event kinds: 1-64 characters of
// [A-Za-z0-9._:@-].
bool valid_name(std::string_view name);

}  // namespace zfleet::msg
