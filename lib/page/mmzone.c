// SPDX-License-Identifier: MIT
/*
 * mmzone.c - the page allocator's global state (mmzone.h), in a module of
 * its own so that every part of the page allocator can use it without
 * depending on the start-up code that fills it in (init.c).
 */
#include "mmzone.h"

struct pga_mem pga_mem;
_Atomic int pga_initialized;
