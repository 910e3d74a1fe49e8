/* SPDX-License-Identifier: MIT */
/*
 * test_fork.c - fork while other threads allocate. pgalloc's fork handlers
 * (pga_fork_prepare/parent/child, which the page allocator registers with
 * pthread_atfork when it is loaded) must leave the child, which has only
 * the forking thread, with consistent locks and lists: it allocates and
 * frees small, large and huge blocks, checks their content, forks a child
 * of its own that does the same, and gives back everything it can reach
 * (the vanished threads' caches are abandoned, never walked: fork.c).
 * The parent checks each child's exit status and keeps running.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "child.h"
#include "compiler.h"
#include "malloc_layer.h"
#include "park.h"
#include "pattern.h"
#include "pgalloc.h"
#include "sanitizer.h"
#include "thread.h"
#include "units.h"
#include "zones.h"

#define BUSY_THREADS 4
#define FORKS        (T_TSAN ? 20 : 50)

static _Atomic bool stop;
static _Atomic long busy_ops, busy_bad;

static const size_t sizes[] = {16, 64, 200, 1000, 4000, 20000, 40 * KIB, 300 * KIB};

/* Allocate and free without pause, across classes and page runs, and
 * pass objects between threads through a shared slot array. */
#define SHARED 64
static _Atomic(void *) shared[SHARED];

static void *busy_thread(void *arg)
{
	unsigned long long seed = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	void *held[32] = {0};
	size_t held_size[32] = {0};

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned i = (unsigned)(t_rand(&seed) % 32);
		if (held[i]) {
			if (!t_verify(held[i], held_size[i] > 512 ? 512 : held_size[i],
			              (uintptr_t)held[i]))
				atomic_fetch_add(&busy_bad, 1);
			pga_free(held[i]);
		}
		held_size[i] = sizes[t_rand(&seed) % PGA_ARRAY_SIZE(sizes)];
		held[i] = pga_malloc(held_size[i]);
		if (!held[i]) {
			atomic_fetch_add(&busy_bad, 1);
			continue;
		}
		t_fill(held[i], held_size[i] > 512 ? 512 : held_size[i], (uintptr_t)held[i]);
		if (t_rand(&seed) % 4 == 0) {
			/* Cross-thread: swap a 64-byte object through a slot. */
			void *o = pga_malloc(64);
			if (o) {
				void *got = atomic_exchange(&shared[t_rand(&seed) % SHARED], o);
				pga_free(got);
			}
		}
		atomic_fetch_add_explicit(&busy_ops, 1, memory_order_relaxed);
	}
	for (unsigned i = 0; i < 32; i++)
		pga_free(held[i]);
	return NULL;
}

/* Fill (check) the first and last 16 KiB of a block with the pattern of
 * key: enough to catch an overlap, without the cost of every byte of a
 * 9 MiB block in every child. */
#define ENDS (16 * KIB)

static void fill_ends(void *p, size_t n, uint64_t key)
{
	if (n <= 2 * ENDS) {
		t_fill(p, n, key);
		return;
	}
	t_fill(p, ENDS, key);
	t_fill((char *)p + n - ENDS, ENDS, ~key);
}

static bool verify_ends(const void *p, size_t n, uint64_t key)
{
	if (n <= 2 * ENDS)
		return t_verify(p, n, key);
	return t_verify(p, ENDS, key) && t_verify((const char *)p + n - ENDS, ENDS, ~key);
}

/* What a child does: allocate and free every kind, checking content.
 * Returns the number of problems. */
static int child_work(unsigned long long seed)
{
	static const size_t csizes[] = {1,     16,        100, 1000,    4096,    32768,
	                                40000, 100 * KIB, MIB, 4 * MIB, 5 * MIB, 9 * MIB};
	void *held[PGA_ARRAY_SIZE(csizes)][4];
	int bad = 0;

	for (int round = 0; round < 3; round++) {
		for (size_t s = 0; s < PGA_ARRAY_SIZE(csizes); s++) {
			for (int k = 0; k < 4; k++) {
				size_t n = csizes[s];
				held[s][k] = pga_malloc(n);
				if (!held[s][k]) {
					bad++;
					continue;
				}
				fill_ends(held[s][k], n, (uintptr_t)held[s][k] ^ seed);
			}
		}
		for (size_t s = 0; s < PGA_ARRAY_SIZE(csizes); s++) {
			for (int k = 0; k < 4; k++) {
				if (!held[s][k])
					continue;
				if (!verify_ends(held[s][k], csizes[s],
				                 (uintptr_t)held[s][k] ^ seed))
					bad++;
				pga_free(held[s][k]);
			}
		}
	}
	void *r = pga_malloc(10);
	for (size_t n = 10; r && n < 8 * MIB; n *= 3)
		r = pga_realloc(r, n);
	if (!r)
		bad++;
	pga_free(r);
	return bad;
}

/* The forked children run with the parent's environment, leave no core
 * file if they crash, and are killed if they hang (a fork handler that
 * never returns), so that a hang is a failure with a name. */
static const struct t_child_opts forked = {.inherit_conf = true, .no_core = true, .timeout_s = 60};

/* Free the objects the parent's threads left in the shared slots: in a
 * child they are the child's now (its copy of them). */
static void free_shared(void)
{
	for (size_t s = 0; s < SHARED; s++)
		pga_free(atomic_exchange(&shared[s], NULL));
}

/* What a child works with: set before the fork, read by the child. */
static unsigned long long g_seed;
static bool g_fork_again;

static void grandchild(void)
{
	CHECK_EQ(child_work(g_seed + 1), 0);
}

/* A child of case_fork: the work, a child of its own now and then, and
 * nothing of pgalloc's left in use. */
static void busy_child(void)
{
	int bad = child_work(g_seed);

	if (g_fork_again && !t_child_passes(grandchild, forked, "grandchild"))
		bad++;
	/* Everything the child allocated is back, and the caches of the
	 * threads it lost were taken over. */
	free_shared();
	CHECK_EQ(bad, 0);
}

static void case_fork(void)
{
	pthread_t th[BUSY_THREADS];
	int failed = 0;

	pga_free(pga_malloc(1));
	for (int i = 0; i < BUSY_THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, busy_thread, (void *)(uintptr_t)(i + 1)) == 0);
	for (int f = 0; f < FORKS; f++) {
		char what[32];

		/* Let the threads get going between forks. */
		long start = atomic_load(&busy_ops);
		while (atomic_load(&busy_ops) < start + 200)
			sched_yield();
		g_seed = (unsigned long long)f;
		g_fork_again = f % 5 == 0;
		snprintf(what, sizeof(what), "fork %d: child", f);
		failed += !t_child_passes(busy_child, forked, what);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < BUSY_THREADS; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
	free_shared();
	printf("fork: %d forks, %ld operations in the busy threads\n", FORKS,
	       atomic_load(&busy_ops));
	CHECK_EQ(failed, 0);
	CHECK_EQ(atomic_load(&busy_bad), 0);
	t_check_all_free("parent after forks", (struct t_all_free){.trim = pga_malloc_trim});
}

/*
 * The child's books: threads that are alive in the parent but idle, having
 * freed everything they allocated, still hold caches (cpu slabs, partial
 * slabs, pcp pages). In a child they are gone; pga_fork_child must take
 * their caches over, so that once the child has freed all it can see,
 * every zone is all free again.
 */
static struct t_park park = T_PARK_INITIALIZER;

static void *idle_thread(void *arg)
{
	unsigned long long seed = (uintptr_t)arg;
	void *held[500];

	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 500; i++)
			held[i] = pga_malloc(sizes[t_rand(&seed) % PGA_ARRAY_SIZE(sizes)]);
		/* Half of them through another thread's slot. */
		for (int i = 0; i < 500; i++) {
			if (i & 1)
				held[i] = atomic_exchange(&shared[t_rand(&seed) % SHARED], held[i]);
			pga_free(held[i]);
		}
	}
	t_park(&park);
	return NULL;
}

/* Free pages in every zone once the child gave back all it can. */
static unsigned long zones_free_trimmed(void)
{
	unsigned long free = 0;

	pga_malloc_trim(0);
	pga_drain_all_pages();
	for (int id = 0; id < pga_mem.nr_zones; id++)
		free += pga_zone_free_pages(pga_mem.zones[id]);
	return free;
}

/*
 * The idle threads' caches are abandoned in the child (fork.c: it never
 * walks a dead thread's state): they leave the registry, the books count
 * them, and the child's own work gives back all it took, so that the zones
 * end with at least as much free as they had when the child started.
 */
static int g_expect_abandoned;

static void idle_child(void)
{
	struct pga_thread_abandoned ab;
	unsigned long registered, mapped, before, after;

	before = zones_free_trimmed();
	CHECK_EQ(child_work(3), 0);
	free_shared();
	after = zones_free_trimmed();
	CHECK(after >= before);
	if (after < before)
		fprintf(stderr, "child of idle threads: %lu pages free before, %lu after\n", before,
		        after);
	pga_thread_abandoned(&ab);
	pga_thread_counts(&registered, &mapped);
	CHECK_EQ(ab.threads, (unsigned long)g_expect_abandoned);
	CHECK_EQ(registered, 1); /* the forking thread, which allocated above */
	CHECK_EQ(t_zones_valid("child of idle threads"), 0);
}

static void fork_idle_threads(bool main_allocates)
{
	pthread_t th[BUSY_THREADS];

	/* Whether the forking thread has per-thread state of its own when
	 * the child takes over the others'. */
	if (main_allocates)
		pga_free(pga_malloc(1));
	for (int i = 0; i < BUSY_THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, idle_thread, (void *)(uintptr_t)(i + 1)) == 0);
	t_park_wait(&park, BUSY_THREADS);

	g_expect_abandoned = BUSY_THREADS;
	CHECK(t_child_passes(idle_child, forked, "child of idle threads"));

	t_park_release(&park);
	for (int i = 0; i < BUSY_THREADS; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
	free_shared();
	t_check_all_free("parent of idle threads", (struct t_all_free){.trim = pga_malloc_trim});
}

static void case_fork_idle_threads(void)
{
	fork_idle_threads(true);
}

/* The same, forked by a thread that never allocated before. */
static void case_fork_idle_threads_fresh(void)
{
	fork_idle_threads(false);
}

/* A child forked while no other thread exists, after threads came and went:
 * it must reach zero in the zones once it has freed all it had. */
static void *g_keep; /* allocated before the fork, freed on both sides */

static void quiet_child(void)
{
	CHECK_EQ(child_work(7), 0);
	pga_free(g_keep);
	free_shared();
	t_check_all_free("quiet child", (struct t_all_free){.trim = pga_malloc_trim});
}

static void case_fork_quiet(void)
{
	pthread_t th[BUSY_THREADS];

	for (int i = 0; i < BUSY_THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, busy_thread, (void *)(uintptr_t)(i + 1)) == 0);
	long start = atomic_load(&busy_ops);
	while (atomic_load(&busy_ops) < start + 10000)
		sched_yield();
	atomic_store(&stop, true);
	for (int i = 0; i < BUSY_THREADS; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
	g_keep = pga_malloc(100);
	CHECK(t_child_passes(quiet_child, forked, "quiet child"));
	pga_free(g_keep);
	free_shared();
	t_check_all_free("quiet parent", (struct t_all_free){.trim = pga_malloc_trim});
}

int main(void)
{
	unsetenv("PGALLOC_CONF");
	t_run_with_conf("fork", NULL, case_fork);
	t_run_with_conf("fork_idle_threads", NULL, case_fork_idle_threads);
	t_run_with_conf("fork_idle_threads_fresh", NULL, case_fork_idle_threads_fresh);
	t_run_with_conf("fork_quiet", NULL, case_fork_quiet);
	/* Drains (the background reclaim thread's, the checks') without
	 * membarrier: requests the owners carry out. */
	t_run_with_conf("fork-membarrier-off", "membarrier=off", case_fork);
	t_run_with_conf("fork_idle_threads-membarrier-off", "membarrier=off",
	                case_fork_idle_threads);
	return t_done("test_fork");
}
