// SPDX-License-Identifier: MIT
// Descriptors of every kind that is not a dma-buf, for tests that hand hbm the wrong thing
// (tests/unit/hostile_import_test.cpp, hostile_wire_test.cpp): each open until the object
// goes, and `closed`, a number that was a descriptor and is not any more. A derived fixture
// that opens more must set `closed = numberJustClosed()` after it has, or the number is
// taken again.
#pragma once

#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <hbm/unique_fd.hpp>

namespace hbm::test {

struct FdsOfEveryKind {
	UniqueFd memfd{::memfd_create("not-a-dma-buf", MFD_CLOEXEC)}; ///< of 1 MiB
	UniqueFd pipeRead, pipeWrite, socket, peer;
	UniqueFd devNull{::open("/dev/null", O_RDWR | O_CLOEXEC)};
	UniqueFd directory{::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
	UniqueFd path{::open("/dev/null", O_PATH | O_CLOEXEC)};
	UniqueFd regular{::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)};
	UniqueFd event{::eventfd(0, EFD_CLOEXEC)};
	UniqueFd timer{::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)};
	UniqueFd epoll{::epoll_create1(EPOLL_CLOEXEC)};
	UniqueFd inotify{::inotify_init1(IN_CLOEXEC)};
	UniqueFd signal;
	int closed = -1;

	FdsOfEveryKind()
	{
		int p[2];
		if (::pipe2(p, O_CLOEXEC) == 0) {
			pipeRead = UniqueFd(p[0]);
			pipeWrite = UniqueFd(p[1]);
		}
		if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) == 0) {
			socket = UniqueFd(p[0]);
			peer = UniqueFd(p[1]);
		}
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		signal = UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC));
		if (memfd) {
			EXPECT_EQ(::ftruncate(memfd.get(), 1 << 20), 0);
		}
		closed = numberJustClosed();
	}

	/// The lowest free descriptor number, which no descriptor holds (until the next open).
	static int numberJustClosed()
	{
		const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
		::close(fd);
		return fd;
	}

	/// Whether every one of them could be made.
	bool complete() const
	{
		for (const UniqueFd *fd : {&memfd, &pipeRead, &pipeWrite, &socket, &peer, &devNull, &directory, &path,
					   &regular, &event, &timer, &epoll, &inotify, &signal})
			if (!*fd)
				return false;
		return true;
	}
};

} // namespace hbm::test
