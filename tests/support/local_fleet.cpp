// LocalFleet; see local_fleet.hpp.
#include "tests/support/local_fleet.hpp"

#include <sys/stat.h>

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "tests/support/eventually.hpp"

namespace zfleet::test_support {

namespace {

ProcessOptions logging_to(const std::string& path) {
  ProcessOptions options;
  options.log_file = path;
  return options;
}

}  // namespace

LocalFleet::LocalFleet(std::vector<std::string> broker_args, std::string data_dir)
    : broker_args_(std::move(broker_args)), data_dir_(std::move(data_dir)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "zfleet-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  if (data_dir_.empty()) data_dir_ = dir_ + "/data";
  // Sandboxed tasks run as other uids and must reach their directories below.
  ::chmod(dir_.c_str(), 0711);
  start_broker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  client_ = std::make_unique<Client>(Client::Options{endpoints_.clients, Millis{5000}});
}

void LocalFleet::start_broker(const std::string& clients, const std::string& workers) {
  std::filesystem::remove(dir_ + "/ready");
  std::vector<std::string> args = {
      "--clients",     clients,      "--workers", workers,    "--ready-file",
      dir_ + "/ready", "--data-dir", data_dir_,   "--events", "tcp://127.0.0.1:*"};
  args.insert(args.end(), broker_args_.begin(), broker_args_.end());
  broker_ = FleetProcess::start(ZFLEET_BROKER_BIN, args, logging_to(dir_ + "/broker.log"));
  auto ready = read_ready_file(dir_ + "/ready", std::chrono::seconds(10));
  if (!ready) throw std::runtime_error("broker did not start: " + broker_.log_tail());
  endpoints_ = *ready;
}

void LocalFleet::restart_broker() {
  broker_.kill();
  start_broker(endpoints_.clients, endpoints_.workers);
}

LocalFleet::~LocalFleet() {
  client_.reset();
  for (auto& w : workers_)
    w.kill();
  broker_.kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::size_t LocalFleet::add_worker(const std::string& id, unsigned slots,
                                   std::vector<std::string> extra_args) {
  std::vector<std::string> args = {
      "--broker",      endpoints_.workers,    "--id",       id,
      "--slots",       std::to_string(slots), "--work-dir", dir_ + "/work-" + id,
      "--modules-dir", ZFLEET_MODULES_DIR};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  workers_.push_back(
      FleetProcess::start(ZFLEET_WORKER_BIN, args, logging_to(dir_ + "/worker-" + id + ".log")));
  return workers_.size() - 1;
}

bool LocalFleet::await_workers(std::size_t count, std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        auto w = client_->workers();
        return w.ok() && w.value().size() == count;
      },
      timeout, std::chrono::milliseconds{50});
}

std::string LocalFleet::logs() {
  std::string out = "--- broker log:\n" + broker_.log_tail();
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    out += "\n--- worker " + std::to_string(i) + " log:\n" + workers_[i].log_tail();
  }
  return out;
}

}  // namespace zfleet::test_support
