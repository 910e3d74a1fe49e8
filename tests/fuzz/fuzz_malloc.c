// SPDX-License-Identifier: MIT
/*
 * fuzz_malloc.c - a libFuzzer target that drives random sequences of the
 * whole native API (the malloc family, the page allocator's functions, the
 * NUMA policy, trim, drain, shrink, mallinfo and the statistics) across two
 * threads, against a shadow model that says what each call must return.
 *
 * The input is a sequence of operations. Each one starts with a byte whose
 * top bit names the thread that runs it (0: the fuzzing thread, 1: the
 * worker) and whose low 7 bits pick the operation (a weighted table); the
 * bytes after it are its arguments (a slot, sizes, an alignment, gfp
 * flags, a node, ...). A missing byte reads as 0, so every input is a valid
 * program. The fuzzing thread decodes every operation; its own it runs at
 * once, the worker's it hands over through a small queue.
 *
 * Model. NSLOTS slots, each empty or holding one live block: its pointer,
 * kind (malloc family, pga_alloc_pages block, pga_alloc_pages_exact run),
 * requested size, promised alignment, usable size, and a fill key derived
 * from the number of the operation that made it. Every allocation is
 * checked (alignment, usable size >= request, calloc/GFP_ZERO memory zero,
 * node and zone where the call names them), then filled with the key's
 * pattern; every later operation on the slot first checks that the usable
 * size has not changed and that the pattern is intact (the whole block up
 * to FULL_MAX bytes, its first and last WINDOW bytes beyond), and realloc
 * keeps the min(old, new) prefix. Calls that must fail (an impossible size,
 * a bad alignment, an order of PGA_MAX_ORDER or more, contradictory gfp
 * flags, a node that does not exist, a bad policy) must return NULL (or
 * -1, or the error number) with errno EINVAL or ENOMEM as the API says; all
 * others must succeed: the sizes are bounded per slot (slot_cap) so that no
 * legitimate shortage can happen. The model never reads freed memory.
 *
 * Determinism: a slot is touched by one thread at a time, in input order.
 * Every worker operation gets a sequence number, and the slot it names
 * remembers the last one; before the fuzzing thread touches that slot it
 * waits until the worker has finished it. So each slot sees the same
 * history on every run of an input, while the two threads run their
 * operations on different slots concurrently, and blocks allocated by one
 * thread are freed and reallocated by the other (remote frees). Operations
 * that look at everything (mallinfo, the full check after a trim, a new
 * worker thread) first wait until the worker is idle.
 *
 * At the end of an input every block is freed and both threads' policies
 * reset, so runs stay bounded in memory and independent of each other
 * (the allocator's caches aside).
 *
 * A mismatch prints the operation (number, name, thread, slot, what was
 * expected and what came) and aborts: libFuzzer writes the reproducer.
 * PGA_FUZZ_TRACE=1 in the environment prints every operation as it runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgalloc.h"
#include "rand.h"
#include "sizeclass.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LARGE_MAX ((size_t)PGA_PAGE_SIZE << (PGA_MAX_ORDER - 1)) /* 4 MiB */
#define HUGE_CAP  ((size_t)32 << 20)
#define FULL_MAX  ((size_t)64 << 10) /* checked whole up to this size */
#define WINDOW    ((size_t)4096)     /* beyond: the first and last WINDOW bytes */
#define NSLOTS    64
#define MAX_OPS   1024
#define QLEN      8
/* Sizes and alignments from here up can never be mapped (user space has
 * 47 bits without an address hint, 5-level paging or not). */
#define IMPOSSIBLE ((size_t)1 << 48)

/* ------------------------------------------------------------------ */
/* The operations */

enum op_code {
	OP_MALLOC,
	OP_CALLOC,
	OP_REALLOC,
	OP_REALLOCARRAY,
	OP_FREE,
	OP_MEMALIGN,
	OP_POSIX_MEMALIGN,
	OP_ALIGNED_ALLOC,
	OP_VALLOC,
	OP_PVALLOC,
	OP_MALLOC_NODE,
	OP_TOUCH,
	OP_ALLOC_PAGES,
	OP_ALLOC_PAGES_NODE,
	OP_ALLOC_PAGES_NODEMASK,
	OP_ALLOC_EXACT,
	OP_ALLOC_EXACT_NODE,
	OP_TRIM,
	OP_DRAIN,
	OP_SHRINK,
	OP_MALLINFO,
	OP_STATS,
	OP_ZONE_STATS,
	OP_MEMPOLICY,
	OP_QUERY,
	OP_RESPAWN,
	NR_INPUT_OPS,
	/* Not from the input: what the fuzzing thread asks of the worker. */
	OP_RESET_POLICY = NR_INPUT_OPS,
	OP_EXIT,
};

static const char *const op_names[] = {
    [OP_MALLOC] = "malloc",
    [OP_CALLOC] = "calloc",
    [OP_REALLOC] = "realloc",
    [OP_REALLOCARRAY] = "reallocarray",
    [OP_FREE] = "free",
    [OP_MEMALIGN] = "memalign",
    [OP_POSIX_MEMALIGN] = "posix_memalign",
    [OP_ALIGNED_ALLOC] = "aligned_alloc",
    [OP_VALLOC] = "valloc",
    [OP_PVALLOC] = "pvalloc",
    [OP_MALLOC_NODE] = "malloc_node",
    [OP_TOUCH] = "touch",
    [OP_ALLOC_PAGES] = "alloc_pages",
    [OP_ALLOC_PAGES_NODE] = "alloc_pages_node",
    [OP_ALLOC_PAGES_NODEMASK] = "alloc_pages_nodemask",
    [OP_ALLOC_EXACT] = "alloc_pages_exact",
    [OP_ALLOC_EXACT_NODE] = "alloc_pages_exact_node",
    [OP_TRIM] = "malloc_trim",
    [OP_DRAIN] = "drain_all_pages",
    [OP_SHRINK] = "shrink_all_memory",
    [OP_MALLINFO] = "mallinfo",
    [OP_STATS] = "stats_print",
    [OP_ZONE_STATS] = "zone_stats",
    [OP_MEMPOLICY] = "set_mempolicy",
    [OP_QUERY] = "query",
    [OP_RESPAWN] = "respawn",
    [OP_RESET_POLICY] = "reset_policy",
    [OP_EXIT] = "exit",
};

/* How often each operation comes: the weights sum to 128, the values of the
 * low 7 bits of an operation's first byte. */
static const uint8_t op_weights[NR_INPUT_OPS] = {
    [OP_MALLOC] = 15,
    [OP_CALLOC] = 7,
    [OP_REALLOC] = 13,
    [OP_REALLOCARRAY] = 4,
    [OP_FREE] = 15,
    [OP_MEMALIGN] = 5,
    [OP_POSIX_MEMALIGN] = 5,
    [OP_ALIGNED_ALLOC] = 5,
    [OP_VALLOC] = 3,
    [OP_PVALLOC] = 3,
    [OP_MALLOC_NODE] = 4,
    [OP_TOUCH] = 9,
    [OP_ALLOC_PAGES] = 6,
    [OP_ALLOC_PAGES_NODE] = 4,
    [OP_ALLOC_PAGES_NODEMASK] = 4,
    [OP_ALLOC_EXACT] = 4,
    [OP_ALLOC_EXACT_NODE] = 3,
    [OP_TRIM] = 3,
    [OP_DRAIN] = 2,
    [OP_SHRINK] = 2,
    [OP_MALLINFO] = 2,
    [OP_STATS] = 1,
    [OP_ZONE_STATS] = 2,
    [OP_MEMPOLICY] = 3,
    [OP_QUERY] = 3,
    [OP_RESPAWN] = 1,
};
static uint8_t op_table[128];

/* One decoded operation: everything it needs, read from the input by the
 * fuzzing thread, so that the input is consumed the same way whatever the
 * slots hold. */
struct op {
	uint32_t index; /* position in the input's sequence: the fill key */
	uint8_t code;
	uint8_t slot;
	uint8_t variant; /* how to free, which sub-case */
	bool worker;
	bool impossible; /* the size (or nmemb * size) can never be allocated */
	size_t size;
	size_t nmemb;
	size_t align;
	unsigned order;
	pga_gfp_t gfp;
	int nid;
	int mode;      /* set_mempolicy: mode and flags */
	uint64_t mask; /* a nodemask (policy, alloc_pages_nodemask) */
	unsigned long maxnode;
};

/* ------------------------------------------------------------------ */
/* The model */

enum kind { K_EMPTY, K_MALLOC, K_PAGES, K_EXACT };

/* How a malloc-family block came: which free functions may take it. */
enum origin { ORIG_PLAIN, ORIG_SIZED, ORIG_ALIGNED };

struct slot {
	/* Written only by the thread running an operation on the slot; the
	 * queue orders those (see the top). */
	void *p;
	enum kind kind;
	enum origin origin;
	bool huge;         /* a huge mapping (above 4 MiB, or aligned beyond) */
	bool dma32;        /* allocated with PGA_GFP_DMA32 */
	size_t size;       /* requested bytes */
	size_t usable;     /* malloc_usable_size (malloc family), else the bytes it spans */
	size_t align;      /* the alignment promised */
	size_t free_align; /* for free_aligned_sized: the alignment asked for */
	unsigned order;    /* K_PAGES */
	uint64_t key;      /* fill pattern */
	/* The fuzzing thread's own: the sequence number of the last worker
	 * operation on this slot. */
	uint64_t pending;
};

static struct slot slots[NSLOTS];

/* A thread's view of its own policy (set only by that thread). */
struct thread_ctx {
	const char *name;
	int mode; /* -1: unknown */
	uint64_t mask;
	const struct op *op; /* the one running, for reports */
};

static struct thread_ctx main_ctx = {.name = "main", .mode = PGA_MPOL_DEFAULT};
static struct thread_ctx worker_ctx = {.name = "worker", .mode = PGA_MPOL_DEFAULT};

/* Facts of the configuration, read once. */
static int nr_nodes;
static bool have_dma32; /* every node has a ZONE_DMA32 */
static int devnull = -1;
static bool trace;
static size_t class_sizes[PGA_NR_SIZE_CLASSES];

static size_t slot_cap(unsigned slot)
{
	if (slot < 4)
		return HUGE_CAP;
	if (slot < 16)
		return LARGE_MAX;
	return FULL_MAX;
}

static void print_op(FILE *f, const struct thread_ctx *t, const struct op *op)
{
	fprintf(f,
	        "op #%u %s on %s, slot %u: size %zu nmemb %zu align %zu order %u gfp %#x "
	        "nid %d variant %u mode %#x mask %#llx%s\n",
	        op->index, op_names[op->code], t->name, op->slot, op->size, op->nmemb, op->align,
	        op->order, op->gfp, op->nid, op->variant, (unsigned)op->mode,
	        (unsigned long long)op->mask, op->impossible ? " (impossible size)" : "");
}

__attribute__((format(printf, 2, 3), noreturn)) static void fail(const struct thread_ctx *t,
                                                                 const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_malloc: MISMATCH: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz_malloc: in ");
	if (t->op)
		print_op(stderr, t, t->op);
	else
		fprintf(stderr, "the end-of-input checks\n");
	abort();
}

#define EXPECT(t, cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail(t, __VA_ARGS__);                                                      \
	} while (0)

/* ------------------------------------------------------------------ */
/* Fill patterns: byte i of a block with key k is byte i % 8 of the word
 * k + (i / 8) * golden, so any part of a block can be written or checked
 * alone.
 *
 * The loops over the bytes are left out of the coverage instrumentation
 * (not_traced): their comparisons are no branch of pgalloc's, and traced
 * they cost more than the allocator's own work. */
#define not_traced __attribute__((no_sanitize("coverage")))

static inline uint64_t pat_word(uint64_t key, size_t word)
{
	return key + word * 0x9e3779b97f4a7c15ULL;
}

static inline unsigned char pat_byte(uint64_t key, size_t i)
{
	return (unsigned char)(pat_word(key, i / 8) >> (8 * (i & 7)));
}

not_traced static void pat_fill(unsigned char *p, size_t from, size_t to, uint64_t key)
{
	size_t i = from;

	for (; i < to && (i & 7); i++)
		p[i] = pat_byte(key, i);
	for (; i + 8 <= to; i += 8) {
		uint64_t v = pat_word(key, i / 8);
		memcpy(p + i, &v, 8);
	}
	for (; i < to; i++)
		p[i] = pat_byte(key, i);
}

/* The first offset in [from, to) that does not hold the pattern, or to. */
not_traced static size_t pat_check(const unsigned char *p, size_t from, size_t to, uint64_t key)
{
	size_t i = from;

	for (; i < to && (i & 7); i++)
		if (p[i] != pat_byte(key, i))
			return i;
	for (; i + 8 <= to; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		if (v != pat_word(key, i / 8))
			break;
	}
	for (; i < to; i++)
		if (p[i] != pat_byte(key, i))
			return i;
	return to;
}

/* The parts of a block of span bytes that the model writes: all of it, or
 * its two windows. Returns how many ranges (1 or 2). */
static unsigned fill_ranges(size_t span, size_t r[2][2])
{
	if (span <= FULL_MAX) {
		r[0][0] = 0;
		r[0][1] = span;
		return 1;
	}
	r[0][0] = 0;
	r[0][1] = WINDOW;
	r[1][0] = span - WINDOW;
	r[1][1] = span;
	return 2;
}

static void fill_block(void *p, size_t span, uint64_t key)
{
	size_t r[2][2];
	unsigned n = fill_ranges(span, r);

	for (unsigned i = 0; i < n; i++)
		pat_fill(p, r[i][0], r[i][1], key);
}

/* Check the pattern of a block filled over span bytes with key, in
 * [0, limit) only. */
static void check_block(const struct thread_ctx *t, const void *p, size_t span, size_t limit,
                        uint64_t key, const char *what)
{
	size_t r[2][2];
	unsigned n = fill_ranges(span, r);

	for (unsigned i = 0; i < n; i++) {
		size_t to = r[i][1] < limit ? r[i][1] : limit;
		if (r[i][0] >= to)
			continue;
		size_t bad = pat_check(p, r[i][0], to, key);
		EXPECT(t, bad == to,
		       "%s: block %p (span %zu) corrupt at offset %zu: byte %#x, expected %#x",
		       what, p, span, bad, ((const unsigned char *)p)[bad], pat_byte(key, bad));
	}
}

/* Is [0, n) zero (all of it up to FULL_MAX, else the windows)? */
not_traced static void check_zero(const struct thread_ctx *t, const void *p, size_t n,
                                  const char *what)
{
	size_t r[2][2];
	unsigned nr = fill_ranges(n, r);
	const unsigned char *c = p;

	for (unsigned i = 0; i < nr; i++)
		for (size_t j = r[i][0]; j < r[i][1]; j++)
			EXPECT(t, c[j] == 0,
			       "%s: block %p of %zu bytes not zero at offset %zu (%#x)", what, p, n,
			       j, c[j]);
}

static uint64_t key_of(const struct op *op)
{
	return t_mix(op->index * 2 + 1);
}

/* ------------------------------------------------------------------ */
/* Checks of a live block */

static bool aligned_to(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

static bool node_in(uint64_t mask, int node)
{
	return node >= 0 && node < 64 && (mask >> node) & 1;
}

static void check_node_zone(const struct thread_ctx *t, const struct slot *s, const char *what)
{
	if (s->huge)
		return;
	int node = pga_page_node(s->p);
	int zone = pga_page_zone(s->p);
	EXPECT(t, node >= 0 && node < nr_nodes, "%s: pga_page_node(%p) = %d, %d nodes", what, s->p,
	       node, nr_nodes);
	EXPECT(t, zone == PGA_ZONE_DMA32 || zone == PGA_ZONE_NORMAL, "%s: pga_page_zone(%p) = %d",
	       what, s->p, zone);
	if (s->dma32) {
		EXPECT(t, zone == PGA_ZONE_DMA32, "%s: a GFP_DMA32 block %p in zone %d", what, s->p,
		       zone);
		EXPECT(t, (uintptr_t)s->p + s->usable <= ((uintptr_t)1 << 32),
		       "%s: a GFP_DMA32 block %p + %zu above 4 GiB", what, s->p, s->usable);
	}
}

/* Everything the model knows of live slot s, checked. */
static void verify_slot(const struct thread_ctx *t, const struct slot *s, const char *what)
{
	if (s->kind == K_EMPTY)
		return;
	EXPECT(t, aligned_to(s->p, s->align), "%s: %p lost its alignment %zu", what, s->p,
	       s->align);
	if (s->kind == K_MALLOC) {
		size_t u = pga_malloc_usable_size(s->p);
		EXPECT(t, u == s->usable, "%s: malloc_usable_size(%p) changed from %zu to %zu",
		       what, s->p, s->usable, u);
		EXPECT(t, pga_owns(s->p) == 1, "%s: pga_owns(%p) = 0 for a live block", what, s->p);
		EXPECT(t, pga_owns((char *)s->p + 1) == 0, "%s: pga_owns(%p + 1) != 0", what, s->p);
	}
	check_block(t, s->p, s->usable, s->usable, s->key, what);
	check_node_zone(t, s, what);
}

/* A block just returned into slot s by an allocation: check what the call
 * promises, record it, fill it. */
static void took_block(const struct thread_ctx *t, struct slot *s, const struct op *op, void *p,
                       enum kind kind, size_t size, size_t align, bool zero)
{
	const char *what = op_names[op->code];

	EXPECT(t, p != NULL, "%s returned NULL (errno %d) where it must succeed", what, errno);
	EXPECT(t, aligned_to(p, align), "%s returned %p, not aligned to %zu", what, p, align);
	s->p = p;
	s->kind = kind;
	s->size = size;
	s->align = align;
	s->key = key_of(op);
	s->dma32 = false;
	s->free_align = 0;
	s->origin = ORIG_PLAIN;
	if (kind == K_MALLOC) {
		s->usable = pga_malloc_usable_size(p);
		EXPECT(t, s->usable >= size, "%s: malloc_usable_size(%p) = %zu < %zu requested",
		       what, p, s->usable, size);
		EXPECT(t, pga_owns(p) == 1, "%s: pga_owns(%p) = 0 for a new block", what, p);
		/* Above 4 MiB, or aligned beyond: a mapping of its own. */
		s->huge = s->usable > LARGE_MAX || align > LARGE_MAX;
	} else {
		s->usable =
		    kind == K_PAGES ? size : (size + PGA_PAGE_SIZE - 1) & ~(PGA_PAGE_SIZE - 1);
		s->huge = false;
	}
	if (zero)
		check_zero(t, p, size, what);
	fill_block(p, s->usable, s->key);
}

static void expect_fail(const struct thread_ctx *t, void *p, int err, int want)
{
	EXPECT(t, p == NULL && err == want, "%s returned %p with errno %d; expected NULL and %s",
	       op_names[t->op->code], p, err, want == EINVAL ? "EINVAL" : "ENOMEM");
}

/* Free live slot s by the functions that may take it (variant picks
 * one), after checking it. */
static void release_slot(const struct thread_ctx *t, struct slot *s, unsigned variant)
{
	verify_slot(t, s, "before free");
	switch (s->kind) {
	case K_EMPTY:
		return;
	case K_MALLOC:
		switch (variant % 4) {
		case 1:
			if (s->origin == ORIG_SIZED) {
				pga_free_sized(s->p, s->size);
				break;
			}
			pga_free(s->p);
			break;
		case 2:
			if (s->origin == ORIG_ALIGNED) {
				pga_free_aligned_sized(s->p, s->free_align, s->size);
				break;
			}
			pga_free(s->p);
			break;
		case 3: {
			/* glibc's realloc(p, 0): frees, returns NULL. */
			void *q = pga_realloc(s->p, 0);
			EXPECT(t, q == NULL, "realloc(%p, 0) returned %p, not NULL", s->p, q);
			break;
		}
		default:
			pga_free(s->p);
			break;
		}
		break;
	case K_PAGES:
		pga_free_pages(s->p, s->order);
		break;
	case K_EXACT:
		pga_free_pages_exact(s->p, s->size);
		break;
	}
	s->kind = K_EMPTY;
	s->p = NULL;
}

/* ------------------------------------------------------------------ */
/* The operations on a slot */

static size_t next_pow2(size_t x)
{
	return (size_t)1 << (64 - __builtin_clzll((unsigned long long)x - 1));
}

/* A page allocation under the calling thread's BIND policy lies on one of
 * its nodes. */
static void check_policy_node(const struct thread_ctx *t, const void *p, const char *what)
{
	if (t->mode != PGA_MPOL_BIND)
		return;
	int node = pga_page_node(p);
	EXPECT(t, node_in(t->mask, node), "%s: %p on node %d, outside the BIND mask %#llx", what, p,
	       node, (unsigned long long)t->mask);
}

static void op_malloc_family(const struct thread_ctx *t, struct slot *s, const struct op *op)
{
	void *p;
	size_t align = 16, size = op->size;
	int err;
	bool zero = false;
	enum origin origin = ORIG_PLAIN;

	if (s->kind != K_EMPTY)
		release_slot(t, s, op->variant >> 4);
	errno = 0;
	switch (op->code) {
	case OP_MALLOC:
		p = pga_malloc(size);
		err = errno;
		if (op->impossible)
			return expect_fail(t, p, err, ENOMEM);
		origin = ORIG_SIZED;
		break;
	case OP_CALLOC: {
		size_t bytes;
		bool overflow = __builtin_mul_overflow(op->nmemb, op->size, &bytes);
		p = pga_calloc(op->nmemb, op->size);
		err = errno;
		if (overflow || op->impossible)
			return expect_fail(t, p, err, ENOMEM);
		size = bytes;
		zero = true;
		origin = ORIG_SIZED;
		break;
	}
	case OP_MALLOC_NODE:
		p = pga_malloc_node(size, op->nid);
		err = errno;
		if (op->nid >= nr_nodes)
			return expect_fail(t, p, err, EINVAL);
		if (op->impossible)
			return expect_fail(t, p, err, ENOMEM);
		break;
	case OP_VALLOC:
		p = pga_valloc(size);
		err = errno;
		if (op->impossible)
			return expect_fail(t, p, err, ENOMEM);
		align = PGA_PAGE_SIZE;
		break;
	case OP_PVALLOC:
		p = pga_pvalloc(size);
		err = errno;
		if (op->impossible)
			return expect_fail(t, p, err, ENOMEM);
		align = PGA_PAGE_SIZE;
		size = size ? (size + PGA_PAGE_SIZE - 1) & ~(PGA_PAGE_SIZE - 1) : PGA_PAGE_SIZE;
		break;
	default: {
		/* The aligned three: each one's own rule for a bad alignment,
		 * then memalign's rounding, then the allocation. */
		size_t a = op->align;
		bool pow2 = a && !(a & (a - 1));
		int want = 0;

		if (op->code == OP_MEMALIGN && !pow2) {
			if (a > SIZE_MAX / 2 + 1)
				want = EINVAL;
			else
				a = a <= 1 ? 1 : next_pow2(a);
		} else if (op->code == OP_POSIX_MEMALIGN && (!pow2 || a % sizeof(void *))) {
			want = EINVAL;
		} else if (op->code == OP_ALIGNED_ALLOC && !pow2) {
			want = EINVAL;
		}
		if (!want && (op->impossible || a >= IMPOSSIBLE))
			want = ENOMEM;
		if (op->code == OP_POSIX_MEMALIGN) {
			void *sentinel = (void *)&slots, *q = sentinel;
			errno = EDOM;
			int rc = pga_posix_memalign(&q, op->align, size);
			if (want) {
				EXPECT(
				    t, rc == want && q == sentinel,
				    "posix_memalign returned %d (pointer %p), expected %d and the "
				    "pointer untouched",
				    rc, q, want);
				return;
			}
			EXPECT(t, rc == 0, "posix_memalign returned %d where it must succeed", rc);
			EXPECT(t, errno == EDOM, "posix_memalign changed errno to %d on success",
			       errno);
			p = q;
		} else {
			p = op->code == OP_MEMALIGN ? pga_memalign(op->align, size)
			                            : pga_aligned_alloc(op->align, size);
			err = errno;
			if (want)
				return expect_fail(t, p, err, want);
			if (op->code == OP_ALIGNED_ALLOC)
				origin = ORIG_ALIGNED;
		}
		if (a > align)
			align = a;
		break;
	}
	}
	took_block(t, s, op, p, K_MALLOC, size, align, zero);
	s->origin = origin;
	s->free_align = op->align;
	/* A page run (not a slab object, not a huge mapping) of a plain
	 * allocation follows the thread's policy. */
	if ((op->code == OP_MALLOC || op->code == OP_CALLOC) && size > PGA_SLAB_MAX &&
	    size <= LARGE_MAX)
		check_policy_node(t, p, op_names[op->code]);
	if (op->code == OP_MALLOC_NODE && op->nid >= 0 && !s->huge) {
		int node = pga_page_node(p);
		EXPECT(t, node == op->nid, "malloc_node(%zu, %d) returned %p on node %d", size,
		       op->nid, p, node);
	}
}

static void op_realloc(const struct thread_ctx *t, struct slot *s, const struct op *op)
{
	size_t bytes = op->size;
	bool overflow = false;

	/* Pages of the page allocator are no malloc block: free them, then
	 * realloc(NULL, ...). */
	if (s->kind == K_PAGES || s->kind == K_EXACT)
		release_slot(t, s, 0);
	if (s->kind == K_MALLOC)
		verify_slot(t, s, "before realloc");
	if (op->code == OP_REALLOCARRAY)
		overflow = __builtin_mul_overflow(op->nmemb, op->size, &bytes);

	void *old = s->p;
	errno = 0;
	void *q = op->code == OP_REALLOCARRAY ? pga_reallocarray(old, op->nmemb, op->size)
	                                      : pga_realloc(old, op->size);
	int err = errno;

	if (overflow || op->impossible) {
		expect_fail(t, q, err, ENOMEM);
		/* The old block is untouched. */
		verify_slot(t, s, "after a failed realloc");
		return;
	}
	if (old && bytes == 0) {
		EXPECT(t, q == NULL, "realloc(%p, 0) returned %p, not NULL", old, q);
		s->kind = K_EMPTY;
		s->p = NULL;
		return;
	}
	EXPECT(t, q != NULL, "%s returned NULL (errno %d) where it must succeed",
	       op_names[op->code], err);
	if (old) {
		/* The old contents, up to the smaller of the two sizes. */
		size_t keep = s->size < bytes ? s->size : bytes;
		check_block(t, q, s->usable, keep, s->key, "realloc's kept prefix");
	}
	took_block(t, s, op, q, K_MALLOC, bytes, 16, false);
	s->origin = ORIG_SIZED;
}

/* gfp flags for a page allocation of the given order: an invalid set
 * (unknown bits, or MOVABLE with RECLAIMABLE) one time in eight, for which
 * the errno the call must fail with is returned; else a valid one (0). A
 * valid set asks for DMA32 or NOFAIL only up to order 4, and THISNODE only
 * with a node named, so that no legitimate shortage can fail it. */
static int page_gfp(const struct op *op, pga_gfp_t *gfp, unsigned order, bool explicit_nid)
{
	pga_gfp_t g = op->gfp & PGA_GFP_ALL;

	if ((op->variant & 7) == 7) {
		if (op->variant & 8)
			*gfp = g | (PGA_GFP_ALL + 1) << (op->gfp % 21);
		else
			*gfp = g | PGA_GFP_MOVABLE | PGA_GFP_RECLAIMABLE;
		return EINVAL;
	}
	if ((g & PGA_GFP_MOVABLE) && (g & PGA_GFP_RECLAIMABLE))
		g &= ~(op->gfp & 0x8000 ? PGA_GFP_MOVABLE : PGA_GFP_RECLAIMABLE);
	if (!have_dma32 || order > 4)
		g &= ~PGA_GFP_DMA32;
	if (order > 4)
		g &= ~PGA_GFP_NOFAIL;
	if (!explicit_nid)
		g &= ~PGA_GFP_THISNODE;
	*gfp = g;
	return 0;
}

/* The order of the block an exact run of size bytes is cut from. */
static unsigned exact_order(size_t size)
{
	size_t pages = (size + PGA_PAGE_SIZE - 1) / PGA_PAGE_SIZE;

	if (size == 0 || size > LARGE_MAX)
		return PGA_MAX_ORDER;
	return pages <= 1 ? 0 : 64 - (unsigned)__builtin_clzll((unsigned long long)pages - 1);
}

static void op_pages(const struct thread_ctx *t, struct slot *s, const struct op *op)
{
	unsigned order = op->order;
	bool explicit_nid = op->code != OP_ALLOC_PAGES && op->nid >= 0;
	pga_gfp_t gfp;
	int want = page_gfp(op, &gfp, order, explicit_nid);
	pga_nodemask_t mask = {{op->mask}};
	void *p;

	if (s->kind != K_EMPTY)
		release_slot(t, s, op->variant >> 4);
	if (order >= PGA_MAX_ORDER || (op->code != OP_ALLOC_PAGES && op->nid >= nr_nodes))
		want = EINVAL;
	errno = 0;
	switch (op->code) {
	case OP_ALLOC_PAGES:
		p = pga_alloc_pages(gfp, order);
		break;
	case OP_ALLOC_PAGES_NODE:
		p = pga_alloc_pages_node(op->nid, gfp, order);
		break;
	default:
		p = pga_alloc_pages_nodemask(gfp, order, op->nid, &mask);
		break;
	}
	int err = errno;
	if (want)
		return expect_fail(t, p, err, want);
	took_block(t, s, op, p, K_PAGES, PGA_PAGE_SIZE << order, PGA_PAGE_SIZE << order,
	           gfp & PGA_GFP_ZERO);
	s->order = order;
	s->dma32 = gfp & PGA_GFP_DMA32;
	check_node_zone(t, s, op_names[op->code]);
	int node = pga_page_node(p);
	if (op->code == OP_ALLOC_PAGES)
		check_policy_node(t, p, "alloc_pages");
	else if (explicit_nid)
		EXPECT(t, node == op->nid, "%s: node %d asked for, got %p on node %d",
		       op_names[op->code], op->nid, p, node);
	if (op->code == OP_ALLOC_PAGES_NODEMASK)
		EXPECT(t, node_in(op->mask, node),
		       "alloc_pages_nodemask: %p on node %d, mask %#llx", p, node,
		       (unsigned long long)op->mask);
}

static void op_exact(const struct thread_ctx *t, struct slot *s, const struct op *op)
{
	bool explicit_nid = op->code == OP_ALLOC_EXACT_NODE && op->nid >= 0;
	pga_gfp_t gfp;
	int want = page_gfp(op, &gfp, exact_order(op->size), explicit_nid);
	void *p;

	if (s->kind != K_EMPTY)
		release_slot(t, s, op->variant >> 4);
	if (op->size == 0 || op->size > LARGE_MAX ||
	    (op->code == OP_ALLOC_EXACT_NODE && op->nid >= nr_nodes))
		want = EINVAL;
	errno = 0;
	p = op->code == OP_ALLOC_EXACT ? pga_alloc_pages_exact(op->size, gfp)
	                               : pga_alloc_pages_exact_node(op->nid, op->size, gfp);
	int err = errno;
	if (want)
		return expect_fail(t, p, err, want);
	took_block(t, s, op, p, K_EXACT, op->size, PGA_PAGE_SIZE, gfp & PGA_GFP_ZERO);
	s->dma32 = gfp & PGA_GFP_DMA32;
	check_node_zone(t, s, op_names[op->code]);
	if (explicit_nid) {
		int node = pga_page_node(p);
		EXPECT(t, node == op->nid, "%s: node %d asked for, got %p on node %d",
		       op_names[op->code], op->nid, p, node);
	}
}

static void op_free(const struct thread_ctx *t, struct slot *s, const struct op *op)
{
	if (s->kind != K_EMPTY) {
		release_slot(t, s, op->variant);
		return;
	}
	/* Nothing to free: the NULL forms, which do nothing. */
	switch (op->variant % 3) {
	case 0:
		pga_free(NULL);
		break;
	case 1:
		pga_free_sized(NULL, op->size);
		break;
	default:
		pga_free_aligned_sized(NULL, op->align, op->size);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* The operations on no slot */

static void verify_all(const struct thread_ctx *t, const char *what)
{
	for (unsigned i = 0; i < NSLOTS; i++)
		verify_slot(t, &slots[i], what);

	/* No two live blocks overlap (sorted by address, insertion sort:
	 * at most NSLOTS). */
	const struct slot *live[NSLOTS];
	unsigned n = 0;
	for (unsigned i = 0; i < NSLOTS; i++) {
		if (slots[i].kind == K_EMPTY)
			continue;
		unsigned j = n++;
		while (j > 0 && (uintptr_t)live[j - 1]->p > (uintptr_t)slots[i].p) {
			live[j] = live[j - 1];
			j--;
		}
		live[j] = &slots[i];
	}
	for (unsigned i = 1; i < n; i++)
		EXPECT(t, (uintptr_t)live[i - 1]->p + live[i - 1]->usable <= (uintptr_t)live[i]->p,
		       "%s: live blocks %p (%zu bytes) and %p overlap", what, live[i - 1]->p,
		       live[i - 1]->usable, live[i]->p);
}

/* With the worker idle: the huge mappings pgalloc counts are exactly the
 * live huge blocks of the model (nothing else in the process allocates
 * through pgalloc). */
static void check_mallinfo(const struct thread_ctx *t)
{
	struct pga_mallinfo mi;
	size_t count = 0, bytes = 0;

	for (unsigned i = 0; i < NSLOTS; i++) {
		if (slots[i].kind == K_MALLOC && slots[i].huge) {
			count++;
			bytes += slots[i].usable;
		}
	}
	pga_mallinfo(&mi);
	EXPECT(t, mi.hblks == count && mi.hblkhd == bytes,
	       "mallinfo: hblks %zu hblkhd %zu, the live huge blocks are %zu of %zu bytes",
	       mi.hblks, mi.hblkhd, count, bytes);
	EXPECT(t, mi.uordblks <= mi.arena, "mallinfo: uordblks %zu > arena %zu", mi.uordblks,
	       mi.arena);
}

static void op_stats(const struct thread_ctx *t, const struct op *op)
{
	static const char *const views[] = {
	    "buddyinfo",   "pagetypeinfo",      "zoneinfo", "vmstat",         "numastat",
	    "slabinfo",    "meminfo",           "all",      "json",           "",
	    "vmstat,json", "zoneinfo:numastat", "bogus",    "buddyinfo,nope",
	};
	const size_t nviews = sizeof(views) / sizeof(views[0]);
	int rc;

	if (op->variant & 1) {
		/* MEMINFO reads the process's maps: slow; leave it to "all". */
		unsigned what = (unsigned)op->mask & (PGA_STATS_ALL | PGA_STATS_JSON);
		rc = pga_stats_print(devnull, what);
		EXPECT(t, rc == 0, "pga_stats_print(%#x) returned %d (errno %d)", what, rc, errno);
		return;
	}
	const char *v = views[(op->variant >> 1) % nviews];
	bool bad = strstr(v, "bogus") || strstr(v, "nope");
	errno = 0;
	rc = pga_stats_print_views(devnull, v);
	if (bad)
		EXPECT(t, rc == -1 && errno == EINVAL,
		       "pga_stats_print_views(\"%s\") returned %d (errno %d), expected -1 EINVAL",
		       v, rc, errno);
	else
		EXPECT(t, rc == 0, "pga_stats_print_views(\"%s\") returned %d (errno %d)", v, rc,
		       errno);
}

static void op_zone_stats(const struct thread_ctx *t, const struct op *op)
{
	struct pga_zone_stats st;
	int nid = op->nid, zone = op->variant % (PGA_NR_ZONES + 1);
	bool exists = nid >= 0 && nid < nr_nodes && zone < PGA_NR_ZONES &&
	              (zone == PGA_ZONE_NORMAL || have_dma32);

	errno = 0;
	int rc = pga_zone_stats(nid, zone, &st);
	if (!exists) {
		/* A DMA32 zone some node lacks is not in the model: either. */
		if (zone == PGA_ZONE_DMA32 && !have_dma32 && nid >= 0 && nid < nr_nodes)
			return;
		EXPECT(t, rc == -1 && errno == EINVAL,
		       "pga_zone_stats(%d, %d) returned %d (errno %d) for no zone", nid, zone, rc,
		       errno);
		return;
	}
	EXPECT(t, rc == 0, "pga_zone_stats(%d, %d) returned %d (errno %d)", nid, zone, rc, errno);
	EXPECT(t, st.node == nid && st.zone == zone,
	       "pga_zone_stats(%d, %d) filled node %d zone %d", nid, zone, st.node, st.zone);
	EXPECT(t, st.managed <= st.spanned, "zone %d/%d: managed %lu > spanned %lu", nid, zone,
	       st.managed, st.spanned);
	EXPECT(t, st.watermark_min <= st.watermark_low && st.watermark_low <= st.watermark_high,
	       "zone %d/%d: watermarks min %lu low %lu high %lu", nid, zone, st.watermark_min,
	       st.watermark_low, st.watermark_high);
}

static uint64_t existing_nodes(void)
{
	return nr_nodes >= 64 ? ~0ULL : (1ULL << nr_nodes) - 1;
}

static void op_mempolicy(struct thread_ctx *t, const struct op *op)
{
	unsigned long mask[2] = {op->mask, 0};
	int mode = op->mode & ~(PGA_MPOL_F_STATIC_NODES | PGA_MPOL_F_RELATIVE_NODES);
	int flags = op->mode & (PGA_MPOL_F_STATIC_NODES | PGA_MPOL_F_RELATIVE_NODES);
	uint64_t eff = op->mask & existing_nodes();
	bool nodes = op->maxnode > 1 && op->mask;
	bool valid;

	/* The kernel's rules (mpol_new), in the cases the input makes: an
	 * unknown mode or both flags; DEFAULT with nodes; LOCAL with nodes or
	 * flags; PREFERRED without nodes but with flags; BIND, INTERLEAVE and
	 * PREFERRED_MANY without nodes; nodes none of which exists. */
	if (mode < 0 || mode > PGA_MPOL_PREFERRED_MANY ||
	    flags == (PGA_MPOL_F_STATIC_NODES | PGA_MPOL_F_RELATIVE_NODES))
		valid = false;
	else if (mode == PGA_MPOL_DEFAULT)
		valid = !nodes;
	else if (mode == PGA_MPOL_LOCAL)
		valid = !nodes && !flags;
	else if (mode == PGA_MPOL_PREFERRED && !nodes)
		valid = !flags;
	else
		valid = nodes && eff;

	errno = 0;
	int rc = pga_set_mempolicy(op->mode, nodes ? mask : NULL, op->maxnode);
	if (!valid) {
		EXPECT(t, rc == -1 && errno == EINVAL,
		       "set_mempolicy(%#x, %#llx, %lu) returned %d (errno %d), expected -1 EINVAL",
		       (unsigned)op->mode, (unsigned long long)op->mask, op->maxnode, rc, errno);
		return;
	}
	EXPECT(t, rc == 0, "set_mempolicy(%#x, %#llx, %lu) returned %d (errno %d)",
	       (unsigned)op->mode, (unsigned long long)op->mask, op->maxnode, rc, errno);
	int want = mode;
	if (mode == PGA_MPOL_PREFERRED && !nodes)
		want = PGA_MPOL_LOCAL;
	t->mode = want;
	t->mask = eff;

	int got = -1;
	unsigned long out[2] = {0, 0};
	/* As get_mempolicy(2): the mode with its flags (DEFAULT has none). */
	int want_flags = want == PGA_MPOL_DEFAULT ? 0 : flags;
	rc = pga_get_mempolicy(&got, out, 128);
	EXPECT(t, rc == 0 && got == (want | want_flags),
	       "get_mempolicy returned %d, mode %#x; %#x was set", rc, (unsigned)got,
	       (unsigned)(want | want_flags));
	if (want == PGA_MPOL_BIND || want == PGA_MPOL_INTERLEAVE)
		EXPECT(t, out[0] == eff && out[1] == 0,
		       "get_mempolicy: nodes %#lx, %#llx set (of %#llx asked)", out[0],
		       (unsigned long long)eff, (unsigned long long)op->mask);
}

static void reset_policy(struct thread_ctx *t)
{
	int rc = pga_set_mempolicy(PGA_MPOL_DEFAULT, NULL, 0);
	EXPECT(t, rc == 0, "set_mempolicy(DEFAULT) returned %d (errno %d)", rc, errno);
	t->mode = PGA_MPOL_DEFAULT;
	t->mask = 0;
}

static void op_query(const struct thread_ctx *t, const struct op *op)
{
	int local = pga_local_node(), n = pga_num_nodes();
	char on_stack = 0;

	EXPECT(t, n == nr_nodes, "pga_num_nodes() = %d, was %d", n, nr_nodes);
	EXPECT(t, local >= 0 && local < nr_nodes, "pga_local_node() = %d of %d", local, nr_nodes);
	EXPECT(t, pga_malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) != 0");
	EXPECT(t, pga_owns(NULL) == 0 && pga_owns(&on_stack) == 0,
	       "pga_owns says yes to NULL or the stack");
	EXPECT(t, pga_page_node(&on_stack) == -1 && pga_page_zone(&on_stack) == -1,
	       "pga_page_node/zone of the stack: %d, %d", pga_page_node(&on_stack),
	       pga_page_zone(&on_stack));
	(void)op;
}

/* ------------------------------------------------------------------ */
/* Running an operation, on either thread */

static void run_op(struct thread_ctx *t, const struct op *op)
{
	struct slot *s = &slots[op->slot];

	t->op = op;
	if (trace)
		print_op(stderr, t, op);
	switch (op->code) {
	case OP_MALLOC:
	case OP_CALLOC:
	case OP_MEMALIGN:
	case OP_POSIX_MEMALIGN:
	case OP_ALIGNED_ALLOC:
	case OP_VALLOC:
	case OP_PVALLOC:
	case OP_MALLOC_NODE:
		op_malloc_family(t, s, op);
		break;
	case OP_REALLOC:
	case OP_REALLOCARRAY:
		op_realloc(t, s, op);
		break;
	case OP_FREE:
		op_free(t, s, op);
		break;
	case OP_TOUCH:
		verify_slot(t, s, "touch");
		if (s->kind != K_EMPTY) {
			/* New contents, as a program writes its buffer again. */
			s->key = key_of(op);
			fill_block(s->p, s->usable, s->key);
		}
		break;
	case OP_ALLOC_PAGES:
	case OP_ALLOC_PAGES_NODE:
	case OP_ALLOC_PAGES_NODEMASK:
		op_pages(t, s, op);
		break;
	case OP_ALLOC_EXACT:
	case OP_ALLOC_EXACT_NODE:
		op_exact(t, s, op);
		break;
	case OP_TRIM:
		pga_malloc_trim(op->size);
		break;
	case OP_DRAIN:
		pga_drain_all_pages();
		break;
	case OP_SHRINK:
		pga_shrink_all_memory();
		break;
	case OP_STATS:
		op_stats(t, op);
		break;
	case OP_ZONE_STATS:
		op_zone_stats(t, op);
		break;
	case OP_MEMPOLICY:
		op_mempolicy(t, op);
		break;
	case OP_QUERY:
		op_query(t, op);
		break;
	case OP_RESET_POLICY:
		reset_policy(t);
		break;
	default:
		break;
	}
	t->op = NULL;
}

/* ------------------------------------------------------------------ */
/* The worker and its queue */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast on every change */
	struct op ring[QLEN];
	uint64_t pushed;       /* operations handed over (the fuzzing thread's) */
	uint64_t taken;        /* operations the worker took */
	_Atomic uint64_t done; /* operations the worker finished */
	pthread_t thread;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *worker_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct op op;
		pthread_mutex_lock(&q.lock);
		while (q.taken == q.pushed)
			pthread_cond_wait(&q.cond, &q.lock);
		op = q.ring[q.taken % QLEN];
		q.taken++;
		pthread_cond_broadcast(&q.cond);
		pthread_mutex_unlock(&q.lock);

		if (op.code != OP_EXIT)
			run_op(&worker_ctx, &op);

		pthread_mutex_lock(&q.lock);
		atomic_store_explicit(&q.done, atomic_load(&q.done) + 1, memory_order_release);
		pthread_cond_broadcast(&q.cond);
		pthread_mutex_unlock(&q.lock);
		if (op.code == OP_EXIT)
			return NULL;
	}
}

/* Hand op to the worker; returns its sequence number. */
static uint64_t push(const struct op *op)
{
	uint64_t seq;

	pthread_mutex_lock(&q.lock);
	while (q.pushed - q.taken >= QLEN)
		pthread_cond_wait(&q.cond, &q.lock);
	q.ring[q.pushed % QLEN] = *op;
	seq = ++q.pushed;
	pthread_cond_broadcast(&q.cond);
	pthread_mutex_unlock(&q.lock);
	return seq;
}

static void wait_done(uint64_t seq)
{
	if (atomic_load_explicit(&q.done, memory_order_acquire) >= seq)
		return;
	pthread_mutex_lock(&q.lock);
	while (atomic_load_explicit(&q.done, memory_order_acquire) < seq)
		pthread_cond_wait(&q.cond, &q.lock);
	pthread_mutex_unlock(&q.lock);
}

static void wait_idle(void)
{
	wait_done(q.pushed);
}

static void start_worker(void)
{
	int rc = pthread_create(&q.thread, NULL, worker_main, NULL);
	if (rc) {
		fprintf(stderr, "fuzz_malloc: pthread_create: %s\n", strerror(rc));
		abort();
	}
}

/* A new worker: the old one exits with whatever its caches hold (its slab
 * state is parked for the next thread), and its blocks live on. */
static void respawn_worker(void)
{
	struct op exit_op = {.code = OP_EXIT};

	wait_done(push(&exit_op));
	pthread_join(q.thread, NULL);
	/* Not the model's to know: the new thread's policy. Forget the
	 * worker's; its first policy operation or the end of the input
	 * sets it. */
	worker_ctx.mode = -1;
	start_worker();
}

/* ------------------------------------------------------------------ */
/* Decoding the input */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t in_u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t in_u16(struct input *in)
{
	return (uint16_t)(in_u8(in) | in_u8(in) << 8);
}

static uint32_t in_u32(struct input *in)
{
	return (uint32_t)in_u16(in) | (uint32_t)in_u16(in) << 16;
}

static const size_t impossible_sizes[] = {
    SIZE_MAX,
    SIZE_MAX - 1,
    SIZE_MAX - PGA_PAGE_SIZE + 1,
    SIZE_MAX - PGA_PAGE_SIZE,
    SIZE_MAX / 2 + 1,
    SIZE_MAX / 2,
    IMPOSSIBLE,
    IMPOSSIBLE + 1,
    (size_t)1 << 56,
};

/* A size from every range: 0, tiny, each size class and its neighbours,
 * the slab maximum, page multiples, page runs, the 4 MiB edge, huge, and
 * sizes that can never be allocated (*impossible). Sizes above cap are
 * folded below it. */
static size_t pick_size(struct input *in, size_t cap, bool *impossible)
{
	uint8_t sel = in_u8(in);
	size_t s;

	*impossible = false;
	switch (sel % 12) {
	case 0:
		s = 0;
		break;
	case 1:
		s = 1 + in_u8(in) % 16;
		break;
	case 2: {
		unsigned c = in_u8(in);
		s = class_sizes[c % PGA_NR_SIZE_CLASSES] - 1 + (c / PGA_NR_SIZE_CLASSES) % 3;
		break;
	}
	case 3:
		s = 1 + in_u16(in) % PGA_SLAB_MAX;
		break;
	case 4:
		s = PGA_SLAB_MAX - 1 + in_u8(in) % 3;
		break;
	case 5: {
		uint16_t v = in_u16(in);
		s = (size_t)(1 + v % 1024) * PGA_PAGE_SIZE - 1 + (v >> 10) % 3;
		break;
	}
	case 6:
		s = PGA_SLAB_MAX + 1 + in_u32(in) % (LARGE_MAX - PGA_SLAB_MAX);
		break;
	case 7:
		s = LARGE_MAX - 1 + in_u8(in) % 3;
		break;
	case 8:
		s = LARGE_MAX + 1 + in_u32(in) % (HUGE_CAP - LARGE_MAX);
		break;
	case 9:
		s = (size_t)1 << (in_u8(in) % 26);
		break;
	case 10:
		*impossible = true;
		return impossible_sizes[in_u8(in) % (sizeof(impossible_sizes) / sizeof(size_t))];
	default:
		s = in_u8(in);
		break;
	}
	if (s > cap)
		s %= cap + 1;
	return s;
}

/* An alignment: every power of two from 1 to 64 MiB, the small ones that
 * posix_memalign refuses, ones that are no power of two, and ones no
 * mapping can have. */
static size_t pick_align(struct input *in)
{
	static const size_t odd[] = {
	    0, 3, 5, 6, 12, 24, 48, 96, 100, 4095, 4097, 12288, (1u << 22) - 1, (1u << 22) + 4096};
	static const size_t page_ish[] = {4096, 8192, 1u << 21, 1u << 22, 1u << 23, 1u << 24};
	uint8_t sel = in_u8(in);

	switch (sel % 8) {
	case 0:
	case 1:
	case 2:
		return (size_t)1 << (in_u8(in) % 27);
	case 3:
		return (size_t)1 << (in_u8(in) % 4);
	case 4:
		return odd[in_u8(in) % (sizeof(odd) / sizeof(odd[0]))];
	case 5:
		return 1 + (size_t)in_u16(in);
	case 6: {
		uint8_t v = in_u8(in);
		if (v % 8 == 0)
			return SIZE_MAX;
		if (v % 8 == 1)
			return SIZE_MAX / 2 + 2;
		return (size_t)1 << (48 + v % 16);
	}
	default:
		return page_ish[in_u8(in) % (sizeof(page_ish) / sizeof(page_ish[0]))];
	}
}

static int pick_nid(struct input *in)
{
	uint8_t v = in_u8(in);

	switch (v % 8) {
	case 0:
	case 1:
		return -1;
	case 2:
		/* One past the last node, the most nodes, or far off: EINVAL. */
		return (int[]){nr_nodes, PGA_MAX_NUMNODES, 1 << 20}[(v >> 3) % 3];
	default:
		return (v >> 3) % nr_nodes;
	}
}

static uint64_t pick_mask(struct input *in)
{
	uint8_t v = in_u8(in);
	uint64_t m = v & existing_nodes();

	if (!m)
		m = 1ULL << (v % nr_nodes);
	if (v & 0x80)
		m |= 1ULL << 63; /* a node that does not exist, too */
	return m;
}

static void decode(struct input *in, struct op *op)
{
	uint8_t first = in_u8(in);

	memset(op, 0, sizeof(*op));
	op->worker = first & 0x80;
	op->code = op_table[first & 0x7f];
	op->slot = in_u8(in) % NSLOTS;
	op->variant = in_u8(in);
	op->nid = -1;

	size_t cap = slot_cap(op->slot);
	switch (op->code) {
	case OP_CALLOC:
	case OP_REALLOCARRAY: {
		uint8_t sub = in_u8(in);
		switch (sub % 4) {
		case 0:
			op->nmemb = 1;
			op->size = pick_size(in, cap, &op->impossible);
			break;
		case 1:
			op->nmemb = in_u8(in) % 17;
			op->size =
			    pick_size(in, cap / (op->nmemb ? op->nmemb : 1), &op->impossible);
			/* Zero elements are zero bytes, whatever their size. */
			if (!op->nmemb)
				op->impossible = false;
			break;
		case 2:
			/* Products past SIZE_MAX. */
			op->nmemb = (size_t)1 << (32 + in_u8(in) % 32);
			op->size = ((size_t)1 << 32) + in_u8(in);
			break;
		default:
			/* A zero factor: 0 bytes, whatever the other. */
			op->nmemb = sub & 4 ? SIZE_MAX : 0;
			op->size = sub & 4 ? 0 : SIZE_MAX;
			break;
		}
		break;
	}
	case OP_MEMALIGN:
	case OP_POSIX_MEMALIGN:
	case OP_ALIGNED_ALLOC:
		op->align = pick_align(in);
		op->size = pick_size(in, cap, &op->impossible);
		break;
	case OP_MALLOC_NODE:
		op->nid = pick_nid(in);
		op->size = pick_size(in, cap, &op->impossible);
		break;
	case OP_ALLOC_PAGES:
	case OP_ALLOC_PAGES_NODE:
	case OP_ALLOC_PAGES_NODEMASK: {
		uint8_t v = in_u8(in);
		unsigned max = (unsigned)__builtin_ctzll(cap / PGA_PAGE_SIZE);
		if (max > PGA_MAX_ORDER - 1)
			max = PGA_MAX_ORDER - 1;
		if (v >= 0xf0)
			op->order = (unsigned[]){PGA_MAX_ORDER, PGA_MAX_ORDER + 1, 31, ~0u}[v % 4];
		else
			op->order = v % (max + 1);
		op->gfp = in_u16(in);
		if (op->code != OP_ALLOC_PAGES)
			op->nid = pick_nid(in);
		if (op->code == OP_ALLOC_PAGES_NODEMASK) {
			op->mask = pick_mask(in);
			/* The preferred node is one of the mask's. */
			if (op->nid >= 0 && op->nid < nr_nodes)
				op->mask |= 1ULL << op->nid;
		}
		break;
	}
	case OP_ALLOC_EXACT:
	case OP_ALLOC_EXACT_NODE:
		op->gfp = in_u16(in);
		if (op->code == OP_ALLOC_EXACT_NODE)
			op->nid = pick_nid(in);
		op->size = pick_size(in, cap, &op->impossible);
		break;
	case OP_TRIM:
		op->size = in_u8(in) << 12;
		break;
	case OP_STATS:
		op->mask = in_u16(in);
		break;
	case OP_ZONE_STATS: {
		uint8_t v = in_u8(in);
		op->nid =
		    v % 4 == 3 ? (int[]){-1, nr_nodes, 64}[(v >> 2) % 3] : (v >> 2) % nr_nodes;
		break;
	}
	case OP_MEMPOLICY: {
		uint8_t v = in_u8(in);
		op->mode = v % 8 == 7 ? 6 + in_u8(in) % 64 : v % 6;
		/* RELATIVE_NODES only with STATIC_NODES, which is EINVAL: the
		 * model does not remap nodes. */
		if (v & 0x08)
			op->mode |= PGA_MPOL_F_STATIC_NODES;
		if ((v & 0x38) == 0x38)
			op->mode |= PGA_MPOL_F_RELATIVE_NODES;
		op->mask = v & 0x40 ? 0 : pick_mask(in) & existing_nodes();
		if (v & 0x80)
			op->mask |= 1ULL << 60; /* no such node (but below PGA_MAX_NUMNODES) */
		op->maxnode = (unsigned long[]){65, 65, 2, 0}[in_u8(in) % 4];
		if (op->maxnode == 2)
			op->mask &= 1; /* only node 0 is read */
		break;
	}
	default:
		op->size = pick_size(in, cap, &op->impossible);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* libFuzzer's entry points */

static bool uses_slot(unsigned code)
{
	return code <= OP_ALLOC_EXACT_NODE;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Two fake nodes, so that every node argument and policy has a
	 * choice; a short decay, so that background reclaim runs during the
	 * operations. PGALLOC_CONF in the environment replaces this. */
	setenv("PGALLOC_CONF", "numa_fake=2,decay_ms=50", 0);
	trace = getenv("PGA_FUZZ_TRACE") && *getenv("PGA_FUZZ_TRACE") == '1';

	pga_free(pga_malloc(1));
	for (unsigned c = 0; c < PGA_NR_SIZE_CLASSES; c++)
		class_sizes[c] = pga_size_classes[c].size;
	nr_nodes = pga_num_nodes();
	have_dma32 = true;
	for (int n = 0; n < nr_nodes; n++) {
		struct pga_zone_stats st;
		if (pga_zone_stats(n, PGA_ZONE_DMA32, &st) != 0)
			have_dma32 = false;
	}
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0 || nr_nodes < 1) {
		fprintf(stderr, "fuzz_malloc: cannot start (/dev/null: %d, %d nodes)\n", devnull,
		        nr_nodes);
		abort();
	}

	unsigned i = 0;
	for (unsigned o = 0; o < NR_INPUT_OPS; o++)
		for (unsigned w = 0; w < op_weights[o]; w++)
			if (i < 128)
				op_table[i++] = (uint8_t)o;
	if (i != 128) {
		fprintf(stderr, "fuzz_malloc: the operation weights sum to %u, not 128\n", i);
		abort();
	}
	fprintf(stderr, "fuzz_malloc: %d nodes, ZONE_DMA32 %s, PGALLOC_CONF=%s\n", nr_nodes,
	        have_dma32 ? "on every node" : "not on every node", getenv("PGALLOC_CONF"));
	start_worker();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct op ops[MAX_OPS]; /* the worker reads them while queued */
	struct input in = {data, size};
	unsigned n = 0;

	while (in.n && n < MAX_OPS) {
		struct op *op = &ops[n];
		decode(&in, op);
		op->index = n++;
		switch (op->code) {
		case OP_MALLINFO:
			wait_idle();
			main_ctx.op = op;
			verify_all(&main_ctx, "mallinfo");
			check_mallinfo(&main_ctx);
			main_ctx.op = NULL;
			continue;
		case OP_RESPAWN:
			wait_idle();
			respawn_worker();
			continue;
		default:
			break;
		}
		if (op->worker) {
			uint64_t seq = push(op);
			if (uses_slot(op->code))
				slots[op->slot].pending = seq;
			continue;
		}
		if (uses_slot(op->code))
			wait_done(slots[op->slot].pending);
		if (op->code == OP_TRIM || op->code == OP_DRAIN || op->code == OP_SHRINK) {
			/* Memory given back, caches drained: every block still
			 * holds what it held. */
			wait_idle();
			run_op(&main_ctx, op);
			main_ctx.op = op;
			verify_all(&main_ctx, op_names[op->code]);
			main_ctx.op = NULL;
			continue;
		}
		run_op(&main_ctx, op);
	}

	/* The end: both threads back to the default policy, every block
	 * freed (by this thread: remote frees for the worker's), and then
	 * no huge mapping may be left. */
	struct op reset = {.code = OP_RESET_POLICY, .index = n};
	wait_done(push(&reset));
	reset_policy(&main_ctx);
	verify_all(&main_ctx, "end of input");
	for (unsigned i = 0; i < NSLOTS; i++) {
		release_slot(&main_ctx, &slots[i], i);
		slots[i].pending = 0;
	}
	check_mallinfo(&main_ctx);
	return 0;
}
