// SPDX-License-Identifier: MIT
/*
 * stats.c - counters summed from zones and threads, and their printing in
 * the kernel's own formats (mm/vmstat.c, drivers/base/node.c), so that the
 * habits and scripts written for /proc/buddyinfo, /proc/pagetypeinfo,
 * /proc/zoneinfo, /proc/vmstat and numastat work on pgalloc's output.
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

#include <errno.h>

#include "fmt.h"
#include "os.h"
#include "page_alloc.h"

/* The kernel caps its walk of one free list (pagetypeinfo_showfree_print)
 * so that the zone lock is never held for long; it prints ">100000". */
#define FREE_LIST_WALK_CAP 100000UL

/* Threads whose pagesets are snapshotted per hold of the registry lock. */
#define PAGESET_CHUNK 32

static void ensure_init(void)
{
	if (!atomic_load(&pga_initialized))
		pga_init_slow();
}

/* a - b, floored at zero: the owner of a counter pair stores them one after
 * the other, so a reader may see the second store before the first. */
static uint64_t sub_floor(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The zone of (nid, zone type), or NULL when it does not exist. */
static struct pga_zone *lookup_zone(int nid, int zone)
{
	struct pga_zone *z;

	if (nid < 0 || nid >= pga_pgdat.nr_nodes || zone < 0 || zone >= PGA_NR_ZONES)
		return NULL;
	z = &pga_pgdat.nodes[nid].zones[zone];
	return pga_zone_populated(z) ? z : NULL;
}

/* ---------------------------------------------------------------------- */
/* Sums over threads                                                      */

struct zone_walk {
	const struct pga_zone *zone;
	uint64_t *ev;    /* [PGA_NR_ZONE_EVENTS], accumulated */
	long pcp_pages;  /* pages on the pcp lists of live threads */
	bool saw_thread; /* ev_exited has been read under the registry lock */
};

static void add_exited_events(const struct pga_zone *zone, uint64_t *ev)
{
	for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
		ev[e] += atomic_load_explicit(&zone->ev_exited[e], memory_order_relaxed);
}

static void zone_walk_fn(struct pga_thread *t, void *arg)
{
	struct zone_walk *w = arg;
	int id = w->zone->id;

	/*
	 * A thread folds its events into ev_exited and leaves the registry
	 * under the registry lock. Reading ev_exited while holding that lock
	 * (here, on the first call) means an exiting thread is counted once:
	 * either in ev_exited or in the walk, never in both or neither.
	 */
	if (!w->saw_thread) {
		w->saw_thread = true;
		add_exited_events(w->zone, w->ev);
	}
	if (!t->pcp)
		return;
	for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
		w->ev[e] += atomic_load_explicit(&t->pcp[id].ev[e], memory_order_relaxed);
	w->pcp_pages += atomic_load_explicit(&t->pcp[id].count, memory_order_relaxed);
}

/* Events and pcp pages of one zone in one walk of the registry. */
static unsigned long zone_walk(const struct pga_zone *zone, uint64_t ev[PGA_NR_ZONE_EVENTS])
{
	struct zone_walk w = {.zone = zone, .ev = ev};

	for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
		ev[e] = 0;
	pga_for_each_thread(zone_walk_fn, &w);
	/* No live thread: nobody can be exiting, ev_exited is settled. */
	if (!w.saw_thread)
		add_exited_events(zone, ev);
	/* Each count is the owner's, read racily; the sum of such reads may
	 * dip below zero for an instant. */
	return w.pcp_pages > 0 ? (unsigned long)w.pcp_pages : 0;
}

void pga_zone_events(const struct pga_zone *zone, uint64_t ev[PGA_NR_ZONE_EVENTS])
{
	zone_walk(zone, ev);
}

unsigned long pga_zone_pcp_pages(const struct pga_zone *zone)
{
	uint64_t ev[PGA_NR_ZONE_EVENTS];

	return zone_walk(zone, ev);
}

/* ---------------------------------------------------------------------- */
/* Snapshots under the zone lock                                          */

/* nr_free per order and free_pages from one hold of the lock, so that they
 * agree with each other (sum of nr_free[o] << o == free). */
static unsigned long zone_nr_free(struct pga_zone *zone, unsigned long nr_free[PGA_MAX_ORDER])
{
	unsigned long free;

	pthread_mutex_lock(&zone->lock);
	for (int o = 0; o < PGA_MAX_ORDER; o++)
		nr_free[o] = pga_nr_free(&zone->free_area[o]);
	free = pga_zone_free_pages(zone);
	pthread_mutex_unlock(&zone->lock);
	return free;
}

static void events_to_stats(const uint64_t ev[PGA_NR_ZONE_EVENTS], struct pga_zone_stats *st)
{
	st->pgalloc = ev[PGA_EV_PGALLOC];
	st->pgfree = ev[PGA_EV_PGFREE];
	st->numa_hit = sub_floor(ev[PGA_EV_ALLOCS], ev[PGA_EV_NUMA_MISS]);
	st->numa_miss = ev[PGA_EV_NUMA_MISS];
	st->numa_foreign = ev[PGA_EV_NUMA_FOREIGN];
	st->numa_interleave = ev[PGA_EV_NUMA_INTERLEAVE];
	st->numa_local = sub_floor(ev[PGA_EV_ALLOCS], ev[PGA_EV_NUMA_OTHER]);
	st->numa_other = ev[PGA_EV_NUMA_OTHER];
}

static void zone_snapshot(struct pga_zone *zone, struct pga_zone_stats *st)
{
	uint64_t ev[PGA_NR_ZONE_EVENTS];

	st->node = zone->node;
	st->zone = (int)zone->idx;
	st->spanned = zone->spanned_pages;
	st->managed = atomic_load_explicit(&zone->managed_pages, memory_order_relaxed);
	st->watermark_min = zone->watermark[PGA_WMARK_MIN];
	st->watermark_low = zone->watermark[PGA_WMARK_LOW];
	st->watermark_high = zone->watermark[PGA_WMARK_HIGH];
	st->free = zone_nr_free(zone, st->nr_free);
	st->pcp = zone_walk(zone, ev);
	events_to_stats(ev, st);
}

pga_export int pga_zone_stats(int nid, int zone, struct pga_zone_stats *st)
{
	struct pga_zone *z;

	ensure_init();
	z = lookup_zone(nid, zone);
	if (!z || !st) {
		errno = EINVAL;
		return -1;
	}
	zone_snapshot(z, st);
	return 0;
}

/* Blocks on one free list, walked under the lock and capped like the
 * kernel's. Returns the count; *overflow when the cap was hit. */
static unsigned long free_list_count(struct pga_zone *zone, unsigned order, int mt, bool *overflow)
{
	const struct pga_list *head = &zone->free_area[order].free_list[mt];
	const struct pga_list *pos;
	unsigned long n = 0;

	*overflow = false;
	pthread_mutex_lock(&zone->lock);
	pga_list_for_each (pos, head) {
		if (++n >= FREE_LIST_WALK_CAP) {
			*overflow = true;
			break;
		}
	}
	pthread_mutex_unlock(&zone->lock);
	return n;
}

/* Pageblocks of each migratetype among the onlined ones. */
static void pageblock_counts(struct pga_zone *zone, unsigned long count[PGA_MIGRATE_TYPES])
{
	unsigned long nr;

	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++)
		count[mt] = 0;
	/* The lock keeps online_end_pfn and the types (changed by stealing)
	 * still while they are read. */
	pthread_mutex_lock(&zone->lock);
	nr = (zone->online_end_pfn - zone->zone_start_pfn) >> PGA_PAGEBLOCK_ORDER;
	for (unsigned long i = 0; i < nr; i++) {
		unsigned mt = __atomic_load_n(&zone->pageblock_mt[i], __ATOMIC_RELAXED);
		if (mt < PGA_MIGRATE_TYPES)
			count[mt]++;
	}
	pthread_mutex_unlock(&zone->lock);
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

/*
 * pga_fmt flushes by itself when its buffer fills and drops the error.
 * out_eol() flushes well before that, at the end of a line, so that every
 * write goes through out_flush() and the first error is kept for the
 * caller. After an error the fd is dropped: the rest is discarded instead
 * of being written to a broken fd line after line.
 */
struct out {
	struct pga_fmt f;
	int err; /* first errno, 0 while all writes succeeded */
};

/* Longer than any one line printed here. */
#define OUT_LINE_MAX 512

static void out_flush(struct out *o)
{
	int saved = errno;

	if (o->f.fd < 0) {
		o->f.len = 0;
		return;
	}
	errno = 0;
	if (pga_fmt_flush(&o->f) != 0) {
		/* write(2) returning 0 leaves errno alone: call it EIO. */
		o->err = errno ? errno : EIO;
		o->f.fd = -1;
	}
	errno = saved;
}

/* Flush when the next line might not fit. */
static void out_room(struct out *o)
{
	if (o->f.len > sizeof(o->f.buf) - OUT_LINE_MAX)
		out_flush(o);
}

static void out_eol(struct out *o)
{
	pga_fmt_char(&o->f, '\n');
	out_room(o);
}

/* One "# <path>" line per section, so that tools can split the output. */
static void out_header(struct out *o, const char *path)
{
	pga_fmt_str(&o->f, "# ");
	pga_fmt_str(&o->f, path);
	out_eol(o);
}

static void out_u64(struct out *o, uint64_t v, int width)
{
	pga_fmt_u64(&o->f, v, width);
}

static void out_str(struct out *o, const char *s)
{
	pga_fmt_str(&o->f, s);
}

/* A label and its value, the shape of most /proc lines. */
static void out_kv(struct out *o, const char *label, uint64_t v)
{
	out_str(o, label);
	out_u64(o, v, 0);
}

/* "name value\n", the /proc/vmstat and numastat line. */
static void out_name_value(struct out *o, const char *name, uint64_t v)
{
	out_str(o, name);
	pga_fmt_char(&o->f, ' ');
	out_u64(o, v, 0);
	out_eol(o);
}

/* "Node %d, zone %8s" (the buddyinfo, zoneinfo and block count prefix). */
static void out_node_zone(struct out *o, const struct pga_zone *zone)
{
	out_str(o, "Node ");
	pga_fmt_i64(&o->f, zone->node, 0);
	out_str(o, ", zone ");
	pga_fmt_strw(&o->f, zone->name, 8);
}

/* ---------------------------------------------------------------------- */
/* /proc/buddyinfo                                                        */

static void print_buddyinfo(struct out *o)
{
	unsigned long nr_free[PGA_MAX_ORDER];

	out_header(o, "/proc/buddyinfo");
	for (int nid = 0; nid < pga_pgdat.nr_nodes; nid++) {
		for (int i = 0; i < PGA_NR_ZONES; i++) {
			struct pga_zone *zone = &pga_pgdat.nodes[nid].zones[i];
			if (!pga_zone_populated(zone))
				continue;
			zone_nr_free(zone, nr_free);
			out_node_zone(o, zone);
			pga_fmt_char(&o->f, ' ');
			for (int ord = 0; ord < PGA_MAX_ORDER; ord++) {
				out_u64(o, nr_free[ord], 6);
				pga_fmt_char(&o->f, ' ');
			}
			out_eol(o);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* /proc/pagetypeinfo                                                     */

/* "Node %4d, zone %8s, type %12s " and the block count per order. */
static void print_pagetype_free(struct out *o, struct pga_zone *zone)
{
	unsigned long count[PGA_MIGRATE_TYPES][PGA_MAX_ORDER];
	bool overflow[PGA_MIGRATE_TYPES][PGA_MAX_ORDER];

	/* One lock hold per list, as the kernel does, then print unlocked. */
	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++)
		for (unsigned ord = 0; ord < PGA_MAX_ORDER; ord++)
			count[mt][ord] = free_list_count(zone, ord, mt, &overflow[mt][ord]);

	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
		out_str(o, "Node ");
		pga_fmt_i64(&o->f, zone->node, 4);
		out_str(o, ", zone ");
		pga_fmt_strw(&o->f, zone->name, 8);
		out_str(o, ", type ");
		pga_fmt_strw(&o->f, pga_migratetype_names[mt], 12);
		pga_fmt_char(&o->f, ' ');
		for (int ord = 0; ord < PGA_MAX_ORDER; ord++) {
			if (overflow[mt][ord])
				pga_fmt_char(&o->f, '>');
			out_u64(o, count[mt][ord], 6);
			pga_fmt_char(&o->f, ' ');
		}
		out_eol(o);
	}
}

/* "Node %d, zone %8s " and the pageblock count per migratetype. */
static void print_pagetype_blocks(struct out *o, struct pga_zone *zone)
{
	unsigned long count[PGA_MIGRATE_TYPES];

	pageblock_counts(zone, count);
	out_node_zone(o, zone);
	pga_fmt_char(&o->f, ' ');
	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
		out_u64(o, count[mt], 12);
		pga_fmt_char(&o->f, ' ');
	}
	out_eol(o);
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
static void print_pagetypeinfo_node(struct out *o, struct pga_node *node)
{
	out_str(o, "Page block order: ");
	pga_fmt_i64(&o->f, PGA_PAGEBLOCK_ORDER, 0);
	out_eol(o);
	out_kv(o, "Pages per block:  ", PGA_PAGEBLOCK_PAGES);
	out_eol(o);
	out_eol(o);

	pga_fmt_strw(&o->f, "Free pages count per migrate type at order", -43);
	pga_fmt_char(&o->f, ' ');
	for (int ord = 0; ord < PGA_MAX_ORDER; ord++) {
		pga_fmt_i64(&o->f, ord, 6);
		pga_fmt_char(&o->f, ' ');
	}
	out_eol(o);
	for (int i = 0; i < PGA_NR_ZONES; i++)
		if (pga_zone_populated(&node->zones[i]))
			print_pagetype_free(o, &node->zones[i]);

	out_eol(o);
	pga_fmt_strw(&o->f, "Number of blocks type ", -23);
	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
		pga_fmt_strw(&o->f, pga_migratetype_names[mt], 12);
		pga_fmt_char(&o->f, ' ');
	}
	out_eol(o);
	for (int i = 0; i < PGA_NR_ZONES; i++)
		if (pga_zone_populated(&node->zones[i]))
			print_pagetype_blocks(o, &node->zones[i]);
}

static void print_pagetypeinfo(struct out *o)
{
	out_header(o, "/proc/pagetypeinfo");
	for (int nid = 0; nid < pga_pgdat.nr_nodes; nid++)
		if (node_has_memory(&pga_pgdat.nodes[nid]))
			print_pagetypeinfo_node(o, &pga_pgdat.nodes[nid]);
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

static void print_pageset(struct out *o, const struct pga_zone *zone, long tid, int count)
{
	/* zoneinfo starts its lines with "\n": make room before, not after. */
	out_room(o);
	out_str(o, "\n    thread: ");
	pga_fmt_i64(&o->f, tid, 0);
	out_str(o, "\n              count: ");
	pga_fmt_i64(&o->f, count, 0);
	out_str(o, "\n              high:  ");
	pga_fmt_i64(&o->f, zone->pcp_high, 0);
	out_str(o, "\n              batch: ");
	pga_fmt_i64(&o->f, zone->pcp_batch, 0);
}

/*
 * The kernel prints one pageset per CPU; here one per live thread. Several
 * passes over the registry, each printing after the lock is dropped: the
 * thread list is unbounded and nothing may be written under the lock. A
 * thread that comes or goes between passes may be missed or shown twice,
 * as a racing snapshot of per-CPU state can be in the kernel.
 */
static void print_pagesets(struct out *o, const struct pga_zone *zone)
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
static void print_zone_counter(struct out *o, const char *name, uint64_t v)
{
	out_room(o);
	out_str(o, "\n      ");
	pga_fmt_strw(&o->f, name, -12);
	pga_fmt_char(&o->f, ' ');
	out_u64(o, v, 0);
}

static void print_zoneinfo_zone(struct out *o, struct pga_zone *zone)
{
	struct pga_zone_stats st;

	zone_snapshot(zone, &st);
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
		pga_fmt_i64(&o->f, (long)zone->lowmem_reserve[i], 0);
	}
	pga_fmt_char(&o->f, ')');

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

static void print_zoneinfo(struct out *o)
{
	out_header(o, "/proc/zoneinfo");
	for (int nid = 0; nid < pga_pgdat.nr_nodes; nid++) {
		for (int i = 0; i < PGA_NR_ZONES; i++) {
			struct pga_zone *zone = &pga_pgdat.nodes[nid].zones[i];
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
	for (int i = 0; i < pga_pgdat.nr_zones; i++) {
		const struct pga_zone *zone = pga_pgdat.zones[i];
		uint64_t zev[PGA_NR_ZONE_EVENTS];

		if (!zone || (nid >= 0 && zone->node != nid))
			continue;
		zone_walk(zone, zev);
		for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
			ev[e] += zev[e];
		pgalloc[zone->idx] += zev[PGA_EV_PGALLOC];
	}
}

/* The kernel's /proc/vmstat order: zone counters, NUMA counters, events. */
static void print_vmstat(struct out *o)
{
	uint64_t ev[PGA_NR_ZONE_EVENTS], pgalloc[PGA_NR_ZONES];
	struct pga_zone_stats st;
	unsigned long free = 0;

	for (int i = 0; i < pga_pgdat.nr_zones; i++)
		if (pga_pgdat.zones[i])
			free += pga_zone_free_pages(pga_pgdat.zones[i]);
	sum_events(-1, ev, pgalloc);
	events_to_stats(ev, &st);

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
}

/* /sys/devices/system/node/node<N>/numastat, each file introduced by a
 * "node<N>:" line. */
static void print_numastat(struct out *o)
{
	out_header(o, "/sys/devices/system/node/node*/numastat");
	for (int nid = 0; nid < pga_pgdat.nr_nodes; nid++) {
		uint64_t ev[PGA_NR_ZONE_EVENTS], pgalloc[PGA_NR_ZONES];
		struct pga_zone_stats st;

		sum_events(nid, ev, pgalloc);
		events_to_stats(ev, &st);
		out_str(o, "node");
		pga_fmt_i64(&o->f, nid, 0);
		pga_fmt_char(&o->f, ':');
		out_eol(o);
		out_name_value(o, "numa_hit", st.numa_hit);
		out_name_value(o, "numa_miss", st.numa_miss);
		out_name_value(o, "numa_foreign", st.numa_foreign);
		out_name_value(o, "interleave_hit", st.numa_interleave);
		out_name_value(o, "local_node", st.numa_local);
		out_name_value(o, "other_node", st.numa_other);
	}
}

/* ---------------------------------------------------------------------- */
/* Entry points                                                           */

#define PGA_STATS_ALL                                                                              \
	(PGA_STATS_BUDDYINFO | PGA_STATS_PAGETYPEINFO | PGA_STATS_ZONEINFO | PGA_STATS_VMSTAT |    \
	 PGA_STATS_NUMASTAT)

pga_export int pga_stats_print(int fd, unsigned what)
{
	struct out o;

	ensure_init();
	/* Unknown bits are a caller's mistake (or a newer header): say so
	 * rather than print less than was asked for. */
	if (what & ~PGA_STATS_ALL) {
		errno = EINVAL;
		return -1;
	}
	/* pga_fmt treats fd < 0 as "keep in the buffer": that would be a
	 * silent success here. */
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (what == 0)
		what = PGA_STATS_ALL;

	pga_fmt_init(&o.f, fd);
	o.err = 0;
	if (what & PGA_STATS_BUDDYINFO)
		print_buddyinfo(&o);
	if (what & PGA_STATS_PAGETYPEINFO)
		print_pagetypeinfo(&o);
	if (what & PGA_STATS_ZONEINFO)
		print_zoneinfo(&o);
	if (what & PGA_STATS_VMSTAT)
		print_vmstat(&o);
	if (what & PGA_STATS_NUMASTAT)
		print_numastat(&o);
	out_flush(&o);

	if (o.err) {
		errno = o.err;
		return -1;
	}
	return 0;
}

/* A copy of stderr taken at start-up: programs such as coreutils close
 * fd 2 in their own exit handler, which runs before this one. */
static int stats_fd = 2;

void pga_stats_keep_stderr(void)
{
	int fd = pga_os_dup_cloexec(2);

	if (fd >= 0)
		stats_fd = fd;
}

void pga_stats_atexit(void)
{
	/* Exit must not change errno-visible state or fail: errors on stderr
	 * have nowhere to be reported. */
	int saved = errno;

	pga_stats_print(stats_fd, 0);
	errno = saved;
}
