// zfleet-gen-vectors: writes schemas/vectors/v1.json from the C++ encoder, or
// with --check verifies the committed file is byte-for-byte current.
//   zfleet-gen-vectors PATH           write PATH
//   zfleet-gen-vectors --check PATH   exit 1 if PATH differs from the encoder's output
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "schemas/tools/vector_set.hpp"

int main(int argc, char** argv) {
  const std::string usage = "usage: zfleet-gen-vectors [--check] PATH\n";
  bool check = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--check") {
      check = true;
    } else if (path.empty() && !arg.starts_with("-")) {
      path = arg;
    } else {
      std::cerr << usage;
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << usage;
    return 2;
  }
  std::string problem;
  const auto text = zfleet::vectors::render(zfleet::vectors::golden_vectors(), problem);
  if (!text) {
    std::cerr << "zfleet-gen-vectors: inconsistent vector: " << problem << "\n";
    return 1;
  }
  if (check) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream current;
    current << in.rdbuf();
    if (!in || current.str() != *text) {
      std::cerr << "zfleet-gen-vectors: " << path
                << " is not current; regenerate it with: zfleet-gen-vectors " << path << "\n";
      return 1;
    }
    std::cout << path << " is current\n";
    return 0;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << *text;
  out.close();
  if (!out) {
    std::cerr << "zfleet-gen-vectors: cannot write " << path << "\n";
    return 1;
  }
  std::cout << "wrote " << path << "\n";
  return 0;
}
