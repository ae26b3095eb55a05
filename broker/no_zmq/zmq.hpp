// Placed first on the include path of zfleet_broker_core: the broker's core
// (state machine, journal, configuration) must not depend on ZeroMQ. Only
// broker/reactor.* and broker/event_publisher.* own sockets; reach them
// through broker/event_sink.hpp and common/received_message.hpp.
#error "zfleet_broker_core may not include zmq.hpp (see broker/CMakeLists.txt)"
