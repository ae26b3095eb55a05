// The golden vectors of protocol v1: every message type of common/messages.hpp
// as the C++ encoder writes it, a few valid but non-canonical bodies (unknown
// keys, nil values, omitted defaults) and invalid bodies with the error the
// decoder must report. render() turns the set into schemas/vectors/v1.json.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace zfleet::vectors {

struct Vector {
  std::string name;
  std::string command;
  std::string direction;  // "client->broker", "broker->client", ...
  std::string bytes;      // the body frame
  std::string description;
  std::optional<std::string> expect_error;  // an error name: the body is invalid
};

std::vector<Vector> valid_vectors();    // valid_vectors.cpp
std::vector<Vector> invalid_vectors();  // invalid_vectors.cpp
std::vector<Vector> golden_vectors();   // both, valid ones first

// The JSON text of `vectors` (checks each one against the C++ decoder first).
// On an inconsistency returns nullopt and describes it in `problem`.
std::optional<std::string> render(const std::vector<Vector>& vectors, std::string& problem);

}  // namespace zfleet::vectors
