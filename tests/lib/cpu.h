/* SPDX-License-Identifier: MIT */
/*
 * cpu.h - where the calling thread may run. Fake topologies put CPU c on
 * node c % N, so a test that needs a thread on a given node pins it to a
 * CPU of that node, when this process is allowed there.
 */
#ifndef PGA_TEST_CPU_H
#define PGA_TEST_CPU_H

#include <sched.h>
#include <stdbool.h>

/* May this process run on cpu? */
static inline bool t_cpu_allowed(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	return sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(cpu, &set);
}

/* Pin the calling thread to cpu; false when this machine does not allow it. */
static inline bool t_pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

#endif /* PGA_TEST_CPU_H */
