// zmq_roundtrip_bench: the transport baseline. A DEALER and a ROUTER on TCP
// loopback in one process (the ROUTER echoes from its own thread) exchange
// three-frame messages shaped like protocol v1 ones; reports strict
// ping-pong round trips per second and a pipelined rate with a window.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "bench/bench_util.hpp"

namespace {

constexpr std::string_view kStop = "STOP";

// Echoes every message back to its sender until a one-frame STOP arrives.
void echo_loop(zmq::socket_t& router) {
  std::vector<zmq::message_t> parts;
  for (;;) {
    parts.clear();
    const auto received = zmq::recv_multipart(router, std::back_inserter(parts));
    if (!received) continue;
    if (parts.size() == 2 && parts[1].to_string_view() == kStop) return;
    zmq::send_multipart(router, parts);
  }
}

void send_request(zmq::socket_t& dealer, const std::string& body) {
  std::vector<zmq::const_buffer> frames{zmq::str_buffer("zfleet/1"), zmq::str_buffer("PING"),
                                        zmq::buffer(body)};
  zmq::send_multipart(dealer, frames);
}

void receive_reply(zmq::socket_t& dealer, std::vector<zmq::message_t>& parts) {
  parts.clear();
  (void)zmq::recv_multipart(dealer, std::back_inserter(parts));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"DEALER/ROUTER round trips on TCP loopback"};
  long count = 20000;
  long window = 100;
  std::size_t body_bytes = 32;
  app.add_option("-n,--count", count, "messages per phase")->check(CLI::PositiveNumber);
  app.add_option("-w,--window", window, "messages in flight in the pipelined phase")
      ->check(CLI::PositiveNumber);
  app.add_option("--body-bytes", body_bytes, "bytes in the body frame");
  CLI11_PARSE(app, argc, argv);

  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind("tcp://127.0.0.1:*");
  const std::string endpoint = router.get(zmq::sockopt::last_endpoint);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  std::thread echo([&router] { echo_loop(router); });

  const std::string body(body_bytes, 'x');
  std::vector<zmq::message_t> parts;
  // Warm-up: the connection is up once one round trip completes.
  send_request(dealer, body);
  receive_reply(dealer, parts);

  std::vector<double> rtt_us;
  rtt_us.reserve(static_cast<std::size_t>(count));
  zfleet::bench::Stopwatch ping_pong;
  for (long i = 0; i < count; ++i) {
    zfleet::bench::Stopwatch one;
    send_request(dealer, body);
    receive_reply(dealer, parts);
    rtt_us.push_back(one.seconds() * 1e6);
  }
  const double ping_pong_s = ping_pong.seconds();

  zfleet::bench::Stopwatch pipelined;
  long sent = 0;
  long received = 0;
  while (received < count) {
    while (sent < count && sent - received < window) {
      send_request(dealer, body);
      ++sent;
    }
    receive_reply(dealer, parts);
    ++received;
  }
  const double pipelined_s = pipelined.seconds();

  dealer.send(zmq::str_buffer("STOP"), zmq::send_flags::none);
  echo.join();

  const double rtt_rate = static_cast<double>(count) / ping_pong_s;
  const double pipelined_rate = static_cast<double>(count) / pipelined_s;
  const double p50 = zfleet::bench::percentile(rtt_us, 50);
  const double p99 = zfleet::bench::percentile(rtt_us, 99);
  std::fprintf(stderr,
               "zmq DEALER/ROUTER tcp loopback: %.0f round trips/s (p50 %.1f us, p99 %.1f us), "
               "%.0f msgs/s with %ld in flight\n",
               rtt_rate, p50, p99, pipelined_rate, window);
  zfleet::bench::print_result("zmq_roundtrip",
                              {{"count", std::to_string(count)},
                               {"rtt_per_s", zfleet::bench::fixed(rtt_rate, 1)},
                               {"rtt_p50_us", zfleet::bench::fixed(p50, 1)},
                               {"rtt_p99_us", zfleet::bench::fixed(p99, 1)},
                               {"window", std::to_string(window)},
                               {"pipelined_per_s", zfleet::bench::fixed(pipelined_rate, 1)}});
  return 0;
}
