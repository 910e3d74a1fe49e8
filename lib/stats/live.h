/* SPDX-License-Identifier: MIT */
/*
 * live.h - the live views: the layout of the shared mapping through which
 * pgalloc-stat reads the statistics of a running process, without
 * stopping it or attaching to it.
 *
 * The process keeps an anonymous file (memfd "pgalloc-stat", mode 0600,
 * close-on-exec) mapped shared; /proc/PID/fd shows it as
 * "/memfd:pgalloc-stat (deleted)". Opening it through /proc/PID/fd takes
 * the right to ptrace-read the process: its user, or root. It goes away
 * with the process (no file is left behind by a crash), and is dropped in
 * a fork child, whose copy would be the parent's.
 *
 * Protocol (both sides use only atomics on the header, no lock):
 *
 *   reader (pgalloc-stat)                writer (a thread of the process)
 *   r = ++request; wake(request)         sleeps on request (futex, shared)
 *   wait until served >= r (futex)       s = request; seq++ (odd)
 *                                        write text, json; seq++ (even)
 *                                        served = s; wake(served)
 *   do { s1 = seq (even); copy; } while (seq != s1)
 *
 * The data area holds every text view (what pga_stats_print(fd, 0)
 * prints) and the same views as one JSON document. A reader that gets no
 * answer in time (the process is stopped) still reads the last complete
 * data, and time_ms says how old it is.
 */
#ifndef PGA_LIVE_H
#define PGA_LIVE_H

#include <stdatomic.h>
#include <stdint.h>

#define PGA_LIVE_NAME    "pgalloc-stat"
#define PGA_LIVE_MAGIC   "pgalloc-live"
#define PGA_LIVE_VERSION 1u
/* The whole mapping; sparse: only what is written is resident. */
#define PGA_LIVE_BYTES (2u << 20)

struct pga_live_header {
	char magic[16];
	uint32_t version;
	uint32_t header_bytes;
	int64_t pid;              /* the process that writes it */
	_Atomic uint32_t seq;     /* odd while the data is being written */
	_Atomic uint32_t request; /* readers add one, then wake it */
	_Atomic uint32_t served;  /* the last request answered; readers wait on it */
	uint32_t truncated;       /* the data did not fit */
	uint64_t time_ms;         /* wall clock when the data was written */
	uint64_t text_off, text_len;
	uint64_t json_off, json_len;
};

#endif /* PGA_LIVE_H */
