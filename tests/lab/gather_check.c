/* SPDX-License-Identifier: MIT */
/* Whether this CPU executes AVX2 gathers right: in the lab, qemu 7.2's TCG (-cpu max) reads
 * wrong offsets for a vpgatherdd whose VSIB index register is ymm4 (found through llvmpipe,
 * whose texture fetch gathers texels that way and faulted at the first textured draw of
 * every compositor on the gles2 or GL renderer: issue 18). The lab therefore runs llvmpipe
 * without AVX2 (GALLIUM_OVERRIDE_CPU_CAPS=sse4.1, set for every guest command by
 * tests/lab/run.sh). This check fails when the CPU has the fault and the override is
 * missing, and says so when the fault is gone (the override may then go). Each gather runs
 * in a child: a wrong offset may fault.
 *
 *   hbm-gather-check   exit 0 right or overridden, 1 faulty and not overridden, 77 no AVX2 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint32_t words[256];

/* out[lane] = *(uint32_t *)((char *)words + index[lane]), with the index in ymm4 or ymm5. */
static void gather_ymm4(const uint32_t index[8], uint32_t out[8])
{
	__asm__ volatile("vmovdqu (%[i]), %%ymm4\n\t"
			 "vpcmpeqd %%ymm1, %%ymm1, %%ymm1\n\t"
			 "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
			 "vpgatherdd %%ymm1, (%[b], %%ymm4, 1), %%ymm3\n\t"
			 "vmovdqu %%ymm3, (%[o])\n\t"
			 "vzeroupper"
			 :
			 : [i] "r"(index), [b] "r"(words), [o] "r"(out)
			 : "memory", "xmm1", "xmm3", "xmm4");
}

static void gather_ymm5(const uint32_t index[8], uint32_t out[8])
{
	__asm__ volatile("vmovdqu (%[i]), %%ymm5\n\t"
			 "vpcmpeqd %%ymm1, %%ymm1, %%ymm1\n\t"
			 "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
			 "vpgatherdd %%ymm1, (%[b], %%ymm5, 1), %%ymm3\n\t"
			 "vmovdqu %%ymm3, (%[o])\n\t"
			 "vzeroupper"
			 :
			 : [i] "r"(index), [b] "r"(words), [o] "r"(out)
			 : "memory", "xmm1", "xmm3", "xmm5");
}

/* Whether @gather fetches words 3, 6, 9 … in a child: 1 right, 0 wrong or faulted. */
static int gathers_right(void (*gather)(const uint32_t[8], uint32_t[8]), const char *name)
{
	const pid_t child = fork();
	if (child == 0) {
		uint32_t index[8], out[8];
		for (uint32_t lane = 0; lane < 8; lane++)
			index[lane] = (lane + 1) * 3 * 4;
		gather(index, out);
		int wrong = 0;
		for (uint32_t lane = 0; lane < 8; lane++)
			wrong += out[lane] != (lane + 1) * 3;
		printf("gather-check: vpgatherdd with index %s: lanes %u %u %u %u %u %u %u %u (want 3 6 … 24): %s\n", name,
		       out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7], wrong ? "WRONG" : "right");
		fflush(stdout);
		_exit(wrong ? 1 : 0);
	}
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) != child)
		return 0;
	if (WIFSIGNALED(status))
		printf("gather-check: vpgatherdd with index %s faulted (signal %d)\n", name, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2")) {
		printf("gather-check: this CPU has no AVX2: nothing to check\n");
		return 77;
	}
	for (uint32_t i = 0; i < 256; i++)
		words[i] = i;
	const int control = gathers_right(gather_ymm5, "ymm5");
	const int suspect = gathers_right(gather_ymm4, "ymm4");
	const char *override = getenv("GALLIUM_OVERRIDE_CPU_CAPS");
	if (!control) {
		printf("gather-check: even the control gather is wrong: AVX2 gathers cannot be trusted here\n");
		return override ? 0 : 1;
	}
	if (suspect) {
		printf("gather-check: AVX2 gathers are right here%s\n",
		       override ? "; GALLIUM_OVERRIDE_CPU_CAPS is no longer needed" : "");
		return 0;
	}
	if (override) {
		printf("gather-check: gathers indexed by ymm4 are wrong here; llvmpipe avoids them "
		       "(GALLIUM_OVERRIDE_CPU_CAPS=%s)\n",
		       override);
		return 0;
	}
	printf("gather-check: gathers indexed by ymm4 are wrong here and llvmpipe would use them: set "
	       "GALLIUM_OVERRIDE_CPU_CAPS=sse4.1\n");
	return 1;
}
