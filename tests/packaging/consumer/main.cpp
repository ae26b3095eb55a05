// zfleet-consumer: proves an installed zfleet client library links and works.
// Without arguments it prints the library's version and the size of an
// encoded SUBMIT (the codec, no socket). With a broker's clients endpoint it
// also pings the broker, submits one noop task and waits for its result.
// Exits 0 only if every step worked.
#include <iostream>
#include <string>

#include <common/client.hpp>
#include <common/event_subscriber.hpp>  // compiled only: every public header must build
#include <common/version.hpp>

int main(int argc, char** argv) {
  std::cout << "zfleet client library " << zfleet::library_version() << "\n";

  zfleet::msg::SubmitRequest request;
  request.req = 1;
  request.task.type = "noop";
  request.task.project = "packaging";
  const std::string body = zfleet::msg::encode(request);
  std::cout << "encoded SUBMIT: " << body.size() << " bytes\n";
  if (body.empty()) return 1;
  if (argc < 2) return 0;

  zfleet::Client::Options options;
  options.endpoint = argv[1];
  options.timeout = zfleet::Millis{5000};
  zfleet::Client client(options);
  const auto pong = client.ping();
  if (!pong) {
    std::cerr << "ping: " << zfleet::describe(pong.error()) << "\n";
    return 1;
  }
  std::cout << "broker version " << pong.value().version << "\n";

  const auto id = client.submit(request.task);
  if (!id) {
    std::cerr << "submit: " << zfleet::describe(id.error()) << "\n";
    return 1;
  }
  const auto view = client.result(id.value(), zfleet::Millis{10000});
  if (!view) {
    std::cerr << "result: " << zfleet::describe(view.error()) << "\n";
    return 1;
  }
  const auto state = view.value().state;
  std::cout << "task " << id.value() << " " << zfleet::msg::state_name(state) << "\n";
  return state == zfleet::msg::TaskState::kSucceeded ? 0 : 1;
}
