// SPDX-License-Identifier: GPL-2.0
/*
 * Exports of luasync.ko that Rust cannot write in 6.12: Lunatik's require
 * finds a C library with __symbol_get("luaopen_<name>"), so the openers
 * (defined in Rust, rust/classes/) must be exported symbols.
 */
#include <linux/export.h>
#include <linux/module.h>

#include "luasync_port.h"

EXPORT_SYMBOL_GPL(luaopen_completion);
EXPORT_SYMBOL_GPL(luaopen_mutex);
EXPORT_SYMBOL_GPL(luaopen_semaphore);
