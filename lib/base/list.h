/* SPDX-License-Identifier: MIT */
/*
 * list.h - intrusive circular doubly linked lists, as in the kernel's
 * <linux/list.h>. An empty list is a head that points to itself.
 */
#ifndef PGA_LIST_H
#define PGA_LIST_H

#include <stdbool.h>

struct pga_list {
	struct pga_list *next, *prev;
};

static inline void pga_list_init(struct pga_list *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool pga_list_empty(const struct pga_list *head)
{
	return head->next == head;
}

static inline void pga_list_insert_between(struct pga_list *n, struct pga_list *prev,
                                           struct pga_list *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* Insert at the head (hot end). */
static inline void pga_list_add(struct pga_list *n, struct pga_list *head)
{
	pga_list_insert_between(n, head, head->next);
}

/* Insert at the tail (cold end). */
static inline void pga_list_add_tail(struct pga_list *n, struct pga_list *head)
{
	pga_list_insert_between(n, head->prev, head);
}

/* Unlink n; its own links are left stale (fast paths relink it at once). */
static inline void pga_list_del_entry(struct pga_list *n)
{
	n->next->prev = n->prev;
	n->prev->next = n->next;
}

/* Unlink n and leave it an empty list, safe to delete again. */
static inline void pga_list_del(struct pga_list *n)
{
	pga_list_del_entry(n);
	n->next = n;
	n->prev = n;
}

static inline void pga_list_move(struct pga_list *n, struct pga_list *head)
{
	pga_list_del(n);
	pga_list_add(n, head);
}

static inline void pga_list_move_tail(struct pga_list *n, struct pga_list *head)
{
	pga_list_del(n);
	pga_list_add_tail(n, head);
}

#define pga_list_for_each(pos, head)                                                               \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define pga_list_for_each_safe(pos, tmp, head)                                                     \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                           \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif /* PGA_LIST_H */
