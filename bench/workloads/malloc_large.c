/* SPDX-License-Identifier: MIT */
/*
 * malloc-large - blocks of 5 to 25 MiB replaced at random: after
 * mimalloc-bench's malloc-large (its current version, from an issue report
 * by Leonid Stolyarov), which it runs with no arguments.
 *
 * What it does, with the published parameters:
 *   - 20 buffer slots; 2000 iterations in one thread;
 *   - an iteration picks a slot (uniform) and a size (uniform, 5 to 25 MiB),
 *     allocates a new buffer of that size, zeroed (C++ make_unique<char[]>:
 *     new char[n] and every byte written), and puts it in the slot, which
 *     frees the buffer the slot held: the new block is allocated before the
 *     old one is freed, so up to 21 are live;
 *   - at the end the buffers left are freed.
 * Every iteration writes 15 MiB on average: an allocator that returns each
 * block to the kernel and maps a new one pays a page fault per page (3840
 * on average) every time; one that keeps them pays only the writing.
 *
 * Where it differs: the original does 2000 iterations; the default here
 * does 200 (scale 1), --published the full 2000. It allocates with
 * operator new[] (make_unique); here malloc and a memset to zero (the same
 * calls under glibc, where operator new is malloc; a preloaded allocator's
 * operator new and malloc are the same allocation). Its random generator is
 * std::mt19937 seeded 42; ours is our own, with the same distributions.
 * Each buffer gets a tag at both ends and one in every MiB after the
 * zeroing, checked before it is freed.
 *
 * Metric: seconds for the whole loop.
 *
 * Usage: wl-malloc-large [threads [scale]] [--iterations N] [--buffers N]
 *                        [--min-mib N] [--max-mib N] [--published]
 *   (threads is ignored: the original runs one thread)
 */
#include "wl.h"

struct buffer {
	unsigned char *p;
	size_t size;
	uint64_t tag;
};

static void fill(struct buffer *b, size_t size, uint64_t tag)
{
	b->p = wl_malloc(size);
	b->size = size;
	b->tag = tag;
	memset(b->p, 0, size); /* make_unique<char[]>(n): value-initialised */
	wl_tag_put(b->p, size, tag);
	for (size_t off = WL_MIB; off + 16 < size; off += WL_MIB) {
		uint64_t t = tag + off;

		memcpy(b->p + off, &t, 8);
	}
}

static void drop(struct buffer *b)
{
	if (!b->p)
		return;
	wl_tag_check(b->p, b->size, b->tag, "malloc-large");
	for (size_t off = WL_MIB; off + 16 < b->size; off += WL_MIB) {
		uint64_t t;

		memcpy(&t, b->p + off, 8);
		if (t != b->tag + off)
			wl_fail("buffer %p (%zu bytes) overwritten at offset %zu", (void *)b->p,
			        b->size, off);
	}
	free(b->p);
	b->p = NULL;
}

int main(int argc, char **argv)
{
	unsigned long iterations = 200, nbuf = 20, min_mib = 5, max_mib = 25;
	struct wl_args a = {.threads = 1,
	                    .scale = 1,
	                    .quick_scale = 0.1,
	                    .seed = 42,
	                    .published_help = "2000 iterations, as the original"};
	const struct wl_opt opts[] = {
	    {"iterations", WL_OPT_UINT, &iterations,
	     "replacements at scale 1 (default 200; the original: 2000)"},
	    {"buffers", WL_OPT_UINT, &nbuf, "buffer slots (default 20)"},
	    {"min-mib", WL_OPT_UINT, &min_mib, "smallest buffer in MiB (default 5)"},
	    {"max-mib", WL_OPT_UINT, &max_mib, "largest buffer in MiB (default 25)"},
	    {0},
	};
	struct wl_rng rng;
	uint64_t serial = 0;

	wl_name = "malloc-large";
	wl_parse_args(argc, argv,
	              "malloc-large: 5 - 25 MiB buffers, zeroed, replaced at random in 20 slots.",
	              &a, opts);
	if (!nbuf || !min_mib || min_mib > max_mib)
		wl_fail("bad parameters");
	iterations = a.published ? 2000 : wl_scaled(iterations, a.scale, 10);
	printf("# malloc-large: %lu iterations, %lu slots, %lu-%lu MiB\n", iterations, nbuf,
	       min_mib, max_mib);

	struct buffer *bufs = wl_malloc(nbuf * sizeof(*bufs));
	memset(bufs, 0, nbuf * sizeof(*bufs));
	wl_rng_init(&rng, a.seed, 0);

	double start = wl_now();
	for (unsigned long i = 0; i < iterations; i++) {
		struct buffer *b = &bufs[wl_below(&rng, nbuf)];
		size_t size = (size_t)wl_range(&rng, min_mib * WL_MIB, max_mib * WL_MIB);
		struct buffer fresh;

		fill(&fresh, size, wl_tag_of(7, ++serial)); /* the new one first */
		drop(b);
		*b = fresh;
	}
	for (unsigned long i = 0; i < nbuf; i++)
		drop(&bufs[i]);
	double elapsed = wl_now() - start;
	free(bufs);

	wl_result("time", elapsed, "s");
	wl_result("throughput", (double)iterations / elapsed, "ops/s");
	wl_result_ops((double)iterations);
	return 0;
}
