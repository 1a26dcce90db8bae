// SPDX-License-Identifier: MIT
// The host has no dma-bufs. A test or fuzzer that needs import to get past "is this a
// dma-buf?" links tests/fakes/dma_buf_stand_in.cpp and the interposers of
// tests/fakes/fault_injection.cpp (meson: test_interposer_sources), whose fstat() and
// fstatfs() answer for a memfd made by makeDmaBufStandIn() (its name starts with
// kDmaBufStandInName) as the kernel does for a dma-buf: an inode with no file type, on
// DMA_BUF_MAGIC — exactly what import asks the kernel (src/base/dma_buf.cpp). Every other fd is answered by the
// real fstatfs(), so "not a dma-buf" refusals stay real. Nothing in libhbm changes: this is
// the test seam for the kernel, and only binaries that link this file see it. What the
// kernel itself would refuse (a sync ioctl, a device import) still fails on a stand-in.
#pragma once

#include <cstdint>

struct stat;
struct statfs;

#include "hbm/unique_fd.hpp"

namespace hbm::test {

inline constexpr const char kDmaBufStandInName[] = "hbm-dma-buf-stand-in";

/// A memfd of @size bytes that import takes for a dma-buf of that size. Invalid on failure.
UniqueFd makeDmaBufStandIn(uint64_t size);

/// How many fstat() and fstatfs() calls the seam answered as a dma-buf's (to prove it was
/// linked).
uint64_t dmaBufStandInAnswers();

/// For the fstatfs interposer (fault_injection.cpp): marks @buf, which the real fstatfs()
/// filled for @fd, as a dma-buf's when @fd is a stand-in.
void answerForDmaBufStandIn(int fd, struct statfs *buf);
/// For the fstat interposer: a stand-in's inode shows no file type, as a dma-buf's
/// (alloc_anon_inode() gives it mode 0600 and nothing else).
void answerForDmaBufStandIn(int fd, struct stat *st);

} // namespace hbm::test
