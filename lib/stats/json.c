// SPDX-License-Identifier: MIT
/*
 * json.c - every view as one JSON document, with the figures of the text
 * views under the same names (the kernel's field names where the view has
 * them), so that a tool needs no parser of /proc formats:
 *
 *   {"pgalloc": {"version", "pid", "time_ms"},
 *    "buddyinfo": [{"node", "zone", "free": [11 counts]}],
 *    "pagetypeinfo": {"page_block_order", "pages_per_block",
 *                     "free": [{"node", "zone", "type", "counts", "capped"}],
 *                     "blocks": [{"node", "zone", "<type>": n, ...}]},
 *    "zoneinfo": [{"node", "zone", "free", "min", "low", "high", "spanned",
 *                  "present", "managed", "protection", "nr_free_pages",
 *                  "nr_zone_pcp", "numa_*", "pgalloc", "pgfree",
 *                  "pagesets": [{"thread", "count", "high", "batch"}],
 *                  "start_pfn"}],
 *    "vmstat": {"nr_free_pages": n, ...},
 *    "numastat": [{"node", "numa_hit", ...}],
 *    "slabinfo": [{"name", "node", "active_objs", "num_objs", "objsize",
 *                  "objperslab", "pagesperslab", "num_slabs",
 *                  "cached_free"}],
 *    "meminfo": {"VmRSS": bytes, ...}}
 *
 * Sizes in meminfo are bytes (the text view prints kB); everything else is
 * counted as the text view counts it. Locks as in stats.c: snapshot, then
 * print.
 */
#include "stats_int.h"

#include "config.h"
#include "mmzone.h"
#include "os.h"
#include "page_alloc.h"
#include "vmstat.h"

/* The writer keeps track of commas: first is true right after an opening
 * bracket. Keys and strings here are pgalloc's own (no escaping needed:
 * names of zones, types and views). */
struct jw {
	struct pga_fmt *o;
	bool first;
};

static void j_sep(struct jw *w)
{
	if (!w->first)
		pga_fmt_char(w->o, ',');
	w->first = false;
	if (w->o->len > sizeof(w->o->buf) - 256)
		pga_fmt_flush(w->o);
}

static void j_key(struct jw *w, const char *k)
{
	j_sep(w);
	pga_fmt_char(w->o, '"');
	pga_fmt_str(w->o, k);
	pga_fmt_str(w->o, "\":");
}

static void j_open(struct jw *w, const char *k, char c)
{
	if (k)
		j_key(w, k);
	else
		j_sep(w);
	pga_fmt_char(w->o, c);
	w->first = true;
}

static void j_close(struct jw *w, char c)
{
	pga_fmt_char(w->o, c);
	w->first = false;
}

static void j_u64(struct jw *w, const char *k, uint64_t v)
{
	if (k)
		j_key(w, k);
	else
		j_sep(w);
	pga_fmt_u64(w->o, v, 0);
}

static void j_i64(struct jw *w, const char *k, int64_t v)
{
	j_key(w, k);
	pga_fmt_i64(w->o, v, 0);
}

static void j_str(struct jw *w, const char *k, const char *v)
{
	j_key(w, k);
	pga_fmt_char(w->o, '"');
	pga_fmt_str(w->o, v);
	pga_fmt_char(w->o, '"');
}

static void j_node_zone(struct jw *w, const struct pga_zone *zone)
{
	j_u64(w, "node", (uint64_t)zone->node);
	j_str(w, "zone", zone->name);
}

#define FOR_EACH_ZONE(zone)                                                                        \
	for (int nid_ = 0; nid_ < pga_mem.nr_nodes; nid_++)                                        \
		for (int zi_ = 0; zi_ < PGA_NR_ZONES; zi_++)                                       \
			if (!pga_zone_populated(zone = &pga_mem.nodes[nid_].zones[zi_])) {         \
			} else

static void json_buddyinfo(struct jw *w)
{
	struct pga_zone *zone;
	unsigned long nr_free[PGA_MAX_ORDER];

	j_open(w, "buddyinfo", '[');
	FOR_EACH_ZONE(zone)
	{
		pga_zone_nr_free(zone, nr_free);
		j_open(w, NULL, '{');
		j_node_zone(w, zone);
		j_open(w, "free", '[');
		for (int i = 0; i < PGA_MAX_ORDER; i++)
			j_u64(w, NULL, nr_free[i]);
		j_close(w, ']');
		j_close(w, '}');
	}
	j_close(w, ']');
}

static void json_pagetypeinfo(struct jw *w)
{
	struct pga_zone *zone;

	j_open(w, "pagetypeinfo", '{');
	j_u64(w, "page_block_order", PGA_PAGEBLOCK_ORDER);
	j_u64(w, "pages_per_block", PGA_PAGEBLOCK_PAGES);
	j_open(w, "free", '[');
	FOR_EACH_ZONE(zone)
	{
		for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
			unsigned long count[PGA_MAX_ORDER];
			bool overflow[PGA_MAX_ORDER], capped = false;

			for (unsigned ord = 0; ord < PGA_MAX_ORDER; ord++) {
				count[ord] =
				    pga_zone_free_list_count(zone, ord, mt, &overflow[ord]);
				capped |= overflow[ord];
			}
			j_open(w, NULL, '{');
			j_node_zone(w, zone);
			j_str(w, "type", pga_migratetype_names[mt]);
			j_open(w, "counts", '[');
			for (int ord = 0; ord < PGA_MAX_ORDER; ord++)
				j_u64(w, NULL, count[ord]);
			j_close(w, ']');
			j_key(w, "capped");
			pga_fmt_str(w->o, capped ? "true" : "false");
			j_close(w, '}');
		}
	}
	j_close(w, ']');
	j_open(w, "blocks", '[');
	FOR_EACH_ZONE(zone)
	{
		unsigned long count[PGA_MIGRATE_TYPES];

		pga_zone_pageblock_counts(zone, count);
		j_open(w, NULL, '{');
		j_node_zone(w, zone);
		for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++)
			j_u64(w, pga_migratetype_names[mt], count[mt]);
		j_close(w, '}');
	}
	j_close(w, ']');
	j_close(w, '}');
}

struct pageset_arg {
	struct jw *w;
	const struct pga_zone *zone;
};

/* Under the registry lock: writes into the buffer only when it has room,
 * so no write(2) happens under the lock (a flush would); a thread that does
 * not fit is left out, and "pagesets_complete" says so. */
static void json_pageset_fn(struct pga_thread *t, void *arg)
{
	struct pageset_arg *a = arg;
	struct pga_fmt *o = a->w->o;

	if (!t->pcp || o->len > sizeof(o->buf) - 400) {
		if (t->pcp)
			a->zone = NULL;
		return;
	}
	j_open(a->w, NULL, '{');
	j_i64(a->w, "thread", t->tid);
	j_i64(a->w, "count",
	      atomic_load_explicit(&t->pcp[a->zone->id].count, memory_order_relaxed));
	j_i64(a->w, "high", a->zone->pcp_high);
	j_i64(a->w, "batch", a->zone->pcp_batch);
	j_close(a->w, '}');
}

static void json_zoneinfo(struct jw *w)
{
	struct pga_zone *zone;

	j_open(w, "zoneinfo", '[');
	FOR_EACH_ZONE(zone)
	{
		struct pga_zone_stats st;

		pga_zone_snapshot(zone, &st);
		j_open(w, NULL, '{');
		j_node_zone(w, zone);
		j_u64(w, "free", st.free);
		j_u64(w, "min", st.watermark_min);
		j_u64(w, "low", st.watermark_low);
		j_u64(w, "high", st.watermark_high);
		j_u64(w, "spanned", st.spanned);
		j_u64(w, "present", st.managed);
		j_u64(w, "managed", st.managed);
		j_open(w, "protection", '[');
		for (int i = 0; i < PGA_NR_ZONES; i++)
			j_u64(w, NULL, zone->lowmem_reserve[i]);
		j_close(w, ']');
		j_u64(w, "nr_free_pages", st.free);
		j_u64(w, "nr_zone_pcp", st.pcp);
		j_u64(w, "numa_hit", st.numa_hit);
		j_u64(w, "numa_miss", st.numa_miss);
		j_u64(w, "numa_foreign", st.numa_foreign);
		j_u64(w, "numa_interleave", st.numa_interleave);
		j_u64(w, "numa_local", st.numa_local);
		j_u64(w, "numa_other", st.numa_other);
		j_u64(w, "pgalloc", st.pgalloc);
		j_u64(w, "pgfree", st.pgfree);
		pga_fmt_flush(w->o);
		struct pageset_arg a = {.w = w, .zone = zone};
		j_open(w, "pagesets", '[');
		pga_for_each_thread(json_pageset_fn, &a);
		j_close(w, ']');
		j_key(w, "pagesets_complete");
		pga_fmt_str(w->o, a.zone ? "true" : "false");
		j_u64(w, "start_pfn", zone->zone_start_pfn);
		j_close(w, '}');
	}
	j_close(w, ']');
}

static void sum_node_events(int nid, uint64_t ev[PGA_NR_ZONE_EVENTS],
                            uint64_t pgalloc[PGA_NR_ZONES])
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

static void json_vmstat(struct jw *w)
{
	uint64_t ev[PGA_NR_ZONE_EVENTS], pgalloc[PGA_NR_ZONES];
	struct pga_zone_stats st;
	struct pga_lock_stats zl, sl;
	unsigned long free = 0;

	for (int i = 0; i < pga_mem.nr_zones; i++)
		if (pga_mem.zones[i])
			free += pga_zone_free_pages(pga_mem.zones[i]);
	sum_node_events(-1, ev, pgalloc);
	pga_events_to_stats(ev, &st);
	pga_zone_lock_stats(&zl);
	pga_slab_lock_stats(&sl);
	j_open(w, "vmstat", '{');
	j_u64(w, "nr_free_pages", free);
	j_u64(w, "numa_hit", st.numa_hit);
	j_u64(w, "numa_miss", st.numa_miss);
	j_u64(w, "numa_foreign", st.numa_foreign);
	j_u64(w, "numa_interleave", st.numa_interleave);
	j_u64(w, "numa_local", st.numa_local);
	j_u64(w, "numa_other", st.numa_other);
	j_u64(w, "pgalloc_dma32", pgalloc[PGA_ZONE_DMA32]);
	j_u64(w, "pgalloc_normal", pgalloc[PGA_ZONE_NORMAL]);
	j_u64(w, "pgfree", st.pgfree);
	j_u64(w, "lock_acquired", zl.acquired + sl.acquired);
	j_u64(w, "lock_contended", zl.contended + sl.contended);
	j_u64(w, "lock_sleeps", zl.sleeps + sl.sleeps);
	j_u64(w, "lock_acquired_zone", zl.acquired);
	j_u64(w, "lock_contended_zone", zl.contended);
	j_u64(w, "lock_acquired_slab", sl.acquired);
	j_u64(w, "lock_contended_slab", sl.contended);
	j_close(w, '}');
}

static void json_numastat(struct jw *w)
{
	j_open(w, "numastat", '[');
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		uint64_t ev[PGA_NR_ZONE_EVENTS], pgalloc[PGA_NR_ZONES];
		struct pga_zone_stats st;

		sum_node_events(nid, ev, pgalloc);
		pga_events_to_stats(ev, &st);
		j_open(w, NULL, '{');
		j_u64(w, "node", (uint64_t)nid);
		j_u64(w, "numa_hit", st.numa_hit);
		j_u64(w, "numa_miss", st.numa_miss);
		j_u64(w, "numa_foreign", st.numa_foreign);
		j_u64(w, "interleave_hit", st.numa_interleave);
		j_u64(w, "local_node", st.numa_local);
		j_u64(w, "other_node", st.numa_other);
		j_close(w, '}');
	}
	j_close(w, ']');
}

static void json_slabinfo(struct jw *w)
{
	int n = pga_mem.nr_nodes * (int)PGA_NR_SIZE_CLASSES;
	struct pga_slab_info info[n > 0 ? n : 1];

	pga_slabinfo_collect(info);
	j_open(w, "slabinfo", '[');
	for (int i = 0; i < n; i++) {
		struct pga_slabinfo_row r;

		pga_slabinfo_row(info, i, &r);
		j_open(w, NULL, '{');
		j_key(w, "name");
		pga_fmt_str(w->o, "\"kmalloc-");
		pga_fmt_u64(w->o, r.objsize, 0);
		pga_fmt_char(w->o, '"');
		j_u64(w, "node", (uint64_t)r.node);
		j_u64(w, "active_objs", r.active_objs);
		j_u64(w, "num_objs", r.num_objs);
		j_u64(w, "objsize", r.objsize);
		j_u64(w, "objperslab", r.objperslab);
		j_u64(w, "pagesperslab", r.pagesperslab);
		j_u64(w, "num_slabs", r.num_slabs);
		j_u64(w, "cached_free", r.cached_free);
		j_close(w, '}');
	}
	j_close(w, ']');
}

static void json_meminfo(struct jw *w)
{
	struct pga_meminfo m;

	pga_meminfo_collect(&m);
	j_open(w, "meminfo", '{');
	j_u64(w, "VmRSS", m.vm_rss);
	j_u64(w, "Allocated", m.allocated);
	j_u64(w, "ThreadCached", m.thread_cached);
	j_u64(w, "SlabFree", m.slab_free);
	j_u64(w, "BuddyFree", m.buddy_dirty);
	j_u64(w, "Huge", m.huge);
	j_u64(w, "HugeCached", m.huge_cached);
	j_u64(w, "Metadata", m.metadata);
	j_i64(w, "NotResident", -m.not_resident);
	j_i64(w, "Other", m.other);
	j_u64(w, "BuddyReturned", m.buddy_clean);
	j_u64(w, "ZoneResident", m.zone_resident);
	j_close(w, '}');
}

void pga_stats_json(struct pga_fmt *o, unsigned what)
{
	struct jw w = {.o = o, .first = true};

	j_open(&w, NULL, '{');
	j_open(&w, "pgalloc", '{');
	j_str(&w, "version", PGA_VERSION);
	j_i64(&w, "pid", pga_os_getpid());
	j_u64(&w, "time_ms", pga_os_realtime_ms());
	j_close(&w, '}');
	if (what & PGA_STATS_BUDDYINFO)
		json_buddyinfo(&w);
	if (what & PGA_STATS_PAGETYPEINFO)
		json_pagetypeinfo(&w);
	if (what & PGA_STATS_ZONEINFO)
		json_zoneinfo(&w);
	if (what & PGA_STATS_VMSTAT)
		json_vmstat(&w);
	if (what & PGA_STATS_NUMASTAT)
		json_numastat(&w);
	if (what & PGA_STATS_SLABINFO)
		json_slabinfo(&w);
	if (what & PGA_STATS_MEMINFO)
		json_meminfo(&w);
	j_close(&w, '}');
	pga_fmt_char(o, '\n');
}
