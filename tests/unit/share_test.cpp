// SPDX-License-Identifier: MIT
// Receiving hostile or broken buffer descriptors: each refusal names the fault and no fd
// that arrived stays open.
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/share.hpp>

#include "share_wire.hpp"

#include "fakes/process_resources.hpp"
#include "fakes/valid_wire.hpp"

using namespace hbm;
using test::validWire;

namespace {

void expectParseError(const void *data, size_t size, size_t fds, const std::string &text, int code = EPROTO)
{
	WireDescriptor out;
	auto r = parseWireDescriptor(static_cast<const uint8_t *>(data), size, fds, out);
	ASSERT_FALSE(r) << text;
	EXPECT_EQ(r.error().code, code) << r.error().message;
	EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

/// Sends @size bytes of @data with @fds attached, as a hostile peer could.
void sendRaw(int socket, const void *data, size_t size, const std::vector<int> &fds)
{
	ASSERT_EQ(sendWithFds(socket, data, size, fds, 0), ssize_t(size));
}

UniqueFd memfdOf(size_t size)
{
	UniqueFd fd(::memfd_create("share-test", MFD_CLOEXEC));
	EXPECT_EQ(::ftruncate(fd.get(), off_t(size)), 0);
	return fd;
}

} // namespace

TEST(ShareWire, AcceptsAValidDescriptor)
{
	WireDescriptor w = validWire();
	WireDescriptor out = {};
	auto r = parseWireDescriptor(reinterpret_cast<const uint8_t *>(&w), sizeof(w), 1, out);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(out.width, 64u);
}

TEST(ShareWire, RefusesEachMalformation)
{
	WireDescriptor w = validWire();
	expectParseError(&w, 3, 1, "truncated: 3 bytes");
	expectParseError(&w, sizeof(w) - 8, 1, "descriptor of 96 bytes");

	uint8_t big[sizeof(w) + 16] = {};
	std::memcpy(big, &w, sizeof(w));
	expectParseError(big, sizeof(big), 1, "descriptor of 120 bytes");

	WireDescriptor future = w;
	future.header.version = kShareVersion + 1;
	expectParseError(&future, sizeof(future), 1, "version 2 is newer than this hbm reads (1)");

	WireDescriptor magic = w;
	magic.header.magic = 0x12345678;
	expectParseError(&magic, sizeof(magic), 1, "not an hbm buffer descriptor");

	expectParseError(&w, sizeof(w), 2, "came with 2 fds, it names 1");
	expectParseError(&w, sizeof(w), 0, "came with 0 fds, it names 1");

	// A well-formed message describing an impossible buffer: EINVAL, as from import.
	WireDescriptor planes = w;
	planes.planeCount = 5;
	expectParseError(&planes, sizeof(planes), 1, "has 5 planes", EINVAL);
	planes.planeCount = 0;
	expectParseError(&planes, sizeof(planes), 1, "has 0 planes", EINVAL);

	WireDescriptor index = w;
	index.planes[0].fdIndex = 3;
	expectParseError(&index, sizeof(index), 1, "plane 0 refers to fd 3 of 1");
}

class ShareSocket : public ::testing::TestWithParam<int>
{
protected:
	void SetUp() override
	{
		int sv[2];
		ASSERT_EQ(::socketpair(AF_UNIX, GetParam() | SOCK_CLOEXEC, 0, sv), 0);
		sender_ = UniqueFd(sv[0]);
		receiver_ = UniqueFd(sv[1]);
	}
	UniqueFd sender_, receiver_;
};

TEST_P(ShareSocket, WrongFdCountClosesEveryFd)
{
	UniqueFd a = memfdOf(1 << 16), b = memfdOf(1 << 16);
	WireDescriptor w = validWire();
	size_t before = test::openFdCount();
	sendRaw(sender_.get(), &w, sizeof(w), {a.get(), b.get()});
	auto r = receiveBuffer(receiver_.get());
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message.find("came with 2 fds, it names 1"), std::string::npos) << r.error().message;
	EXPECT_EQ(test::openFdCount(), before) << "received fds left open";
}

TEST_P(ShareSocket, MemfdInPlaceOfADmaBufIsRefused)
{
	UniqueFd a = memfdOf(1 << 16);
	WireDescriptor w = validWire();
	size_t before = test::openFdCount();
	sendRaw(sender_.get(), &w, sizeof(w), {a.get()});
	auto r = receiveBuffer(receiver_.get());
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message.find("received buffer: import of 64x64 XRGB8888: plane 0"), std::string::npos)
		<< r.error().message;
	EXPECT_NE(r.error().message.find("is not a dma-buf"), std::string::npos) << r.error().message;
	EXPECT_EQ(test::openFdCount(), before);
}

// Regression: one fault, two answers — a bad description was EPROTO when it came over a
// socket and EINVAL from Buffer::import(). EPROTO is now only for the wire format itself.
TEST_P(ShareSocket, ABadDescriptionIsEinvalWhoeverSendsIt)
{
	UniqueFd a = memfdOf(1 << 16);
	WireDescriptor w = validWire();
	w.width = 0;
	sendRaw(sender_.get(), &w, sizeof(w), {a.get()});
	auto received = receiveBuffer(receiver_.get());
	ASSERT_FALSE(received);
	auto imported = Buffer::import({0, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{a.get(), 0, 256}}});
	ASSERT_FALSE(imported);
	EXPECT_EQ(imported.error().code, EINVAL) << imported.error().message;
	EXPECT_EQ(received.error().code, imported.error().code) << received.error().message;

	w = validWire();
	w.planeCount = 5;
	sendRaw(sender_.get(), &w, sizeof(w), {a.get()});
	received = receiveBuffer(receiver_.get());
	ASSERT_FALSE(received);
	EXPECT_EQ(received.error().code, EINVAL) << received.error().message;
}

TEST_P(ShareSocket, FutureVersionIsRefused)
{
	UniqueFd a = memfdOf(1 << 16);
	WireDescriptor w = validWire();
	w.header.version = 9;
	size_t before = test::openFdCount();
	sendRaw(sender_.get(), &w, sizeof(w), {a.get()});
	auto r = receiveBuffer(receiver_.get());
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message.find("version 9 is newer"), std::string::npos) << r.error().message;
	EXPECT_EQ(test::openFdCount(), before);
}

TEST_P(ShareSocket, ClosedPeerIsAnError)
{
	sender_.reset();
	auto r = receiveBuffer(receiver_.get());
	ASSERT_FALSE(r);
}

INSTANTIATE_TEST_SUITE_P(Sockets, ShareSocket, ::testing::Values(SOCK_SEQPACKET, SOCK_STREAM),
			 [](const ::testing::TestParamInfo<int> &p) {
				 return std::string(p.param == SOCK_STREAM ? "stream" : "seqpacket");
			 });

namespace {

/// Makes @fd non-blocking, so that a message that is not there fails instead of hanging.
void setNonBlocking(int fd)
{
	ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/// Expects the refusal of a descriptor that arrived whole with its memfd: it got as far
/// as import, which knows a memfd is no dma-buf.
void expectReachedImport(int socket)
{
	auto r = receiveBuffer(socket);
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message.find("is not a dma-buf"), std::string::npos) << r.error().message;
}

} // namespace

// Regression: on SOCK_SEQPACKET, "reading the rest" of a short message announcing 104
// bytes consumed the next record; its fd was dropped by the kernel and its buffer lost.
// A stream has no boundaries: there the short descriptor alone is refused.
TEST_P(ShareSocket, ShortMessageLeavesTheNextOneWhole)
{
	const bool records = GetParam() == SOCK_SEQPACKET;
	setNonBlocking(receiver_.get());
	UniqueFd a = memfdOf(1 << 16), b = memfdOf(1 << 16);
	WireDescriptor w = validWire();
	size_t before = test::openFdCount();
	sendRaw(sender_.get(), &w, 50, {a.get()});
	if (records)
		sendRaw(sender_.get(), &w, sizeof(w), {b.get()});
	auto r = receiveBuffer(receiver_.get());
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, EPROTO);
	EXPECT_NE(r.error().message.find("descriptor of 50 bytes (header says 104)"), std::string::npos)
		<< r.error().message;
	if (records)
		expectReachedImport(receiver_.get());
	EXPECT_EQ(test::openFdCount(), before) << "received fds left open:" << test::openFdList();
}

// Regression: a 200-byte message was reported as "of 105 bytes" (the receive buffer), and on
// a stream the 95 bytes beyond it were left to spoil the next descriptor.
TEST_P(ShareSocket, OversizedMessageIsReportedAtItsRealSize)
{
	setNonBlocking(receiver_.get());
	UniqueFd a = memfdOf(1 << 16), b = memfdOf(1 << 16);
	uint8_t big[200] = {};
	WireDescriptor w = validWire();
	w.header.size = sizeof(big); // a stream knows where a message ends only from its header
	std::memcpy(big, &w, sizeof(w));
	w = validWire();
	size_t before = test::openFdCount();
	sendRaw(sender_.get(), big, sizeof(big), {a.get()});
	sendRaw(sender_.get(), &w, sizeof(w), {b.get()});
	auto r = receiveBuffer(receiver_.get());
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, EPROTO);
	EXPECT_NE(r.error().message.find("descriptor of 200 bytes"), std::string::npos) << r.error().message;
	expectReachedImport(receiver_.get());
	EXPECT_EQ(test::openFdCount(), before) << "received fds left open:" << test::openFdList();
}

// A stream's descriptor read in two parts, each with 16 fds: more than the 16 the receiver
// holds inline (ReceivedFds). Those past its room are closed on arrival and still counted,
// so the descriptor is refused for the 32 that came, and nothing is left open.
TEST(ShareStream, FdsPastTheRoomAreCountedAndClosed)
{
	int sv[2];
	ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	UniqueFd sender(sv[0]), receiver(sv[1]);
	setNonBlocking(receiver.get());
	UniqueFd a = memfdOf(1 << 16);
	const std::vector<int> sixteen(16, a.get());
	WireDescriptor w = validWire();
	const size_t before = test::openFdCount();
	// Two sendmsg()s: the kernel does not merge their fds into one recvmsg().
	sendRaw(sender.get(), &w, 50, sixteen);
	sendRaw(sender.get(), reinterpret_cast<const uint8_t *>(&w) + 50, sizeof(w) - 50, sixteen);
	auto r = receiveBuffer(receiver.get());
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, EPROTO);
	EXPECT_NE(r.error().message.find("came with 32 fds, it names 1"), std::string::npos) << r.error().message;
	EXPECT_EQ(test::openFdCount(), before) << "received fds left open:" << test::openFdList();
}

// Regression: at RLIMIT_NOFILE the kernel installs what it can and sets MSG_CTRUNC; that was
// blamed on the peer (EPROTO, "more fds than any descriptor carries").
TEST_P(ShareSocket, OutOfDescriptorsIsThisProcessNotThePeer)
{
	UniqueFd a = memfdOf(1 << 16), b = memfdOf(1 << 16);
	WireDescriptor w = validWire();
	w.planeCount = 2;
	w.fdCount = 2;
	w.planes[1] = {1, 256, 0};
	sendRaw(sender_.get(), &w, sizeof(w), {a.get(), b.get()});
	const size_t before = test::openFdCount();

	struct rlimit saved;
	ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
	struct rlimit low = saved;
	low.rlim_cur = rlim_t(before + 16);
	ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
	// Fill the table, then free one slot: one of the two fds arrives, the other cannot.
	std::vector<UniqueFd> fillers;
	for (UniqueFd fd; (fd = UniqueFd(::fcntl(a.get(), F_DUPFD_CLOEXEC, 0)));)
		fillers.push_back(std::move(fd));
	const bool filled = !fillers.empty();
	if (filled)
		fillers.pop_back();
	auto r = receiveBuffer(receiver_.get());
	fillers.clear();
	ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);

	ASSERT_TRUE(filled);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, EMFILE) << r.error().message;
	EXPECT_NE(r.error().message.find("out of descriptors (RLIMIT_NOFILE is " + std::to_string(low.rlim_cur) + ")"),
		  std::string::npos)
		<< r.error().message;
	EXPECT_EQ(test::openFdCount(), before) << "received fds left open:" << test::openFdList();
}
