// Broker: events for subscribers. The broker reports the lifecycle it decides
// (submitted, started, retrying, requeued, cancelled, finished) and relays
// what workers report, under "task.<id>.<kind>" and "worker.<id>.<kind>".
// Bodies are encoded only for topics someone subscribed to, and queued like
// replies: they leave after the turn's commit (see broker.hpp).
#include "broker/broker.hpp"

namespace zfleet::broker {

void Broker::emit_task_event(const Task& task, msg::Event event) {
  std::string topic = "task." + std::to_string(task.id) + "." + event.kind;
  if (!wants_event(topic)) return;
  event.task_id = task.id;
  if (event.attempt == 0) event.attempt = task.attempts;
  event.project = task.spec.project;
  if (event.worker.empty() && task.attempts > 0) event.worker = task.worker_name;
  if (event.at_ms == 0) event.at_ms = clock_.wall_ms();
  events_.push_back({std::move(topic), msg::encode(event)});
}

void Broker::emit_worker_event(const WorkerRecord& w, msg::Event event) {
  std::string topic = "worker." + w.name + "." + event.kind;
  if (!wants_event(topic)) return;
  event.task_id = 0;
  event.attempt = 0;
  event.project.clear();
  event.worker = w.name;
  if (event.at_ms == 0) event.at_ms = clock_.wall_ms();
  events_.push_back({std::move(topic), msg::encode(event)});
}

}  // namespace zfleet::broker
