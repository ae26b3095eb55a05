// Renders the golden vectors as JSON after checking each one against the C++
// decoder: a valid vector must decode (its re-encoding is recorded when it
// differs), an invalid one must fail with exactly the error it names.
#include <set>

#include "common/error_code.hpp"
#include "schemas/tools/message_table.hpp"
#include "schemas/tools/msgpack_json.hpp"
#include "schemas/tools/vector_set.hpp"

namespace zfleet::vectors {

std::vector<Vector> golden_vectors() {
  std::vector<Vector> out = valid_vectors();
  for (auto& v : invalid_vectors())
    out.push_back(std::move(v));
  return out;
}

std::optional<std::string> render(const std::vector<Vector>& vectors, std::string& problem) {
  Json out = Json::array();
  std::set<std::string> names;
  for (const auto& v : vectors) {
    if (!names.insert(v.name).second) {
      problem = v.name + ": duplicate name";
      return std::nullopt;
    }
    const RoundTrip rt = round_trip(v.command, v.direction, v.bytes);
    if (!rt.known) {
      problem = v.name + ": no message " + v.command + " in direction " + v.direction;
      return std::nullopt;
    }
    Json item;
    item["name"] = v.name;
    item["command"] = v.command;
    item["direction"] = v.direction;
    item["description"] = v.description;
    item["body_hex"] = to_hex(v.bytes);
    if (v.expect_error) {
      if (!rt.error) {
        problem = v.name + ": decoded, but should fail with " + *v.expect_error;
        return std::nullopt;
      }
      const std::string_view got = error_name(rt.error->code);
      if (got != *v.expect_error) {
        problem = v.name + ": failed with " + std::string(got) + " (" + rt.error->message +
                  "), expected " + *v.expect_error;
        return std::nullopt;
      }
    } else {
      if (rt.error) {
        problem = v.name + ": does not decode: " + rt.error->message;
        return std::nullopt;
      }
      if (rt.reencoded != v.bytes) item["canonical_hex"] = to_hex(rt.reencoded);
    }
    // null: the bytes are not one complete msgpack value.
    item["body"] = bytes_to_json(v.bytes).value_or(Json(nullptr));
    if (v.expect_error) item["expect_error"] = *v.expect_error;
    out.push_back(std::move(item));
  }
  return out.dump(2) + "\n";
}

}  // namespace zfleet::vectors
