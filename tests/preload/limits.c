// SPDX-License-Identifier: MIT
/*
 * limits.c - a plain C program (it links nothing of pgalloc's) that ulimit.sh
 * runs under `ulimit -v`, with the C library's malloc and with libpgalloc.so
 * preloaded, to compare what each reaches.
 *
 *   limits fill SIZE [ALIGN]   allocate blocks of SIZE (aligned to ALIGN with
 *                              posix_memalign, when given) until malloc
 *                              fails, writing a pattern; check that the
 *                              failure is NULL with ENOMEM and that every
 *                              block kept its contents (every page of it);
 *                              free everything;
 *                              allocate again until it fails (the memory
 *                              came back) and check again; then shrink and
 *                              grow blocks with realloc. Prints
 *                              "fill SIZE MIB1 MIB2": MiB reached each time.
 *   limits impossible          requests no allocator can meet: each must
 *                              return NULL (EINVAL/ENOMEM as glibc) and leave
 *                              a live block alone.
 *   limits hello               allocates a little and prints "hello".
 *
 * Exit status 0 when every check held; the failed checks on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

/*
 * The blocks form a list through their first word, so that the program
 * needs no array of its own (which would take of the same address space):
 * a block is [next][index][len][pattern of the index ...], len the bytes
 * that carry the pattern.
 */
struct block {
	struct block *next;
	size_t index;
	size_t len;
};

/* Word w of block index holds pattern(index, w): every word of a block of
 * up to a page, and beyond that one word in STRIDE (every page is written,
 * so a block that shared a page with another would show), and the last. */
#define STRIDE 64
static uint64_t pattern(size_t index, size_t w)
{
	return ((uint64_t)index << 32) ^ (w * UINT64_C(0x9E3779B97F4A7C15));
}

#define HEADER_WORDS (sizeof(struct block) / sizeof(uint64_t))

static size_t step(size_t size)
{
	return size <= 4096 ? 1 : STRIDE;
}

static void fill_block(struct block *b, size_t size, size_t index)
{
	uint64_t *w = (uint64_t *)b;

	b->index = index;
	b->len = size;
	for (size_t i = HEADER_WORDS; i < size / sizeof(uint64_t); i += step(size))
		w[i] = pattern(index, i);
	if (size / sizeof(uint64_t) > HEADER_WORDS)
		w[size / sizeof(uint64_t) - 1] = pattern(index, size / sizeof(uint64_t) - 1);
}

/* The words of the first len bytes of the block as fill_block(b, size,
 * index) left them (the last one only when len == size); stops at the
 * first bad one, and reports only the first few blocks. */
static void check_words(const struct block *b, size_t len, size_t size, size_t index)
{
	const uint64_t *w = (const uint64_t *)b;
	size_t words = len / sizeof(uint64_t);
	bool bad = b->index != index;

	if (len == size && words > HEADER_WORDS && w[words - 1] != pattern(index, words - 1))
		bad = true;
	for (size_t i = HEADER_WORDS; i < words && !bad; i += step(size))
		bad = w[i] != pattern(index, i);
	if (bad && failures++ < 5)
		fprintf(stderr, "block %zu of %zu bytes: contents changed\n", index, size);
}

static void check_block(const struct block *b, size_t index)
{
	CHECK(malloc_usable_size((void *)b) >= b->len);
	check_words(b, b->len, b->len, index);
}

/* malloc through a pointer the compiler cannot see through: knowing
 * malloc, clang may drop allocations that are only freed again, and with
 * them the loop until NULL. */
static void *(*volatile malloc_fn)(size_t) = malloc;

static void *alloc_one(size_t size, size_t align)
{
	void *p = NULL;

	if (!align)
		return malloc_fn(size);
	int rc = posix_memalign(&p, align, size);
	/* posix_memalign reports in its result and leaves errno alone; make
	 * it look like malloc's failure for the caller's check. */
	if (rc) {
		errno = rc;
		return NULL;
	}
	return p;
}

/* Allocate until failure; returns the number of blocks, the list in *head. */
static size_t fill(size_t size, size_t align, struct block **head)
{
	size_t n = 0;

	*head = NULL;
	for (;;) {
		errno = 0;
		struct block *b = alloc_one(size, align);
		if (!b) {
			CHECK(errno == ENOMEM);
			break;
		}
		CHECK(!align || ((uintptr_t)b & (align - 1)) == 0);
		CHECK(malloc_usable_size(b) >= size);
		fill_block(b, size, n);
		b->next = *head;
		*head = b;
		n++;
	}
	return n;
}

/* Check every block (newest first) and free it. */
static void check_and_free(struct block *head, size_t n)
{
	while (head) {
		struct block *next = head->next;
		CHECK(n > 0);
		check_block(head, --n);
		free(head);
		head = next;
	}
	CHECK(n == 0);
}

/*
 * realloc at the limit: free the newest few blocks to make some room, then
 * shrink the next few to half and grow them back. Either may fail, with
 * ENOMEM, leaving the block as it was (a shrink that moves the block to a
 * smaller size class needs a new one); contents up to the smaller size
 * survive every success. Returns the blocks left in the list.
 */
static size_t realloc_some(struct block **head, size_t size, size_t n)
{
	size_t half = size / 2 > sizeof(struct block) ? size / 2 : sizeof(struct block);

	for (int i = 0; i < 8 && *head; i++) {
		struct block *b = *head;
		*head = b->next;
		check_block(b, --n);
		free(b);
	}
	struct block **pp = head;
	for (int i = 0; i < 64 && *pp; i++) {
		struct block *b = *pp;
		size_t index = b->index;
		errno = 0;
		size_t len = b->len;
		struct block *q = realloc(b, half);
		if (q) {
			check_words(q, half, len, index);
			fill_block(q, half, index);
			b = q;
		} else {
			CHECK(errno == ENOMEM);
		}
		errno = 0;
		q = realloc(b, size);
		if (q) {
			check_block(q, index);
			fill_block(q, size, index);
			b = q;
		} else {
			CHECK(errno == ENOMEM);
			check_block(b, index);
		}
		*pp = b;
		pp = &b->next;
	}
	return n;
}

static int mode_fill(size_t size, size_t align)
{
	struct block *head;
	size_t n1, n2;

	CHECK(size >= sizeof(struct block));
	struct mallinfo2 m0 = mallinfo2();
	n1 = fill(size, align, &head);
	/* The statistics account for what is allocated... */
	struct mallinfo2 m1 = mallinfo2();
	CHECK(m1.uordblks + m1.hblkhd >= n1 * size);
	/* The process goes on after ENOMEM: a small request may be met or
	 * not, but nothing crashes and the blocks are intact. */
	free(malloc(16));
	check_and_free(head, n1);
	/* ... and for its return: no mapped block left, and no more in use
	 * than at the start but for what caches keep. */
	struct mallinfo2 m2 = mallinfo2();
	CHECK(m2.hblkhd <= m0.hblkhd);
	CHECK(m2.uordblks <= m0.uordblks + ((size_t)16 << 20));

	n2 = fill(size, align, &head);
	size_t left = realloc_some(&head, size, n2);
	check_and_free(head, left);
	printf("fill %zu %zu %zu\n", size, (n1 * size) >> 20, (n2 * size) >> 20);
	return failures ? 1 : 0;
}

/* v, hidden from the compiler, which would otherwise warn about the
 * impossible sizes this program asks for on purpose. */
static size_t opaque(size_t v)
{
	__asm__("" : "+r"(v));
	return v;
}

/* realloc out of the compiler's sight: a block that realloc failed to
 * resize is still the caller's, which its use-after-free warning does not
 * know. */
__attribute__((noinline)) static void *try_realloc(void *p, size_t size)
{
	return realloc(p, opaque(size));
}

__attribute__((noinline)) static void *try_reallocarray(void *p, size_t n, size_t size)
{
	return reallocarray(p, opaque(n), size);
}

static void expect_null(void *p, const char *what)
{
	if (p) {
		fprintf(stderr, "%s: not NULL\n", what);
		failures++;
		free(p);
	} else if (errno != ENOMEM) {
		fprintf(stderr, "%s: errno %d, not ENOMEM\n", what, errno);
		failures++;
	}
}

static int mode_impossible(void)
{
	const size_t huge_align = (size_t)1 << 62;
	char *live = malloc(1000);
	void *p = NULL;

	CHECK(live != NULL);
	if (!live)
		return 1;
	memset(live, 0x5a, 1000);

	errno = 0;
	expect_null(malloc(opaque(SIZE_MAX)), "malloc(SIZE_MAX)");
	errno = 0;
	expect_null(malloc(opaque(PTRDIFF_MAX)), "malloc(PTRDIFF_MAX)");
	errno = 0;
	expect_null(malloc(opaque((size_t)PTRDIFF_MAX + 1)), "malloc(PTRDIFF_MAX + 1)");
	errno = 0;
	expect_null(calloc(opaque(SIZE_MAX / 2), 3), "calloc overflowing");
	errno = 0;
	expect_null(calloc(opaque((size_t)1 << 40), (size_t)1 << 40), "calloc(2^40, 2^40)");
	errno = 0;
	expect_null(calloc(1, opaque(PTRDIFF_MAX)), "calloc(1, PTRDIFF_MAX)");
	errno = 0;
	expect_null(memalign(opaque(huge_align), 16), "memalign(2^62, 16)");
	errno = 0;
	expect_null(memalign(opaque((size_t)1 << 63), 16), "memalign(2^63, 16)");
	errno = 0;
	expect_null(aligned_alloc(opaque(huge_align), opaque(huge_align)),
	            "aligned_alloc(2^62, 2^62)");
	errno = 0;
	expect_null(valloc(opaque(SIZE_MAX - 4096)), "valloc(SIZE_MAX - 4096)");
	errno = 0;
	expect_null(pvalloc(opaque(SIZE_MAX - 100)), "pvalloc(SIZE_MAX - 100)");
	CHECK(posix_memalign(&p, huge_align, 16) == ENOMEM);
	CHECK(p == NULL);
	CHECK(posix_memalign(&p, 4096, opaque(SIZE_MAX)) == ENOMEM);

	/* realloc that cannot be met leaves the block as it was. */
	char *r;
	errno = 0;
	r = try_realloc(live, SIZE_MAX);
	CHECK(r == NULL && errno == ENOMEM);
	errno = 0;
	r = try_realloc(live, PTRDIFF_MAX);
	CHECK(r == NULL && errno == ENOMEM);
	errno = 0;
	r = try_reallocarray(live, SIZE_MAX / 2, 3);
	CHECK(r == NULL && errno == ENOMEM);
	for (int i = 0; i < 1000; i++)
		if (live[i] != 0x5a) {
			CHECK(!"a failed realloc changed the block");
			break;
		}
	/* A huge block too. */
	char *big = malloc((size_t)8 << 20);
	CHECK(big != NULL);
	if (big) {
		memset(big, 0x3c, (size_t)8 << 20);
		errno = 0;
		r = try_realloc(big, SIZE_MAX - 4096);
		CHECK(r == NULL && errno == ENOMEM);
		CHECK(big[0] == 0x3c && big[((size_t)8 << 20) - 1] == 0x3c);
		free(big);
	}
	free(live);
	printf("impossible: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "fill") == 0)
		return mode_fill(strtoull(argv[2], NULL, 0),
		                 argc >= 4 ? strtoull(argv[3], NULL, 0) : 0);
	if (argc == 2 && strcmp(argv[1], "impossible") == 0)
		return mode_impossible();
	if (argc == 2 && strcmp(argv[1], "hello") == 0) {
		char *p = strdup("hello");
		puts(p ? p : "strdup failed");
		free(p);
		return p ? 0 : 1;
	}
	fprintf(stderr, "usage: %s fill SIZE [ALIGN] | impossible | hello\n", argv[0]);
	return 2;
}
