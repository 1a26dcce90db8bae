// SPDX-License-Identifier: MIT
// The catalogue of malformed wire messages (docs/hostile-inputs.md, "Malformed wire
// messages"): each row is a message a hostile or broken peer sends — bytes and the fds
// attached — received by receiveBuffer() on every socket type the row names, with the
// errno and the words of the answer, and no received fd left open afterwards. The dma-buf
// stand-in (tests/fakes/dma_buf_stand_in.hpp) lets well-formed messages reach import.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/share.hpp>

#include "share_wire.hpp"

#include "fakes/dma_buf_stand_in.hpp"
#include "fakes/fds_of_every_kind.hpp"
#include "fakes/process_resources.hpp"
#include "fakes/valid_wire.hpp"

using namespace hbm;
using test::validWire;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytesOf(const WireDescriptor &w, size_t size = sizeof(WireDescriptor))
{
	Bytes b(std::max(size, sizeof(w)), 0);
	std::memcpy(b.data(), &w, sizeof(w));
	b.resize(size);
	return b;
}

/// The valid descriptor changed by @change.
Bytes wire(const std::function<void(WireDescriptor &)> &change)
{
	WireDescriptor w = validWire();
	change(w);
	return bytesOf(w);
}

/// NV12 64x64 in one 6144-byte dma-buf, or in two when @twoFds.
Bytes nv12Wire(bool twoFds, const std::function<void(WireDescriptor &)> &change = {})
{
	WireDescriptor w = validWire();
	w.format = DRM_FORMAT_NV12;
	w.planeCount = 2;
	w.fdCount = twoFds ? 2 : 1;
	w.planes[0] = {0, 64, 0};
	w.planes[1] = {twoFds ? 1u : 0u, 64, twoFds ? 0u : 4096u};
	if (change)
		change(w);
	return bytesOf(w);
}

/// The descriptors a row may attach, made once per TEST.
struct Fds : test::FdsOfEveryKind {
	Fds() { closed = numberJustClosed(); }

	UniqueFd standIn = test::makeDmaBufStandIn(16384);
	UniqueFd otherStandIn = test::makeDmaBufStandIn(16384);
	UniqueFd nv12 = test::makeDmaBufStandIn(6144);
	UniqueFd small = test::makeDmaBufStandIn(100);

	bool complete() const
	{
		for (const UniqueFd *fd : {&standIn, &otherStandIn, &nv12, &small})
			if (!*fd)
				return false;
		return FdsOfEveryKind::complete();
	}
};

constexpr int kStream = 1, kSeqpacket = 2, kDgram = 4, kRecords = kSeqpacket | kDgram;

/// What one receiveBuffer() must answer: 0 accepted, else the errno and words.
struct Answer {
	int code = 0;
	std::string text;
	std::function<void(const Buffer &)> check = {};
};

struct WireRow {
	int row;
	const char *what;
	int types; ///< kStream | kSeqpacket | kDgram
	std::vector<Bytes> sends; ///< one sendmsg each; the fds go with the first
	std::vector<int> fds;
	std::vector<Answer> answers; ///< one receiveBuffer() each
	bool closeAfterSending = false;
};

const char *typeName(int type)
{
	return type == SOCK_STREAM ? "stream" : type == SOCK_SEQPACKET ? "seqpacket" : "dgram";
}

void expectPrintable(const std::string &sentence)
{
	for (unsigned char c : sentence)
		EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte 0x" << std::hex << int(c) << " in: " << sentence;
}

void expectAnswer(const Result<std::shared_ptr<Buffer>> &r, const Answer &a)
{
	if (a.code == 0) {
		ASSERT_TRUE(r) << r.error().message;
		if (a.check)
			a.check(**r);
		return;
	}
	ASSERT_FALSE(r) << "accepted";
	EXPECT_EQ(r.error().code, a.code) << r.error().message;
	EXPECT_NE(r.error().message.find(a.text), std::string::npos) << r.error().message;
	expectPrintable(r.error().message);
}

void runRow(const WireRow &row)
{
	for (int type : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
		const int bit = type == SOCK_STREAM ? kStream : type == SOCK_SEQPACKET ? kSeqpacket : kDgram;
		if (!(row.types & bit))
			continue;
		SCOPED_TRACE("wire row " + std::to_string(row.row) + " on " + typeName(type) + ": " + row.what);
		int sv[2];
		ASSERT_EQ(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
		UniqueFd sender(sv[0]), receiver(sv[1]);
		// Non-blocking: a message that is not there fails instead of hanging the test.
		ASSERT_EQ(::fcntl(receiver.get(), F_SETFL, O_NONBLOCK), 0);
		const size_t before = test::openFdCount();
		for (size_t i = 0; i < row.sends.size(); ++i) {
			const Bytes &b = row.sends[i];
			std::vector<int> none;
			ASSERT_EQ(sendWithFds(sender.get(), b.data(), b.size(), i == 0 ? row.fds : none, 0), ssize_t(b.size()))
				<< strerror(errno);
		}
		if (row.closeAfterSending)
			sender.reset();
		for (size_t i = 0; i < row.answers.size(); ++i) {
			SCOPED_TRACE("receive " + std::to_string(i + 1));
			expectAnswer(receiveBuffer(receiver.get()), row.answers[i]);
		}
		EXPECT_EQ(test::openFdCount(), before - (row.closeAfterSending ? 1 : 0))
			<< "received fds left open:" << test::openFdList();
	}
}

void runRows(const std::vector<WireRow> &rows)
{
	for (const WireRow &row : rows)
		runRow(row);
}

Answer refused(int code, std::string text)
{
	return {code, std::move(text), {}};
}

Answer accepted(std::function<void(const Buffer &)> check = {})
{
	return {0, "", std::move(check)};
}

} // namespace

// Rows 1-12: messages too short, too long, or whose header's size disagrees with them.
TEST(HostileWire, SizesOfTheMessage)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	const WireDescriptor v = validWire();
	WireDescriptor longer = v;
	longer.header.size = 4096;
	WireDescriptor longest = v;
	longest.header.size = 65535;
	runRows({
		{1, "a 0-byte record with a dma-buf attached", kRecords, {Bytes{}}, {s},
		 {refused(EPROTO, "buffer descriptor truncated: 0 bytes, the header alone is 8")}},
		{2, "a 0-byte record, nothing attached, the peer still there", kRecords, {Bytes{}}, {},
		 {refused(EPROTO, "buffer descriptor truncated: 0 bytes")}},
		{3, "1 byte", kStream | kRecords, {bytesOf(v, 1)}, {s}, {refused(EPROTO, "truncated: 1 bytes, the header alone is 8")}},
		{4, "7 bytes", kStream | kRecords, {bytesOf(v, 7)}, {s}, {refused(EPROTO, "truncated: 7 bytes")}},
		{5, "the 8-byte header alone", kStream | kRecords, {bytesOf(v, 8)}, {s},
		 {refused(EPROTO, "buffer descriptor of 8 bytes (header says 104); version 1 has 104")}},
		{6, "103 bytes", kStream | kRecords, {bytesOf(v, 103)}, {s},
		 {refused(EPROTO, "descriptor of 103 bytes (header says 104)")}},
		{7, "105 bytes in one record, header says 104", kRecords, {bytesOf(v, 105)}, {s},
		 {refused(EPROTO, "descriptor of 105 bytes (header says 104)")}},
		{8, "105 bytes on a stream, header says 104: the 105th byte is the next message", kStream, {bytesOf(v, 105)},
		 {s}, {accepted(), refused(EPROTO, "truncated: 1 bytes")}},
		{9, "header size 0", kStream | kRecords, {wire([](WireDescriptor &w) { w.header.size = 0; })}, {s},
		 {refused(EPROTO, "descriptor of 104 bytes (header says 0)")}},
		{10, "header size 65535, 104 bytes sent", kStream | kRecords,
		 {wire([](WireDescriptor &w) { w.header.size = 65535; })}, {s},
		 {refused(EPROTO, "descriptor of 104 bytes (header says 65535)")}},
		{11, "4096 bytes, header says 4096", kStream | kRecords, {bytesOf(longer, 4096)}, {s},
		 {refused(EPROTO, "descriptor of 4096 bytes (header says 4096)")}},
		{12, "65535 bytes, header says 65535", kStream | kSeqpacket, {bytesOf(longest, 65535)}, {s},
		 {refused(EPROTO, "descriptor of 65535 bytes (header says 65535)")}},
	});
}

// Rows 13-19: not an hbm descriptor, or a version this hbm does not read.
TEST(HostileWire, MagicAndVersion)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	runRows({
		{13, "magic 0", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.header.magic = 0; })}, {s},
		 {refused(EPROTO, "not an hbm buffer descriptor (magic 0x00000000)")}},
		{14, "magic of the other byte order", kStream | kSeqpacket,
		 {wire([](WireDescriptor &w) { w.header.magic = __builtin_bswap32(kWireMagic); })}, {s},
		 {refused(EPROTO, "not an hbm buffer descriptor (magic 0x48424d42)")}},
		{15, "an HTTP request", kStream | kSeqpacket, {Bytes(http.begin(), http.end())}, {s},
		 {refused(EPROTO, "not an hbm buffer descriptor (magic 0x20544547)")}},
		{16, "104 bytes of 0xff", kStream | kSeqpacket, {Bytes(104, 0xff)}, {s},
		 {refused(EPROTO, "not an hbm buffer descriptor (magic 0xffffffff)")}},
		{17, "version 0", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.header.version = 0; })}, {s},
		 {refused(EPROTO, "buffer descriptor version 0 does not exist")}},
		{18, "version 2", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.header.version = 2; })}, {s},
		 {refused(EPROTO, "buffer descriptor version 2 is newer than this hbm reads (1): update the receiver")}},
		{19, "version 65535", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.header.version = 65535; })}, {s},
		 {refused(EPROTO, "version 65535 is newer than this hbm reads (1)")}},
	});
}

// Rows 20-31: plane and fd counts that disagree with each other or with the fds attached.
TEST(HostileWire, CountsAndFds)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	const std::vector<int> sixteen(16, s), seventeen(17, s), thirtyTwo(32, s);
	runRows({
		{20, "0 planes", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.planeCount = 0; })}, {s},
		 {refused(EINVAL, "buffer descriptor has 0 planes (1 to 4)")}},
		{21, "5 planes", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.planeCount = 5; })}, {s},
		 {refused(EINVAL, "buffer descriptor has 5 planes (1 to 4)")}},
		{22, "0xffffffff planes", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.planeCount = 0xffffffffu; })},
		 {s}, {refused(EINVAL, "has 4294967295 planes (1 to 4)")}},
		{23, "fdCount 0", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.fdCount = 0; })}, {},
		 {refused(EPROTO, "buffer descriptor names 0 fds for 1 planes")}},
		{24, "fdCount 2 for 1 plane", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.fdCount = 2; })}, {s, s},
		 {refused(EPROTO, "buffer descriptor names 2 fds for 1 planes")}},
		{25, "no fd attached", kStream | kSeqpacket, {wire([](WireDescriptor &) {})}, {},
		 {refused(EPROTO, "buffer descriptor came with 0 fds, it names 1")}},
		{26, "2 fds attached, 1 named", kStream | kSeqpacket, {wire([](WireDescriptor &) {})}, {s, f.memfd.get()},
		 {refused(EPROTO, "came with 2 fds, it names 1")}},
		{27, "16 fds attached", kStream | kSeqpacket, {wire([](WireDescriptor &) {})}, sixteen,
		 {refused(EPROTO, "came with 16 fds, it names 1")}},
		{28, "17 fds attached (MSG_CTRUNC)", kStream | kSeqpacket, {wire([](WireDescriptor &) {})}, seventeen,
		 {refused(EPROTO, "buffer descriptor came with more fds than any descriptor carries")}},
		{29, "32 fds attached (MSG_CTRUNC)", kStream | kSeqpacket, {wire([](WireDescriptor &) {})}, thirtyTwo,
		 {refused(EPROTO, "came with more fds than any descriptor carries")}},
		{30, "plane 0 names fd 1 of 1", kStream | kSeqpacket,
		 {wire([](WireDescriptor &w) { w.planes[0].fdIndex = 1; })}, {s}, {refused(EPROTO, "plane 0 refers to fd 1 of 1")}},
		{31, "plane 0 names fd 0xffffffff", kStream | kSeqpacket,
		 {wire([](WireDescriptor &w) { w.planes[0].fdIndex = 0xffffffffu; })}, {s},
		 {refused(EPROTO, "plane 0 refers to fd 4294967295 of 1")}},
		{32, "NV12's plane 1 names fd 1 of 1", kStream | kSeqpacket,
		 {nv12Wire(false, [](WireDescriptor &w) { w.planes[1].fdIndex = 1; })}, {f.nv12.get()},
		 {refused(EPROTO, "plane 1 refers to fd 1 of 1")}},
		{33, "the reserved field set", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.reserved = 0xdeadbeef; })},
		 {s}, {accepted()}},
		{34, "garbage in the unused plane slots", kStream | kSeqpacket,
		 {wire([](WireDescriptor &w) {
			 for (int i = 1; i < 4; ++i)
				 w.planes[i] = {0xffffffffu, 0xffffffffu, ~0ull};
		 })},
		 {s}, {accepted([](const Buffer &b) { EXPECT_EQ(b.planeCount(), 1u); })}},
	});
}

// Rows 35-55: well-formed descriptors carrying what is no dma-buf, or describing a buffer
// import refuses: EINVAL, as Buffer::import() answers the same description.
TEST(HostileWire, WellFormedButNotABuffer)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	const std::string received = "received buffer: import of 64x64 XRGB8888: plane 0: fd ";
	auto valid = [] { return wire([](WireDescriptor &) {}); };
	auto notADmaBuf = [&](int row, const char *what, int fd, const char *it) {
		return WireRow{row, what, kStream | kSeqpacket, {valid()}, {fd},
			       {refused(EINVAL, std::string("is not a dma-buf (it is ") + it)}};
	};
	runRows({
		notADmaBuf(35, "a pipe", f.pipeRead.get(), "pipe:["),
		notADmaBuf(36, "a socket", f.socket.get(), "socket:["),
		notADmaBuf(37, "/dev/null", f.devNull.get(), "/dev/null)"),
		notADmaBuf(38, "an eventfd", f.event.get(), "anon_inode:[eventfd])"),
		notADmaBuf(39, "a directory", f.directory.get(), "/tmp)"),
		notADmaBuf(40, "a memfd", f.memfd.get(), "/memfd:not-a-dma-buf"),
		{41, "a 100-byte dma-buf for 16 KiB", kStream | kSeqpacket, {valid()}, {f.small.get()},
		 {refused(EINVAL, "received buffer: import of 64x64 XRGB8888: plane 0: offset 0 + 16384 bytes runs past the end of its 100-byte dma-buf")}},
		{42, "width 0", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.width = 0; })}, {s},
		 {refused(EINVAL, "received buffer: import of 0x64 XRGB8888: width and height must be 1 to 65536")}},
		{43, "height 65537", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.height = 65537; })}, {s},
		 {refused(EINVAL, "width and height must be 1 to 65536")}},
		{44, "an unknown format", kStream | kSeqpacket,
		 {wire([](WireDescriptor &w) { w.format = fourcc_code('N', 'O', 'P', 'E'); })}, {s},
		 {refused(EINVAL, "received buffer: import: unknown format NOPE")}},
		{45, "a format with raw bytes", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.format = 0x00ff0a01; })},
		 {s}, {refused(EINVAL, "unknown format 0x00ff0a01")}},
		{46, "a reserved modifier", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.modifier = 0xff; })}, {s},
		 {refused(EINVAL, "modifier 0x00000000000000ff is reserved")}},
		{47, "an unknown vendor's modifier", kStream | kSeqpacket,
		 {wire([](WireDescriptor &w) { w.modifier = 0x7f00000000000001ull; })}, {s},
		 {refused(EINVAL, "has an unknown vendor (0x7f)")}},
		{48, "stride 255", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.planes[0].stride = 255; })}, {s},
		 {refused(EINVAL, "stride 255 is smaller than a row (256 bytes)")}},
		{49, "offset 2^64 - 100", kStream | kSeqpacket,
		 {wire([](WireDescriptor &w) { w.planes[0].offset = ~0ull - 99; })}, {s},
		 {refused(EINVAL, "offset 18446744073709551516 + 16384 bytes overflows")}},
		{50, "offset past the end", kStream | kSeqpacket, {wire([](WireDescriptor &w) { w.planes[0].offset = 16384; })},
		 {s}, {refused(EINVAL, "offset 16384 + 16384 bytes runs past the end of its 16384-byte dma-buf")}},
		{51, "a vendor modifier with planes in two dma-bufs", kStream | kSeqpacket,
		 {nv12Wire(true, [](WireDescriptor &w) { w.modifier = I915_FORMAT_MOD_Y_TILED; })},
		 {f.nv12.get(), f.otherStandIn.get()}, {refused(EINVAL, "planes 0 and 1 are different buffers")}},
		{52, "a valid descriptor and a dma-buf (the control)", kStream | kRecords, {valid()}, {s},
		 {accepted([](const Buffer &b) {
			 EXPECT_EQ(b.origin(), "received");
			 EXPECT_EQ(b.layout().planes[0].stride, 256u);
		 })}},
		{53, "NV12: both planes in fd 0", kStream | kSeqpacket, {nv12Wire(false)}, {f.nv12.get()},
		 {accepted([](const Buffer &b) { EXPECT_EQ(b.memoryCount(), 1u); })}},
		{54, "NV12: planes in two dma-bufs", kStream | kSeqpacket, {nv12Wire(true)}, {f.nv12.get(), f.otherStandIn.get()},
		 {accepted([](const Buffer &b) { EXPECT_EQ(b.memoryCount(), 2u); })}},
		{55, "NV12: one dma-buf attached twice, as fd 0 and fd 1", kStream | kSeqpacket, {nv12Wire(true)},
		 {f.nv12.get(), f.nv12.get()}, {accepted([](const Buffer &b) { EXPECT_EQ(b.memoryCount(), 1u); })}},
	});
}

// Rows 56-61: messages split, cut short by a closing peer, or on no socket at all.
TEST(HostileWire, SplitMessagesAndClosedPeers)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	const Bytes v = bytesOf(validWire());
	const Bytes head(v.begin(), v.begin() + 50), tail(v.begin() + 50, v.end());
	runRows({
		{56, "a descriptor in two sendmsg calls, the fd with the first: a stream joins them", kStream, {head, tail}, {s},
		 {accepted()}},
		{57, "a descriptor in two records: each is refused as what it is", kRecords, {head, tail}, {s},
		 {refused(EPROTO, "descriptor of 50 bytes (header says 104)"),
		  refused(EPROTO, "not an hbm buffer descriptor")}},
		{58, "50 bytes, then the peer closes", kStream | kSeqpacket, {head}, {s},
		 {refused(EPROTO, "descriptor of 50 bytes (header says 104)"),
		  refused(ECONNRESET, "the peer closed socket")},
		 true},
		{59, "the peer closes before sending", kStream | kSeqpacket, {}, {},
		 {refused(ECONNRESET, "the peer closed socket")}, true},
	});

	// Row 60: a socket that is no socket, or no descriptor.
	auto r = receiveBuffer(f.pipeRead.get());
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, ENOTSOCK) << r.error().message;
	EXPECT_NE(r.error().message.find("recvmsg on socket " + std::to_string(f.pipeRead.get()) + " failed"),
		  std::string::npos)
		<< r.error().message;
	r = receiveBuffer(-1);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, EBADF) << r.error().message;

	// Row 61: nothing there on a non-blocking socket.
	int sv[2];
	ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	UniqueFd a(sv[0]), b(sv[1]);
	r = receiveBuffer(b.get());
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, EAGAIN) << r.error().message;
	EXPECT_NE(r.error().message.find("recvmsg on socket " + std::to_string(b.get()) + " failed"), std::string::npos)
		<< r.error().message;
}
