// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary bytes plus fds of every kind, sent over a SOCK_STREAM or
// SOCK_SEQPACKET socketpair to receiveBuffer() (input format: wire_input.hpp).
//
// parseWireDescriptor() is the pure part and sees every input. What follows it is kernel
// work: on the host there are no dma-bufs, so the fds are memfds, pipes, /dev/null,
// sockets and eventfds, and import must refuse each cleanly — a buffer received here is a
// non-dma-buf taken for one, and a finding. Real dma-bufs are the lab's (tests/device).
//
// Invariants, per input: no crash or undefined behaviour (ASan+UBSan), every refusal an
// errno and a printable sentence, no fd left open (/proc/self/fd counted before and
// after), no memory leaked (LeakSanitizer at exit).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hbm/share.hpp>

#include "fakes/process_resources.hpp"
#include "fuzz_check.hpp"
#include "share_wire.hpp"
#include "wire_input.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

/// The fds @spec asks for: the one to send, and what keeps its other end alive meanwhile.
void makeFd(uint8_t spec, std::vector<UniqueFd> *send, std::vector<UniqueFd> *keep)
{
	int pair[2];
	switch (kindOf(spec)) {
	case FdKind::Memfd: {
		UniqueFd fd(::memfd_create("fuzz", MFD_CLOEXEC));
		if (fd && ::ftruncate(fd.get(), off_t(memfdSizeOf(spec))) < 0)
			fail("ftruncate", std::strerror(errno));
		send->push_back(std::move(fd));
		break;
	}
	case FdKind::Pipe:
		if (::pipe2(pair, O_CLOEXEC) < 0)
			fail("pipe2", std::strerror(errno));
		send->emplace_back(pair[0]);
		keep->emplace_back(pair[1]);
		break;
	case FdKind::DevNull:
		send->emplace_back(::open("/dev/null", O_RDWR | O_CLOEXEC));
		break;
	case FdKind::Socket:
		if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
			fail("socketpair", std::strerror(errno));
		send->emplace_back(pair[0]);
		keep->emplace_back(pair[1]);
		break;
	case FdKind::Eventfd:
	case FdKind::Count:
		send->emplace_back(::eventfd(0, EFD_CLOEXEC));
		break;
	}
	if (!send->back())
		fail("making an fd", std::strerror(errno));
}

/// Sends @size bytes with @fds attached (a refused send is part of the game).
void sendPart(int socket, const uint8_t *data, size_t size, const std::vector<UniqueFd> &fds)
{
	std::vector<int> numbers;
	for (const UniqueFd &fd : fds)
		numbers.push_back(fd.get());
	(void)sendWithFds(socket, data, size, numbers, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void run(const WireInput &in)
{
	WireDescriptor wire;
	if (auto parsed = parseWireDescriptor(in.message.data(), in.message.size(), in.fdSpecs.size(), wire); !parsed)
		checkRefusal(parsed.error());

	int sv[2];
	if (::socketpair(AF_UNIX, (in.seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0, sv) < 0)
		fail("socketpair", std::strerror(errno));
	UniqueFd sender(sv[0]), receiver(sv[1]);
	{
		std::vector<UniqueFd> fds, keep;
		for (uint8_t spec : in.fdSpecs)
			makeFd(spec, &fds, &keep);
		const size_t first = in.split && in.split < in.message.size() ? in.split : in.message.size();
		sendPart(sender.get(), in.message.data(), first, fds);
		if (first < in.message.size())
			sendPart(sender.get(), in.message.data() + first, in.message.size() - first, {});
	}
	sender.reset(); // the receiver sees the end instead of waiting
	if (::fcntl(receiver.get(), F_SETFL, O_NONBLOCK) < 0)
		fail("fcntl", std::strerror(errno));
	for (int i = 0; i < 4; ++i) {
		auto buffer = receiveBuffer(receiver.get());
		if (buffer)
			fail("a buffer was received", "no fd sent here is a dma-buf");
		checkRefusal(buffer.error());
		if (buffer.error().code == ECONNRESET || buffer.error().code == EAGAIN)
			break;
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t before = test::openFdCount();
	run(decodeWireInput(data, size));
	if (size_t after = test::openFdCount(); after != before)
		fail("fds left open", std::to_string(after - before) + " more:" + test::openFdList());
	return 0;
}
