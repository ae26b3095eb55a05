// sqlite_wal_bench: the raw cost of a durable task lifecycle in SQLite on
// this disk, the floor under zfleet's journal. N rows shaped like the
// broker's `tasks` table are inserted, updated (state and outcome) and
// deleted, `batch` rows per transaction, in WAL mode with the chosen
// synchronous level (FULL: an fsync at every commit, as zfleet's
// --durability full). One "task" is one row through all three statements;
// tasks/s = N / total seconds. Nothing else runs: no sockets, no encoding.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "bench/bench_util.hpp"

namespace {

using zfleet::bench::fixed;

struct Options {
  std::string dir = ".";
  long count = 20000;
  long batch = 256;
  std::string sync = "full";
  long spec_bytes = 64;      // about a msgpack spec of one argv word and a retry policy
  long outcome_bytes = 120;  // about a msgpack outcome with empty output
};

class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) fail("open");
  }
  ~Db() {
    for (sqlite3_stmt* s : {insert_, update_, remove_})
      sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite_wal_bench: %s: %s\n", sql.c_str(), error ? error : "?");
      std::exit(1);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) fail(sql);
    return s;
  }
  void step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) fail("step");
    sqlite3_reset(s);
  }
  [[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "sqlite_wal_bench: %s: %s\n", what, sqlite3_errmsg(db_));
    std::exit(1);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
};

// Runs `op(row)` for rows [0, count), `batch` rows per transaction; returns
// the seconds it took and counts the commits.
template <typename Op>
double batched(Db& db, long count, long batch, long& commits, Op op) {
  zfleet::bench::Stopwatch clock;
  for (long begin = 0; begin < count; begin += batch) {
    db.exec("BEGIN");
    for (long row = begin; row < std::min(count, begin + batch); ++row)
      op(row);
    db.exec("COMMIT");
    ++commits;
  }
  return clock.seconds();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Raw SQLite WAL insert + update + delete of N task rows"};
  app.add_option("--dir", o.dir, "directory of the database (the disk measured)");
  app.add_option("-n,--count", o.count, "rows")->check(CLI::PositiveNumber);
  app.add_option("--batch", o.batch, "rows per transaction")->check(CLI::PositiveNumber);
  app.add_option("--sync", o.sync, "synchronous level")
      ->check(CLI::IsMember({"full", "normal", "off"}));
  CLI11_PARSE(app, argc, argv);

  const std::string path =
      (std::filesystem::path(o.dir) / ("sqlite-wal-bench-" + std::to_string(::getpid()) + ".db"))
          .string();
  auto remove_files = [&] {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path + suffix);
  };
  remove_files();
  long commits = 0;
  double insert_s = 0, update_s = 0, delete_s = 0;
  {
    Db db(path);
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=" + o.sync);
    db.exec(
        "CREATE TABLE tasks (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, attempts INTEGER "
        "NOT NULL, project TEXT NOT NULL, priority INTEGER NOT NULL, spec BLOB NOT NULL, "
        "submitted_at_ms INTEGER NOT NULL, finished_at_ms INTEGER NOT NULL, worker TEXT NOT "
        "NULL, outcome BLOB)");
    db.insert_ = db.prepare(
        "INSERT INTO tasks (id, state, attempts, project, priority, spec, submitted_at_ms, "
        "finished_at_ms, worker, outcome) VALUES (?, 0, 0, 'bench', 5, ?, ?, 0, '', NULL)");
    db.update_ = db.prepare(
        "UPDATE tasks SET state = 2, attempts = 1, finished_at_ms = ?, worker = 'w1', outcome = ? "
        "WHERE id = ?");
    db.remove_ = db.prepare("DELETE FROM tasks WHERE id = ?");
    const std::string spec(static_cast<std::size_t>(o.spec_bytes), 's');
    const std::string outcome(static_cast<std::size_t>(o.outcome_bytes), 'o');

    insert_s = batched(db, o.count, o.batch, commits, [&](long row) {
      sqlite3_bind_int64(db.insert_, 1, row + 1);
      sqlite3_bind_blob(db.insert_, 2, spec.data(), static_cast<int>(spec.size()), SQLITE_STATIC);
      sqlite3_bind_int64(db.insert_, 3, 1'700'000'000'000 + row);
      db.step(db.insert_);
    });
    update_s = batched(db, o.count, o.batch, commits, [&](long row) {
      sqlite3_bind_int64(db.update_, 1, 1'700'000'000'000 + row);
      sqlite3_bind_blob(db.update_, 2, outcome.data(), static_cast<int>(outcome.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(db.update_, 3, row + 1);
      db.step(db.update_);
    });
    delete_s = batched(db, o.count, o.batch, commits, [&](long row) {
      sqlite3_bind_int64(db.remove_, 1, row + 1);
      db.step(db.remove_);
    });
  }
  remove_files();

  const double total = insert_s + update_s + delete_s;
  const double n = static_cast<double>(o.count);
  std::fprintf(stderr,
               "sqlite WAL (synchronous=%s, %ld rows per transaction) in %s: %ld rows inserted "
               "%.0f/s, updated %.0f/s, deleted %.0f/s; whole lifecycle %.0f rows/s, %.0f "
               "commits/s\n",
               o.sync.c_str(), o.batch, o.dir.c_str(), o.count, n / insert_s, n / update_s,
               n / delete_s, n / total, static_cast<double>(commits) / total);
  zfleet::bench::print_result("sqlite_wal",
                              {{"count", std::to_string(o.count)},
                               {"batch", std::to_string(o.batch)},
                               {"sync", o.sync},
                               {"seconds", fixed(total, 3)},
                               {"per_s", fixed(n / total, 1)},
                               {"insert_per_s", fixed(n / insert_s, 1)},
                               {"update_per_s", fixed(n / update_s, 1)},
                               {"delete_per_s", fixed(n / delete_s, 1)},
                               {"commits", std::to_string(commits)},
                               {"commits_per_s", fixed(static_cast<double>(commits) / total, 1)}});
  return 0;
}
