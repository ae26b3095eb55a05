// The version of the zfleet library a program was linked with: the project
// version of the build that produced libzfleet.a, which can differ from
// the headers a consumer compiled against when an install was replaced.
#pragma once

#include <string_view>

namespace zfleet {

// "MAJOR.MINOR.PATCH", as in the top-level CMake project().
std::string_view library_version();

}  // namespace zfleet
