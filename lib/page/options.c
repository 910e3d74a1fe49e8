// SPDX-License-Identifier: MIT
/*
 * options.c - PGALLOC_CONF="key=value,key=value,...".
 *
 * One table (keys[]) names every key, its default, the function that parses
 * its value and a description of what it accepts; the description is what an
 * error message prints after "expected". Adding a key is adding a row (and a
 * line in docs/configuration.md). The text is read with the shared scanner
 * (scan.h).
 *
 * This runs inside the first malloc: no stdio, no malloc, no copies of the
 * string. Values are parsed in place as [v, end) ranges of the caller's
 * string, which is never modified.
 *
 * Rules:
 *   - entries are separated by ','; spaces around keys and values are
 *     ignored; empty entries are ignored;
 *   - a later entry for the same key replaces an earlier one;
 *   - a bad value leaves the key as it was (the default, or the value of an
 *     earlier entry for it): parsers validate the whole value before they
 *     store anything;
 *   - checks that depend on other keys (numa_distance and numa_cpu_map
 *     against numa_fake, pcp_high against pcp_batch, ...) run after the whole
 *     string, so the order of the keys does not matter, and drop the
 *     dependent key back to its default.
 */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "compiler.h"
#include "fmt.h"
#include "nodemask.h"
#include "os.h"
#include "scan.h"

/* Keys hold values up to 10^18 (fail_seed) in a long. */
_Static_assert(sizeof(long) >= 8, "pgalloc needs a 64-bit long");

struct pga_options pga_opts;

/* Longest part of a value or key quoted in a message; the rest is elided so
 * that one message stays one line of reasonable length. */
#define QUOTE_MAX 200

#define NODE_LIMIT_MIN_MB 4L
#define NODE_LIMIT_MAX_MB (1L << 24)

enum opt_id {
	OPT_NUMA_FAKE,
	OPT_NUMA_DISTANCE,
	OPT_NUMA_CPU_MAP,
	OPT_NODE_LIMIT_MB,
	OPT_DMA32_MB,
	OPT_MIN_FREE_KBYTES,
	OPT_LOWMEM_RESERVE_RATIO,
	OPT_SECTION_MB,
	OPT_PCP_BATCH,
	OPT_PCP_HIGH,
	OPT_ZLC_INTERVAL_MS,
	OPT_DECAY_MS,
	OPT_BACKGROUND_RECLAIM,
	OPT_PURGE,
	OPT_MEMBARRIER,
	OPT_THP,
	OPT_HARDEN,
	OPT_INIT_ON_ALLOC,
	OPT_INIT_ON_FREE,
	OPT_SLAB_POISON,
	OPT_PAGE_POISON,
	OPT_SLAB_RED_ZONE,
	OPT_SLAB_FREELIST_RANDOM,
	OPT_HUGE_GUARD_PAGES,
	OPT_CHECK_SIZED_FREE,
	OPT_CPUSET_MEMS,
	OPT_FAIL_PROBABILITY,
	OPT_FAIL_INTERVAL,
	OPT_FAIL_TIMES,
	OPT_FAIL_MIN_ORDER,
	OPT_FAIL_SEED,
	OPT_STATS_PRINT,
	OPT_STATS_FILE,
	OPT_STATS_INTERVAL_MS,
	OPT_STATS_LIVE,
	OPT_NR,
};

struct opt_key;

/* Parse [v, end) into o; false, with o unchanged, when the value is bad. */
typedef bool (*opt_parse_fn)(struct pga_options *o, const struct opt_key *k, const char *v,
                             const char *end);

struct opt_key {
	const char *name;
	opt_parse_fn parse;
	const char *expect; /* what is allowed, completing "expected ..." */
	/* For the integer parsers: the bounds. For a key stored in one field
	 * of struct pga_options: its type, offset and default. */
	long min, max;
	enum { OPT_OTHER, OPT_LONG, OPT_BOOL } type;
	size_t field;
	long def;
	/* Keys of another shape set their own default (NULL: zero). */
	void (*reset)(struct pga_options *o);
	/* The documentation: docs/configuration.md's table and pgalloc-stat
	 * --conf are generated from these (type_name NULL: from type). */
	const char *type_name, *values, *def_text, *layer, *effect, *anchor;
	/* A key with named values: the names, in the order of its enum; the
	 * long field holds the index. */
	const char *const *names;
};

/* ------------------------------------------------------------------------
 * Value parsers, one per kind of key.
 */

static long *long_field(struct pga_options *o, const struct opt_key *k)
{
	return (long *)((char *)o + k->field);
}

static bool parse_long_field(struct pga_options *o, const struct opt_key *k, const char *v,
                             const char *end)
{
	return pga_parse_long(v, end, k->min, k->max, long_field(o, k));
}

static bool parse_numa_fake(struct pga_options *o, const struct opt_key *k, const char *v,
                            const char *end)
{
	long n;

	if (!pga_parse_long(v, end, k->min, k->max, &n))
		return false;
	o->numa_fake = (int)n;
	return true;
}

static bool parse_section_mb(struct pga_options *o, const struct opt_key *k, const char *v,
                             const char *end)
{
	long n;

	if (!pga_parse_long(v, end, k->min, k->max, &n) || (n & (n - 1)) != 0)
		return false;
	*long_field(o, k) = n;
	return true;
}

/* Only ranges and the count are checked here: the diagonal, and the count
 * against numa_fake, need numa_fake, which may come later in the string. */
static bool parse_numa_distance(struct pga_options *o, const struct opt_key *k, const char *v,
                                const char *end)
{
	int n =
	    pga_scan_list_count(v, end, ':', k->min, k->max, PGA_MAX_NUMNODES * PGA_MAX_NUMNODES);

	if (n < 0)
		return false;
	for (int i = 0; i < n; i++)
		o->distance[i] = (uint8_t)pga_scan_list_next(&v, end, ':');
	o->nr_distance = n;
	return true;
}

static bool parse_numa_cpu_map(struct pga_options *o, const struct opt_key *k, const char *v,
                               const char *end)
{
	int n = pga_scan_list_count(v, end, ':', k->min, k->max, (int)PGA_ARRAY_SIZE(o->cpu_map));

	if (n < 0)
		return false;
	for (int i = 0; i < n; i++)
		o->cpu_map[i] = (int16_t)pga_scan_list_next(&v, end, ':');
	o->nr_cpu_map = n;
	return true;
}

static bool parse_node_limit_mb(struct pga_options *o, const struct opt_key *k, const char *v,
                                const char *end)
{
	int n = pga_scan_list_count(v, end, ':', k->min, k->max, PGA_MAX_NUMNODES);

	if (n < 0)
		return false;
	for (int i = 0; i < PGA_MAX_NUMNODES; i++)
		o->node_limit_mb[i] = i < n ? pga_scan_list_next(&v, end, ':') : PGA_OPT_UNSET;
	o->nr_node_limit = n;
	return true;
}

static bool parse_cpuset_mems(struct pga_options *o, const struct opt_key *k, const char *v,
                              const char *end)
{
	pga_nodemask_t m;

	(void)k;
	/* An empty cpuset would fail every allocation: surely a mistake. */
	if (!pga_parse_nodelist(v, end, &m) || pga_nodemask_empty(&m))
		return false;
	o->cpuset_mems = m;
	o->cpuset_set = true;
	return true;
}

/* A key with named values (k->names), stored as the index of the name in
 * the long field at k->field. */
static bool parse_name(struct pga_options *o, const struct opt_key *k, const char *v,
                       const char *end)
{
	for (long i = 0; k->names[i]; i++) {
		if (pga_scan_eq(v, end, k->names[i])) {
			*long_field(o, k) = i;
			return true;
		}
	}
	return false;
}

static const char *const thp_names[] = {"never", "madvise", "always", NULL};
static const char *const purge_names[] = {"dontneed", "free", NULL};
static const char *const membarrier_names[] = {"auto", "off", NULL};
static const char *const harden_names[] = {"off", "default", "full", NULL};

/* A yes/no value: 1, true, yes or 0, false, no. */
static bool scan_bool(const char *v, const char *end, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes"};
	static const char *const no[] = {"0", "false", "no"};

	for (size_t i = 0; i < PGA_ARRAY_SIZE(yes); i++) {
		if (pga_scan_eq(v, end, yes[i])) {
			*out = true;
			return true;
		}
		if (pga_scan_eq(v, end, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* A yes/no key, stored in the bool field of struct pga_options at
 * k->field. */
static bool parse_bool(struct pga_options *o, const struct opt_key *k, const char *v,
                       const char *end)
{
	return scan_bool(v, end, (bool *)((char *)o + k->field));
}

/* A yes/no key whose default is decided elsewhere (PGA_OPT_UNSET until
 * set): 1 or 0 in the long field at k->field. */
static bool parse_tristate(struct pga_options *o, const struct opt_key *k, const char *v,
                           const char *end)
{
	bool b;

	if (!scan_bool(v, end, &b))
		return false;
	*long_field(o, k) = b;
	return true;
}

const struct pga_stats_view_name pga_stats_view_names[] = {
    {"buddyinfo", PGA_STATS_BUDDYINFO}, {"pagetypeinfo", PGA_STATS_PAGETYPEINFO},
    {"zoneinfo", PGA_STATS_ZONEINFO},   {"vmstat", PGA_STATS_VMSTAT},
    {"numastat", PGA_STATS_NUMASTAT},   {"slabinfo", PGA_STATS_SLABINFO},
    {"meminfo", PGA_STATS_MEMINFO},     {"all", PGA_STATS_ALL},
    {"json", PGA_STATS_JSON},           {NULL, 0},
};

bool pga_stats_parse_views(const char *s, const char *end, char sep, unsigned *mask)
{
	unsigned m = 0;

	while (s < end) {
		const char *e = memchr(s, sep, (size_t)(end - s));
		const char *a = s, *b = e ? e : end;
		bool found = false;

		pga_scan_trim(&a, &b);
		for (int i = 0; pga_stats_view_names[i].name; i++) {
			if (pga_scan_eq(a, b, pga_stats_view_names[i].name)) {
				m |= pga_stats_view_names[i].bit;
				found = true;
			}
		}
		if (!found)
			return false;
		s = e ? e + 1 : end;
	}
	*mask = m;
	return true;
}

/* stats_print: yes/no as before (yes: the kernel's five views), or a list
 * of views. */
static bool parse_stats_print(struct pga_options *o, const struct opt_key *k, const char *v,
                              const char *end)
{
	unsigned m;

	(void)k;
	if (v == end)
		return false;
	for (const char *const *y = (const char *const[]){"1", "true", "yes", NULL}; *y; y++)
		if (pga_scan_eq(v, end, *y)) {
			o->stats_print = PGA_STATS_BUDDYINFO | PGA_STATS_PAGETYPEINFO |
			                 PGA_STATS_ZONEINFO | PGA_STATS_VMSTAT | PGA_STATS_NUMASTAT;
			return true;
		}
	for (const char *const *n = (const char *const[]){"0", "false", "no", NULL}; *n; n++)
		if (pga_scan_eq(v, end, *n)) {
			o->stats_print = 0;
			return true;
		}
	if (!pga_stats_parse_views(v, end, ':', &m))
		return false;
	/* "json" alone: every view, as JSON. */
	if ((m & PGA_STATS_ALL) == 0)
		m |= PGA_STATS_ALL;
	o->stats_print = m;
	return true;
}

static bool parse_stats_file(struct pga_options *o, const struct opt_key *k, const char *v,
                             const char *end)
{
	size_t n = (size_t)(end - v);

	(void)k;
	if (n == 0 || n >= sizeof(o->stats_file))
		return false;
	memcpy(o->stats_file, v, n);
	o->stats_file[n] = '\0';
	return true;
}

static bool parse_stats_interval(struct pga_options *o, const struct opt_key *k, const char *v,
                                 const char *end)
{
	if (pga_scan_eq(v, end, "0")) {
		o->stats_interval_ms = 0;
		return true;
	}
	return parse_long_field(o, k, v, end);
}

/* Defaults of the keys that are not one long. */
static void reset_node_limit_mb(struct pga_options *o)
{
	o->nr_node_limit = 0;
	for (int i = 0; i < PGA_MAX_NUMNODES; i++)
		o->node_limit_mb[i] = PGA_OPT_UNSET;
}

static void reset_cpuset_mems(struct pga_options *o)
{
	o->cpuset_set = false;
	memset(&o->cpuset_mems, 0xff, sizeof(o->cpuset_mems));
}

/* ------------------------------------------------------------------------
 * The table. Defaults: a long or bool key's .def (PGA_OPT_UNSET: derived
 * at start-up from the machine); another key's .reset; zero otherwise.
 */

static const struct opt_key keys[OPT_NR] = {
    [OPT_NUMA_FAKE] =
        {
            .name = "numa_fake",
            .type_name = "integer",
            .values = "1..64",
            .def_text = "0: the real topology",
            .layer = "page",
            .effect = "Replaces the machine's NUMA topology with N fake nodes, like the kernel's "
                      "numa=fake=N.",
            .anchor = "numa_fake",
            .parse = parse_numa_fake,
            .expect = "an integer 1..64 (the number of fake NUMA nodes)",
            .min = 1,
            .max = PGA_MAX_NUMNODES,
        },
    [OPT_NUMA_DISTANCE] =
        {
            .name = "numa_distance",
            .type_name = "list",
            .values = "N×N integers 10..254, `:`-separated",
            .def_text = "10 local, 20 remote",
            .layer = "page",
            .effect = "The fake nodes' distance matrix, row by row; needs numa_fake.",
            .anchor = "numa_distance",
            .parse = parse_numa_distance,
            .expect = "numa_fake*numa_fake integers 10..254 separated by ':', row by row, "
                      "10 on the diagonal and more than 10 elsewhere",
            .min = PGA_LOCAL_DISTANCE,
            .max = 254,
        },
    [OPT_NUMA_CPU_MAP] =
        {
            .name = "numa_cpu_map",
            .type_name = "list",
            .values = "up to 1024 node numbers, `:`-separated",
            .def_text = "cpu c on node c % N",
            .layer = "page",
            .effect = "The fake node of each CPU, in CPU order; needs numa_fake.",
            .anchor = "numa_cpu_map",
            .parse = parse_numa_cpu_map,
            .expect = "node numbers below numa_fake separated by ':' (the node of cpu 0, cpu 1, "
                      "...), at most 1024 of them",
            .min = 0,
            .max = PGA_MAX_NUMNODES - 1,
        },
    [OPT_NODE_LIMIT_MB] =
        {
            .name = "node_limit_mb",
            .type_name = "list",
            .values = "4..16777216, one value or one per node",
            .def_text = "the node's memory",
            .layer = "page",
            .effect = "How much memory each node may hand out: the zones' size, from which the "
                      "watermarks derive.",
            .anchor = "node_limit_mb",
            .parse = parse_node_limit_mb,
            .expect = "megabytes 4..16777216, one value for every node or one per node separated "
                      "by ':'",
            .min = NODE_LIMIT_MIN_MB,
            .max = NODE_LIMIT_MAX_MB,
            .reset = reset_node_limit_mb,
        },
    [OPT_DMA32_MB] =
        {
            .name = "dma32_mb",
            .values = "0..4096",
            .def_text = "64",
            .layer = "page",
            .effect = "Size of each node's ZONE_DMA32 (below 4 GiB), in MiB; 0 turns it off.",
            .anchor = "dma32_mb",
            .parse = parse_long_field,
            .expect = "an integer 0..4096 (megabytes per node; 0 disables ZONE_DMA32)",
            .min = 0,
            .max = 4096,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, dma32_mb),
            .def = 64,
        },
    [OPT_MIN_FREE_KBYTES] =
        {
            .name = "min_free_kbytes",
            .values = "128..1048576",
            .def_text = "sqrt(16 × node KiB), 128..262144",
            .layer = "page",
            .effect =
                "The node's reserve in KiB: the min watermark (low = min × 5/4, high = min × 3/2).",
            .anchor = "min_free_kbytes",
            .parse = parse_long_field,
            .expect = "an integer 128..1048576",
            .min = 128,
            .max = 1048576,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, min_free_kbytes),
            .def = PGA_OPT_UNSET,
        },
    [OPT_LOWMEM_RESERVE_RATIO] =
        {
            .name = "lowmem_reserve_ratio",
            .values = "1..65536",
            .def_text = "256",
            .layer = "page",
            .effect =
                "How much of ZONE_DMA32 a NORMAL request must leave alone: NORMAL pages / ratio.",
            .anchor = "lowmem_reserve_ratio",
            .parse = parse_long_field,
            .expect = "an integer 1..65536",
            .min = 1,
            .max = 65536,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, lowmem_reserve_ratio),
            .def = 256,
        },
    [OPT_SECTION_MB] =
        {
            .name = "section_mb",
            .values = "power of two 4..1024",
            .def_text = "16",
            .layer = "page",
            .effect = "The step, in MiB, by which a zone grows (memory hotplug).",
            .anchor = "section_mb",
            .parse = parse_section_mb,
            .expect = "a power of two 4..1024 (megabytes)",
            .min = 4,
            .max = 1024,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, section_mb),
            .def = 16,
        },
    [OPT_PCP_BATCH] =
        {
            .name = "pcp_batch",
            .values = "1..4096",
            .def_text = "the kernel's `zone_batchsize`",
            .layer = "page",
            .effect = "Pages moved at once between a thread's page cache and the buddy lists.",
            .anchor = "pcp_batch-and-pcp_high",
            .parse = parse_long_field,
            .expect = "an integer 1..4096",
            .min = 1,
            .max = 4096,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, pcp_batch),
            .def = PGA_OPT_UNSET,
        },
    [OPT_PCP_HIGH] =
        {
            .name = "pcp_high",
            .values = "1..65536, at least `pcp_batch`",
            .def_text = "6 × batch",
            .layer = "page",
            .effect = "Pages a thread's page cache holds before it gives a batch back.",
            .anchor = "pcp_batch-and-pcp_high",
            .parse = parse_long_field,
            .expect = "an integer 1..65536, not below pcp_batch",
            .min = 1,
            .max = 65536,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, pcp_high),
            .def = PGA_OPT_UNSET,
        },
    [OPT_ZLC_INTERVAL_MS] =
        {
            .name = "zlc_interval_ms",
            .values = "1..60000",
            .def_text = "1000",
            .layer = "page",
            .effect = "How long the zonelist cache skips a zone found full, in ms.",
            .anchor = "zlc_interval_ms",
            .parse = parse_long_field,
            .expect = "an integer 1..60000 (milliseconds)",
            .min = 1,
            .max = 60000,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, zlc_interval_ms),
            .def = 1000,
        },
    [OPT_DECAY_MS] =
        {
            .name = "decay_ms",
            .values = "0..600000",
            .def_text = "1000",
            .layer = "page, malloc",
            .effect = "How long free memory (buddy blocks, cached huge mappings) is kept before it "
                      "goes back to the kernel, in ms.",
            .anchor = "decay_ms",
            .parse = parse_long_field,
            .expect = "an integer 0..600000 (milliseconds; 0 gives freed huge blocks back at once)",
            .min = 0,
            .max = 600000,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, decay_ms),
            .def = 1000,
        },
    [OPT_BACKGROUND_RECLAIM] =
        {
            .name = "background_reclaim",
            .values = "`0 1 true false yes no`",
            .def_text = "1",
            .layer = "page",
            .effect = "Whether a background thread (kswapd) gives free memory back after decay_ms.",
            .anchor = "background_reclaim",
            .parse = parse_bool,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_BOOL,
            .field = offsetof(struct pga_options, background_reclaim),
            .def = 1,
        },
    [OPT_PURGE] =
        {
            .name = "purge",
            .type_name = "name",
            .values = "`dontneed free`",
            .def_text = "dontneed",
            .layer = "page",
            .effect = "How free memory goes back to the kernel: MADV_DONTNEED (RSS drops at once) "
                      "or MADV_FREE.",
            .anchor = "purge",
            .parse = parse_name,
            .expect = "dontneed or free",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, purge),
            .def = PGA_PURGE_DONTNEED,
            .names = purge_names,
        },
    [OPT_MEMBARRIER] =
        {
            .name = "membarrier",
            .type_name = "name",
            .values = "`auto off`",
            .def_text = "auto",
            .layer = "page",
            .effect = "Whether a drain of another thread's page cache fences it with membarrier "
                      "(auto: when the kernel has it) or leaves the drain to the owner (off).",
            .anchor = "membarrier",
            .parse = parse_name,
            .expect = "auto or off",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, membarrier),
            .def = PGA_MEMBARRIER_AUTO,
            .names = membarrier_names,
        },
    [OPT_THP] =
        {
            .name = "thp",
            .type_name = "name",
            .values = "`never madvise always`",
            .def_text = "madvise",
            .layer = "page, malloc",
            .effect = "Where transparent huge pages may back memory: nowhere, huge allocations, or "
                      "also whole pageblocks in use.",
            .anchor = "thp",
            .parse = parse_name,
            .expect = "never, madvise or always",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, thp),
            .def = PGA_THP_MADVISE,
            .names = thp_names,
        },
    [OPT_HARDEN] =
        {
            .name = "harden",
            .type_name = "name",
            .values = "`off default full`",
            .def_text = "default",
            .layer = "malloc, slab",
            .effect = "How much misuse is checked: off (no checks off the fast path), default "
                      "(hardened freelists, double free and invalid pointers caught), full (also "
                      "every key below; every small object under its node's lock).",
            .anchor = "harden",
            .parse = parse_name,
            .expect = "off, default or full",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, harden),
            .def = PGA_HARDEN_DEFAULT,
            .names = harden_names,
        },
    [OPT_INIT_ON_ALLOC] =
        {
            .name = "init_on_alloc",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "malloc, slab",
            .effect = "Zero every allocation (the kernel's init_on_alloc): small objects, page "
                      "runs and reused huge blocks.",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, init_on_alloc),
            .def = PGA_OPT_UNSET,
        },
    [OPT_INIT_ON_FREE] =
        {
            .name = "init_on_free",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "malloc, slab",
            .effect = "Zero every block when it is freed (the kernel's init_on_free), so freed "
                      "data does not linger; slab_poison, when on, writes its pattern instead.",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, init_on_free),
            .def = PGA_OPT_UNSET,
        },
    [OPT_SLAB_POISON] =
        {
            .name = "slab_poison",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "slab",
            .effect = "Fill freed small objects with 0x6b and check the pattern when they are "
                      "handed out again: a write after free is reported (slub_debug=P).",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, slab_poison),
            .def = PGA_OPT_UNSET,
        },
    [OPT_PAGE_POISON] =
        {
            .name = "page_poison",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "malloc, slab",
            .effect = "Fill freed page runs and slabs with 0x6b and check them when their pages "
                      "are allocated again (the kernel's page_poison).",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, page_poison),
            .def = PGA_OPT_UNSET,
        },
    [OPT_SLAB_RED_ZONE] =
        {
            .name = "slab_red_zone",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "malloc",
            .effect = "Put a red zone after every small object, checked when it is freed: an "
                      "overflow past the request is reported (slub_debug=Z). malloc_usable_size is "
                      "then the size requested.",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, slab_red_zone),
            .def = PGA_OPT_UNSET,
        },
    [OPT_SLAB_FREELIST_RANDOM] =
        {
            .name = "slab_freelist_random",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "slab",
            .effect = "Link a new slab's objects in random order (CONFIG_SLAB_FREELIST_RANDOM), so "
                      "that neighbours cannot be predicted.",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, slab_freelist_random),
            .def = PGA_OPT_UNSET,
        },
    [OPT_HUGE_GUARD_PAGES] =
        {
            .name = "huge_guard_pages",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "malloc",
            .effect = "An inaccessible page before and after every huge block: an overflow off "
                      "either end faults at once.",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, huge_guard_pages),
            .def = PGA_OPT_UNSET,
        },
    [OPT_CHECK_SIZED_FREE] =
        {
            .name = "check_sized_free",
            .values = "`0 1 true false yes no`",
            .def_text = "1 with harden=full, else 0",
            .layer = "malloc",
            .effect = "free_sized, free_aligned_sized and sized operator delete check the size "
                      "against the block (pgalloc: free_sized(): wrong size).",
            .anchor = "harden",
            .parse = parse_tristate,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, check_sized_free),
            .def = PGA_OPT_UNSET,
        },
    [OPT_CPUSET_MEMS] =
        {
            .name = "cpuset_mems",
            .type_name = "node list",
            .values = "node list, e.g. `0-1:3`",
            .def_text = "all nodes",
            .layer = "page",
            .effect = "The nodes allocations may use, narrowing the cpuset's Mems_allowed.",
            .anchor = "cpuset_mems",
            .parse = parse_cpuset_mems,
            .expect = "a non-empty node list such as 0-1:3 (nodes 0..63, ranges a-b, separated "
                      "by ':')",
            .reset = reset_cpuset_mems,
        },
    [OPT_FAIL_PROBABILITY] =
        {
            .name = "fail_probability",
            .values = "0..100",
            .def_text = "0 (off)",
            .layer = "page",
            .effect = "Percentage of page allocations that fail on purpose (fault injection).",
            .anchor = "fault-injection",
            .parse = parse_long_field,
            .expect = "an integer 0..100 (percent)",
            .min = 0,
            .max = 100,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, fail_probability),
            .def = 0,
        },
    [OPT_FAIL_INTERVAL] =
        {
            .name = "fail_interval",
            .values = "1..1000000000",
            .def_text = "1",
            .layer = "page",
            .effect = "Only every interval-th candidate allocation may fail.",
            .anchor = "fault-injection",
            .parse = parse_long_field,
            .expect = "an integer 1..1000000000",
            .min = 1,
            .max = 1000000000L,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, fail_interval),
            .def = 1,
        },
    [OPT_FAIL_TIMES] =
        {
            .name = "fail_times",
            .values = "-1..1000000000",
            .def_text = "-1 (no limit)",
            .layer = "page",
            .effect = "How many failures to inject at most.",
            .anchor = "fault-injection",
            .parse = parse_long_field,
            .expect = "an integer -1..1000000000 (-1: no limit)",
            .min = -1,
            .max = 1000000000L,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, fail_times),
            .def = -1,
        },
    [OPT_FAIL_MIN_ORDER] =
        {
            .name = "fail_min_order",
            .values = "0..10",
            .def_text = "0",
            .layer = "page",
            .effect = "Allocations of lower orders never fail.",
            .anchor = "fault-injection",
            .parse = parse_long_field,
            .expect = "an integer 0..10",
            .min = 0,
            .max = PGA_MAX_ORDER - 1,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, fail_min_order),
            .def = 0,
        },
    [OPT_FAIL_SEED] =
        {
            .name = "fail_seed",
            .values = "0..1000000000000000000",
            .def_text = "42",
            .layer = "page",
            .effect = "Seed of the fault injection's random numbers.",
            .anchor = "fault-injection",
            .parse = parse_long_field,
            .expect = "an integer 0..1000000000000000000",
            .min = 0,
            .max = 1000000000000000000L,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, fail_seed),
            .def = 42,
        },
    [OPT_STATS_PRINT] =
        {
            .name = "stats_print",
            .type_name = "view list",
            .values = "`0 1 true false yes no`, `all`, or views `:`-separated, `json`",
            .def_text = "0",
            .layer = "stats",
            .effect = "The statistics views printed at exit (1: buddyinfo, pagetypeinfo, zoneinfo, "
                      "vmstat, numastat).",
            .anchor = "stats_print",
            .parse = parse_stats_print,
            .expect = "0, 1, true, false, yes, no, all, or view names separated by ':' "
                      "(buddyinfo, pagetypeinfo, zoneinfo, vmstat, numastat, slabinfo, "
                      "meminfo, all; json for the format)",
        },
    [OPT_STATS_FILE] =
        {
            .name = "stats_file",
            .type_name = "path",
            .values = "a file name, at most 255 bytes",
            .def_text = "empty: standard error",
            .layer = "stats",
            .effect = "Where stats_print and stats_interval_ms write (appended to, created 0600).",
            .anchor = "stats_file",
            .parse = parse_stats_file,
            .expect = "a file name of 1..255 bytes",
        },
    [OPT_STATS_INTERVAL_MS] =
        {
            .name = "stats_interval_ms",
            .values = "0, or 10..86400000",
            .def_text = "0 (only at exit)",
            .layer = "stats",
            .effect = "Print the stats_print views every this many ms, from a thread of pgalloc's.",
            .anchor = "stats_interval_ms",
            .parse = parse_stats_interval,
            .expect = "0 or an integer 10..86400000 (milliseconds)",
            .min = 10,
            .max = 86400000L,
            .type = OPT_LONG,
            .field = offsetof(struct pga_options, stats_interval_ms),
            .def = 0,
        },
    [OPT_STATS_LIVE] =
        {
            .name = "stats_live",
            .values = "`0 1 true false yes no`",
            .def_text = "1",
            .layer = "stats",
            .effect = "Keep the live views that pgalloc-stat reads (a shared memfd and a sleeping "
                      "thread).",
            .anchor = "stats_live",
            .parse = parse_bool,
            .expect = "0, 1, true, false, yes or no",
            .type = OPT_BOOL,
            .field = offsetof(struct pga_options, stats_live),
            .def = 1,
        },
};

/* What messages name as the source of an entry, and whether they are
 * printed at all (not when the constructor already reported them). Set by
 * pga_options_load for each source; start-up is single-threaded. */
static const char *msg_source = "PGALLOC_CONF";
static bool msg_quiet;

/* ------------------------------------------------------------------------
 * Messages. Each is built whole in a pga_fmt and written with one write(2),
 * so that it stays one line even when threads print at the same time.
 */

/* Append [s, end), cut at QUOTE_MAX characters. */
static void fmt_range(struct pga_fmt *f, const char *s, const char *end)
{
	size_t n = (size_t)(end - s);

	for (size_t i = 0; i < n && i < QUOTE_MAX; i++)
		pga_fmt_char(f, s[i]);
	if (n > QUOTE_MAX)
		pga_fmt_str(f, "...");
}

static void msg_flush(struct pga_fmt *f)
{
	/* Configuration is parsed inside malloc: leave errno alone. */
	int saved = errno;

	pga_fmt_char(f, '\n');
	if (msg_quiet)
		f->len = 0;
	else
		pga_fmt_flush(f);
	errno = saved;
}

/* "pgalloc: PGALLOC_CONF: bad value 'VAL' for key 'KEY': expected " */
static void msg_bad_begin(struct pga_fmt *f, const char *key, const char *v, const char *end)
{
	pga_fmt_init(f, 2);
	pga_fmt_str(f, "pgalloc: ");
	pga_fmt_str(f, msg_source);
	pga_fmt_str(f, ": bad value '");
	fmt_range(f, v, end);
	pga_fmt_str(f, "' for key '");
	pga_fmt_str(f, key);
	pga_fmt_str(f, "': expected ");
}

static void msg_bad_end(struct pga_fmt *f, bool earlier)
{
	pga_fmt_str(f, earlier ? "; keeping the value given earlier" : "; using the default");
	msg_flush(f);
}

static void report_bad(const struct opt_key *k, const char *v, const char *end, const char *expect,
                       bool earlier)
{
	struct pga_fmt f;

	msg_bad_begin(&f, k->name, v, end);
	pga_fmt_str(&f, expect);
	msg_bad_end(&f, earlier);
}

static void report_unknown(const char *key, const char *end)
{
	struct pga_fmt f;

	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "pgalloc: ");
	pga_fmt_str(&f, msg_source);
	pga_fmt_str(&f, ": unknown key '");
	fmt_range(&f, key, end);
	pga_fmt_str(&f, "'; known keys: ");
	for (int i = 0; i < OPT_NR; i++) {
		if (i)
			pga_fmt_str(&f, ", ");
		pga_fmt_str(&f, keys[i].name);
	}
	msg_flush(&f);
}

/* ------------------------------------------------------------------------
 * Parsing.
 */

/* Where each key's last accepted value lies in the string, for the messages
 * of the checks that run after the whole string is parsed. */
struct parse_state {
	bool set[OPT_NR];
	const char *val[OPT_NR];
	const char *val_end[OPT_NR];
	const char *src[OPT_NR]; /* the source of the value, for messages */
};

static void set_defaults(struct pga_options *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < OPT_NR; i++) {
		const struct opt_key *k = &keys[i];
		if (k->reset)
			k->reset(o);
		else if (k->type == OPT_LONG)
			*long_field(o, k) = k->def;
		else if (k->type == OPT_BOOL)
			*(bool *)((char *)o + k->field) = k->def != 0;
	}
}

static const struct opt_key *find_key(const char *s, const char *end)
{
	for (int i = 0; i < OPT_NR; i++)
		if (pga_scan_eq(s, end, keys[i].name))
			return &keys[i];
	return NULL;
}

/* One "key=value" entry in [s, end); returns the number of errors (0 or 1). */
static int parse_entry(struct pga_options *o, struct parse_state *st, const char *s,
                       const char *end)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));
	const char *key_end = eq ? eq : end;
	const char *v, *v_end;
	const struct opt_key *k;
	int id;

	pga_scan_trim(&s, &end);
	if (s == end)
		return 0; /* ",," or a trailing ',' */
	pga_scan_trim(&s, &key_end);
	k = find_key(s, key_end);
	if (!k) {
		report_unknown(s, key_end);
		return 1;
	}
	id = (int)(k - keys);
	if (!eq) {
		report_bad(k, end, end, "key=value", st->set[id]);
		return 1;
	}
	v = eq + 1;
	v_end = end;
	pga_scan_trim(&v, &v_end);
	if (!k->parse(o, k, v, v_end)) {
		report_bad(k, v, v_end, k->expect, st->set[id]);
		return 1;
	}
	st->set[id] = true;
	st->val[id] = v;
	st->val_end[id] = v_end;
	st->src[id] = msg_source;
	return 0;
}

/* numa_distance against numa_fake; drops the matrix when it does not fit. */
static int check_numa_distance(struct pga_options *o, const struct parse_state *st)
{
	const struct opt_key *k = &keys[OPT_NUMA_DISTANCE];
	int nr = o->numa_fake;
	struct pga_fmt f;

	if (o->nr_distance == 0)
		return 0;
	if (nr == 0) {
		report_bad(k, st->val[OPT_NUMA_DISTANCE], st->val_end[OPT_NUMA_DISTANCE],
		           "a numa_fake=N key as well: distances apply to fake nodes only", false);
	} else if (o->nr_distance != nr * nr) {
		msg_bad_begin(&f, k->name, st->val[OPT_NUMA_DISTANCE],
		              st->val_end[OPT_NUMA_DISTANCE]);
		pga_fmt_u64(&f, (uint64_t)(nr * nr), 0);
		pga_fmt_str(&f, " distances (numa_fake=");
		pga_fmt_u64(&f, (uint64_t)nr, 0);
		pga_fmt_str(&f, " squared), got ");
		pga_fmt_u64(&f, (uint64_t)o->nr_distance, 0);
		msg_bad_end(&f, false);
	} else {
		for (int a = 0; a < nr; a++) {
			for (int b = 0; b < nr; b++) {
				int d = o->distance[a * nr + b];

				if (a == b ? d == PGA_LOCAL_DISTANCE : d > PGA_LOCAL_DISTANCE)
					continue;
				msg_bad_begin(&f, k->name, st->val[OPT_NUMA_DISTANCE],
				              st->val_end[OPT_NUMA_DISTANCE]);
				pga_fmt_str(&f, "10 on the diagonal and more than 10 elsewhere, "
				                "but distance(");
				pga_fmt_u64(&f, (uint64_t)a, 0);
				pga_fmt_char(&f, ',');
				pga_fmt_u64(&f, (uint64_t)b, 0);
				pga_fmt_str(&f, ") is ");
				pga_fmt_u64(&f, (uint64_t)d, 0);
				msg_bad_end(&f, false);
				goto drop;
			}
		}
		return 0;
	}
drop:
	o->nr_distance = 0;
	return 1;
}

/* numa_cpu_map against numa_fake. */
static int check_numa_cpu_map(struct pga_options *o, const struct parse_state *st)
{
	const struct opt_key *k = &keys[OPT_NUMA_CPU_MAP];
	int nr = o->numa_fake;
	struct pga_fmt f;

	if (o->nr_cpu_map == 0)
		return 0;
	if (nr == 0) {
		report_bad(k, st->val[OPT_NUMA_CPU_MAP], st->val_end[OPT_NUMA_CPU_MAP],
		           "a numa_fake=N key as well: the map applies to fake nodes only", false);
		o->nr_cpu_map = 0;
		return 1;
	}
	for (int c = 0; c < o->nr_cpu_map; c++) {
		if (o->cpu_map[c] < nr)
			continue;
		msg_bad_begin(&f, k->name, st->val[OPT_NUMA_CPU_MAP],
		              st->val_end[OPT_NUMA_CPU_MAP]);
		pga_fmt_str(&f, "node numbers below numa_fake=");
		pga_fmt_u64(&f, (uint64_t)nr, 0);
		pga_fmt_str(&f, ", but cpu ");
		pga_fmt_u64(&f, (uint64_t)c, 0);
		pga_fmt_str(&f, " is on node ");
		pga_fmt_u64(&f, (uint64_t)o->cpu_map[c], 0);
		msg_bad_end(&f, false);
		o->nr_cpu_map = 0;
		return 1;
	}
	return 0;
}

/* With a fake topology the node count is known here; with the real one it
 * is checked when the zones are set up. */
static int check_node_limit(struct pga_options *o, const struct parse_state *st)
{
	struct pga_fmt f;

	if (o->numa_fake == 0 || o->nr_node_limit <= 1 || o->nr_node_limit == o->numa_fake)
		return 0;
	msg_bad_begin(&f, keys[OPT_NODE_LIMIT_MB].name, st->val[OPT_NODE_LIMIT_MB],
	              st->val_end[OPT_NODE_LIMIT_MB]);
	pga_fmt_str(&f, "one value, or one per node (numa_fake=");
	pga_fmt_u64(&f, (uint64_t)o->numa_fake, 0);
	pga_fmt_str(&f, "), got ");
	pga_fmt_u64(&f, (uint64_t)o->nr_node_limit, 0);
	msg_bad_end(&f, false);
	reset_node_limit_mb(o);
	return 1;
}

/* The kernel keeps high >= batch: a list drained by batch must be able to
 * hold a batch. */
static int check_pcp(struct pga_options *o, const struct parse_state *st)
{
	struct pga_fmt f;

	if (o->pcp_batch == PGA_OPT_UNSET || o->pcp_high == PGA_OPT_UNSET ||
	    o->pcp_high >= o->pcp_batch)
		return 0;
	msg_bad_begin(&f, keys[OPT_PCP_HIGH].name, st->val[OPT_PCP_HIGH],
	              st->val_end[OPT_PCP_HIGH]);
	pga_fmt_str(&f, "a value not below pcp_batch=");
	pga_fmt_i64(&f, o->pcp_batch, 0);
	msg_bad_end(&f, false);
	o->pcp_high = keys[OPT_PCP_HIGH].def;
	return 1;
}

/* cpuset_mems against numa_fake, like the kernel refusing to put a node that
 * does not exist into cpuset.mems. */
static int check_cpuset(struct pga_options *o, const struct parse_state *st)
{
	struct pga_fmt f;

	if (!o->cpuset_set || o->numa_fake == 0)
		return 0;
	for (int n = o->numa_fake; n < PGA_MAX_NUMNODES; n++) {
		if (!pga_nodemask_test(&o->cpuset_mems, n))
			continue;
		msg_bad_begin(&f, keys[OPT_CPUSET_MEMS].name, st->val[OPT_CPUSET_MEMS],
		              st->val_end[OPT_CPUSET_MEMS]);
		pga_fmt_str(&f, "nodes below numa_fake=");
		pga_fmt_u64(&f, (uint64_t)o->numa_fake, 0);
		pga_fmt_str(&f, ", but node ");
		pga_fmt_u64(&f, (uint64_t)n, 0);
		pga_fmt_str(&f, " is listed");
		msg_bad_end(&f, false);
		reset_cpuset_mems(o);
		return 1;
	}
	return 0;
}

/* The entries of conf, separated by ',' (and by new lines, comments from
 * '#' to the end of a line, when file). */
static int parse_string(struct pga_options *opts, struct parse_state *st, const char *conf,
                        bool file)
{
	int errors = 0;

	for (const char *s = conf;;) {
		const char *e = s;

		while (*e && *e != ',' && !(file && (*e == '\n' || *e == '#')))
			e++;
		errors += parse_entry(opts, st, s, e);
		if (file && *e == '#')
			while (*e && *e != '\n')
				e++;
		if (*e == '\0')
			break;
		s = e + 1;
	}
	return errors;
}

/* Each check reports against the source of the key it drops. */
static int run_check(struct pga_options *opts, const struct parse_state *st, int id,
                     int (*check)(struct pga_options *, const struct parse_state *))
{
	const char *saved = msg_source;
	int errors;

	msg_source = st->src[id] ? st->src[id] : "PGALLOC_CONF";
	errors = check(opts, st);
	msg_source = saved;
	return errors;
}

static int run_checks(struct pga_options *opts, const struct parse_state *st)
{
	int errors = 0;

	errors += run_check(opts, st, OPT_NUMA_DISTANCE, check_numa_distance);
	errors += run_check(opts, st, OPT_NUMA_CPU_MAP, check_numa_cpu_map);
	errors += run_check(opts, st, OPT_NODE_LIMIT_MB, check_node_limit);
	errors += run_check(opts, st, OPT_PCP_HIGH, check_pcp);
	errors += run_check(opts, st, OPT_CPUSET_MEMS, check_cpuset);
	return errors;
}

int pga_options_parse(struct pga_options *opts, const char *conf)
{
	struct parse_state st;
	int errors;

	set_defaults(opts);
	if (!conf)
		return 0;
	memset(&st, 0, sizeof(st));
	errors = parse_string(opts, &st, conf, false);
	return errors + run_checks(opts, &st);
}

/* ------------------------------------------------------------------------
 * The sources of the process's configuration.
 */

const char *pga_options_system_file = "/etc/pgalloc.conf";

/* The files' text, kept until the checks after the last source have
 * quoted from it. Static: this runs inside the first malloc. */
static char file_buf[2][8192];

/* FNV-1a over the sources' text, to tell whether the environment or the
 * files changed between the constructor's load and start-up's. */
static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t reported_hash;

int pga_options_load(struct pga_options *opts)
{
	const char *file = getenv("PGALLOC_CONF_FILE");
	const char *env = getenv("PGALLOC_CONF");
	struct parse_state st;
	int errors = 0;
	bool have[2];

	have[0] = pga_os_read_file(pga_options_system_file, file_buf[0], sizeof(file_buf[0])) >= 0;
	have[1] = file && *file && pga_os_read_file(file, file_buf[1], sizeof(file_buf[1])) >= 0;
	uint64_t h = 14695981039346656037ULL;
	h = hash_str(h, have[0] ? file_buf[0] : NULL);
	h = hash_str(h, have[1] ? file_buf[1] : NULL);
	h = hash_str(h, file);
	h = hash_str(h, env);
	msg_quiet = h == reported_hash;
	reported_hash = h;

	set_defaults(opts);
	memset(&st, 0, sizeof(st));
	if (have[0]) {
		msg_source = pga_options_system_file;
		errors += parse_string(opts, &st, file_buf[0], true);
	}
	if (file && *file && !have[1]) {
		struct pga_fmt f;
		pga_fmt_init(&f, 2);
		pga_fmt_str(&f, "pgalloc: PGALLOC_CONF_FILE: cannot read '");
		fmt_range(&f, file, file + strlen(file));
		pga_fmt_str(&f, "'; going on without it");
		msg_flush(&f);
		errors++;
	} else if (have[1]) {
		msg_source = file;
		errors += parse_string(opts, &st, file_buf[1], true);
	}
	if (env) {
		msg_source = "PGALLOC_CONF";
		errors += parse_string(opts, &st, env, false);
	}
	errors += run_checks(opts, &st);
	msg_source = "PGALLOC_CONF";
	msg_quiet = false;
	return errors;
}

/* At load time: report mistakes before the program's main, allocation or
 * not. Into a scratch copy: start-up loads the configuration it uses. */
__attribute__((constructor)) static void options_report_at_load(void)
{
	static struct pga_options scratch;

	pga_options_load(&scratch);
}

/* ------------------------------------------------------------------------
 * The documentation of the table.
 */

bool pga_option_doc(int i, struct pga_option_doc *d)
{
	if (i < 0 || i >= OPT_NR)
		return false;
	const struct opt_key *k = &keys[i];
	d->name = k->name;
	d->type = k->type_name ? k->type_name : k->type == OPT_BOOL ? "boolean" : "integer";
	d->values = k->values ? k->values : k->expect;
	d->def = k->def_text ? k->def_text : "";
	d->layer = k->layer ? k->layer : "";
	d->effect = k->effect ? k->effect : "";
	d->anchor = k->anchor ? k->anchor : k->name;
	return true;
}

struct pga_hardening pga_harden = {.checks = true};

/* An opt-in check's key, v: as given, or on when harden=full. */
static bool harden_key(long v)
{
	return v == PGA_OPT_UNSET ? pga_opts.harden == PGA_HARDEN_FULL : v != 0;
}

void pga_harden_resolve(void)
{
	struct pga_hardening h = {
	    .checks = pga_opts.harden != PGA_HARDEN_OFF,
	    .init_on_alloc = harden_key(pga_opts.init_on_alloc),
	    .init_on_free = harden_key(pga_opts.init_on_free),
	    .slab_poison = harden_key(pga_opts.slab_poison),
	    .page_poison = harden_key(pga_opts.page_poison),
	    .red_zone = harden_key(pga_opts.slab_red_zone),
	    .freelist_random = harden_key(pga_opts.slab_freelist_random),
	    .guard_pages = harden_key(pga_opts.huge_guard_pages),
	    .sized = harden_key(pga_opts.check_sized_free),
	};
	h.slab_debug = h.init_on_alloc || h.init_on_free || h.slab_poison || h.red_zone;
	h.debug = h.slab_debug || h.page_poison || h.guard_pages;
	pga_harden = h;
}
