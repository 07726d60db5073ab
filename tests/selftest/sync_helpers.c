// SPDX-License-Identifier: GPL-2.0
/* This module's own copy of the C half of rust/sync/. */
#include "../../rust/sync/wait_helpers.c"
