// Journal: what is committed comes back after reopening; what is only staged
// does not; a corrupt or newer-format file is refused with its name.
#include "broker/journal.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

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

}  // namespace
}  // namespace zfleet::broker
