// SPDX-License-Identifier: MIT
// What the lab's emulator (qemu TCG) charges for the kinds of work a user-space path is
// made of, in ns per operation: a register add, a store, a load, a direct call and return,
// an indirect one, a locked read-modify-write. Instruction counts (callgrind) weigh them
// all alike; this says how far apart they are under emulation (docs/performance.md).
// Then the same call right after a heavy system call (memfd_create + ftruncate + close, as
// an allocation makes): the kernel's code runs in between, and the emulator's caches of
// translated user code have to find it again.
//   tests/lab/run.sh -- build/benchmarks/hbm-tcg-costs     (and natively, for comparison)
#define _GNU_SOURCE // memfd_create
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

__attribute__((noinline)) static uint64_t plusOne(uint64_t x)
{
	__asm__ volatile("");
	return x + 1;
}

__attribute__((noinline)) static uint64_t plusTwo(uint64_t x)
{
	__asm__ volatile("");
	return x + 2;
}

static uint64_t (*volatile target)(uint64_t) = plusOne;

/// What a 4 KiB allocation asks of the kernel, in the stand-in heap's form.
static void heavySystemCall(void)
{
	int fd = memfd_create("tcg-costs", MFD_CLOEXEC);
	if (fd >= 0) {
		if (ftruncate(fd, 4096) < 0)
			perror("ftruncate");
		close(fd);
	}
}
static volatile uint64_t sink;
static uint64_t counter, slots[4];

int main(void)
{
	const long n = 10000000;
	uint64_t a = 1, b = 3, c = 5, d = 7;
	for (int round = 0; round < 3; ++round) {
		double t0 = now();
		for (long i = 0; i < n; ++i)
			__asm__ volatile("");
		const double loop = (now() - t0) / n;

		t0 = now();
		for (long i = 0; i < n; ++i)
			__asm__ volatile("add %1,%0\n\tadd %2,%1\n\tadd %3,%2\n\tadd %0,%3"
					 : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
		const double alu = ((now() - t0) / n - loop) / 4;

		t0 = now();
		for (long i = 0; i < n; ++i)
			__asm__ volatile("mov %1,(%0)\n\tmov %1,8(%0)\n\tmov %1,16(%0)\n\tmov %1,24(%0)" ::"r"(slots), "r"(a)
					 : "memory");
		const double store = ((now() - t0) / n - loop) / 4;

		t0 = now();
		for (long i = 0; i < n; ++i)
			__asm__ volatile("mov (%1),%0\n\tadd 8(%1),%0\n\tadd 16(%1),%0\n\tadd 24(%1),%0"
					 : "+r"(a)
					 : "r"(slots)
					 : "memory");
		const double load = ((now() - t0) / n - loop) / 4;

		t0 = now();
		for (long i = 0; i < n; ++i)
			a = plusOne(a);
		const double direct = (now() - t0) / n - loop;

		uint64_t (*call)(uint64_t) = target;
		t0 = now();
		for (long i = 0; i < n; ++i) {
			a = call(a);
			call = (i & 1) ? plusOne : plusTwo; // two targets: no single prediction
		}
		const double indirect = (now() - t0) / n - loop;

		t0 = now();
		for (long i = 0; i < n; ++i)
			__atomic_fetch_add(&counter, 1, __ATOMIC_ACQ_REL);
		const double atomic = (now() - t0) / n - loop;

		printf("round %d, ns per operation: add %.2f, store %.2f, load %.2f, call+ret %.2f, "
		       "indirect call+ret %.2f, lock xadd %.2f (loop %.2f per iteration, subtracted)\n",
		       round, alu, store, load, direct, indirect, atomic, loop);
	}
	// 32 indirect calls timed on their own (the clock read around them, not the system
	// call), right after a heavy system call and with none: the clock's cost is the same in
	// both, and subtracting a noisy system call's time would hide the answer.
	const long m = 20000;
	for (int round = 0; round < 3; ++round) {
		double after = 0, without = 0;
		for (int heavy = 1; heavy >= 0; --heavy) {
			double total = 0;
			for (long i = 0; i < m; ++i) {
				if (heavy)
					heavySystemCall();
				uint64_t (*call)(uint64_t) = target;
				const double t0 = now();
				for (int k = 0; k < 32; ++k) {
					a = call(a);
					call = (k & 1) ? plusOne : plusTwo;
				}
				total += now() - t0;
			}
			*(heavy ? &after : &without) = total / m / 32;
		}
		printf("round %d, ns per indirect call+ret (clock read included): %.2f right after "
		       "memfd_create+ftruncate+close, %.2f without\n",
		       round, after, without);
	}
	sink = a + b + c + d + counter;
	return 0;
}
