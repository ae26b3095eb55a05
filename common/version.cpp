// ZFLEET_VERSION is a compile definition of this build only, so the string is
// fixed when the library is built, not when a consumer includes a header.
#include "common/version.hpp"

namespace zfleet {

std::string_view library_version() {
  return ZFLEET_VERSION;
}

}  // namespace zfleet
