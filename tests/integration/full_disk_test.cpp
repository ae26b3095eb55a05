// The broker on a journal disk that fills up, with the real binaries: the
// data directory is a 2 MiB tmpfs in a mount namespace of this test's own
// (so it vanishes with the test). While the disk is full the broker stays
// up, refuses changes with STORAGE_FULL naming its journal, answers reads,
// lets a running task finish; once space returns it resumes by itself and
// every acknowledged task has run exactly once. Needs root (mount).
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/eventually.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using test_support::eventually;
using test_support::LocalFleet;
using namespace std::chrono_literals;

std::uint64_t counter(Client& client, const std::string& name) {
  auto stats = client.stats();
  if (!stats) return ~0ULL;
  for (const auto& [key, value] : stats.value())
    if (key == name) return value;
  return ~0ULL;
}

// Writes until the file system says it is full; true when it did.
bool fill(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  const std::string block(64 * 1024, 'x');
  for (int i = 0; i < 1024 && out; ++i) {
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    out.flush();
  }
  return !out;
}

// A tmpfs mounted on a fresh directory, unmounted and removed on exit.
class TinyDisk {
 public:
  bool mount(std::string& why) {
    std::string pattern = (std::filesystem::temp_directory_path() / "zfleet-disk-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return fail(why, "mkdtemp");
    path_ = pattern;
    // A private mount namespace for this test process (and the broker it
    // starts): nothing leaks into the host's mount table, even on a crash.
    if (::unshare(CLONE_NEWNS) != 0) return fail(why, "unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return fail(why, "make / private");
    if (::mount("zfleet-test", path_.c_str(), "tmpfs", 0, "size=2m,mode=0755") != 0)
      return fail(why, "mount -t tmpfs -o size=2m");
    mounted_ = true;
    return true;
  }
  ~TinyDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  static bool fail(std::string& why, const char* what) {
    why = std::string(what) + ": " + std::strerror(errno);
    return false;
  }
  std::string path_;
  bool mounted_ = false;
};

TEST(FullDisk, BrokerStaysUpRefusesChangesAndResumesWithoutLosingOrRepeatingTasks) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs for the journal";
  TinyDisk disk;
  std::string why;
  if (!disk.mount(why)) GTEST_SKIP() << "cannot mount a tmpfs here: " << why;
  const std::string data = disk.path() + "/data";
  LocalFleet fleet({"--heartbeat-ms", "200"}, data);
  fleet.add_worker("w1", 2);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  Client& client = fleet.client();

  // Every task the broker acknowledged, checked at the end: succeeded, in
  // one attempt.
  std::map<std::uint64_t, std::string> acknowledged;  // id -> idempotency key
  auto submit = [&](const std::string& key, std::vector<std::string> argv) {
    msg::TaskSpec spec;
    spec.argv = std::move(argv);
    spec.idempotency_key = key;
    return client.submit(spec);
  };
  auto running = submit("long", {"/bin/sh", "-c", "sleep 1.5; echo long-done"});
  ASSERT_TRUE(running.ok());
  acknowledged[running.value()] = "long";
  ASSERT_TRUE(eventually(
      [&] {
        auto s = client.status(running.value());
        return s.ok() && s.value().state == msg::TaskState::kRunning;
      },
      10s));

  ASSERT_TRUE(fill(disk.path() + "/filler")) << "the tmpfs did not fill up";
  // Submits now fail: at once with STORAGE_FULL or, for the one whose turn
  // first hit the full disk, by a reply held until the journal recovers.
  // Tasks keep small so that the journal's free pages do not absorb them.
  std::string refusal;
  std::vector<std::string> unanswered;
  const std::string padding(8 * 1024, 'p');
  for (int i = 0; i < 400 && refusal.empty(); ++i) {
    const std::string key = "fill-" + std::to_string(i);
    auto r = submit(key, {"/bin/echo", "task", key, padding});
    if (r.ok()) {
      acknowledged[r.value()] = key;
    } else if (r.error().kind == ClientError::Kind::kBroker &&
               r.error().code == ErrorCode::kStorageFull) {
      refusal = r.error().message;
    } else {
      unanswered.push_back(key);
    }
  }
  ASSERT_FALSE(refusal.empty()) << "no STORAGE_FULL after filling the disk\n" << fleet.logs();
  EXPECT_NE(refusal.find(data), std::string::npos) << "the refusal names the journal: " << refusal;
  EXPECT_EQ(counter(client, "storage_degraded"), 1u);

  // Reads are answered while the disk is full, and the leased task ends.
  ASSERT_TRUE(fleet.broker().running()) << fleet.logs();
  EXPECT_TRUE(client.workers().ok());
  EXPECT_TRUE(eventually(
      [&] {
        auto s = client.status(running.value());
        return s.ok() && s.value().state == msg::TaskState::kSucceeded;
      },
      10s))
      << fleet.logs();

  // Space returns: the broker notices by itself and takes work again.
  std::filesystem::remove(disk.path() + "/filler");
  ASSERT_TRUE(eventually([&] { return counter(client, "storage_degraded") == 0; }, 20s))
      << fleet.logs();
  ASSERT_TRUE(fleet.broker().running()) << fleet.logs();
  for (const auto& key : unanswered) {
    // The same key again: the task of a held reply, or a new one if that
    // send never reached the journal. Either way it is one task.
    auto r = submit(key, {"/bin/echo", "task", key, padding});
    ASSERT_TRUE(r.ok()) << key << ": " << r.error().message;
    acknowledged[r.value()] = key;
  }
  auto after = submit("after", {"/bin/echo", "after"});
  ASSERT_TRUE(after.ok()) << after.error().message;
  acknowledged[after.value()] = "after";

  for (const auto& [id, key] : acknowledged) {
    auto r = client.result(id, 20s);
    ASSERT_TRUE(r.ok()) << key << ": " << r.error().message << fleet.logs();
    EXPECT_EQ(r.value().state, msg::TaskState::kSucceeded) << key;
    EXPECT_EQ(r.value().attempts, 1u) << key << " ran more than once";
  }
  // One log line when writes failed, one when they resumed, not one per retry.
  const std::string log = fleet.broker().log_tail(1 << 20);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("refusing changes with STORAGE_FULL"), 1u) << log;
  EXPECT_EQ(count("writable again"), 1u) << log;
  EXPECT_GE(counter(client, "journal_write_failures"), 1u);
}

}  // namespace
}  // namespace zfleet
