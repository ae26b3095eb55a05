// See zmq.hpp next to this file: the broker core is socket-free.
#error "zfleet_broker_core may not include zmq.h (see broker/CMakeLists.txt)"
