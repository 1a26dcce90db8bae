// SPDX-License-Identifier: MIT
// The catalogue of malformed imports (docs/hostile-inputs.md, "Malformed imports"): each
// row is one input, given to Buffer::import() and to hbm_buffer_create_from_fds() alike, with the
// errno and the words both must answer, and no descriptor left open afterwards. The
// dma-buf stand-in (tests/fakes/dma_buf_stand_in.hpp) takes the rows past "is it a
// dma-buf?" on the host; rows that need a real heap are in tests/device/import_test.cpp.
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/hbm.h>

#include "fakes/dma_buf_stand_in.hpp"
#include "fakes/fds_of_every_kind.hpp"
#include "fakes/process_resources.hpp"

using namespace hbm;

namespace {

/// hbm_buffer_create_from_fds() with the import fields as arguments, as a C caller fills them.
int importC(uint32_t width, uint32_t height, uint32_t format, uint64_t modifier, const hbm_plane_import *planes,
	    uint32_t planeCount, hbm_buffer **out)
{
	hbm_import_options options{};
	options.size = sizeof(options);
	options.width = width;
	options.height = height;
	options.format = format;
	options.modifier = modifier;
	options.planes = planes;
	options.plane_count = planeCount;
	return hbm_buffer_create_from_fds(&options, out);
}

constexpr uint32_t XR24 = DRM_FORMAT_XRGB8888;
constexpr uint32_t NV12 = DRM_FORMAT_NV12;
constexpr uint64_t LINEAR = DRM_FORMAT_MOD_LINEAR;
constexpr uint64_t INVALID = DRM_FORMAT_MOD_INVALID;
constexpr uint64_t Y_TILED = I915_FORMAT_MOD_Y_TILED;

// NV12 641x479 with 704-byte strides: 479 luma rows, then 240 chroma rows.
constexpr uint64_t kNv12LumaSize = 704ull * 479;
constexpr uint64_t kNv12Size = kNv12LumaSize + 704ull * 240;

/// Every kind of descriptor a row may name, opened for one TEST and closed after it.
struct Fds : test::FdsOfEveryKind {
	Fds() { closed = numberJustClosed(); }

	UniqueFd standIn = test::makeDmaBufStandIn(16384); // 64x64 XRGB8888, 256-byte stride
	UniqueFd otherStandIn = test::makeDmaBufStandIn(16384);
	UniqueFd small = test::makeDmaBufStandIn(100);
	UniqueFd empty = test::makeDmaBufStandIn(0);
	UniqueFd wide = test::makeDmaBufStandIn(65536ull * 4);
	UniqueFd nv12 = test::makeDmaBufStandIn(kNv12Size);
	UniqueFd yuv = test::makeDmaBufStandIn(17); // 3x3 YUV420: 9 + 4 + 4 bytes
	UniqueFd ccs = test::makeDmaBufStandIn(16384 + 4096);

	bool complete() const
	{
		for (const UniqueFd *fd : {&standIn, &otherStandIn, &small, &empty, &wide, &nv12, &yuv, &ccs})
			if (!*fd)
				return false;
		return FdsOfEveryKind::complete();
	}
};

std::string n(int64_t v)
{
	return std::to_string(v);
}

/// One row of the catalogue: an input and what both entry points answer.
struct ImportRow {
	int row;
	const char *what;
	ImportDesc desc;
	int code;         ///< 0: accepted
	std::string text; ///< in the sentence of a refusal
	std::function<void(const Buffer &)> check = {}; ///< what an accepted buffer must be
};

void expectPrintable(const std::string &sentence)
{
	for (unsigned char c : sentence)
		EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte 0x" << std::hex << int(c) << " in: " << sentence;
}

void runRow(const ImportRow &row)
{
	SCOPED_TRACE("import row " + n(row.row) + ": " + row.what);
	const size_t fdsBefore = test::openFdCount();
	{
		auto b = Buffer::import(row.desc);
		if (row.code == 0) {
			ASSERT_TRUE(b) << b.error().message;
			if (row.check)
				row.check(**b);
		} else {
			ASSERT_FALSE(b) << "accepted";
			EXPECT_EQ(b.error().code, row.code) << b.error().message;
			EXPECT_NE(b.error().message.find(row.text), std::string::npos) << b.error().message;
			expectPrintable(b.error().message);
		}
	}
	{
		std::vector<hbm_plane_import> planes;
		for (const PlaneImport &p : row.desc.planes)
			planes.push_back({sizeof(hbm_plane_import), p.fd, p.stride, p.offset});
		struct hbm_buffer *out = nullptr;
		const int r = importC(row.desc.width, row.desc.height, row.desc.format, row.desc.modifier, planes.data(),
				      uint32_t(planes.size()), &out);
		if (row.code == 0) {
			EXPECT_EQ(r, 0) << hbm_last_error();
		} else {
			// More than 4 planes the C entry point refuses before reading the array.
			const std::string text = planes.size() > 4
							 ? "hbm_buffer_create_from_fds: plane_count " + n(int64_t(planes.size())) +
								   ": a buffer has 1 to 4 planes"
							 : row.text;
			EXPECT_EQ(r, -row.code) << hbm_last_error();
			EXPECT_NE(std::string(hbm_last_error()).find(text), std::string::npos) << hbm_last_error();
			EXPECT_EQ(out, nullptr);
		}
		hbm_buffer_unref(out);
	}
	EXPECT_EQ(test::openFdCount(), fdsBefore) << "left open:" << test::openFdList();
}

void runRows(const std::vector<ImportRow> &rows)
{
	for (const ImportRow &row : rows)
		runRow(row);
}

ImportDesc xr24(int fd, uint32_t stride = 256, uint64_t offset = 0)
{
	return {64, 64, XR24, LINEAR, {{fd, offset, stride}}};
}

/// The import of a 16 KiB 64x64 XRGB8888 plane from fd @fd that is not a dma-buf.
std::string notADmaBuf(int fd, const std::string &it)
{
	return "import of 64x64 XRGB8888: plane 0: fd " + n(fd) + " is not a dma-buf (it is " + it;
}

} // namespace

// Rows 1-18: descriptors that are not open, or are something other than a dma-buf.
TEST(HostileImports, DescriptorsThatAreNotDmaBufs)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const std::string nv12Plane1 = "import of 641x479 NV12: plane 1: fd " + n(f.pipeRead.get()) + " is not a dma-buf";
	runRows({
		{1, "fd -1", xr24(-1), EBADF, "import of 64x64 XRGB8888: plane 0: fd -1 is not open"},
		{2, "fd -2", xr24(-2), EBADF, "plane 0: fd -2 is not open"},
		{3, "a closed fd", xr24(f.closed), EBADF, "plane 0: fd " + n(f.closed) + " is not open"},
		{4, "fd INT_MAX", xr24(INT_MAX), EBADF, "plane 0: fd " + n(INT_MAX) + " is not open"},
		{5, "a memfd", xr24(f.memfd.get()), EINVAL, notADmaBuf(f.memfd.get(), "/memfd:not-a-dma-buf")},
		{6, "a pipe's read end", xr24(f.pipeRead.get()), EINVAL, notADmaBuf(f.pipeRead.get(), "pipe:[")},
		{7, "a pipe's write end", xr24(f.pipeWrite.get()), EINVAL, notADmaBuf(f.pipeWrite.get(), "pipe:[")},
		{8, "a Unix socket", xr24(f.socket.get()), EINVAL, notADmaBuf(f.socket.get(), "socket:[")},
		{9, "/dev/null", xr24(f.devNull.get()), EINVAL, notADmaBuf(f.devNull.get(), "/dev/null)")},
		{10, "a directory", xr24(f.directory.get()), EINVAL, notADmaBuf(f.directory.get(), "/tmp)")},
		{11, "an O_PATH descriptor", xr24(f.path.get()), EINVAL, notADmaBuf(f.path.get(), "/dev/null)")},
		{12, "a regular file (O_TMPFILE)", xr24(f.regular.get()), EINVAL, notADmaBuf(f.regular.get(), "/tmp/#")},
		{13, "an eventfd", xr24(f.event.get()), EINVAL, notADmaBuf(f.event.get(), "anon_inode:[eventfd])")},
		{14, "a timerfd", xr24(f.timer.get()), EINVAL, notADmaBuf(f.timer.get(), "anon_inode:[timerfd])")},
		{15, "an epoll fd", xr24(f.epoll.get()), EINVAL, notADmaBuf(f.epoll.get(), "anon_inode:[eventpoll])")},
		{16, "a signalfd", xr24(f.signal.get()), EINVAL, notADmaBuf(f.signal.get(), "anon_inode:[signalfd])")},
		{17, "an inotify fd", xr24(f.inotify.get()), EINVAL, notADmaBuf(f.inotify.get(), "anon_inode:inotify)")},
		{18, "NV12 with a dma-buf for plane 0 and a pipe for plane 1",
		 {641, 479, NV12, LINEAR, {{f.nv12.get(), 0, 704}, {f.pipeRead.get(), kNv12LumaSize, 704}}}, EINVAL,
		 nv12Plane1},
	});
}

// Rows 19-26: formats hbm does not know.
TEST(HostileImports, Formats)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	auto withFormat = [&](uint32_t format) { return ImportDesc{64, 64, format, LINEAR, {{s, 0, 256}}}; };
	runRows({
		{19, "an unknown printable fourcc", withFormat(fourcc_code('N', 'O', 'P', 'E')), EINVAL,
		 "import: unknown format NOPE"},
		{20, "format 0", withFormat(0), EINVAL, "import: unknown format INVALID"},
		{21, "format 0xffffffff", withFormat(0xffffffffu), EINVAL, "import: unknown format 0xffffffff"},
		{22, "a fourcc with a control byte", withFormat(fourcc_code('N', 'V', '\n', '2')), EINVAL,
		 "import: unknown format 0x320a564e"},
		{23, "a fourcc with bytes above 0x7e", withFormat(fourcc_code('X', 'R', '\xe9', '\xff')), EINVAL,
		 "import: unknown format 0xffe95258"},
		{24, "a known fourcc in lower case", withFormat(fourcc_code('n', 'v', '1', '2')), EINVAL,
		 "import: unknown format nv12"},
		{25, "XRGB8888 with the big-endian flag", withFormat(XR24 | DRM_FORMAT_BIG_ENDIAN), EINVAL,
		 "import: unknown format XR24_BE"},
		{26, "a fourcc libdrm knows and hbm does not lay out (C8)", withFormat(DRM_FORMAT_C8), EINVAL,
		 "import: unknown format C8"},
	});
}

// Rows 27-34: sizes, and odd sizes of subsampled formats.
TEST(HostileImports, Sizes)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	const int nv = f.nv12.get();
	auto sized = [&](uint32_t w, uint32_t h) { return ImportDesc{w, h, XR24, LINEAR, {{s, 0, 256}}}; };
	const std::string limits = "width and height must be 1 to 65536";
	runRows({
		{27, "width 0", sized(0, 64), EINVAL, "import of 0x64 XRGB8888: " + limits},
		{28, "height 0", sized(64, 0), EINVAL, "import of 64x0 XRGB8888: " + limits},
		{29, "width 65537", sized(65537, 1), EINVAL, limits},
		{30, "height 0xffffffff", sized(64, 0xffffffffu), EINVAL, "import of 64x4294967295 XRGB8888: " + limits},
		{31, "65536x1, the largest width", {65536, 1, XR24, LINEAR, {{f.wide.get(), 0, 262144}}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.width(), 65536u); }},
		{32, "NV12 641x479: odd sizes, chroma rows and columns rounded up",
		 {641, 479, NV12, LINEAR, {{nv, 0, 704}, {nv, kNv12LumaSize, 704}}}, 0, "",
		 [](const Buffer &b) {
			 EXPECT_EQ(b.layout().planes[1].size, 704u * 240);
			 EXPECT_EQ(b.memoryCount(), 1u);
		 }},
		{33, "NV12 641x479 with a chroma stride of 640 (a row is 321 pairs)",
		 {641, 479, NV12, LINEAR, {{nv, 0, 704}, {nv, kNv12LumaSize, 640}}}, EINVAL,
		 "import of 641x479 NV12: plane 1: stride 640 is smaller than a row (642 bytes)"},
		{34, "NV12 641x479 whose chroma fits 239 rows, not the 240 it has",
		 {641, 479, NV12, LINEAR, {{nv, 0, 704}, {nv, kNv12LumaSize + 704, 704}}}, EINVAL,
		 "plane 1: offset " + n(kNv12LumaSize + 704) + " + 168960 bytes runs past the end of its " + n(kNv12Size) +
			 "-byte dma-buf"},
	});
}

// Rows 35-48: plane counts for the format and modifier, and which buffers planes are in.
TEST(HostileImports, Planes)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	const int o = f.otherStandIn.get();
	const int nv = f.nv12.get();
	const int y = f.yuv.get();
	const PlaneImport p{s, 0, 256};
	UniqueFd dupOfNv12(::fcntl(nv, F_DUPFD_CLOEXEC, 0));
	ASSERT_TRUE(dupOfNv12);
	runRows({
		{35, "no planes", {64, 64, XR24, LINEAR, {}}, EINVAL, "import of 64x64 XRGB8888: XRGB8888 has 1 plane, 0 given"},
		{36, "XRGB8888 with 2 planes", {64, 64, XR24, LINEAR, {p, p}}, EINVAL, "XRGB8888 has 1 plane, 2 given"},
		{37, "XRGB8888 with 5 planes", {64, 64, XR24, LINEAR, {p, p, p, p, p}}, EINVAL, "XRGB8888 has 1 plane, 5 given"},
		{38, "NV12 with 1 plane", {64, 64, NV12, LINEAR, {{s, 0, 64}}}, EINVAL, "NV12 has 2 planes, 1 given"},
		{39, "INVALID (implicit) modifier with 2 planes for XRGB8888", {64, 64, XR24, INVALID, {p, p}}, EINVAL,
		 "XRGB8888 has 1 plane, 2 given"},
		{40, "INVALID (implicit) modifier with the format's plane count", {64, 64, XR24, INVALID, {p}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.modifier(), DRM_FORMAT_MOD_INVALID); }},
		{41, "a vendor modifier with fewer planes than the format", {64, 64, NV12, Y_TILED, {{s, 0, 64}}}, EINVAL,
		 "NV12 with modifier INTEL_Y_TILED takes 2 to 4 planes, 1 given"},
		{42, "a vendor modifier with 5 planes", {64, 64, NV12, Y_TILED, {p, p, p, p, p}}, EINVAL,
		 "takes 2 to 4 planes, 5 given"},
		{43, "a vendor modifier's auxiliary plane (CCS) in the same buffer",
		 {64, 64, XR24, I915_FORMAT_MOD_Y_TILED_CCS, {{f.ccs.get(), 0, 256}, {f.ccs.get(), 16384, 128}}}, 0, "",
		 [](const Buffer &b) {
			 EXPECT_EQ(b.planeCount(), 2u);
			 EXPECT_EQ(b.layout().planes[1].size, 4096u); // to the end of the dma-buf
		 }},
		{44, "a vendor modifier's auxiliary plane past the end",
		 {64, 64, XR24, I915_FORMAT_MOD_Y_TILED_CCS, {{f.ccs.get(), 0, 256}, {f.ccs.get(), 20480, 128}}}, EINVAL,
		 "plane 1: offset 20480 + 0 bytes runs past the end of its 20480-byte dma-buf"},
		{45, "a vendor modifier with planes in two buffers", {32, 32, NV12, Y_TILED, {{s, 0, 128}, {o, 0, 128}}},
		 EINVAL, "planes 0 and 1 are different buffers; modifier INTEL_Y_TILED keeps every plane in one"},
		{46, "LINEAR NV12 with planes in two buffers", {64, 64, NV12, LINEAR, {{s, 0, 64}, {o, 0, 64}}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.memoryCount(), 2u); }},
		{47, "two descriptors (dup) of one dma-buf for NV12's two planes",
		 {641, 479, NV12, LINEAR, {{nv, 0, 704}, {dupOfNv12.get(), kNv12LumaSize, 704}}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.memoryCount(), 1u); }},
		{48, "YUV420 3x3: one fd for three planes, at unaligned offsets 9 and 13",
		 {3, 3, DRM_FORMAT_YUV420, LINEAR, {{y, 0, 3}, {y, 9, 2}, {y, 13, 2}}}, 0, "",
		 [](const Buffer &b) {
			 EXPECT_EQ(b.memoryCount(), 1u);
			 EXPECT_EQ(b.layout().size, 17u);
		 }},
		{49, "NV12 planes that overlap (both at offset 0)", {64, 64, NV12, LINEAR, {{s, 0, 64}, {s, 0, 64}}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.layout().planes[1].offset, 0u); }},
	});
}

// Rows 50-56: modifiers no vendor defines, and those only a device can judge.
TEST(HostileImports, Modifiers)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	auto modified = [&](uint64_t modifier, uint32_t stride = 256) {
		return ImportDesc{64, 64, XR24, modifier, {{s, 0, stride}}};
	};
	runRows({
		{50, "vendor NONE, value 0xff (reserved)", modified(0xffull), EINVAL,
		 "import of 64x64 XRGB8888: modifier 0x00000000000000ff is reserved: vendor NONE has only LINEAR and INVALID"},
		{51, "vendor NONE, INVALID's value minus one", modified(INVALID - 1), EINVAL,
		 "modifier 0x00fffffffffffffe is reserved"},
		{52, "an unknown vendor (0x7f)", modified(0x7f00000000000001ull), EINVAL,
		 "modifier 0x7f00000000000001 has an unknown vendor (0x7f)"},
		{53, "vendor 0xff", modified(0xff00000000000000ull), EINVAL, "has an unknown vendor (0xff)"},
		{54, "a known vendor's undefined modifier (INTEL, 0xfffff)", modified(fourcc_mod_code(INTEL, 0xfffff)), 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.modifier(), fourcc_mod_code(INTEL, 0xfffff)); }},
		{55, "a vendor modifier on a format it has no layout for (Y_TILED NV12 is fine, Y_TILED C8 is not known)",
		 {64, 64, DRM_FORMAT_C8, Y_TILED, {{s, 0, 64}}}, EINVAL, "import: unknown format C8"},
		{56, "a vendor modifier with a zero stride", modified(Y_TILED, 0), EINVAL,
		 "plane 0: stride 0 is smaller than a row (256 bytes)"},
	});
}

// Rows 57-66: strides and offsets that do not fit, overflow, or are merely unaligned.
TEST(HostileImports, StridesAndOffsets)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const int s = f.standIn.get();
	runRows({
		{57, "stride 0", xr24(s, 0), EINVAL, "plane 0: stride 0 is smaller than a row (256 bytes)"},
		{58, "stride one byte short of a row", xr24(s, 255), EINVAL, "stride 255 is smaller than a row (256 bytes)"},
		{59, "offset at the end", xr24(s, 256, 16384), EINVAL,
		 "plane 0: offset 16384 + 16384 bytes runs past the end of its 16384-byte dma-buf"},
		{60, "offset + size one byte past the end", {64, 63, XR24, LINEAR, {{s, 257, 256}}}, EINVAL,
		 "offset 257 + 16128 bytes runs past the end of its 16384-byte dma-buf"},
		{61, "offset + size exactly at the end", {64, 63, XR24, LINEAR, {{s, 256, 256}}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.layout().size, 16384u); }},
		{62, "offset + size overflows 64 bits (offset 2^64 - 100)", xr24(s, 256, ~0ull - 99), EINVAL,
		 "plane 0: offset 18446744073709551516 + 16384 bytes overflows"},
		{63, "offset 2^63", xr24(s, 256, 1ull << 63), EINVAL, "offset 9223372036854775808 + 16384 bytes runs past the end"},
		{64, "stride 0xffffffff x 65536 rows (64 bits hold it: 2^48)",
		 {64, 65536, XR24, LINEAR, {{s, 0, 0xffffffffu}}}, EINVAL,
		 "offset 0 + 281474976645120 bytes runs past the end of its 16384-byte dma-buf"},
		{65, "a stride not a multiple of the pixel size (257)", {64, 63, XR24, LINEAR, {{s, 0, 257}}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.layout().planes[0].stride, 257u); }},
		{66, "an odd offset (1)", {64, 63, XR24, LINEAR, {{s, 1, 256}}}, 0, "",
		 [](const Buffer &b) { EXPECT_EQ(b.layout().planes[0].offset, 1u); }},
	});
}

// Rows 67-70: dma-bufs too small for the layout.
TEST(HostileImports, DmaBufsTooSmall)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	runRows({
		{67, "a 100-byte dma-buf for 16 KiB", xr24(f.small.get()), EINVAL,
		 "plane 0: offset 0 + 16384 bytes runs past the end of its 100-byte dma-buf"},
		{68, "a 0-byte dma-buf", xr24(f.empty.get()), EINVAL, "runs past the end of its 0-byte dma-buf"},
		{69, "64x65 on a 64x64 dma-buf", {64, 65, XR24, LINEAR, {{f.standIn.get(), 0, 256}}}, EINVAL,
		 "offset 0 + 16640 bytes runs past the end of its 16384-byte dma-buf"},
		{70, "NV12 whose chroma dma-buf is too small",
		 {64, 64, NV12, LINEAR, {{f.standIn.get(), 0, 64}, {f.small.get(), 0, 64}}}, EINVAL,
		 "plane 1: offset 0 + 2048 bytes runs past the end of its 100-byte dma-buf"},
	});
}

// Rows 71-75: what only the C entry point can be given.
TEST(HostileImports, CEntryPoint)
{
	Fds f;
	ASSERT_TRUE(f.complete());
	const size_t fdsBefore = test::openFdCount();
	struct hbm_buffer *out = nullptr;
	const hbm_plane_import plane = {sizeof(hbm_plane_import), f.standIn.get(), 256, 0};

	// Row 71: planes NULL with a count.
	EXPECT_EQ(importC(64, 64, XR24, LINEAR, nullptr, 1, &out), -EINVAL) << "row 71";
	EXPECT_NE(std::string(hbm_last_error()).find("hbm_buffer_create_from_fds: 1 struct hbm_plane_import given but the array is NULL"),
		  std::string::npos)
		<< "row 71: " << hbm_last_error();
	// Row 72: out NULL, nothing imported or left open.
	EXPECT_EQ(importC(64, 64, XR24, LINEAR, &plane, 1, nullptr), -EINVAL) << "row 72";
	// Row 73: no planes, the array NULL or not: nothing is read.
	EXPECT_EQ(importC(64, 64, XR24, LINEAR, nullptr, 0, &out), -EINVAL) << "row 73";
	EXPECT_NE(std::string(hbm_last_error()).find("XRGB8888 has 1 plane, 0 given"), std::string::npos)
		<< "row 73: " << hbm_last_error();
	EXPECT_EQ(importC(64, 64, XR24, LINEAR, &plane, 0, &out), -EINVAL) << "row 73";
	EXPECT_EQ(out, nullptr);

	// Row 74: a plane count past any buffer's (1000 with an array of one): refused before
	// the array is read. The one plane sits against a page hbm cannot read, so reading a
	// second would crash here.
	const long page = ::sysconf(_SC_PAGESIZE);
	void *pages = ::mmap(nullptr, size_t(2 * page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(pages, MAP_FAILED);
	ASSERT_EQ(::mprotect(static_cast<char *>(pages) + page, size_t(page), PROT_NONE), 0);
	auto *last = reinterpret_cast<hbm_plane_import *>(static_cast<char *>(pages) + page) - 1;
	*last = plane;
	EXPECT_EQ(importC(64, 64, XR24, LINEAR, last, 1000, &out), -EINVAL) << "row 74";
	EXPECT_NE(std::string(hbm_last_error()).find("hbm_buffer_create_from_fds: plane_count 1000: a buffer has 1 to 4 planes"),
		  std::string::npos)
		<< "row 74: " << hbm_last_error();
	EXPECT_EQ(importC(64, 64, XR24, LINEAR, last, 1, &out), 0) << "row 74: " << hbm_last_error();
	hbm_buffer_unref(out);
	::munmap(pages, size_t(2 * page));

	// Row 75: the caller's descriptor is duplicated: closing it keeps the buffer whole.
	UniqueFd own = test::makeDmaBufStandIn(16384);
	const hbm_plane_import ownPlane = {sizeof(hbm_plane_import), own.get(), 256, 0};
	out = nullptr;
	ASSERT_EQ(importC(64, 64, XR24, LINEAR, &ownPlane, 1, &out), 0) << "row 75: " << hbm_last_error();
	own.reset();
	const int exported = hbm_buffer_export_plane_fd(out, 0);
	EXPECT_GE(exported, 0) << "row 75: " << hbm_last_error();
	if (exported >= 0) {
		EXPECT_EQ(::lseek(exported, 0, SEEK_END), 16384) << "row 75";
		::close(exported);
	}
	hbm_buffer_unref(out);

	EXPECT_EQ(test::openFdCount(), fdsBefore) << "left open:" << test::openFdList();
}
