// SPDX-License-Identifier: MIT
#include "dma_buf_stand_in.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <string>

#include "fault_injection.hpp"

namespace hbm::test {

namespace {
std::atomic<uint64_t> answers{0};

bool isStandIn(int fd)
{
	// memfds show as "/memfd:NAME (deleted)" in /proc/self/fd.
	char link[PATH_MAX];
	const std::string path = "/proc/self/fd/" + std::to_string(fd);
	const ssize_t n = ::readlink(path.c_str(), link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	static const std::string prefix = std::string("/memfd:") + kDmaBufStandInName;
	return std::strncmp(link, prefix.c_str(), prefix.size()) == 0;
}
} // namespace

UniqueFd makeDmaBufStandIn(uint64_t size)
{
	// The fstatfs that answers is fault_injection.cpp's: a binary must link both.
	(void)fault::callName(fault::Call::Fstatfs);
	UniqueFd fd(::memfd_create(kDmaBufStandInName, MFD_CLOEXEC));
	if (fd && ::ftruncate(fd.get(), off_t(size)) < 0)
		return UniqueFd();
	return fd;
}

void answerForDmaBufStandIn(int fd, struct statfs *buf)
{
	if (isStandIn(fd)) {
		buf->f_type = DMA_BUF_MAGIC;
		answers.fetch_add(1, std::memory_order_relaxed);
	}
}

void answerForDmaBufStandIn(int fd, struct stat *st)
{
	if (isStandIn(fd)) {
		st->st_mode &= ~S_IFMT;
		answers.fetch_add(1, std::memory_order_relaxed);
	}
}

uint64_t dmaBufStandInAnswers()
{
	return answers.load(std::memory_order_relaxed);
}

} // namespace hbm::test
