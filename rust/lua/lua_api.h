/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Lua C API as luasync uses it, for bindgen: the headers of the Lua in
 * use (Lunatik's kernel port of Lua 5.5 in the module, a userspace Lua 5.5 in
 * the test build), so that lua_Integer's width and the constants are facts
 * read from that Lua's configuration.
 */
#include <lua.h>
#include <lauxlib.h>
