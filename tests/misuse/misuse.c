/* SPDX-License-Identifier: MIT */
/*
 * misuse.c - one misuse of the C allocation API per process, for the
 * misuse suite (run.sh, which says what each case proves and how each
 * must end).
 *
 *   misuse CASE
 *
 * An ordinary program: it does not link pgalloc and calls the C library's
 * names (malloc, free, realloc, ...); run.sh runs it with libpgalloc.so
 * preloaded. Each case does only what its name says: legal calls, then
 * one misuse. Before the misuse it prints the pointer it misuses as
 * "addr=0x..." on standard output, in pgalloc's own format (lowercase hex
 * after 0x, no padding: pga_fmt_hex), so that run.sh can find it in the
 * allocator's message. Output goes through write(2), never stdio: nothing
 * is buffered when the process dies, and printing allocates nothing, so
 * the heap holds exactly what the case put there.
 *
 * Exit status: 0 a case whose calls must all succeed did; 1 a check of
 * such a case failed (the reason on stderr); 2 usage; 3 the process
 * survived a misuse that must abort; 77 the case cannot run here (the
 * reason on stdout). A misuse that is caught never returns.
 *
 * Built at -O0 with -fno-builtin, and every misused pointer goes through
 * a volatile, so that the compiler neither folds a double free away nor
 * proves an access out of bounds and drops it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

static const char *g_case;

/* ---- output without stdio ---- */

static void out(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w <= 0)
			return;
		done += (size_t)w;
	}
}

/* The pointer about to be misused, as pgalloc prints addresses. */
static void announce(const volatile void *p)
{
	out(1, "addr=0x%" PRIxPTR "\n", (uintptr_t)p);
}

/* A check of a case that must succeed failed: say which, exit 1. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out(2, "misuse %s: FAIL: %s\n", g_case, buf);
	exit(1);
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail(__VA_ARGS__);                                                         \
	} while (0)

/* A misuse that must have aborted returned. */
static int survived(void)
{
	out(2, "misuse %s: the process survived the misuse\n", g_case);
	return 3;
}

static int skip(const char *why)
{
	out(1, "misuse %s: skipped: %s\n", g_case, why);
	return 77;
}

/* An allocation of a case's legal part: must succeed. */
static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	CHECK(p, "malloc(%zu) returned NULL", size);
	return p;
}

/* ---- double frees of small objects ---- */

static int double_free_small_immediate(void)
{
	void *volatile p = xmalloc(24);

	announce(p);
	free(p);
	free(p);
	return survived();
}

/* a is no longer at the head of the freelist when it is freed again. */
static int double_free_small_delayed(void)
{
	void *volatile a = xmalloc(24);
	void *volatile b = xmalloc(24);

	announce(a);
	free(a);
	free(b);
	free(a);
	return survived();
}

/* A thousand frees of the class between the two: a is deep in a list, or
 * its slab has moved between lists, by the time it comes back. */
static int double_free_small_delayed_many(void)
{
	enum { N = 1000 };
	static void *others[N];
	void *volatile a = xmalloc(24);

	for (int i = 0; i < N; i++)
		others[i] = xmalloc(24);
	announce(a);
	free(a);
	for (int i = 0; i < N; i++)
		free(others[i]);
	free(a);
	return survived();
}

/* ---- frees from other threads ---- */

static void *volatile g_obj;

static void *alloc_thread(void *arg)
{
	(void)arg;
	g_obj = xmalloc(24);
	return NULL;
}

static void *free_thread(void *arg)
{
	(void)arg;
	free(g_obj);
	return NULL;
}

static void run_thread(void *(*fn)(void *))
{
	pthread_t th;

	CHECK(pthread_create(&th, NULL, fn, NULL) == 0, "pthread_create failed");
	CHECK(pthread_join(th, NULL) == 0, "pthread_join failed");
}

/* Allocated in one thread, freed in a second, freed again in a third; each
 * joined before the next starts, so the owner has exited. */
static int double_free_small_remote(void)
{
	run_thread(alloc_thread);
	announce(g_obj);
	run_thread(free_thread);
	run_thread(free_thread);
	return survived();
}

/*
 * The owner stays alive and busy: the object goes back to the remote list
 * of a slab still frozen to a live thread, and so does the second free.
 * The owner allocates from another size class only: were it to take 24-byte
 * objects, it could collect the first free and hand the object out again,
 * and the second free would then free a live object, which no allocator
 * can tell from a legal free.
 */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_stage; /* 1: the object is allocated; 2: the owner may stop */

static void set_stage(int stage)
{
	pthread_mutex_lock(&g_lock);
	g_stage = stage;
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
}

static int get_stage(void)
{
	pthread_mutex_lock(&g_lock);
	int stage = g_stage;
	pthread_mutex_unlock(&g_lock);
	return stage;
}

static void *live_owner_thread(void *arg)
{
	enum { KEEP = 64 };
	void *keep[KEEP] = {0};
	unsigned i = 0;

	(void)arg;
	g_obj = xmalloc(24);
	set_stage(1);
	while (get_stage() < 2) {
		free(keep[i % KEEP]);
		keep[i % KEEP] = xmalloc(200);
		i++;
	}
	for (i = 0; i < KEEP; i++)
		free(keep[i]);
	return NULL;
}

static int double_free_small_remote_live(void)
{
	pthread_t owner;

	CHECK(pthread_create(&owner, NULL, live_owner_thread, NULL) == 0, "pthread_create failed");
	pthread_mutex_lock(&g_lock);
	while (g_stage < 1)
		pthread_cond_wait(&g_cond, &g_lock);
	pthread_mutex_unlock(&g_lock);
	announce(g_obj);
	run_thread(free_thread);
	run_thread(free_thread);
	set_stage(2);
	pthread_join(owner, NULL);
	return survived();
}

/* More objects than a slab holds, all freed, the empty slabs given back:
 * the second free finds a slab that may not exist any more. */
static int double_free_small_emptied(void)
{
	enum { N = 10000 };
	static void *objs[N];

	for (int i = 0; i < N; i++)
		objs[i] = xmalloc(100);
	for (int i = 0; i < N; i++)
		free(objs[i]);
	malloc_trim(0);
	void *volatile p = objs[0];
	announce(p);
	free(p);
	return survived();
}

/* ---- double frees of page runs and huge mappings ---- */

static int double_free_sized(size_t size)
{
	void *volatile p = xmalloc(size);

	announce(p);
	free(p);
	free(p);
	return survived();
}

static int double_free_large(void)
{
	return double_free_sized(200000);
}

static int double_free_large_1m(void)
{
	return double_free_sized(1 * MIB);
}

static int double_free_large_4m(void)
{
	return double_free_sized(4 * MIB);
}

static int double_free_huge(void)
{
	return double_free_sized(64 * MIB);
}

/* The freed mapping's address range taken by an unrelated mapping (where
 * the kernel chooses; it says whether it landed on the old block). */
static int double_free_huge_reused(void)
{
	void *volatile p = xmalloc(64 * MIB);

	announce(p);
	free(p);
	void *m = mmap(NULL, 64 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap of 64 MiB failed");
	out(1, "mmap=0x%" PRIxPTR " same-address=%s\n", (uintptr_t)m, m == p ? "yes" : "no");
	free(p);
	return survived();
}

/* ---- pointers pgalloc never returned ---- */

static int free_pointer(void *p)
{
	void *volatile vp = p;

	announce(vp);
	free(vp);
	return survived();
}

static int free_stack(void)
{
	long local[4] = {0};

	return free_pointer(local);
}

static int free_global(void)
{
	static long global[8];

	return free_pointer(global);
}

static int free_mmap(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(m != MAP_FAILED, "mmap of a page failed");
	return free_pointer(m);
}

static int free_interior_small(void)
{
	return free_pointer((char *)xmalloc(64) + 16);
}

static int free_interior_large(void)
{
	return free_pointer((char *)xmalloc(200000) + 4096);
}

static int free_interior_huge(void)
{
	return free_pointer((char *)xmalloc(64 * MIB) + 4096);
}

static int free_misaligned(void)
{
	return free_pointer((char *)xmalloc(64) + 1);
}

/* ---- realloc and malloc_usable_size of freed and foreign pointers ---- */

static int realloc_pointer(void *p, size_t size)
{
	void *volatile vp = p;

	announce(vp);
	void *volatile q = realloc(vp, size);
	out(2, "realloc returned 0x%" PRIxPTR "\n", (uintptr_t)q);
	return survived();
}

static int usable_size_pointer(void *p)
{
	void *volatile vp = p;

	announce(vp);
	size_t n = malloc_usable_size(vp);
	out(2, "malloc_usable_size returned %zu\n", n);
	return survived();
}

static void *freed(size_t size)
{
	void *p = xmalloc(size);

	free(p);
	return p;
}

static int realloc_freed(void)
{
	return realloc_pointer(freed(40), 80);
}

static int realloc_freed_large(void)
{
	return realloc_pointer(freed(200000), 400000);
}

static int realloc_freed_huge(void)
{
	return realloc_pointer(freed(64 * MIB), 128 * MIB);
}

static int realloc_invalid(void)
{
	long local[4] = {0};

	return realloc_pointer(local, 80);
}

static int realloc_interior(void)
{
	return realloc_pointer((char *)xmalloc(64) + 16, 80);
}

static int usable_size_freed(void)
{
	return usable_size_pointer(freed(40));
}

static int usable_size_freed_large(void)
{
	return usable_size_pointer(freed(200000));
}

static int usable_size_freed_huge(void)
{
	return usable_size_pointer(freed(64 * MIB));
}

static int usable_size_invalid(void)
{
	long local[4] = {0};

	return usable_size_pointer(local);
}

/* ---- writes into freed objects and past the request ---- */

/*
 * q freed, then p: p heads the freelist and its first bytes link to q.
 * Sixteen bytes of 0x41 over the link; the first malloc hands p out again,
 * the second would follow the corrupt link.
 */
static int write_after_free_link(void)
{
	char *volatile p = xmalloc(48);
	char *volatile q = xmalloc(48);

	free(q);
	free(p);
	announce(p);
	for (int i = 0; i < 16; i++)
		p[i] = 0x41;
	void *volatile a = malloc(48);
	void *volatile b = malloc(48);
	out(2, "malloc returned 0x%" PRIxPTR " and 0x%" PRIxPTR "\n", (uintptr_t)a, (uintptr_t)b);
	return survived();
}

/* harden=full: one byte written in the middle of a freed object; it must
 * be found when the object is handed out again, however late that is. */
static int write_after_free_poison(void)
{
	enum { N = 100000 };
	static void *volatile keep[N];
	char *volatile p = xmalloc(48);

	free(p);
	announce(p);
	p[24] = (char)(p[24] ^ 0x5a);
	for (int i = 0; i < N; i++)
		keep[i] = malloc(48);
	(void)keep;
	return survived();
}

/* harden=full: the byte just past the request changed (whatever the red
 * zone holds, it no longer holds that). */
static int overflow_canary(void)
{
	char *volatile p = xmalloc(40);

	announce(p);
	p[40] = (char)~p[40];
	free(p);
	return survived();
}

/* harden=full: the red zone is not usable, so the usable size is the
 * request. */
static int usable_size_redzone(void)
{
	void *volatile p = xmalloc(40);
	size_t n = malloc_usable_size(p);

	CHECK(n == 40, "malloc_usable_size(malloc(40)) is %zu under harden=full, want 40", n);
	free(p);
	return 0;
}

/* free_sized is C23: glibc 2.36 lacks it, pgalloc exports it. */
typedef void free_sized_fn(void *, size_t);

static free_sized_fn *find_free_sized(void)
{
	return (free_sized_fn *)dlsym(RTLD_DEFAULT, "free_sized");
}

static int free_sized_wrong(void)
{
	free_sized_fn *fs = find_free_sized();

	if (!fs)
		return skip("no free_sized in this process (C23; not in this C library)");
	void *volatile p = xmalloc(40);
	announce(p);
	fs(p, 4000);
	return survived();
}

static int free_sized_right(void)
{
	free_sized_fn *fs = find_free_sized();

	if (!fs)
		return skip("no free_sized in this process (C23; not in this C library)");
	void *volatile p = xmalloc(40);
	fs(p, 40);
	return 0;
}

/* ---- requests that cannot be met: NULL with errno, nothing lost ---- */

/* Sizes from volatiles: constants this large draw warnings, and the
 * compiler may reason about calls it sees through. */
static volatile size_t v_size_max = SIZE_MAX;
static volatile size_t v_half = SIZE_MAX / 2;
static volatile size_t v_ptrdiff_max = PTRDIFF_MAX;

static void expect_null(void *p, int err, const char *call)
{
	CHECK(!p, "%s returned 0x%" PRIxPTR ", want NULL", call, (uintptr_t)p);
	CHECK(errno == err, "%s set errno %d (%s), want %d (%s)", call, errno, strerror(errno), err,
	      strerror(err));
}

/* A block of size bytes, filled with a pattern, and its check. */
static void *patterned(size_t size)
{
	unsigned char *p = xmalloc(size);

	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 7 + 1);
	return p;
}

static void check_pattern(const void *p, size_t size, const char *after)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < size; i++)
		CHECK(c[i] == (unsigned char)(i * 7 + 1), "byte %zu of the block changed after %s",
		      i, after);
}

/* The heap still works after a failed request. */
static void still_allocates(void)
{
	void *q = patterned(1000);
	check_pattern(q, 1000, "malloc");
	free(q);
}

static int calloc_overflow(void)
{
	errno = 0;
	expect_null(calloc(v_half, 3), ENOMEM, "calloc(SIZE_MAX/2, 3)");
	still_allocates();
	return 0;
}

static int reallocarray_overflow(void)
{
	void *p = patterned(64);

	errno = 0;
	expect_null(reallocarray(p, v_half, 3), ENOMEM, "reallocarray(p, SIZE_MAX/2, 3)");
	check_pattern(p, 64, "the failed reallocarray");
	CHECK(malloc_usable_size(p) >= 64, "p shrank after the failed reallocarray");
	still_allocates();
	free(p);
	return 0;
}

static int impossible_sizes(void)
{
	errno = 0;
	expect_null(malloc(v_size_max), ENOMEM, "malloc(SIZE_MAX)");
	errno = 0;
	expect_null(malloc(v_ptrdiff_max), ENOMEM, "malloc(PTRDIFF_MAX)");
	errno = 0;
	expect_null(malloc(v_ptrdiff_max + 1), ENOMEM, "malloc(PTRDIFF_MAX + 1)");

	void *p = patterned(100);
	errno = 0;
	expect_null(realloc(p, v_size_max), ENOMEM, "realloc(p, SIZE_MAX)");
	check_pattern(p, 100, "the failed realloc");

	errno = 0;
	expect_null(calloc(1, v_size_max), ENOMEM, "calloc(1, SIZE_MAX)");
	errno = 0;
	expect_null(valloc(v_size_max), ENOMEM, "valloc(SIZE_MAX)");
	errno = 0;
	expect_null(pvalloc(v_size_max), ENOMEM, "pvalloc(SIZE_MAX)");

	/* p is still a live block: it can grow, and it frees. */
	p = realloc(p, 200);
	CHECK(p, "realloc(p, 200) after the failed one returned NULL");
	check_pattern(p, 100, "realloc(p, 200)");
	free(p);
	still_allocates();
	return 0;
}

static volatile size_t v_align3 = 3;
static volatile size_t v_align0 = 0;
static volatile size_t v_align4 = 4;
static volatile size_t v_align62 = (size_t)1 << 62;
static volatile size_t v_align40 = (size_t)1 << 40;

static int impossible_alignments(void)
{
	void *p;
	int rc;

	errno = 0;
	expect_null(aligned_alloc(v_align3, 64), EINVAL, "aligned_alloc(3, 64)");
	errno = 0;
	expect_null(aligned_alloc(v_align0, 64), EINVAL, "aligned_alloc(0, 64)");

	p = (void *)1;
	rc = posix_memalign(&p, v_align3, 64);
	CHECK(rc == EINVAL, "posix_memalign(&p, 3, 64) returned %d, want EINVAL", rc);
	rc = posix_memalign(&p, v_align4, 64);
	CHECK(rc == EINVAL,
	      "posix_memalign(&p, 4, 64) returned %d, want EINVAL (4 is not a "
	      "multiple of sizeof(void *))",
	      rc);

	errno = 0;
	expect_null(memalign(v_align62, 64), ENOMEM, "memalign(1 << 62, 64)");
	/* 1 TiB of alignment is address space, not memory: pgalloc may
	 * reserve it (a huge block, its unused head and tail given back) or
	 * refuse it; either way the answer is exact. */
	rc = posix_memalign(&p, v_align40, 1);
	CHECK(
	    rc == ENOMEM || (rc == 0 && ((uintptr_t)p & (v_align40 - 1)) == 0),
	    "posix_memalign(&p, 1 << 40, 1) returned %d (%p), want ENOMEM or a 1 TiB aligned block",
	    rc, rc ? NULL : p);
	if (rc == 0)
		free(p);
	still_allocates();
	return 0;
}

/* ---- glibc's internal names ---- */

/*
 * Programs (and libraries) call glibc's allocator under its __libc_ names
 * and the old cfree. Each must resolve to libpgalloc.so, or blocks from the
 * two allocators meet in the wrong free.
 */
static void *lookup_in_pgalloc(const char *name)
{
	void *sym = dlsym(RTLD_DEFAULT, name);
	Dl_info info;

	CHECK(sym, "%s: not found with dlsym(RTLD_DEFAULT)", name);
	CHECK(dladdr(sym, &info) && info.dli_fname, "%s: dladdr knows no object for 0x%" PRIxPTR,
	      name, (uintptr_t)sym);
	CHECK(strstr(info.dli_fname, "libpgalloc.so"), "%s resolves to %s, not libpgalloc.so", name,
	      info.dli_fname);
	return sym;
}

static int glibc_entry_points(void)
{
	void *(*libc_malloc)(size_t) = (void *(*)(size_t))lookup_in_pgalloc("__libc_malloc");
	void (*libc_free)(void *) = (void (*)(void *))lookup_in_pgalloc("__libc_free");
	void *(*libc_calloc)(size_t, size_t) =
	    (void *(*)(size_t, size_t))lookup_in_pgalloc("__libc_calloc");
	void *(*libc_realloc)(void *, size_t) =
	    (void *(*)(void *, size_t))lookup_in_pgalloc("__libc_realloc");
	void *(*libc_memalign)(size_t, size_t) =
	    (void *(*)(size_t, size_t))lookup_in_pgalloc("__libc_memalign");
	void (*cfree_fn)(void *) = (void (*)(void *))lookup_in_pgalloc("cfree");

	/* Blocks cross between the two sets of names in both directions. */
	void *p = libc_malloc(100);
	CHECK(p, "__libc_malloc(100) returned NULL");
	free(p);
	p = xmalloc(100);
	libc_free(p);

	unsigned char *c = libc_calloc(10, 10);
	CHECK(c, "__libc_calloc(10, 10) returned NULL");
	for (int i = 0; i < 100; i++)
		CHECK(c[i] == 0, "__libc_calloc: byte %d is not zero", i);
	c = libc_realloc(c, 5000);
	CHECK(c, "__libc_realloc(p, 5000) returned NULL");
	c = realloc(c, 100);
	CHECK(c, "realloc of a __libc_realloc block returned NULL");
	cfree_fn(c);

	p = libc_memalign(4096, 100);
	CHECK(p && ((uintptr_t)p & 4095) == 0, "__libc_memalign(4096, 100) returned 0x%" PRIxPTR,
	      (uintptr_t)p);
	free(p);
	p = libc_realloc(NULL, 10);
	CHECK(p, "__libc_realloc(NULL, 10) returned NULL");
	cfree_fn(p);
	return 0;
}

/* ---- the other opt-in checks of harden=full ---- */

/* harden=full (page_poison): a byte written into a freed page run is found
 * when its pages are handed out again. */
static int write_after_free_large(void)
{
	enum { N = 2000 };
	static void *volatile keep[N];
	char *volatile p = xmalloc(200000);

	free(p);
	announce(p);
	p[100] = 1;
	for (int i = 0; i < N; i++)
		keep[i] = malloc(200000);
	(void)keep;
	return survived();
}

/* harden=full (huge_guard_pages): the byte after a huge block, and the one
 * before it, are inaccessible: the write faults (SIGSEGV, no message). */
static int huge_guard_after(void)
{
	char *volatile p = xmalloc(64 * MIB);
	size_t n = malloc_usable_size(p);

	announce(p + n);
	p[n] = 1;
	return survived();
}

static int huge_guard_before(void)
{
	char *volatile p = xmalloc(64 * MIB);

	announce(p - 1);
	p[-1] = 1;
	return survived();
}

/* init_on_alloc=1: every block comes zeroed, also one freed dirty just
 * before (small, page run, huge). */
static int init_on_alloc(void)
{
	static const size_t sizes[] = {48, 200000, 64 * MIB};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int round = 0; round < 3; round++) {
			unsigned char *p = xmalloc(sizes[i]);
			for (size_t b = 0; b < sizes[i]; b++)
				CHECK(p[b] == 0, "malloc(%zu) round %d: byte %zu is %#x, want 0",
				      sizes[i], round, b, p[b]);
			memset(p, 0xff, sizes[i]);
			free(p);
		}
	}
	return 0;
}

/* init_on_free=1: a freed object keeps nothing of its data past the two
 * words the free itself writes (link and key). Reading freed memory is
 * what this check is for. */
static int init_on_free(void)
{
	unsigned char *volatile p = xmalloc(64);

	memset(p, 0xff, 64);
	free(p);
	for (size_t b = 16; b < 64; b++)
		CHECK(p[b] == 0, "freed byte %zu is %#x, want 0", b, p[b]);
	return 0;
}

/* slab_freelist_random=1: the objects of a new slab do not come in address
 * order (they do without it: malloc hands a fresh slab out in order). */
static int freelist_random(void)
{
	enum { N = 64 };
	char *p[N];
	int ascending = 0;

	for (int i = 0; i < N; i++)
		p[i] = xmalloc(720); /* a class no start-up allocation uses */
	for (int i = 1; i < N; i++)
		ascending += p[i] > p[i - 1];
	for (int i = 0; i < N; i++)
		free(p[i]);
	CHECK(ascending < N - 8, "%d of %d objects came in ascending address order", ascending,
	      N - 1);
	return 0;
}

/* mallopt returns 0 for a value glibc rejects, 1 for one it takes. */
static int mallopt_values(void)
{
	static const struct {
		int param, value, want;
	} t[] = {
	    {M_MXFAST, 64, 1},
	    {M_MXFAST, 1000, 0},
	    {M_MXFAST, -1, 0},
	    {M_MMAP_THRESHOLD, 1 << 20, 1},
	    {M_MMAP_THRESHOLD, 64 << 20, 0},
	    {M_MMAP_THRESHOLD, -5, 0},
	    {M_TOP_PAD, -1, 0},
	    {M_MMAP_MAX, -1, 0},
	    {M_ARENA_MAX, 0, 0},
	    {M_ARENA_MAX, 2, 1},
	    {M_ARENA_TEST, 0, 0},
	    {M_TRIM_THRESHOLD, 1 << 20, 1},
	    {12345, 1, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = mallopt(t[i].param, t[i].value);
		CHECK(got == t[i].want, "mallopt(%d, %d) = %d, want %d", t[i].param, t[i].value,
		      got, t[i].want);
	}
	still_allocates();
	return 0;
}

/* ---- the table ---- */

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"double-free-small-immediate", double_free_small_immediate},
    {"double-free-small-delayed", double_free_small_delayed},
    {"double-free-small-delayed-many", double_free_small_delayed_many},
    {"double-free-small-remote", double_free_small_remote},
    {"double-free-small-remote-live", double_free_small_remote_live},
    {"double-free-small-emptied", double_free_small_emptied},
    {"double-free-large", double_free_large},
    {"double-free-large-1m", double_free_large_1m},
    {"double-free-large-4m", double_free_large_4m},
    {"double-free-huge", double_free_huge},
    {"double-free-huge-reused", double_free_huge_reused},
    {"free-stack", free_stack},
    {"free-global", free_global},
    {"free-mmap", free_mmap},
    {"free-interior-small", free_interior_small},
    {"free-interior-large", free_interior_large},
    {"free-interior-huge", free_interior_huge},
    {"free-misaligned", free_misaligned},
    {"realloc-freed", realloc_freed},
    {"realloc-freed-large", realloc_freed_large},
    {"realloc-freed-huge", realloc_freed_huge},
    {"realloc-invalid", realloc_invalid},
    {"realloc-interior", realloc_interior},
    {"usable-size-freed", usable_size_freed},
    {"usable-size-freed-large", usable_size_freed_large},
    {"usable-size-freed-huge", usable_size_freed_huge},
    {"usable-size-invalid", usable_size_invalid},
    {"write-after-free-link", write_after_free_link},
    {"write-after-free-poison", write_after_free_poison},
    {"overflow-canary", overflow_canary},
    {"usable-size-redzone", usable_size_redzone},
    {"free-sized-wrong", free_sized_wrong},
    {"free-sized-right", free_sized_right},
    {"calloc-overflow", calloc_overflow},
    {"reallocarray-overflow", reallocarray_overflow},
    {"impossible-sizes", impossible_sizes},
    {"impossible-alignments", impossible_alignments},
    {"glibc-entry-points", glibc_entry_points},
    {"write-after-free-large", write_after_free_large},
    {"huge-guard-after", huge_guard_after},
    {"huge-guard-before", huge_guard_before},
    {"init-on-alloc", init_on_alloc},
    {"init-on-free", init_on_free},
    {"freelist-random", freelist_random},
    {"mallopt-values", mallopt_values},
};

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			out(1, "%s\n", cases[i].name);
		return 0;
	}
	if (argc != 2) {
		out(2, "usage: misuse CASE | misuse --list\n");
		return 2;
	}
	g_case = argv[1];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(argv[1], cases[i].name) == 0)
			return cases[i].fn();
	out(2, "misuse: unknown case '%s' (misuse --list names them)\n", argv[1]);
	return 2;
}
