/* echo: returns its args unchanged. The smallest complete module, in C. */
#include "common/zfleet_module.h"

unsigned zfleet_module_abi_version(void) {
  return ZFLEET_MODULE_ABI_VERSION;
}

int zfleet_module_run(const unsigned char* args, size_t args_len, const zfleet_module_host* host) {
  /* args is already one msgpack object, so it is a valid result as is. */
  if (host->set_result(host->ctx, args, args_len) != 0) {
    host->set_error(host->ctx, "echo: args too large to return");
    return 1;
  }
  return 0;
}
