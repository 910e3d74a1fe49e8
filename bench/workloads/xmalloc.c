/* SPDX-License-Identifier: MIT */
/*
 * xmalloc - producers and consumers, after xmalloc-test (Lever and Boreham,
 * "malloc() performance in a multithreaded Linux environment", USENIX 2000,
 * as carried by mimalloc-bench): memory allocated in one thread and freed
 * in another.
 *
 * Half the threads produce: they allocate batches of objects of random
 * sizes (8 bytes to 1 KiB, small ones more likely, now and then 4 KiB),
 * tag them, and pass each batch (itself a malloc'd array) to a consumer
 * through a bounded queue. The other half consume: they check every object
 * of a batch and free it, then free the batch. Every free is a remote free.
 *
 * Metric: objects allocated and freed per second (one op = one malloc in a
 * producer and its free in a consumer).
 *
 * Usage: wl-xmalloc [threads [scale]] [--objects N] [--batch N]
 */
#include "wl.h"

#define QUEUE_LEN 64 /* batches per consumer queue */

struct item {
	void *p;
	uint64_t size;
};

struct batch {
	unsigned producer;
	unsigned n;
	uint64_t serial;
	struct item item[];
};

struct queue {
	_Alignas(WL_CACHE_LINE) pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	unsigned head, count;
	struct batch *ring[QUEUE_LEN];
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	unsigned long batches; /* producer: to make; consumer: received */
	unsigned long objects;
	struct wl_rng rng;
};

static struct queue queues[WL_MAX_THREADS];
static unsigned nconsumers;
static unsigned long batch_size = 100;

static void queue_put(struct queue *q, struct batch *b)
{
	pthread_mutex_lock(&q->lock);
	while (q->count == QUEUE_LEN)
		pthread_cond_wait(&q->not_full, &q->lock);
	q->ring[(q->head + q->count++) % QUEUE_LEN] = b;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

static struct batch *queue_get(struct queue *q)
{
	struct batch *b;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0)
		pthread_cond_wait(&q->not_empty, &q->lock);
	b = q->ring[q->head];
	q->head = (q->head + 1) % QUEUE_LEN;
	q->count--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return b;
}

static uint64_t item_tag(unsigned producer, uint64_t serial, unsigned j)
{
	return wl_tag_of(producer, serial * batch_size + j);
}

static void *producer(void *arg)
{
	struct worker *w = arg;

	for (unsigned long i = 0; i < w->batches; i++) {
		struct batch *b = wl_malloc(sizeof(*b) + batch_size * sizeof(struct item));

		b->producer = w->id;
		b->n = (unsigned)batch_size;
		b->serial = i;
		for (unsigned j = 0; j < b->n; j++) {
			struct item *it = &b->item[j];

			it->size = wl_below(&w->rng, 64) == 0 ? 4096 : wl_logsize(&w->rng, 8, 1024);
			it->p = wl_malloc(it->size);
			wl_tag_put(it->p, it->size, item_tag(w->id, i, j));
		}
		w->objects += b->n;
		/* Round robin over the consumers, each producer from its own
		 * starting point. */
		queue_put(&queues[(w->id + i) % nconsumers], b);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct worker *w = arg;
	struct batch *b;

	while ((b = queue_get(&queues[w->id]))) {
		for (unsigned j = 0; j < b->n; j++) {
			struct item *it = &b->item[j];

			wl_tag_check(it->p, it->size, item_tag(b->producer, b->serial, j),
			             "xmalloc consumer");
			free(it->p);
		}
		w->objects += b->n;
		w->batches++;
		free(b);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker producers[WL_MAX_THREADS], consumers[WL_MAX_THREADS];
	unsigned long objects = 4000000, nproducers;
	unsigned long produced = 0, consumed = 0;
	struct wl_args a = {.threads = 4, .scale = 1, .quick_scale = 0.25, .seed = 1};
	const struct wl_opt opts[] = {
	    {"objects", WL_OPT_UINT, &objects,
	     "objects at scale 1, shared among the producers (default 4000000)"},
	    {"batch", WL_OPT_UINT, &batch_size, "objects per batch (default 100)"},
	    {0},
	};

	wl_name = "xmalloc";
	wl_parse_args(argc, argv,
	              "xmalloc-test: producer threads allocate batches of objects that consumer "
	              "threads free.",
	              &a, opts);
	if (!batch_size || batch_size > 1000000)
		wl_fail("bad parameters");
	if (a.threads < 2)
		a.threads = 2;
	nproducers = a.threads / 2;
	nconsumers = (unsigned)(a.threads - nproducers);
	objects = wl_scaled(objects, a.scale, nproducers * batch_size);
	printf("# xmalloc: %lu producers, %u consumers, %lu objects in batches of %lu\n",
	       nproducers, nconsumers, objects, batch_size);

	for (unsigned i = 0; i < nconsumers; i++) {
		pthread_mutex_init(&queues[i].lock, NULL);
		pthread_cond_init(&queues[i].not_empty, NULL);
		pthread_cond_init(&queues[i].not_full, NULL);
	}

	double start = wl_now();
	for (unsigned i = 0; i < nconsumers; i++) {
		consumers[i].id = i;
		wl_spawn(&consumers[i].thread, consumer, &consumers[i]);
	}
	for (unsigned i = 0; i < nproducers; i++) {
		producers[i].id = i;
		producers[i].batches = objects / batch_size / nproducers;
		wl_rng_init(&producers[i].rng, a.seed, i);
		wl_spawn(&producers[i].thread, producer, &producers[i]);
	}
	for (unsigned i = 0; i < nproducers; i++) {
		wl_join(producers[i].thread);
		produced += producers[i].objects;
	}
	for (unsigned i = 0; i < nconsumers; i++)
		queue_put(&queues[i], NULL);
	for (unsigned i = 0; i < nconsumers; i++) {
		wl_join(consumers[i].thread);
		consumed += consumers[i].objects;
	}
	double elapsed = wl_now() - start;

	if (consumed != produced)
		wl_fail("%lu objects produced, %lu consumed", produced, consumed);
	wl_result("throughput", (double)consumed / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	wl_result_ops((double)consumed);
	return 0;
}
