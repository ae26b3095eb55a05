// The hash module through its C ABI: loaded with dlopen as the runner does,
// called with a host that records what the module hands back. Checks the
// FIPS 180-4 SHA-256 test vectors and FNV-1a 64 reference values. The
// module is found from this executable's path (see module_pool_test.cpp).
#include <dlfcn.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include "common/codec.hpp"
#include "common/zfleet_module.h"

namespace zfleet::worker {
namespace {

struct Recorded {
  std::string result;
  std::string error;
};

int record_result(void* ctx, const unsigned char* bytes, std::size_t len) {
  static_cast<Recorded*>(ctx)->result.assign(reinterpret_cast<const char*>(bytes), len);
  return 0;
}

int record_error(void* ctx, const char* message) {
  static_cast<Recorded*>(ctx)->error = message;
  return 0;
}

void ignore_progress(void*, int, const char*) {}

class HashModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto path = std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() /
                      "modules" / "hash.so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << ::dlerror();
    auto version = reinterpret_cast<zfleet_module_abi_version_fn>(
        ::dlsym(handle_, "zfleet_module_abi_version"));
    ASSERT_NE(version, nullptr);
    EXPECT_EQ(version(), ZFLEET_MODULE_ABI_VERSION);
    run_ = reinterpret_cast<zfleet_module_run_fn>(::dlsym(handle_, "zfleet_module_run"));
    ASSERT_NE(run_, nullptr);
  }
  void TearDown() override {
    if (handle_ != nullptr) ::dlclose(handle_);
  }

  // Returns the module's exit code; the result or error lands in `out`.
  int call(const std::string& args, Recorded& out) {
    const zfleet_module_host host{&out, record_result, record_error, ignore_progress};
    return run_(reinterpret_cast<const unsigned char*>(args.data()), args.size(), &host);
  }

  // The digest of `data` as a bin field, checking the rest of the result.
  std::string digest(std::string_view data, std::string_view algorithm = "sha256") {
    codec::MapWriter args;
    args.bin("data", data).str("algorithm", algorithm);
    Recorded out;
    EXPECT_EQ(call(args.finish(), out), 0) << out.error;
    const auto handle = msgpack::unpack(out.result.data(), out.result.size());
    codec::FieldReader r(handle.get());
    std::string name;
    std::string hex;
    std::uint64_t bytes = 0;
    r.bytes("algorithm", name, codec::Need::kRequired, 16);
    r.bytes("digest", hex, codec::Need::kRequired, 128);
    r.u64("bytes", bytes, codec::Need::kRequired);
    EXPECT_TRUE(r.ok()) << r.take_error().message;
    EXPECT_EQ(name, algorithm);
    EXPECT_EQ(bytes, data.size());
    return hex;
  }

  void* handle_ = nullptr;
  zfleet_module_run_fn run_ = nullptr;
};

TEST_F(HashModuleTest, Sha256MatchesFips180Vectors) {
  EXPECT_EQ(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
             "nopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(digest(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_F(HashModuleTest, Sha256HandlesEveryPaddingBoundary) {
  // 55, 56 and 64 bytes straddle the one- and two-block padding cases.
  EXPECT_EQ(digest(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(digest(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(digest(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_F(HashModuleTest, Fnv1a64MatchesReferenceValues) {
  EXPECT_EQ(digest("", "fnv1a64"), "cbf29ce484222325");
  EXPECT_EQ(digest("a", "fnv1a64"), "af63dc4c8601ec8c");
  EXPECT_EQ(digest("foobar", "fnv1a64"), "85944171f73967e8");
}

TEST_F(HashModuleTest, DefaultsToSha256AndAcceptsStrData) {
  codec::MapWriter args;
  args.str("data", "abc");
  Recorded out;
  ASSERT_EQ(call(args.finish(), out), 0) << out.error;
  EXPECT_NE(out.result.find("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            std::string::npos);
  EXPECT_NE(out.result.find("sha256"), std::string::npos);
}

TEST_F(HashModuleTest, RejectsBadArgs) {
  Recorded out;
  codec::MapWriter no_data;
  no_data.str("algorithm", "sha256");
  EXPECT_NE(call(no_data.finish(), out), 0);
  EXPECT_NE(out.error.find("\"data\""), std::string::npos) << out.error;

  codec::MapWriter bad_algorithm;
  bad_algorithm.str("data", "x").str("algorithm", "md5");
  EXPECT_NE(call(bad_algorithm.finish(), out), 0);
  EXPECT_NE(out.error.find("unknown algorithm"), std::string::npos) << out.error;

  const std::string truncated = "\x81\xa4";
  EXPECT_NE(call(truncated, out), 0);
  EXPECT_NE(out.error.find("bad args"), std::string::npos) << out.error;
}

}  // namespace
}  // namespace zfleet::worker
