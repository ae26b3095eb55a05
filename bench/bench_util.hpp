// Small utilities shared by the benchmark programs: a monotonic stopwatch,
// percentiles over latency samples and the one-line "key=value" result
// format that scripts/bench parses.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace zfleet::bench {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Nearest-rank percentile (p in 0..100) of `samples`; 0 when there are none.
inline double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0.0;
  std::sort(samples.begin(), samples.end());
  const double rank = p / 100.0 * static_cast<double>(samples.size());
  std::size_t index = rank <= 1.0 ? 0 : static_cast<std::size_t>(rank + 0.999999) - 1;
  index = std::min(index, samples.size() - 1);
  return samples[index];
}

inline std::string fixed(double value, int decimals = 2) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// Prints "RESULT name key=value ..." on stdout: one line per benchmark, the
// only line scripts/bench reads.
inline void print_result(const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string line = "RESULT " + name;
  for (const auto& [key, value] : fields)
    line += " " + key + "=" + value;
  std::puts(line.c_str());
  std::fflush(stdout);
}

}  // namespace zfleet::bench
