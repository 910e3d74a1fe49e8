/* SPDX-License-Identifier: MIT */
/*
 * test_badfree.c - bad frees are reported and abort, as glibc's do: each
 * case runs in a child whose stderr is captured; the child must die of
 * SIGABRT after printing "pgalloc: ..." with the offending address in hex.
 *
 * Cases: double free of a small object (in a row, in the caller's cpu slab);
 * double free into a slab frozen to another, live thread (its remote stack)
 * and into a slab whose owner has exited (the node-lock path); a free of a
 * pointer inside an object, inside a page run, past the last object of a
 * slab, into a zone page never handed out, into a free page; a double free
 * of a page run and of a huge mapping; realloc and malloc_usable_size of a
 * freed page run; and, with the plain library (no preload shim to forward
 * them), free, realloc and malloc_usable_size of foreign pointers.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>

#include "check.h"
#include "child.h"
#include "malloc_layer.h"
#include "mmzone.h"
#include "park.h"
#include "pgalloc.h"
#include "units.h"

/* What a case reports: the address the message must name, and a phrase
 * it must contain (NULL: any "pgalloc: " message). */
struct expect {
	uintptr_t addr;
	const char *phrase;
};

/* In the child: announce the expectation, before the bad call. */
static void expect(const void *addr, const char *phrase)
{
	struct expect e = {(uintptr_t)addr, phrase};

	if (!t_child_send(&e, sizeof(e)))
		_exit(3);
}

static void (*g_case)(void);

/* The child: the case, and a line that says it survived the bad call. */
static void run_case(void)
{
	g_case();
	fprintf(stderr, "(returned)\n");
}

/*
 * Run fn in a child with stderr captured. Passes when the child was killed
 * by SIGABRT and its stderr holds "pgalloc: ", the phrase, and the address
 * fn announced with expect().
 */
static void expect_abort(const char *name, void (*fn)(void))
{
	struct t_child r;
	struct expect e = {0, NULL};

	g_case = fn;
	t_child_run(
	    run_case,
	    (struct t_child_opts){.inherit_conf = true, .capture_err = true, .no_core = true}, &r);
	bool have = r.data_len >= sizeof(e);
	if (have)
		memcpy(&e, r.data, sizeof(e));

	char hex[32];
	snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)e.addr);
	bool aborted = t_child_killed_by(&r, SIGABRT);
	bool named = have && strstr(r.err, "pgalloc: ") && strstr(r.err, hex);
	bool phrase = !e.phrase || strstr(r.err, e.phrase);

	t_checks++;
	if (!aborted || !named || !phrase) {
		t_failures++;
		fprintf(stderr,
		        "case %s: want SIGABRT and a message naming %s%s%s%s; got %s, "
		        "stderr:\n%s\n",
		        name, hex, e.phrase ? " and '" : "", e.phrase ? e.phrase : "",
		        e.phrase ? "'" : "", r.how, r.err);
	} else {
		/* The first line, to show what users see. */
		char *nl = strchr(r.err, '\n');
		if (nl)
			*nl = 0;
		printf("%-24s %s\n", name, r.err);
	}
	t_child_release(&r);
}

/* ------------------------------------------------------------------ */
/* Small objects                                                       */

static void double_free_small(void)
{
	void *p = pga_malloc(64);
	expect(p, "double free");
	pga_free(p);
	pga_free(p);
}

/* The same after the object left the freelist head: the free goes through
 * a slab that is not the thread's cpu slab any more. */
static void double_free_small_partial(void)
{
	enum { N = 4096 };
	static void *p[N];
	for (int i = 0; i < N; i++)
		p[i] = pga_malloc(64);
	/* p[0]'s slab is full and unfrozen by now: the first free puts it on
	 * the node's partial list, the second finds it at its freelist head. */
	expect(p[0], "double free");
	pga_free(p[0]);
	pga_free(p[0]);
}

struct owner_arg {
	size_t size;
	void *obj;
	struct t_park park; /* parked: obj allocated; released: it may exit */
};

static void *owner_thread(void *arg)
{
	struct owner_arg *a = arg;

	a->obj = pga_malloc(a->size);
	t_park(&a->park);
	return NULL;
}

/* The owner is alive, its cpu slab frozen to it: the frees go onto the
 * slab's remote stack. */
static void double_free_remote(void)
{
	static struct owner_arg a = {.size = 64, .park = T_PARK_INITIALIZER};
	pthread_t th;

	REQUIRE(pthread_create(&th, NULL, owner_thread, &a) == 0);
	t_park_wait(&a.park, 1);
	expect(a.obj, "double free");
	pga_free(a.obj);
	pga_free(a.obj);
}

/* The owner has exited: its slabs are unfrozen, frees take the node lock. */
static void double_free_orphan(void)
{
	static struct owner_arg a = {.size = 64, .park = T_PARK_INITIALIZER};
	pthread_t th;

	t_park_release(&a.park);

	REQUIRE(pthread_create(&th, NULL, owner_thread, &a) == 0);
	REQUIRE(pthread_join(th, NULL) == 0);
	expect(a.obj, "double free");
	pga_free(a.obj);
	pga_free(a.obj);
}

static void interior_small(void)
{
	char *p = pga_malloc(64);
	expect(p + 16, "invalid pointer");
	pga_free(p + 16);
}

/* Same, for an object in a slab that is not the caller's cpu slab. */
static void interior_small_slow(void)
{
	enum { N = 1024 };
	static char *p[N];
	for (int i = 0; i < N; i++)
		p[i] = pga_malloc(64);
	expect(p[0] + 8, "invalid pointer");
	pga_free(p[0] + 8);
}

/*
 * Past the last object of a slab: 48-byte objects fill 85 * 48 = 4080
 * bytes of a 4 KiB slab, so slab + 4080 is on the object grid but no
 * object. Accepting it would hand out 48 bytes running into the next page.
 */
static void past_last_object(void)
{
	char *first = pga_malloc(48);
	uintptr_t slab = (uintptr_t)first & ~(PGA_PAGE_SIZE - 1);
	REQUIRE(pga_malloc_usable_size(first) == 48);
	char *bogus = (char *)slab + (PGA_PAGE_SIZE / 48) * 48;
	expect(bogus, NULL);
	pga_free(bogus);
	/* Had it been taken: show where the next allocations land. */
	for (int i = 0; i < 100; i++) {
		char *q = pga_malloc(48);
		if (q == bogus) {
			fprintf(stderr, "malloc(48) handed out %p, which runs into the next page\n",
			        (void *)q);
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Page runs and zone pages                                            */

static void interior_large(void)
{
	char *p = pga_malloc(100 * KIB);
	expect(p + 4096, NULL);
	pga_free(p + 4096);
}

static void interior_large_same_page(void)
{
	char *p = pga_malloc(100 * KIB);
	expect(p + 16, NULL);
	pga_free(p + 16);
}

static void double_free_large(void)
{
	void *p = pga_malloc(100 * KIB);
	expect(p, NULL);
	pga_free(p);
	pga_free(p);
}

static void realloc_freed_large(void)
{
	void *p = pga_malloc(100 * KIB);
	expect(p, NULL);
	pga_free(p);
	p = pga_realloc(p, 200 * KIB);
	/* Use the result, so that nothing is optimised away. */
	fprintf(stderr, "realloc returned %p\n", p);
}

static void usable_size_freed_large(void)
{
	void *p = pga_malloc(100 * KIB);
	expect(p, NULL);
	pga_free(p);
	fprintf(stderr, "usable size %zu\n", pga_malloc_usable_size(p));
}

/* The last page of the first zone that spans more than it has onlined:
 * never handed out, its descriptor never written. */
static void never_allocated_page(void)
{
	pga_free(pga_malloc(1));
	struct pga_zone *z = NULL;
	for (int id = 0; id < pga_mem.nr_zones && !z; id++) {
		struct pga_zone *c = pga_mem.zones[id];
		if (c->online_end_pfn < c->zone_start_pfn + c->spanned_pages)
			z = c;
	}
	if (!z) {
		/* Everything onlined: any high page will do; it is free. */
		z = pga_mem.zones[0];
	}
	void *p = pga_pfn_to_addr(z, z->zone_start_pfn + z->spanned_pages - 1);
	REQUIRE(pga_page_node(p) >= 0);
	expect(p, NULL);
	pga_free(p);
}

/* A free page inside the onlined part: the page after a fresh page run
 * of 9 pages (its order-4 block gave the other 7 back). */
static void free_page_in_zone(void)
{
	char *p = pga_malloc(36 * KIB);
	expect(p + 36 * KIB, NULL);
	pga_free(p + 36 * KIB);
}

/* ------------------------------------------------------------------ */
/* Huge mappings and foreign pointers                                  */

static void double_free_huge(void)
{
	void *p = pga_malloc(8 * MIB);
	expect(p, "free(): double free");
	pga_free(p);
	pga_free(p);
}

static void foreign_stack(void)
{
	long on_stack[4] = {0};
	pga_free(pga_malloc(1)); /* started: the pointer is compared, not guessed */
	expect(on_stack, "free(): invalid pointer");
	pga_free(on_stack);
}

static void foreign_libc(void)
{
	void *p = calloc(1, 100);
	expect(p, "free(): invalid pointer");
	pga_free(p);
}

static void foreign_libc_uninitialised(void)
{
	/* The very first call of the process is the bad one. */
	void *p = calloc(1, 100);
	expect(p, "free(): invalid pointer");
	pga_free(p);
}

static void foreign_realloc(void)
{
	void *p = calloc(1, 100);
	expect(p, "realloc(): invalid pointer");
	p = pga_realloc(p, 1000);
	fprintf(stderr, "realloc returned %p\n", p);
}

static void foreign_usable_size(void)
{
	void *p = calloc(1, 100);
	expect(p, "malloc_usable_size(): invalid pointer");
	fprintf(stderr, "usable size %zu\n", pga_malloc_usable_size(p));
}

int main(void)
{
	/* Before this process has started pgalloc at all. */
	expect_abort("foreign_uninitialised", foreign_libc_uninitialised);

	/* Frees that are fine must stay fine: a control that must not abort. */
	void *ok = pga_malloc(64);
	pga_free(ok);
	pga_free(NULL);

	expect_abort("double_free_small", double_free_small);
	expect_abort("double_free_partial", double_free_small_partial);
	expect_abort("double_free_remote", double_free_remote);
	expect_abort("double_free_orphan", double_free_orphan);
	expect_abort("interior_small", interior_small);
	expect_abort("interior_small_slow", interior_small_slow);
	expect_abort("past_last_object", past_last_object);
	expect_abort("interior_large", interior_large);
	expect_abort("interior_large_same", interior_large_same_page);
	expect_abort("double_free_large", double_free_large);
	expect_abort("realloc_freed_large", realloc_freed_large);
	expect_abort("usable_size_freed", usable_size_freed_large);
	expect_abort("never_allocated_page", never_allocated_page);
	expect_abort("free_page_in_zone", free_page_in_zone);
	expect_abort("double_free_huge", double_free_huge);
	expect_abort("foreign_stack", foreign_stack);
	expect_abort("foreign_libc", foreign_libc);
	expect_abort("foreign_realloc", foreign_realloc);
	expect_abort("foreign_usable_size", foreign_usable_size);
	return t_done("test_badfree");
}
