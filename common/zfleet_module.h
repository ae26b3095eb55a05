/* The C ABI between zfleet and a module: a shared library that serves
 * "module" tasks inside a long-lived zfleet-module-runner process. Plain C so
 * a module can be written in C, C++ or anything that exports C symbols.
 *
 * A module exports:
 *   unsigned zfleet_module_abi_version(void);   must return ZFLEET_MODULE_ABI_VERSION
 *   int zfleet_module_run(const unsigned char* args, size_t args_len,
 *                         const zfleet_module_host* host);
 * and optionally:
 *   int zfleet_module_init(void);   called once after loading; non-zero refuses the load
 *
 * `args` is one msgpack object (the task's args). zfleet_module_run returns
 * 0 on success and non-zero on failure. Before returning it may hand over a
 * result (one msgpack object, at most ZFLEET_MODULE_MAX_RESULT bytes) with
 * host->set_result, an error message (at most ZFLEET_MODULE_MAX_ERROR bytes,
 * longer ones are cut) with host->set_error, and report progress any number
 * of times. The host callbacks are valid only during the call. A runner
 * serves one task at a time, many tasks over its life, so a module must not
 * leak per-task state; it must not let a C++ exception escape.
 *
 * Bump ZFLEET_MODULE_ABI_VERSION whenever a signature or a struct below
 * changes; the runner refuses a module built for another version. */
#ifndef ZFLEET_MODULE_H
#define ZFLEET_MODULE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZFLEET_MODULE_ABI_VERSION 1u

/* Bytes: the largest args and result a runner accepts, the longest error. */
#define ZFLEET_MODULE_MAX_ARGS (16u * 1024u * 1024u)
#define ZFLEET_MODULE_MAX_RESULT (16u * 1024u * 1024u)
#define ZFLEET_MODULE_MAX_ERROR 4096u

typedef struct zfleet_module_host {
  void* ctx; /* pass back as the first argument of every callback */
  /* Copies the result; 0, or -1 when it is too large or not one msgpack
   * object. A later call replaces an earlier one. */
  int (*set_result)(void* ctx, const unsigned char* msgpack, size_t len);
  /* Copies the message (NUL-terminated); 0 on success. */
  int (*set_error)(void* ctx, const char* message);
  /* percent 0..100 (clamped); message may be NULL. Sent to the worker at once. */
  void (*progress)(void* ctx, int percent, const char* message);
} zfleet_module_host;

/* Marks the exports, so a module can build with -fvisibility=hidden. */
#if defined(__GNUC__)
#define ZFLEET_MODULE_EXPORT __attribute__((visibility("default")))
#else
#define ZFLEET_MODULE_EXPORT
#endif

/* Declared here so a module's definitions are checked against the ABI. */
ZFLEET_MODULE_EXPORT unsigned zfleet_module_abi_version(void);
ZFLEET_MODULE_EXPORT int zfleet_module_init(void);
ZFLEET_MODULE_EXPORT int zfleet_module_run(const unsigned char* args, size_t args_len,
                                           const zfleet_module_host* host);

/* How the runner sees them after dlsym. */
typedef unsigned (*zfleet_module_abi_version_fn)(void);
typedef int (*zfleet_module_init_fn)(void);
typedef int (*zfleet_module_run_fn)(const unsigned char* args, size_t args_len,
                                    const zfleet_module_host* host);

#ifdef __cplusplus
}
#endif

#endif /* ZFLEET_MODULE_H */
