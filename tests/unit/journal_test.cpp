// Journal: what is committed comes back after reopening; what is only staged
// does not; a corrupt or newer-format file is refused with its name; a file
// of format 1 loads and is upgraded in place.
#include "broker/journal.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>

namespace zfleet::broker {
namespace {

class JournalFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zfleet-journal-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/journal.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<Task> load_tasks() {
    std::vector<Task> tasks;
    Journal j(path_, Journal::Sync::kNormal);
    j.load([&](Task&& t) { tasks.push_back(std::move(t)); }, [](ProjectSettings&&) {});
    return tasks;
  }

  std::string dir_;
  std::string path_;
};

Task sample(std::uint64_t id) {
  Task t;
  t.id = id;
  t.spec.argv = {"/bin/echo", std::to_string(id)};
  t.spec.project = "p";
  t.spec.priority = 7;
  t.spec.idempotency_key = "key-" + std::to_string(id);
  t.spec.retry.max_attempts = 4;
  t.state = msg::TaskState::kScheduled;
  t.attempts = 2;
  t.retry_base = 1;
  t.submitted_at_ms = 1000;
  t.not_before_ms = 5000;
  t.worker_name = "w1";
  msg::Outcome o;
  o.exit_code = 3;
  o.stdout_tail = "out";
  t.outcome = o;
  return t;
}

TEST_F(JournalFile, CommittedTasksAndProjectsComeBack) {
  {
    Journal j(path_, Journal::Sync::kFull);
    j.put(sample(1));
    j.put(sample(2));
    j.remove(2);
    ProjectSettings p;
    p.name = "p";
    p.limit = 3;
    p.policy.retry_on = {"exit"};
    j.put_project(p);
    j.commit();
  }
  std::vector<Task> tasks;
  std::vector<ProjectSettings> projects;
  Journal j(path_, Journal::Sync::kNormal);
  j.load([&](Task&& t) { tasks.push_back(std::move(t)); },
         [&](ProjectSettings&& p) { projects.push_back(std::move(p)); });
  ASSERT_EQ(tasks.size(), 1u);
  const Task& t = tasks[0];
  EXPECT_EQ(t.id, 1u);
  EXPECT_EQ(t.state, msg::TaskState::kScheduled);
  EXPECT_EQ(t.attempts, 2u);
  EXPECT_EQ(t.retry_base, 1u);
  EXPECT_EQ(t.spec.argv, (std::vector<std::string>{"/bin/echo", "1"}));
  EXPECT_EQ(t.spec.priority, 7u);
  EXPECT_EQ(t.spec.idempotency_key, "key-1");
  EXPECT_EQ(t.spec.retry.max_attempts, 4u);
  EXPECT_EQ(t.not_before_ms, 5000);
  EXPECT_EQ(t.worker_name, "w1");
  ASSERT_TRUE(t.outcome);
  EXPECT_EQ(t.outcome->exit_code, 3);
  EXPECT_EQ(t.outcome->stdout_tail, "out");
  ASSERT_EQ(projects.size(), 1u);
  EXPECT_EQ(projects[0].limit, 3u);
  EXPECT_EQ(projects[0].policy.retry_on, std::vector<std::string>{"exit"});
}

TEST_F(JournalFile, UncommittedWritesAreNotDurable) {
  {
    Journal j(path_, Journal::Sync::kFull);
    j.put(sample(1));
    j.commit();
    j.put(sample(2));  // never committed: the process "dies" here
  }
  EXPECT_EQ(load_tasks().size(), 1u);
}

TEST_F(JournalFile, GarbageFileIsRefusedWithItsName) {
  {
    std::ofstream out(path_);
    out << std::string(8192, 'x');
  }
  try {
    Journal j(path_, Journal::Sync::kFull);
    FAIL() << "a garbage journal was accepted";
  } catch (const JournalError& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
  }
  // Never silently replaced.
  EXPECT_EQ(std::filesystem::file_size(path_), 8192u);
}

TEST_F(JournalFile, CorruptPagesAreRefused) {
  {
    Journal j(path_, Journal::Sync::kFull);
    for (std::uint64_t id = 1; id <= 200; ++id)
      j.put(sample(id));
    j.commit();
  }
  // Fold the WAL into the main file, then damage a page past the header.
  { Journal j(path_, Journal::Sync::kFull); }
  std::filesystem::remove(path_ + "-wal");
  std::filesystem::remove(path_ + "-shm");
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);  // page 2 from its header on: an invalid b-tree page
    const std::string junk(8192, '\xa5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  EXPECT_THROW(load_tasks(), JournalError);
}

TEST_F(JournalFile, NewerFormatIsRefused) {
  { Journal j(path_, Journal::Sync::kFull); }
  {
    // Stamp a future format version with a plain SQLite statement.
    Journal j(path_, Journal::Sync::kFull);
  }
  const std::string cmd = "/usr/bin/env python3 -c \"import sqlite3; c=sqlite3.connect('" + path_ +
                          "'); c.execute('PRAGMA user_version=99'); c.commit()\"";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "python3 with sqlite3 is not available";
  try {
    Journal j(path_, Journal::Sync::kFull);
    FAIL() << "a newer journal was accepted";
  } catch (const JournalError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// A journal as a broker of format 1 left it: its tables, and a finished task
// whose blobs are the bytes msg::encode_spec / encode_outcome wrote then.
TEST_F(JournalFile, AFormat1JournalLoadsAndIsUpgraded) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const char* schema = R"sql(
CREATE TABLE tasks (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, attempts INTEGER NOT NULL,
  retry_base INTEGER NOT NULL, project TEXT NOT NULL, priority INTEGER NOT NULL, spec BLOB NOT NULL,
  submitted_at_ms INTEGER NOT NULL, started_at_ms INTEGER NOT NULL, finished_at_ms INTEGER NOT NULL,
  not_before_ms INTEGER NOT NULL, worker TEXT NOT NULL, outcome BLOB);
CREATE TABLE projects (name TEXT PRIMARY KEY, lim INTEGER NOT NULL, policy BLOB NOT NULL);
PRAGMA user_version=1;
)sql";
    ASSERT_EQ(sqlite3_exec(db, schema, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    const std::string spec = unhex(
        "84a474797065a57368656c6ca770726f6a656374a170a87072696f7269747905a46172677691a92f62696e2f"
        "74727565");
    const std::string outcome = unhex(
        "8ba9657869745f636f646500a974696d65645f6f7574c2a67374646f7574c40161a6737464657272c400ac73"
        "74646f75745f627974657302ac7374646572725f627974657300ad737461727465645f61745f6d73cd044cae"
        "66696e69736865645f61745f6d73cd04b0ab757365725f6370755f6d7300aa7379735f6370755f6d7300aa6d"
        "61785f7273735f6b6200");
    const std::string policy = unhex(
        "85a474797065a57368656c6ca770726f6a656374a764656661756c74a87072696f7269747905a46172677691"
        "a12da5726574727983ac6d61785f617474656d70747302aa6261636b6f66665f6d73cd01f4a872657472795f"
        "6f6e92a465786974a67369676e616c");
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO tasks VALUES (5, 2, 1, 0, 'p', 5, ?, 1000, 1100, "
                                 "1200, 0, 'w1', ?)",
                                 -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(s, 1, spec.data(), static_cast<int>(spec.size()), SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, outcome.data(), static_cast<int>(outcome.size()), SQLITE_STATIC);
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO projects VALUES ('p', 2, ?)", -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(s, 1, policy.data(), static_cast<int>(policy.size()), SQLITE_STATIC);
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  std::vector<Task> tasks;
  std::vector<ProjectSettings> projects;
  {
    Journal j(path_, Journal::Sync::kFull);
    j.load([&](Task&& t) { tasks.push_back(std::move(t)); },
           [&](ProjectSettings&& p) { projects.push_back(std::move(p)); });
    ASSERT_EQ(tasks.size(), 1u);
    Task& t = tasks[0];
    EXPECT_EQ(t.id, 5u);
    EXPECT_EQ(t.state, msg::TaskState::kSucceeded);
    EXPECT_EQ(t.spec.argv, std::vector<std::string>{"/bin/true"});
    EXPECT_EQ(t.finished_at_ms, 1200);
    EXPECT_EQ(t.ended_at_ms, 0);  // format 1 did not record it
    EXPECT_EQ(t.worker_name, "w1");
    ASSERT_TRUE(t.outcome);
    EXPECT_EQ(t.outcome->exit_code, 0);
    EXPECT_EQ(t.outcome->stdout_tail, "a");
    EXPECT_EQ(t.outcome->finished_at_ms, 1200);
    ASSERT_EQ(projects.size(), 1u);
    EXPECT_EQ(projects[0].limit, 2u);
    EXPECT_EQ(projects[0].policy.max_attempts, 2u);
    // Written back in today's format, in the upgraded file.
    t.ended_at_ms = 7777;
    j.put(t);
    j.commit();
  }
  tasks.clear();
  tasks = load_tasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].ended_at_ms, 7777);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), kJournalFormatVersion);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

}  // namespace
}  // namespace zfleet::broker
