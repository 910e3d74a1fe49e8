/* SPDX-License-Identifier: MIT */
/*
 * trace.h - USDT probes (systemtap's <sys/sdt.h>), named after the kernel's
 * tracepoints, for bpftrace, perf and systemtap (docs/tracing.md):
 *
 *   PGA_TRACE(mm_page_alloc, addr, order, gfp, migratetype);
 *
 * A probe is one nop in the code and a note in .note.stapsdt naming the
 * provider (pgalloc), the probe and where its arguments are; a tracer that
 * attaches turns the nop into a breakpoint. Nothing is evaluated that the
 * arguments do not already need, so no probe sits on malloc's and free's
 * inline paths, where even the nop would count (scripts/callgrind-malloc);
 * they mark the paths out of line. Without <sys/sdt.h> (or with
 * PGA_NO_USDT) PGA_TRACE compiles to nothing, its arguments unevaluated.
 */
#ifndef PGA_TRACE_H
#define PGA_TRACE_H

#if !defined(PGA_NO_USDT) && defined(__has_include)
#if __has_include(<sys/sdt.h>)
#define SDT_USE_VARIADIC 1
#include <sys/sdt.h>
#define PGA_HAVE_USDT 1
#endif
#endif

#ifdef PGA_HAVE_USDT
#define PGA_TRACE(name, ...) STAP_PROBEV(pgalloc, name, __VA_ARGS__)
#else
#define PGA_TRACE(name, ...) ((void)0)
#endif

#endif /* PGA_TRACE_H */
