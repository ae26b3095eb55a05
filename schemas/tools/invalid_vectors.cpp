// Invalid golden vectors: bodies a decoder must refuse, each with the error
// name the broker (or worker) answers with. Built with a raw msgpack packer
// because the typed encoders cannot produce invalid bodies.
#include <cstdint>
#include <string>

#include <msgpack.hpp>

#include "common/protocol.hpp"
#include "schemas/tools/vector_set.hpp"

namespace zfleet::vectors {

namespace {

namespace c = proto::cmd;
constexpr const char* kCB = "client->broker";
constexpr const char* kBC = "broker->client";
constexpr const char* kWB = "worker->broker";
constexpr const char* kBW = "broker->worker";

using Packer = msgpack::packer<msgpack::sbuffer>;

// A SUBMIT body {"req": 1, "task": {...}} whose task map is written by `task`.
template <typename F>
std::string submit_with(std::uint32_t task_keys, F task) {
  msgpack::sbuffer b;
  Packer p(b);
  p.pack_map(2).pack("req").pack(1).pack("task").pack_map(task_keys);
  task(p);
  return {b.data(), b.size()};
}

void shell_echo(Packer& p) {
  p.pack("type").pack("shell").pack("argv").pack_array(2).pack("/bin/echo").pack("hi");
}

template <typename F>
std::string map_of(std::uint32_t keys, F body) {
  msgpack::sbuffer b;
  Packer p(b);
  p.pack_map(keys);
  body(p);
  return {b.data(), b.size()};
}

Vector bad(std::string name, std::string_view command, const char* direction, std::string bytes,
           std::string description, std::string_view error) {
  return {std::move(name),  std::string(command),   direction,
          std::move(bytes), std::move(description), std::string(error)};
}

void add_field_errors(std::vector<Vector>& out) {
  const auto submit = c::kSubmit;
  out.push_back(bad("submit_priority_11", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("priority").pack(11);
                                }),
                    "priority above 10.", "INVALID_FIELD"));
  out.push_back(bad("submit_priority_negative", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("priority").pack(-1);
                                }),
                    "priority below 0.", "INVALID_FIELD"));
  out.push_back(bad("submit_priority_string", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("priority").pack("5");
                                }),
                    "priority of the wrong type (str).", "INVALID_FIELD"));
  out.push_back(bad("submit_priority_float", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("priority").pack(5.5);
                                }),
                    "priority of the wrong type (float64): integers only.", "INVALID_FIELD"));
  out.push_back(bad("submit_missing_task", submit, kCB,
                    map_of(1, [](Packer& p) { p.pack("req").pack(1); }), "SUBMIT without task.",
                    "INVALID_FIELD"));
  out.push_back(
      bad("submit_missing_type", submit, kCB,
          submit_with(1, [](Packer& p) { p.pack("argv").pack_array(1).pack("/bin/true"); }),
          "task without type.", "INVALID_FIELD"));
  out.push_back(bad("submit_unknown_type", submit, kCB,
                    submit_with(2,
                                [](Packer& p) {
                                  p.pack("type").pack("docker");
                                  p.pack("argv").pack_array(1).pack("/bin/true");
                                }),
                    "a task type v1 does not define.", "INVALID_FIELD"));
  out.push_back(bad("submit_empty_argv", submit, kCB,
                    submit_with(2,
                                [](Packer& p) {
                                  p.pack("type").pack("shell");
                                  p.pack("argv").pack_array(0);
                                }),
                    "argv must name a program.", "INVALID_FIELD"));
  out.push_back(bad("submit_argv_not_strings", submit, kCB,
                    submit_with(2,
                                [](Packer& p) {
                                  p.pack("type").pack("shell");
                                  p.pack("argv").pack_array(2).pack("/bin/sleep").pack(1);
                                }),
                    "argv items must be strings.", "INVALID_FIELD"));
  out.push_back(bad("submit_argv_with_nul", submit, kCB,
                    submit_with(2,
                                [](Packer& p) {
                                  p.pack("type").pack("shell");
                                  p.pack("argv").pack_array(1).pack(std::string("/bin/a\0b", 8));
                                }),
                    "argv items may not contain NUL.", "INVALID_FIELD"));
  out.push_back(bad("submit_bad_project_name", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("project").pack("a b");
                                }),
                    "project names are 1-64 characters of [A-Za-z0-9._:@-].", "INVALID_FIELD"));
  out.push_back(bad("submit_project_too_long", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("project").pack(std::string(65, 'p'));
                                }),
                    "project longer than 64 bytes.", "TOO_LARGE"));
  out.push_back(bad("submit_env_name_with_equals", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("env").pack_map(1).pack("A=B").pack("1");
                                }),
                    "env names may not contain '='.", "INVALID_FIELD"));
  out.push_back(bad("submit_cwd_too_long", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("cwd").pack(std::string(4097, 'd'));
                                }),
                    "cwd longer than 4096 bytes.", "TOO_LARGE"));
  out.push_back(bad("submit_output_cap_too_large", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("output_cap").pack(std::uint64_t{1024 * 1024 + 1});
                                }),
                    "output_cap above 1 MiB.", "INVALID_FIELD"));
  out.push_back(bad("submit_timeout_too_large", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("timeout_ms").pack(proto::kMaxTimeoutMs + 1);
                                }),
                    "timeout_ms above 7 days.", "INVALID_FIELD"));
  out.push_back(bad("submit_task_not_a_map", submit, kCB,
                    map_of(2, [](Packer& p) { p.pack("req").pack(1).pack("task").pack("echo"); }),
                    "task must be a map.", "INVALID_FIELD"));
  out.push_back(bad("status_missing_id", c::kStatus, kCB,
                    map_of(1, [](Packer& p) { p.pack("req").pack(1); }), "STATUS without id.",
                    "INVALID_FIELD"));
  out.push_back(bad("result_wait_too_long", c::kResult, kCB,
                    map_of(3,
                           [](Packer& p) {
                             p.pack("req").pack(1).pack("id").pack(42);
                             p.pack("wait_ms").pack(proto::kMaxWaitMs + 1);
                           }),
                    "wait_ms above one hour.", "INVALID_FIELD"));
  out.push_back(bad("set_limit_missing_limit", c::kSetLimit, kCB,
                    map_of(2, [](Packer& p) { p.pack("req").pack(1).pack("project").pack("a"); }),
                    "SET_LIMIT without limit.", "INVALID_FIELD"));
  out.push_back(bad("ready_credit_above_slots", c::kReady, kWB,
                    map_of(3,
                           [](Packer& p) {
                             p.pack("worker_id").pack("w1").pack("slots").pack(2);
                             p.pack("credit").pack(3);
                           }),
                    "READY credit may not exceed slots.", "INVALID_FIELD"));
  out.push_back(bad("ready_too_many_slots", c::kReady, kWB,
                    map_of(3,
                           [](Packer& p) {
                             p.pack("worker_id").pack("w1").pack("slots").pack(4097);
                             p.pack("credit").pack(0);
                           }),
                    "READY slots above 4096.", "INVALID_FIELD"));
  out.push_back(bad("ready_missing_worker_id", c::kReady, kWB,
                    map_of(2, [](Packer& p) { p.pack("slots").pack(1).pack("credit").pack(1); }),
                    "READY without worker_id.", "INVALID_FIELD"));
  out.push_back(
      bad("done_missing_attempt", c::kDone, kWB,
          map_of(2, [](Packer& p) { p.pack("task_id").pack(42).pack("exit_code").pack(0); }),
          "DONE without attempt.", "INVALID_FIELD"));
  out.push_back(bad("welcome_heartbeat_too_short", c::kWelcome, kBW,
                    map_of(1, [](Packer& p) { p.pack("heartbeat_ms").pack(5); }),
                    "WELCOME heartbeat_ms below 10.", "INVALID_FIELD"));
}

// A SUBMIT of /bin/echo hi whose task map also has a "retry" map written by `retry`.
template <typename F>
std::string submit_with_retry(std::uint32_t retry_keys, F retry) {
  return submit_with(3, [&](Packer& p) {
    shell_echo(p);
    p.pack("retry").pack_map(retry_keys);
    retry(p);
  });
}

void add_new_field_errors(std::vector<Vector>& out) {
  const auto submit = c::kSubmit;
  out.push_back(
      bad("submit_retry_on_unknown_kind", submit, kCB,
          submit_with_retry(
              1, [](Packer& p) { p.pack("retry_on").pack_array(2).pack("lost").pack("crash"); }),
          "retry_on items are exit, signal, timeout, lost, error or spawn.", "INVALID_FIELD"));
  out.push_back(bad(
      "submit_retry_on_too_many", submit, kCB,
      submit_with_retry(
          1,
          [](Packer& p) {
            p.pack("retry_on").pack_array(7);
            for (const char* k : {"exit", "signal", "timeout", "lost", "error", "spawn", "exit"})
              p.pack(k);
          }),
      "retry_on with more than 6 items.", "TOO_LARGE"));
  out.push_back(bad("submit_backoff_above_max", submit, kCB,
                    submit_with_retry(2,
                                      [](Packer& p) {
                                        p.pack("backoff_ms").pack(5'000);
                                        p.pack("backoff_max_ms").pack(1'000);
                                      }),
                    "backoff_ms greater than backoff_max_ms in the same policy.", "INVALID_FIELD"));
  out.push_back(
      bad("submit_backoff_above_one_day", submit, kCB,
          submit_with_retry(
              1, [](Packer& p) { p.pack("backoff_max_ms").pack(proto::kMaxBackoffMs + 1); }),
          "backoff_max_ms above 86400000 (one day).", "INVALID_FIELD"));
  out.push_back(bad("submit_max_attempts_1001", submit, kCB,
                    submit_with_retry(1, [](Packer& p) { p.pack("max_attempts").pack(1001); }),
                    "max_attempts above 1000.", "INVALID_FIELD"));
  out.push_back(bad("submit_retry_not_a_map", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("retry").pack(3);
                                }),
                    "retry must be a map.", "INVALID_FIELD"));
  out.push_back(bad("submit_idempotency_key_129_bytes", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("idempotency_key").pack(std::string(129, 'k'));
                                }),
                    "idempotency_key longer than 128 bytes.", "TOO_LARGE"));
  out.push_back(bad("submit_not_before_negative", submit, kCB,
                    submit_with(3,
                                [](Packer& p) {
                                  shell_echo(p);
                                  p.pack("not_before_ms").pack(-1);
                                }),
                    "not_before_ms is a Unix time in ms and may not be negative.",
                    "INVALID_FIELD"));
  out.push_back(bad("submit_shell_without_argv", submit, kCB,
                    submit_with(1, [](Packer& p) { p.pack("type").pack("shell"); }),
                    "a shell task without argv (only noop tasks may leave it out).",
                    "INVALID_FIELD"));
  out.push_back(bad("cancel_missing_id", c::kCancel, kCB,
                    map_of(1, [](Packer& p) { p.pack("req").pack(1); }), "CANCEL without id.",
                    "INVALID_FIELD"));
  out.push_back(bad("dlq_retry_id_string", c::kDlqRetry, kCB,
                    map_of(2, [](Packer& p) { p.pack("req").pack(1).pack("id").pack("42"); }),
                    "DLQ_RETRY with id of the wrong type (str).", "INVALID_FIELD"));
  out.push_back(bad(
      "dlq_list_limit_too_large", c::kDlqList, kCB,
      map_of(2,
             [](Packer& p) { p.pack("req").pack(1).pack("limit").pack(proto::kMaxDlqList + 1); }),
      "DLQ_LIST limit above 10000.", "INVALID_FIELD"));
  out.push_back(bad("set_policy_missing_policy", c::kSetPolicy, kCB,
                    map_of(2, [](Packer& p) { p.pack("req").pack(1).pack("project").pack("a"); }),
                    "SET_POLICY without policy.", "INVALID_FIELD"));
  out.push_back(bad("set_policy_bad_project_name", c::kSetPolicy, kCB,
                    map_of(3,
                           [](Packer& p) {
                             p.pack("req").pack(1).pack("project").pack("a/b");
                             p.pack("policy").pack_map(0);
                           }),
                    "SET_POLICY of an invalid project name.", "INVALID_FIELD"));
  out.push_back(
      bad("set_policy_retry_on_unknown_kind", c::kSetPolicy, kCB,
          map_of(3,
                 [](Packer& p) {
                   p.pack("req").pack(1).pack("project").pack("a");
                   p.pack("policy").pack_map(1).pack("retry_on").pack_array(1).pack("oom");
                 }),
          "SET_POLICY with an unknown retry_on kind.", "INVALID_FIELD"));
  out.push_back(bad("set_policy_backoff_above_max", c::kSetPolicy, kCB,
                    map_of(3,
                           [](Packer& p) {
                             p.pack("req").pack(1).pack("project").pack("a");
                             p.pack("policy").pack_map(2);
                             p.pack("backoff_ms").pack(2'000).pack("backoff_max_ms").pack(10);
                           }),
                    "SET_POLICY with backoff_ms greater than backoff_max_ms.", "INVALID_FIELD"));
  out.push_back(bad("submitted_duplicate_not_bool", c::kSubmitted, kBC,
                    map_of(3,
                           [](Packer& p) {
                             p.pack("req").pack(1).pack("id").pack(42);
                             p.pack("duplicate").pack(1);
                           }),
                    "duplicate must be a boolean.", "INVALID_FIELD"));
  out.push_back(bad("status_reply_unknown_state", c::kStatusReply, kBC,
                    map_of(2,
                           [](Packer& p) {
                             p.pack("req").pack(1).pack("task").pack_map(2);
                             p.pack("id").pack(42).pack("state").pack("paused");
                           }),
                    "a task view whose state is none of the seven.", "INVALID_FIELD"));
  out.push_back(bad("cancel_worker_missing_attempt", c::kCancel, kBW,
                    map_of(1, [](Packer& p) { p.pack("task_id").pack(42); }),
                    "CANCEL to a worker without attempt.", "INVALID_FIELD"));
}

// A SUBMIT of a shell echo whose "files" list is written by `files`.
template <typename F>
std::string submit_with_files(F files) {
  return submit_with(3, [&](Packer& p) {
    shell_echo(p);
    p.pack("files");
    files(p);
  });
}

void pack_file(Packer& p, const char* path, const char* data) {
  p.pack_map(2).pack("path").pack(path).pack("data").pack(data);
}

void add_file_errors(std::vector<Vector>& out) {
  const auto submit = c::kSubmit;
  out.push_back(bad("submit_file_path_escapes", submit, kCB, submit_with_files([](Packer& p) {
                      p.pack_array(1);
                      pack_file(p, "../../etc/cron.d/x", "* * * * * root sh\n");
                    }),
                    "a files path with '..' parts: it would leave the task directory.",
                    "INVALID_FIELD"));
  out.push_back(bad("submit_file_path_absolute", submit, kCB, submit_with_files([](Packer& p) {
                      p.pack_array(1);
                      pack_file(p, "/etc/passwd", "x");
                    }),
                    "an absolute files path.", "INVALID_FIELD"));
  out.push_back(bad("submit_file_path_twice", submit, kCB, submit_with_files([](Packer& p) {
                      p.pack_array(2);
                      pack_file(p, "job.sh", "a");
                      pack_file(p, "job.sh", "b");
                    }),
                    "two files with the same path.", "INVALID_FIELD"));
  out.push_back(bad("submit_file_and_directory", submit, kCB, submit_with_files([](Packer& p) {
                      p.pack_array(2);
                      pack_file(p, "lib", "a");
                      pack_file(p, "lib/util.sh", "b");
                    }),
                    "one path used as a file and as a directory.", "INVALID_FIELD"));
  out.push_back(bad("submit_file_mode_setuid", submit, kCB, submit_with_files([](Packer& p) {
                      p.pack_array(1);
                      p.pack_map(3).pack("path").pack("tool").pack("data").pack("x");
                      p.pack("mode").pack(04755);
                    }),
                    "a files mode with more than permission bits (setuid 04755).",
                    "INVALID_FIELD"));
  out.push_back(bad("submit_files_too_many", submit, kCB, submit_with_files([](Packer& p) {
                      p.pack_array(proto::kMaxTaskFiles + 1);
                      for (std::size_t i = 0; i <= proto::kMaxTaskFiles; ++i) {
                        const std::string path = "f" + std::to_string(i);
                        pack_file(p, path.c_str(), "");
                      }
                    }),
                    "65 files: at most 64 go with a task.", "TOO_LARGE"));
  out.push_back(bad("submit_files_on_noop_task", submit, kCB,
                    submit_with(2,
                                [](Packer& p) {
                                  p.pack("type").pack("noop").pack("files").pack_array(1);
                                  pack_file(p, "a", "x");
                                }),
                    "files on a task that is not shell.", "INVALID_FIELD"));
}

// A SUBMIT of a module task whose "module" field is `name`.
std::string submit_module_named(const std::string& name) {
  return submit_with(2, [&](Packer& p) {
    p.pack("type").pack("module");
    p.pack("module").pack(name);
  });
}

void add_name_errors(std::vector<Vector>& out) {
  const auto submit = c::kSubmit;
  out.push_back(bad("submit_module_name_uppercase", submit, kCB, submit_module_named("Thumbnail"),
                    "module names are lower case: [a-z0-9_-] only.", "INVALID_FIELD"));
  out.push_back(bad("submit_module_name_path", submit, kCB,
                    submit_module_named("../modules/thumbnail"),
                    "a module is a name, never a path: '/' and '.' are refused.", "INVALID_FIELD"));
  out.push_back(bad("submit_module_name_leading_dash", submit, kCB, submit_module_named("-thumb"),
                    "a module name starts with [a-z0-9], not '-' or '_'.", "INVALID_FIELD"));
  out.push_back(bad("submit_module_name_65_bytes", submit, kCB,
                    submit_module_named(std::string(65, 'm')),
                    "a module name longer than 64 bytes.", "TOO_LARGE"));
  out.push_back(bad("submit_module_without_name", submit, kCB,
                    submit_with(1, [](Packer& p) { p.pack("type").pack("module"); }),
                    "a module task must name its module.", "INVALID_FIELD"));
  out.push_back(bad("submit_type_capitalised", submit, kCB,
                    submit_with(2,
                                [](Packer& p) {
                                  p.pack("type").pack("Shell");
                                  p.pack("argv").pack_array(1).pack("/bin/true");
                                }),
                    "enumerated strings are case-sensitive: 'Shell' is no task type.",
                    "INVALID_FIELD"));
  out.push_back(
      bad("ping_req_string", c::kPing, kCB, map_of(1, [](Packer& p) { p.pack("req").pack("7"); }),
          "req must be a uint: a str is refused, and the ERROR carries req 0.", "INVALID_FIELD"));
  out.push_back(
      bad("ping_req_negative", c::kPing, kCB, map_of(1, [](Packer& p) { p.pack("req").pack(-1); }),
          "a negative req is refused like any other non-uint req (ERROR req 0).", "INVALID_FIELD"));
}

void add_body_errors(std::vector<Vector>& out) {
  const std::string full = submit_with(2, shell_echo);
  out.push_back(bad("truncated", c::kSubmit, kCB, full.substr(0, full.size() - 3),
                    "a SUBMIT body cut 3 bytes short.", "MALFORMED_BODY"));
  out.push_back(bad("trailing_bytes", c::kPing, kCB, std::string("\x81\xa3req\x01\xc0", 7),
                    "a complete map followed by another value: a body is exactly one map.",
                    "MALFORMED_BODY"));
  out.push_back(bad("empty_body", c::kPing, kCB, std::string(),
                    "an empty body frame (a body is always a map, {} at least).",
                    "MALFORMED_BODY"));
  out.push_back(bad("not_a_map", c::kPing, kCB, std::string("\x92\x01\x02", 3),
                    "an array where a map must be.", "MALFORMED_BODY"));
  out.push_back(bad("reserved_byte", c::kPing, kCB, std::string("\xc1", 1),
                    "0xc1 is never valid msgpack.", "MALFORMED_BODY"));
  out.push_back(bad("array32_claims_4_billion_items", c::kSubmit, kCB,
                    std::string("\xdd\xff\xff\xff\xff", 5),
                    "an array32 header claiming 4294967295 items in 5 bytes: refused on the "
                    "declared size, before any allocation.",
                    "TOO_LARGE"));
  out.push_back(bad("map32_claims_4_billion_entries", c::kSubmit, kCB,
                    std::string("\xdf\xff\xff\xff\xff", 5),
                    "a map32 header claiming 4294967295 entries.", "TOO_LARGE"));
  out.push_back(bad("str32_claims_4_gib", c::kPing, kCB,
                    std::string("\x81\xa3req\xdb\xff\xff\xff\xff", 10),
                    "a str32 header claiming 4 GiB with no bytes after it: the string is "
                    "incomplete, which is checked before its size.",
                    "MALFORMED_BODY"));
  std::string deep = "\x81\xa1x";
  for (int i = 0; i < 16; ++i)
    deep += std::string("\x91", 1);
  deep += std::string("\x00", 1);
  out.push_back(bad("nested_too_deep", c::kPing, kCB, deep,
                    "containers nested 17 deep (the limit is 16).", "TOO_LARGE"));
  out.push_back(bad("ext_type", c::kPing, kCB, std::string("\x81\xa3req\xd4\x01\x07", 8),
                    "ext types are not used by v1; any ext value is refused.", "TOO_LARGE"));
}

}  // namespace

std::vector<Vector> invalid_vectors() {
  std::vector<Vector> out;
  add_field_errors(out);
  add_file_errors(out);
  add_new_field_errors(out);
  add_name_errors(out);
  add_body_errors(out);
  return out;
}

}  // namespace zfleet::vectors
