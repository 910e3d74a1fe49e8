// SPDX-License-Identifier: MIT
/*
 * live.c - the live views (live.h: the mapping and its protocol) and the
 * thread that keeps them, which also prints the configured views every
 * stats_interval_ms. The thread sleeps on a futex in the shared mapping:
 * it costs nothing until pgalloc-stat asks, and then one pass over the
 * views, with the locks each view takes (never two at once, never while
 * writing).
 *
 * Also here, once at start: the names of pgalloc's mappings in
 * /proc/PID/maps ([anon:pgalloc zone Normal node 0], [anon:pgalloc
 * memmap]; huge mappings are named where they are made).
 */
#include "stats_int.h"

#include <string.h>

#include "live.h"
#include "mmzone.h"
#include "options.h"
#include "os.h"
#include "slab.h"
#include "thread.h"

/* The mapping, or NULL: stats_live=0, or it could not be made, or in a
 * fork child. Written at start and in a fork child only. */
static struct pga_live_header *live;
/* The thread's stack: the views need a few pages of it (a pga_fmt
 * buffer, a file read, the slab figures per node), not 8 MiB of address
 * space in a process that may run under ulimit -v. */
#define LIVE_STACK_BYTES (256u << 10)
static int live_fd = -1;

struct area {
	char *base;
	size_t cap, len;
	bool truncated;
};

static int area_sink(void *arg, const char *buf, size_t len)
{
	struct area *a = arg;
	size_t room = a->cap - a->len;

	if (len > room) {
		len = room;
		a->truncated = true;
	}
	memcpy(a->base + a->len, buf, len);
	a->len += len;
	return 0;
}

/* Rewrite the data under the seqcount; the only writer is this thread. */
static void live_render(void)
{
	char *data = (char *)live + sizeof(*live);
	struct area a = {.base = data, .cap = PGA_LIVE_BYTES - sizeof(*live)};
	struct pga_fmt o;
	uint32_t seq = atomic_load_explicit(&live->seq, memory_order_relaxed);

	atomic_store_explicit(&live->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);

	pga_fmt_init_sink(&o, area_sink, &a);
	pga_stats_write(&o, PGA_STATS_ALL);
	live->text_off = sizeof(*live);
	live->text_len = a.len;
	pga_fmt_init_sink(&o, area_sink, &a);
	pga_stats_write(&o, PGA_STATS_ALL | PGA_STATS_JSON);
	live->json_off = sizeof(*live) + live->text_len;
	live->json_len = a.len - live->text_len;
	live->truncated = a.truncated;
	live->time_ms = pga_os_realtime_ms();

	atomic_store_explicit(&live->seq, seq + 2, memory_order_release);
}

static void *live_thread(void *arg)
{
	long interval = pga_opts.stats_interval_ms;
	uint64_t next = pga_os_now_ms() + (uint64_t)interval;

	(void)arg;
	/* No caches of its own, like kswapd: anything it allocates comes
	 * from the buddy lists and it never counts among the threads. */
	pga_current = &pga_thread_dead;
	pga_slab_current = &pga_slab_dead;
	pga_slab_home = &pga_slab_dead.kc[PGA_SLAB_CACHE(0, 0)];
	for (;;) {
		long wait = -1;

		if (interval) {
			uint64_t now = pga_os_now_ms();
			if (now >= next) {
				pga_stats_print_configured();
				next = now + (uint64_t)interval;
			}
			wait = (long)(next - now);
		}
		if (!live) {
			/* In steps of at most 1000 s: the microseconds fit. */
			pga_os_sleep_us((unsigned)(wait > 1000000 ? 1000000 : wait) * 1000u);
			continue;
		}
		uint32_t req = atomic_load_explicit(&live->request, memory_order_acquire);
		if (req == atomic_load_explicit(&live->served, memory_order_relaxed)) {
			pga_os_futex_wait_shared(&live->request, req, wait);
			continue;
		}
		live_render();
		atomic_store_explicit(&live->served, req, memory_order_release);
		pga_os_futex_wake_shared(&live->served, 1 << 30);
	}
	return NULL;
}

/* [anon:pgalloc zone Normal node 0] and [anon:pgalloc memmap] in
 * /proc/PID/maps, where the kernel supports the names (5.17). */
static void name_mappings(void)
{
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		const struct pga_zone *zone = pga_mem.zones[id];
		char name[64];
		struct pga_fmt f;

		pga_fmt_init(&f, -1);
		pga_fmt_str(&f, "pgalloc zone ");
		pga_fmt_str(&f, zone->name);
		pga_fmt_str(&f, " node ");
		pga_fmt_u64(&f, (uint64_t)zone->node, 0);
		pga_fmt_copy(&f, name, sizeof(name));
		if (!pga_os_name_mapping(pga_pfn_to_addr(zone, zone->zone_start_pfn),
		                         zone->spanned_pages << PGA_PAGE_SHIFT, name))
			return; /* no support: no point in trying the others */
	}
	for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
		const struct pga_arena *ar = &pga_mem.arenas[zt];
		size_t bytes = ar->nr_pages * sizeof(struct pga_page);

		if (ar->mem_map && bytes)
			pga_os_name_mapping(ar->mem_map,
			                    (bytes + PGA_PAGE_SIZE - 1) & ~(PGA_PAGE_SIZE - 1),
			                    "pgalloc memmap");
	}
}

void pga_live_start(void)
{
	name_mappings();
	if (pga_opts.stats_live) {
		int fd;
		struct pga_live_header *h = pga_os_map_memfd(PGA_LIVE_NAME, PGA_LIVE_BYTES, &fd);

		if (h) {
			memcpy(h->magic, PGA_LIVE_MAGIC, sizeof(PGA_LIVE_MAGIC));
			h->version = PGA_LIVE_VERSION;
			h->header_bytes = sizeof(*h);
			h->pid = pga_os_getpid();
			live = h;
			live_fd = fd;
		}
	}
	if ((live || pga_opts.stats_interval_ms) &&
	    !pga_os_thread_start_stack(live_thread, NULL, LIVE_STACK_BYTES))
		pga_log("could not start the statistics thread: no live views", NULL, NULL);
}

/* The child's mapping would be its parent's, and its thread is gone (a
 * child of a multi-threaded fork may not start one before it execs): the
 * child has no live views. munmap and close are safe here. */
void pga_live_fork_child(void)
{
	if (live) {
		pga_os_unmap_memfd(live, PGA_LIVE_BYTES, live_fd);
		live = NULL;
		live_fd = -1;
	}
}
