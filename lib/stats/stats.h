/* SPDX-License-Identifier: MIT */
/*
 * stats.h - the statistics views, the top of the library: they read every
 * layer below. The API is pga_stats_print() (pgalloc.h); printing at exit
 * (stats_print=1) is set up by the views themselves, as a client of the
 * page allocator (client.h).
 */
#ifndef PGA_STATS_H
#define PGA_STATS_H

#include "pgalloc.h"

#endif /* PGA_STATS_H */
