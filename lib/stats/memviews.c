// SPDX-License-Identifier: MIT
/*
 * memviews.c - the two views the kernel has no per-process form of:
 * slabinfo (the layout of /proc/slabinfo 2.1, one row per node and size
 * class) and meminfo, where every byte of the process's resident memory is
 * (see struct pga_meminfo for the identity it keeps).
 *
 * Locks: the slab figures come from pga_slab_info (node list locks, then
 * the thread registry, one at a time); the page figures from the zone
 * locks one zone at a time; the huge figures from the huge table lock.
 * Nothing is printed while any is held.
 */
#include "stats_int.h"

#include "huge.h"
#include "mmzone.h"
#include "os.h"
#include "scan.h"
#include "vmstat.h"

/* ---------------------------------------------------------------------- */
/* slabinfo                                                               */

void pga_slabinfo_collect(struct pga_slab_info *info)
{
	pga_slab_info(info, pga_mem.nr_nodes);
}

void pga_slabinfo_row(const struct pga_slab_info *info, int i, struct pga_slabinfo_row *r)
{
	unsigned cls = (unsigned)i % PGA_NR_SIZE_CLASSES;
	const struct pga_sizeclass *sc = &pga_size_classes[cls];
	const struct pga_slab_info *si = &info[i];
	uint64_t free_objs = si->node_free + si->cached_free;

	r->node = i / (int)PGA_NR_SIZE_CLASSES;
	r->cls = cls;
	r->objsize = sc->size;
	r->objperslab = sc->objects;
	r->pagesperslab = 1u << sc->order;
	r->num_slabs = si->slabs;
	r->num_objs = si->slabs * sc->objects;
	r->cached_free = si->cached_free;
	/* Unlike SLUB's, objects free in thread caches are not active: the
	 * cpu freelists are counted (the kernel counts its cpu slabs full). */
	r->active_objs = r->num_objs > free_objs ? r->num_objs - free_objs : 0;
}

static void out_num(struct pga_fmt *o, uint64_t v, int width)
{
	pga_fmt_char(o, ' ');
	pga_fmt_u64(o, v, width);
}

void pga_stats_slabinfo_text(struct pga_fmt *o)
{
	int n = pga_mem.nr_nodes * (int)PGA_NR_SIZE_CLASSES;
	struct pga_slab_info info[n > 0 ? n : 1];

	pga_slabinfo_collect(info);
	pga_fmt_str(o, "# /proc/slabinfo\n");
	pga_fmt_str(o, "slabinfo - version: 2.1\n");
	pga_fmt_str(o, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
	               "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : "
	               "slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	for (int i = 0; i < n; i++) {
		struct pga_slabinfo_row r;
		char name[32];
		struct pga_fmt nf;

		pga_slabinfo_row(info, i, &r);
		/* "kmalloc-64" on node 0, "kmalloc-64@1" on node 1: one word, as
		 * slabinfo readers split on blanks. */
		pga_fmt_init(&nf, -1);
		pga_fmt_str(&nf, "kmalloc-");
		pga_fmt_u64(&nf, r.objsize, 0);
		if (r.node) {
			pga_fmt_char(&nf, '@');
			pga_fmt_u64(&nf, (uint64_t)r.node, 0);
		}
		pga_fmt_copy(&nf, name, sizeof(name));
		pga_fmt_strw(o, name, -17);
		out_num(o, r.active_objs, 6);
		out_num(o, r.num_objs, 6);
		out_num(o, r.objsize, 6);
		out_num(o, r.objperslab, 4);
		out_num(o, r.pagesperslab, 4);
		pga_fmt_str(o, " : tunables");
		out_num(o, 0, 4);
		out_num(o, 0, 4);
		out_num(o, 0, 4);
		pga_fmt_str(o, " : slabdata");
		out_num(o, r.num_slabs, 6);
		out_num(o, r.num_slabs, 6);
		out_num(o, 0, 6);
		pga_fmt_char(o, '\n');
		if (o->len > sizeof(o->buf) - 512)
			pga_fmt_flush(o);
	}
}

/* ---------------------------------------------------------------------- */
/* meminfo                                                                */

static uint64_t self_vm_rss(void)
{
	char buf[4096];
	const char *end, *v;
	long kb;

	if (pga_os_read_file("/proc/self/status", buf, sizeof(buf)) <= 0)
		return 0;
	v = pga_scan_field(buf, "VmRSS:", &end);
	if (!v)
		return 0;
	/* "  1234 kB": the number, then the unit. */
	const char *p = v, *q;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (!pga_parse_long(p, q, 0, 1L << 50, &kb))
		return 0;
	return (uint64_t)kb << 10;
}

void pga_meminfo_collect(struct pga_meminfo *m)
{
	struct pga_page_usage u;
	uint64_t slab_used = 0, slab_bytes = 0, cached_objs_bytes = 0, count;
	int n = pga_mem.nr_nodes * (int)PGA_NR_SIZE_CLASSES;

	*m = (struct pga_meminfo){0};
	pga_page_usage(&u);
	if (u.managed) {
		struct pga_slab_info info[n > 0 ? n : 1];

		pga_slab_info(info, pga_mem.nr_nodes);
		for (int i = 0; i < n; i++) {
			const struct pga_sizeclass *sc = &pga_size_classes[i % PGA_NR_SIZE_CLASSES];
			struct pga_slabinfo_row r;

			pga_slabinfo_row(info, i, &r);
			slab_bytes += info[i].slabs * (PGA_PAGE_SIZE << sc->order);
			slab_used += r.active_objs * sc->size;
			cached_objs_bytes += info[i].cached_free * sc->size;
		}
		for (int id = 0; id < pga_mem.nr_zones; id++) {
			struct pga_zone *zone = pga_mem.zones[id];
			uintptr_t start = (uintptr_t)pga_pfn_to_addr(zone, zone->zone_start_pfn);
			unsigned long online;

			m->buddy_clean += (uint64_t)pga_zone_free_clean_pages(zone)
			                  << PGA_PAGE_SHIFT;
			/* online_end_pfn grows under the zone lock; a stale value
			 * only leaves the newest section out of mincore. */
			pga_lock(&zone->lock);
			online = zone->online_end_pfn - zone->zone_start_pfn;
			pga_unlock(&zone->lock);
			m->zone_resident +=
			    pga_os_resident_bytes((void *)start, (size_t)online << PGA_PAGE_SHIFT);
			/* The descriptors of the onlined pages (the memory map is
			 * committed whole but touched as zones grow). */
			uintptr_t map = (uintptr_t)&zone->mem_map[zone->zone_start_pfn];
			uintptr_t map_end =
			    (uintptr_t)&zone->mem_map[zone->zone_start_pfn + online];
			map &= ~(uintptr_t)(PGA_PAGE_SIZE - 1);
			m->metadata += pga_os_resident_bytes((void *)map, map_end - map);
		}
	}
	uint64_t page_used = (u.managed - u.free - u.pcp) << PGA_PAGE_SHIFT;
	if (slab_bytes > page_used)
		slab_bytes = page_used;
	uint64_t free_bytes = u.free << PGA_PAGE_SHIFT;

	m->allocated = page_used - slab_bytes + slab_used;
	m->thread_cached = (u.pcp << PGA_PAGE_SHIFT) + cached_objs_bytes;
	/* What is left of the slab pages: free objects on the node lists and
	 * the tail of each slab that holds no whole object. */
	m->slab_free = slab_bytes - slab_used - cached_objs_bytes;
	if ((int64_t)m->slab_free < 0)
		m->slab_free = 0;
	m->buddy_dirty = free_bytes > m->buddy_clean ? free_bytes - m->buddy_clean : 0;
	pga_huge_usage(&count, &m->huge);
	pga_huge_cache_usage(&count, &m->huge_cached);
	m->not_resident =
	    (int64_t)(m->allocated + m->thread_cached + m->slab_free + m->buddy_dirty) -
	    (int64_t)m->zone_resident;
	m->vm_rss = self_vm_rss();
	m->other = (int64_t)m->vm_rss - ((int64_t)m->zone_resident + (int64_t)m->huge +
	                                 (int64_t)m->huge_cached + (int64_t)m->metadata);
}

/* "Name:   value kB", /proc/meminfo's line. */
static void meminfo_line(struct pga_fmt *o, const char *name, int64_t bytes)
{
	pga_fmt_strw(o, name, -16);
	pga_fmt_i64(o, bytes / 1024, 12);
	pga_fmt_str(o, " kB\n");
}

void pga_stats_meminfo_text(struct pga_fmt *o)
{
	struct pga_meminfo m;

	pga_meminfo_collect(&m);
	pga_fmt_str(o, "# meminfo\n");
	meminfo_line(o, "VmRSS:", (int64_t)m.vm_rss);
	meminfo_line(o, "Allocated:", (int64_t)m.allocated);
	meminfo_line(o, "ThreadCached:", (int64_t)m.thread_cached);
	meminfo_line(o, "SlabFree:", (int64_t)m.slab_free);
	meminfo_line(o, "BuddyFree:", (int64_t)m.buddy_dirty);
	meminfo_line(o, "Huge:", (int64_t)m.huge);
	meminfo_line(o, "HugeCached:", (int64_t)m.huge_cached);
	meminfo_line(o, "Metadata:", (int64_t)m.metadata);
	meminfo_line(o, "NotResident:", -m.not_resident);
	meminfo_line(o, "Other:", m.other);
	meminfo_line(o, "BuddyReturned:", (int64_t)m.buddy_clean);
	meminfo_line(o, "ZoneResident:", (int64_t)m.zone_resident);
}
