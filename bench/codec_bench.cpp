// codec_bench: Google Benchmark micro-benchmarks of the protocol v1 codec on
// the hot path (a SUBMIT body and a final RESULT_REPLY body).
#include <benchmark/benchmark.h>

#include "common/messages.hpp"

namespace {

zfleet::msg::SubmitRequest sample_submit() {
  zfleet::msg::SubmitRequest request;
  request.req = 42;
  request.task.project = "bench";
  request.task.priority = 7;
  request.task.argv = {"/usr/bin/env", "python3", "-c", "print('hello')"};
  request.task.env = {{"LANG", "C.UTF-8"}, {"JOB", "nightly"}};
  return request;
}

zfleet::msg::TaskReply sample_result() {
  zfleet::msg::TaskReply reply;
  reply.req = 43;
  reply.task.id = 123456;
  reply.task.type = "shell";
  reply.task.project = "bench";
  reply.task.state = zfleet::msg::TaskState::kSucceeded;
  reply.task.attempts = 1;
  reply.task.worker = "worker-1";
  reply.task.submitted_at_ms = 1'700'000'000'000;
  zfleet::msg::Outcome outcome;
  outcome.exit_code = 0;
  outcome.stdout_tail = std::string(200, 'o');
  outcome.stdout_bytes = 200;
  reply.task.outcome = outcome;
  return reply;
}

void BM_EncodeSubmit(benchmark::State& state) {
  const auto request = sample_submit();
  for (auto _ : state)
    benchmark::DoNotOptimize(zfleet::msg::encode(request));
}
BENCHMARK(BM_EncodeSubmit);

void BM_DecodeSubmit(benchmark::State& state) {
  const std::string bytes = zfleet::msg::encode(sample_submit());
  for (auto _ : state) {
    zfleet::msg::SubmitRequest out;
    benchmark::DoNotOptimize(zfleet::msg::decode_bytes(bytes, out));
  }
}
BENCHMARK(BM_DecodeSubmit);

void BM_EncodeResult(benchmark::State& state) {
  const auto reply = sample_result();
  for (auto _ : state)
    benchmark::DoNotOptimize(zfleet::msg::encode(reply));
}
BENCHMARK(BM_EncodeResult);

void BM_DecodeResult(benchmark::State& state) {
  const std::string bytes = zfleet::msg::encode(sample_result());
  for (auto _ : state) {
    zfleet::msg::TaskReply out;
    benchmark::DoNotOptimize(zfleet::msg::decode_bytes(bytes, out));
  }
}
BENCHMARK(BM_DecodeResult);

}  // namespace

BENCHMARK_MAIN();
