// zfleetctl's human renderings of durations, timestamps, sizes and signals.
#include <gtest/gtest.h>

#include <csignal>

#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {
namespace {

TEST(CtlUnits, DurationPicksTheUnitByMagnitude) {
  EXPECT_EQ(format_duration_ms(0), "0 ms");
  EXPECT_EQ(format_duration_ms(999), "999 ms");
  EXPECT_EQ(format_duration_ms(1234), "1.23 s");
  EXPECT_EQ(format_duration_ms(123'000), "2m03s");
  EXPECT_EQ(format_duration_ms(3'720'000), "1h02m");
  EXPECT_EQ(format_duration_ms(3ULL * 86'400'000 + 4 * 3'600'000), "3d04h");
}

TEST(CtlUnits, TimestampIsUtcIsoWithMillis) {
  EXPECT_EQ(format_timestamp_ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_timestamp_ms(5), "1970-01-01T00:00:00.005Z");
}

TEST(CtlUnits, ZeroTimestampMeansNotYet) {
  EXPECT_EQ(format_timestamp_ms(0), "-");
}

TEST(CtlUnits, BytesUseBinaryUnits) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(12ULL * 1024 * 1024 + 300 * 1024), "12 MiB");
  EXPECT_EQ(format_bytes(3ULL << 30), "3.0 GiB");
}

TEST(CtlUnits, RateIsDashWhenUnknown) {
  EXPECT_EQ(format_rate(0.0), "-");
  EXPECT_EQ(format_rate(12.34), "12.3/s");
  EXPECT_EQ(format_rate(1234.4), "1234/s");
}

TEST(CtlUnits, SignalNamesCommonOnesAndNumbersTheRest) {
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(77), "SIG77");
}

}  // namespace
}  // namespace zfleet::ctl
