/* greet.c: a module built outside the tree against the installed ABI header
 * (zfleet::module). Whatever its args, its result is the msgpack string
 * "hello from greet", so a test can tell it from the installed echo module. */
#include "zfleet_module.h"

unsigned zfleet_module_abi_version(void) {
  return ZFLEET_MODULE_ABI_VERSION;
}

int zfleet_module_run(const unsigned char* args, size_t args_len, const zfleet_module_host* host) {
  (void)args;
  (void)args_len;
  /* fixstr of 16 bytes: 0xa0 | 16 */
  static const unsigned char result[] = "\xb0hello from greet";
  return host->set_result(host->ctx, result, sizeof result - 1) == 0 ? 0 : 1;
}
