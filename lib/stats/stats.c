// SPDX-License-Identifier: MIT
/*
 * stats.c - the statistics views: the page allocator's counters (vmstat.h)
 * printed in the kernel's own formats (mm/vmstat.c, drivers/base/node.c),
 * so that the habits and scripts written for /proc/buddyinfo,
 * /proc/pagetypeinfo, /proc/zoneinfo, /proc/vmstat and numastat work on
 * pgalloc's output; and their printing at exit (stats_print=1).
 *
 * Rules that shape this file:
 *   - No stdio and no malloc: statistics are printed from inside malloc
 *     (at exit, or on request by a program that is itself the allocator's
 *     user). Output goes through struct pga_fmt, buffered on the stack.
 *   - No write(2) while a lock is held: a write to a full pipe can block for
 *     ever, and the reader could be a thread of this process that needs the
 *     zone lock or the thread registry to allocate. Every section therefore
 *     snapshots what it needs under the lock, unlocks, then prints.
 *   - Never a zone lock and the registry lock at once (see mmzone.h's lock
 *     order: the registry lock is outside the zone locks, and nothing here
 *     needs both).
 */
#include "stats.h"

#include <string.h>

#include <errno.h>
#include <stdlib.h>

#include "fmt.h"
#include "options.h"
#include "os.h"
#include "page_alloc.h"
#include "slab.h"
#include "stats_int.h"
#include "vmstat.h"

/* Threads whose pagesets are snapshotted per hold of the registry lock. */
#define PAGESET_CHUNK 32

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

/*
 * Every view writes through one struct pga_fmt, which keeps the first
 * write error for the caller and, after it, drops the rest instead of
 * writing it to a broken fd line after line. Lines are flushed whole: a
 * line is never cut by a flush in its middle.
 */

/* Longer than any one line printed here. */
#define OUT_LINE_MAX 512

static void out_flush(struct pga_fmt *o)
{
	pga_fmt_flush(o);
}

/* Flush when the next line might not fit. */
static void out_room(struct pga_fmt *o)
{
	if (o->len > sizeof(o->buf) - OUT_LINE_MAX)
		out_flush(o);
}

static void out_eol(struct pga_fmt *o)
{
	pga_fmt_char(o, '\n');
	out_room(o);
}

/* One "# <path>" line per section, so that tools can split the output. */
static void out_header(struct pga_fmt *o, const char *path)
{
	pga_fmt_str(o, "# ");
	pga_fmt_str(o, path);
	out_eol(o);
}

static void out_u64(struct pga_fmt *o, uint64_t v, int width)
{
	pga_fmt_u64(o, v, width);
}

static void out_str(struct pga_fmt *o, const char *s)
{
	pga_fmt_str(o, s);
}

/* A label and its value, the shape of most /proc lines. */
static void out_kv(struct pga_fmt *o, const char *label, uint64_t v)
{
	out_str(o, label);
	out_u64(o, v, 0);
}

/* "name value\n", the /proc/vmstat and numastat line. */
static void out_name_value(struct pga_fmt *o, const char *name, uint64_t v)
{
	out_str(o, name);
	pga_fmt_char(o, ' ');
	out_u64(o, v, 0);
	out_eol(o);
}

/* "Node %d, zone %8s" (the buddyinfo, zoneinfo and block count prefix). */
static void out_node_zone(struct pga_fmt *o, const struct pga_zone *zone)
{
	out_str(o, "Node ");
	pga_fmt_i64(o, zone->node, 0);
	out_str(o, ", zone ");
	pga_fmt_strw(o, zone->name, 8);
}

/* "Node %d, zone %8s " and n counts, each right-aligned in width and
 * followed by a space: the buddyinfo line and the pageblock count line. */
static void out_zone_row(struct pga_fmt *o, const struct pga_zone *zone, const unsigned long *v,
                         int n, int width)
{
	out_node_zone(o, zone);
	pga_fmt_char(o, ' ');
	for (int i = 0; i < n; i++) {
		out_u64(o, v[i], width);
		pga_fmt_char(o, ' ');
	}
	out_eol(o);
}

/* ---------------------------------------------------------------------- */
/* /proc/buddyinfo                                                        */

static void print_buddyinfo(struct pga_fmt *o)
{
	unsigned long nr_free[PGA_MAX_ORDER];

	out_header(o, "/proc/buddyinfo");
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		for (int i = 0; i < PGA_NR_ZONES; i++) {
			struct pga_zone *zone = &pga_mem.nodes[nid].zones[i];
			if (!pga_zone_populated(zone))
				continue;
			pga_zone_nr_free(zone, nr_free);
			out_zone_row(o, zone, nr_free, PGA_MAX_ORDER, 6);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* /proc/pagetypeinfo                                                     */

/* "Node %4d, zone %8s, type %12s " and the block count per order. */
static void print_pagetype_free(struct pga_fmt *o, struct pga_zone *zone)
{
	unsigned long count[PGA_MIGRATE_TYPES][PGA_MAX_ORDER];
	bool overflow[PGA_MIGRATE_TYPES][PGA_MAX_ORDER];

	/* One lock hold per list, as the kernel does, then print unlocked. */
	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++)
		for (unsigned ord = 0; ord < PGA_MAX_ORDER; ord++)
			count[mt][ord] =
			    pga_zone_free_list_count(zone, ord, mt, &overflow[mt][ord]);

	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
		out_str(o, "Node ");
		pga_fmt_i64(o, zone->node, 4);
		out_str(o, ", zone ");
		pga_fmt_strw(o, zone->name, 8);
		out_str(o, ", type ");
		pga_fmt_strw(o, pga_migratetype_names[mt], 12);
		pga_fmt_char(o, ' ');
		for (int ord = 0; ord < PGA_MAX_ORDER; ord++) {
			if (overflow[mt][ord])
				pga_fmt_char(o, '>');
			out_u64(o, count[mt][ord], 6);
			pga_fmt_char(o, ' ');
		}
		out_eol(o);
	}
}

/* "Node %d, zone %8s " and the pageblock count per migratetype. */
static void print_pagetype_blocks(struct pga_fmt *o, struct pga_zone *zone)
{
	unsigned long count[PGA_MIGRATE_TYPES];

	pga_zone_pageblock_counts(zone, count);
	out_zone_row(o, zone, count, PGA_MIGRATE_TYPES, 12);
}

static bool node_has_memory(const struct pga_node *node)
{
	for (int i = 0; i < PGA_NR_ZONES; i++)
		if (pga_zone_populated(&node->zones[i]))
			return true;
	return false;
}

/* The kernel's pagetypeinfo_show(), which runs once per node: the whole
 * block, headings included, repeats for every node with memory. */
static void print_pagetypeinfo_node(struct pga_fmt *o, struct pga_node *node)
{
	out_str(o, "Page block order: ");
	pga_fmt_i64(o, PGA_PAGEBLOCK_ORDER, 0);
	out_eol(o);
	out_kv(o, "Pages per block:  ", PGA_PAGEBLOCK_PAGES);
	out_eol(o);
	out_eol(o);

	pga_fmt_strw(o, "Free pages count per migrate type at order", -43);
	pga_fmt_char(o, ' ');
	for (int ord = 0; ord < PGA_MAX_ORDER; ord++) {
		pga_fmt_i64(o, ord, 6);
		pga_fmt_char(o, ' ');
	}
	out_eol(o);
	for (int i = 0; i < PGA_NR_ZONES; i++)
		if (pga_zone_populated(&node->zones[i]))
			print_pagetype_free(o, &node->zones[i]);

	out_eol(o);
	pga_fmt_strw(o, "Number of blocks type ", -23);
	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
		pga_fmt_strw(o, pga_migratetype_names[mt], 12);
		pga_fmt_char(o, ' ');
	}
	out_eol(o);
	for (int i = 0; i < PGA_NR_ZONES; i++)
		if (pga_zone_populated(&node->zones[i]))
			print_pagetype_blocks(o, &node->zones[i]);
}

static void print_pagetypeinfo(struct pga_fmt *o)
{
	out_header(o, "/proc/pagetypeinfo");
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++)
		if (node_has_memory(&pga_mem.nodes[nid]))
			print_pagetypeinfo_node(o, &pga_mem.nodes[nid]);
}

/* ---------------------------------------------------------------------- */
/* /proc/zoneinfo                                                         */

/* One hold of the registry lock collects up to PAGESET_CHUNK threads'
 * counts, after skipping those already printed. */
struct pageset_walk {
	int zone_id;
	unsigned long skip;     /* registry positions printed by earlier passes */
	unsigned long pos;      /* registry position of the thread at hand */
	unsigned long consumed; /* positions this pass has taken */
	bool more;              /* threads were left for the next pass */
	unsigned n;
	long tid[PAGESET_CHUNK];
	int count[PAGESET_CHUNK];
};

static void pageset_walk_fn(struct pga_thread *t, void *arg)
{
	struct pageset_walk *w = arg;

	if (w->pos++ < w->skip)
		return;
	if (w->n == PAGESET_CHUNK) {
		w->more = true;
		return;
	}
	w->consumed = w->pos;
	if (!t->pcp)
		return;
	w->tid[w->n] = t->tid;
	w->count[w->n] = atomic_load_explicit(&t->pcp[w->zone_id].count, memory_order_relaxed);
	w->n++;
}

static void print_pageset(struct pga_fmt *o, const struct pga_zone *zone, long tid, int count)
{
	/* zoneinfo starts its lines with "\n": make room before, not after. */
	out_room(o);
	out_str(o, "\n    thread: ");
	pga_fmt_i64(o, tid, 0);
	out_str(o, "\n              count: ");
	pga_fmt_i64(o, count, 0);
	out_str(o, "\n              high:  ");
	pga_fmt_i64(o, zone->pcp_high, 0);
	out_str(o, "\n              batch: ");
	pga_fmt_i64(o, zone->pcp_batch, 0);
}

/*
 * The kernel prints one pageset per CPU; here one per live thread. Several
 * passes over the registry, each printing after the lock is dropped: the
 * thread list is unbounded and nothing may be written under the lock. A
 * thread that comes or goes between passes may be missed or shown twice,
 * as a racing snapshot of per-CPU state can be in the kernel.
 */
static void print_pagesets(struct pga_fmt *o, const struct pga_zone *zone)
{
	struct pageset_walk w = {.zone_id = zone->id};

	out_str(o, "\n  pagesets");
	do {
		w.pos = 0;
		w.n = 0;
		w.more = false;
		w.consumed = w.skip;
		pga_for_each_thread(pageset_walk_fn, &w);
		for (unsigned i = 0; i < w.n; i++)
			print_pageset(o, zone, w.tid[i], w.count[i]);
		w.skip = w.consumed;
	} while (w.more);
}

/* "\n      %-12s %lu", the zoneinfo counter line. */
static void print_zone_counter(struct pga_fmt *o, const char *name, uint64_t v)
{
	out_room(o);
	out_str(o, "\n      ");
	pga_fmt_strw(o, name, -12);
	pga_fmt_char(o, ' ');
	out_u64(o, v, 0);
}

static void print_zoneinfo_zone(struct pga_fmt *o, struct pga_zone *zone)
{
	struct pga_zone_stats st;

	pga_zone_snapshot(zone, &st);
	out_node_zone(o, zone);
	out_kv(o, "\n  pages free     ", st.free);
	out_kv(o, "\n        min      ", st.watermark_min);
	out_kv(o, "\n        low      ", st.watermark_low);
	out_kv(o, "\n        high     ", st.watermark_high);
	out_kv(o, "\n        spanned  ", st.spanned);
	/* Pages become present as sections are onlined: present == managed. */
	out_kv(o, "\n        present  ", st.managed);
	out_kv(o, "\n        managed  ", st.managed);
	out_str(o, "\n        protection: (");
	for (int i = 0; i < PGA_NR_ZONES; i++) {
		if (i)
			out_str(o, ", ");
		pga_fmt_i64(o, (long)zone->lowmem_reserve[i], 0);
	}
	pga_fmt_char(o, ')');

	print_zone_counter(o, "nr_free_pages", st.free);
	print_zone_counter(o, "nr_zone_pcp", st.pcp);
	print_zone_counter(o, "numa_hit", st.numa_hit);
	print_zone_counter(o, "numa_miss", st.numa_miss);
	print_zone_counter(o, "numa_foreign", st.numa_foreign);
	print_zone_counter(o, "numa_interleave", st.numa_interleave);
	print_zone_counter(o, "numa_local", st.numa_local);
	print_zone_counter(o, "numa_other", st.numa_other);
	print_zone_counter(o, "pgalloc", st.pgalloc);
	print_zone_counter(o, "pgfree", st.pgfree);

	print_pagesets(o, zone);
	out_kv(o, "\n  start_pfn:           ", zone->zone_start_pfn);
	out_eol(o);
}

static void print_zoneinfo(struct pga_fmt *o)
{
	out_header(o, "/proc/zoneinfo");
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		for (int i = 0; i < PGA_NR_ZONES; i++) {
			struct pga_zone *zone = &pga_mem.nodes[nid].zones[i];
			if (pga_zone_populated(zone))
				print_zoneinfo_zone(o, zone);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* /proc/vmstat and numastat                                              */

/* Raw events summed over the populated zones of node nid (-1: all nodes),
 * plus the pgalloc of each zone type (vmstat's pgalloc_dma32/normal). */
static void sum_events(int nid, uint64_t ev[PGA_NR_ZONE_EVENTS], uint64_t pgalloc[PGA_NR_ZONES])
{
	for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
		ev[e] = 0;
	for (int i = 0; i < PGA_NR_ZONES; i++)
		pgalloc[i] = 0;
	for (int i = 0; i < pga_mem.nr_zones; i++) {
		const struct pga_zone *zone = pga_mem.zones[i];
		uint64_t zev[PGA_NR_ZONE_EVENTS];

		if (!zone || (nid >= 0 && zone->node != nid))
			continue;
		pga_zone_events(zone, zev);
		for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
			ev[e] += zev[e];
		pgalloc[zone->idx] += zev[PGA_EV_PGALLOC];
	}
}

/* The kernel's /proc/vmstat order: zone counters, NUMA counters, events. */
static void print_vmstat(struct pga_fmt *o)
{
	uint64_t ev[PGA_NR_ZONE_EVENTS], pgalloc[PGA_NR_ZONES];
	struct pga_zone_stats st;
	unsigned long free = 0;

	for (int i = 0; i < pga_mem.nr_zones; i++)
		if (pga_mem.zones[i])
			free += pga_zone_free_pages(pga_mem.zones[i]);
	sum_events(-1, ev, pgalloc);
	pga_events_to_stats(ev, &st);

	out_header(o, "/proc/vmstat");
	out_name_value(o, "nr_free_pages", free);
	out_name_value(o, "numa_hit", st.numa_hit);
	out_name_value(o, "numa_miss", st.numa_miss);
	out_name_value(o, "numa_foreign", st.numa_foreign);
	out_name_value(o, "numa_interleave", st.numa_interleave);
	out_name_value(o, "numa_local", st.numa_local);
	out_name_value(o, "numa_other", st.numa_other);
	out_name_value(o, "pgalloc_dma32", pgalloc[PGA_ZONE_DMA32]);
	out_name_value(o, "pgalloc_normal", pgalloc[PGA_ZONE_NORMAL]);
	out_name_value(o, "pgfree", st.pgfree);

	/* Not the kernel's: pgalloc's own locks (lock.h), so that the time a
	 * workload spends waiting on shared state shows. */
	struct pga_lock_stats zl, sl;
	pga_zone_lock_stats(&zl);
	pga_slab_lock_stats(&sl);
	out_name_value(o, "lock_acquired", zl.acquired + sl.acquired);
	out_name_value(o, "lock_contended", zl.contended + sl.contended);
	out_name_value(o, "lock_sleeps", zl.sleeps + sl.sleeps);
	out_name_value(o, "lock_acquired_zone", zl.acquired);
	out_name_value(o, "lock_contended_zone", zl.contended);
	out_name_value(o, "lock_acquired_slab", sl.acquired);
	out_name_value(o, "lock_contended_slab", sl.contended);
}

/* The numastat program's table of the same counters: a column per node,
 * 16 characters wide, labels left-aligned in the first. Per node, hit +
 * miss = local + other (every allocation counts once in each pair), and
 * over all nodes the misses equal the foreigns. */
static void print_numastat_table(struct pga_fmt *o)
{
	static const char *const rows[] = {"numa_hit",       "numa_miss",  "numa_foreign",
	                                   "interleave_hit", "local_node", "other_node"};
	uint64_t v[PGA_MAX_NUMNODES][6];

	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		uint64_t ev[PGA_NR_ZONE_EVENTS], pgalloc[PGA_NR_ZONES];
		struct pga_zone_stats st;

		sum_events(nid, ev, pgalloc);
		pga_events_to_stats(ev, &st);
		v[nid][0] = st.numa_hit;
		v[nid][1] = st.numa_miss;
		v[nid][2] = st.numa_foreign;
		v[nid][3] = st.numa_interleave;
		v[nid][4] = st.numa_local;
		v[nid][5] = st.numa_other;
	}
	out_header(o, "numastat");
	pga_fmt_strw(o, "", 16);
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		char name[16] = "node";
		int len = 4;
		for (int d = nid >= 10 ? 10 : 1; d; d /= 10)
			name[len++] = (char)('0' + nid / d % 10);
		name[len] = '\0';
		pga_fmt_strw(o, name, 16);
	}
	out_eol(o);
	for (int r = 0; r < 6; r++) {
		pga_fmt_strw(o, rows[r], -16);
		for (int nid = 0; nid < pga_mem.nr_nodes; nid++)
			out_u64(o, v[nid][r], 16);
		out_eol(o);
	}
}

/* /sys/devices/system/node/node<N>/numastat, each file introduced by a
 * "node<N>:" line, then numastat's table. */
static void print_numastat(struct pga_fmt *o)
{
	out_header(o, "/sys/devices/system/node/node*/numastat");
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		uint64_t ev[PGA_NR_ZONE_EVENTS], pgalloc[PGA_NR_ZONES];
		struct pga_zone_stats st;

		sum_events(nid, ev, pgalloc);
		pga_events_to_stats(ev, &st);
		out_str(o, "node");
		pga_fmt_i64(o, nid, 0);
		pga_fmt_char(o, ':');
		out_eol(o);
		out_name_value(o, "numa_hit", st.numa_hit);
		out_name_value(o, "numa_miss", st.numa_miss);
		out_name_value(o, "numa_foreign", st.numa_foreign);
		out_name_value(o, "interleave_hit", st.numa_interleave);
		out_name_value(o, "local_node", st.numa_local);
		out_name_value(o, "other_node", st.numa_other);
	}
	print_numastat_table(o);
}

/* ---------------------------------------------------------------------- */
/* Entry points                                                           */

void pga_stats_text(struct pga_fmt *o, unsigned what)
{
	if (what & PGA_STATS_BUDDYINFO)
		print_buddyinfo(o);
	if (what & PGA_STATS_PAGETYPEINFO)
		print_pagetypeinfo(o);
	if (what & PGA_STATS_ZONEINFO)
		print_zoneinfo(o);
	if (what & PGA_STATS_VMSTAT)
		print_vmstat(o);
	if (what & PGA_STATS_NUMASTAT)
		print_numastat(o);
	if (what & PGA_STATS_SLABINFO) {
		out_flush(o);
		pga_stats_slabinfo_text(o);
	}
	if (what & PGA_STATS_MEMINFO) {
		out_flush(o);
		pga_stats_meminfo_text(o);
	}
}

void pga_stats_write(struct pga_fmt *o, unsigned what)
{
	if ((what & PGA_STATS_ALL) == 0)
		what |= PGA_STATS_ALL;
	if (what & PGA_STATS_JSON)
		pga_stats_json(o, what);
	else
		pga_stats_text(o, what);
	out_flush(o);
}

pga_export int pga_stats_print(int fd, unsigned what)
{
	struct pga_fmt o;

	pga_page_init();
	/* Unknown bits are a caller's mistake (or a newer header): say so
	 * rather than print less than was asked for. */
	if (what & ~(PGA_STATS_ALL | PGA_STATS_JSON)) {
		errno = EINVAL;
		return -1;
	}
	/* pga_fmt treats fd < 0 as "keep in the buffer": that would be a
	 * silent success here. */
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	pga_fmt_init(&o, fd);
	pga_stats_write(&o, what);
	if (o.err) {
		errno = o.err;
		return -1;
	}
	return 0;
}

pga_export int pga_stats_print_views(int fd, const char *views)
{
	unsigned what = 0;
	const char *end = views ? views + strlen(views) : NULL;

	if (views && *views) {
		/* ',' or ':' between names, as the caller likes. */
		char sep = memchr(views, ',', (size_t)(end - views)) ? ',' : ':';
		if (!pga_stats_parse_views(views, end, sep, &what)) {
			errno = EINVAL;
			return -1;
		}
	}
	return pga_stats_print(fd, what);
}

/* Where the configured views go: a copy of stderr taken at start-up
 * (programs such as coreutils close fd 2 in their own exit handler, which
 * runs before this one), or stats_file. */
static int stats_fd = 2;

void pga_stats_print_configured(void)
{
	/* Exit must not change errno-visible state or fail: errors on stderr
	 * have nowhere to be reported. */
	int saved = errno;
	struct pga_fmt o;

	pga_fmt_init(&o, stats_fd);
	pga_stats_write(&o, pga_opts.stats_print ? pga_opts.stats_print : PGA_STATS_ALL);
	errno = saved;
}

static void stats_atexit(void)
{
	pga_stats_print_configured();
}

void pga_stats_output_start(void)
{
	if (pga_opts.stats_print || pga_opts.stats_interval_ms) {
		int fd = pga_opts.stats_file[0] ? pga_os_open_append(pga_opts.stats_file)
		                                : pga_os_dup_cloexec(2);
		if (fd >= 0)
			stats_fd = fd;
		else if (pga_opts.stats_file[0])
			pga_log("stats_file: cannot open ", pga_opts.stats_file,
			        "; the statistics go to standard error");
	}
	if (pga_opts.stats_print)
		atexit(stats_atexit);
}
