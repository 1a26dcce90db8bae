// SPDX-License-Identifier: MIT
// The compositor side's params checks with real dma-bufs (lab): a system-heap buffer
// smaller than the client claims is out_of_bounds, one of the right size, a vkms dumb
// buffer and a udmabuf become Buffers, a pipe is `failed`. No stand-in here: the kernel
// says what is a dma-buf and how large. On the host these skip, naming the device.
#include <cstdlib>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <drm.h>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <xf86drm.h>

#include <hbm/wayland/compositor.hpp>

#include "../fakes/lab_requirement.hpp"
#include "../fakes/process_resources.hpp"
#include "harness.hpp"

namespace hbm::test {
namespace {

constexpr uint32_t XR24 = DRM_FORMAT_XRGB8888;
constexpr uint32_t NV12 = DRM_FORMAT_NV12;
constexpr uint64_t LINEAR = DRM_FORMAT_MOD_LINEAR;
constexpr uint64_t INVALID = DRM_FORMAT_MOD_INVALID;

wayland::LinuxDmabufOptions options()
{
	Participant r;
	r.identity = EglDisplayIdentity{makedev(226, 1), "vkms"};
	r.constraints.formats = FormatSet({XR24, NV12}, {LINEAR, INVALID});
	auto f = wayland::Feedback::fromParticipants(r);
	EXPECT_TRUE(f) << f.error().message;
	wayland::LinuxDmabufOptions o;
	o.feedback = f ? *f : wayland::Feedback();
	return o;
}

UniqueFd systemHeap(uint64_t size)
{
	UniqueFd heap(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC));
	if (!heap)
		return {};
	dma_heap_allocation_data alloc = {};
	alloc.len = size;
	alloc.fd_flags = O_RDWR | O_CLOEXEC;
	if (::ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &alloc) < 0)
		return {};
	return UniqueFd(int(alloc.fd));
}

UniqueFd udmabuf(uint64_t size)
{
	UniqueFd dev(::open("/dev/udmabuf", O_RDWR | O_CLOEXEC));
	UniqueFd memfd(::memfd_create("udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (!dev || !memfd || ::ftruncate(memfd.get(), off_t(size)) < 0 ||
	    ::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return {};
	udmabuf_create create = {};
	create.memfd = uint32_t(memfd.get());
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.size = size;
	const int fd = ::ioctl(dev.get(), UDMABUF_CREATE, &create);
	return UniqueFd(fd < 0 ? -1 : fd);
}

/// A vkms dumb buffer of @width x @height at 32 bpp, exported: its dma-buf and pitch.
std::pair<UniqueFd, uint32_t> vkmsDumb(uint32_t width, uint32_t height)
{
	for (int i = 0; i < 16; ++i) {
		UniqueFd card(::open(("/dev/dri/card" + std::to_string(i)).c_str(), O_RDWR | O_CLOEXEC));
		if (!card)
			continue;
		drmVersionPtr v = drmGetVersion(card.get());
		const bool vkms = v && std::string(v->name) == "vkms";
		drmFreeVersion(v);
		if (!vkms)
			continue;
		drm_mode_create_dumb dumb = {};
		dumb.width = width;
		dumb.height = height;
		dumb.bpp = 32;
		if (drmIoctl(card.get(), DRM_IOCTL_MODE_CREATE_DUMB, &dumb) < 0)
			return {};
		int fd = -1;
		const int r = drmPrimeHandleToFD(card.get(), dumb.handle, DRM_CLOEXEC | DRM_RDWR, &fd);
		drm_gem_close close = {};
		close.handle = dumb.handle;
		drmIoctl(card.get(), DRM_IOCTL_GEM_CLOSE, &close); // the dma-buf keeps the object
		if (r < 0)
			return {};
		return {UniqueFd(fd), dumb.pitch};
	}
	return {};
}

/// @request answered by a fresh server, with the descriptors counted around it. @check
/// sees the Buffers the compositor got while the connection lives.
Answer answer(const Request &request, How how,
	      const std::function<void(const std::vector<Server::Created> &)> &check = {})
{
	const size_t before = openFdCount();
	Answer a;
	{
		Connection conn(options(), 4);
		EXPECT_NE(conn.client->dmabuf(), nullptr);
		a = send(*conn.client, request, how);
		if (check)
			check(conn.server->created());
	}
	EXPECT_EQ(openFdCount(), before) << "descriptors now:" << openFdList();
	return a;
}

TEST(WaylandCompositorDevice, HeapBufferSmallerThanClaimedIsOutOfBounds)
{
	HBM_REQUIRE_DEVICE(::access("/dev/dma_heap/system", R_OK) == 0, "no /dev/dma_heap/system");
	UniqueFd small = systemHeap(64 * 64 * 4 - 4096);
	ASSERT_TRUE(small);
	for (How how : {How::Create, How::CreateImmed}) {
		const Answer a = answer({{{small.get(), 0, 0, 256, LINEAR}}}, how);
		EXPECT_FALSE(a.created);
		EXPECT_EQ(a.error, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS));
		EXPECT_EQ(a.errorInterface, "zwp_linux_buffer_params_v1");
	}
	// NV12 whose 2048-byte chroma plane runs one byte past the heap buffer's end (the
	// heap rounds sizes up to pages: ask the dma-buf its size).
	UniqueFd nv12 = systemHeap(64 * 64 * 3 / 2);
	ASSERT_TRUE(nv12);
	const off_t size = ::lseek(nv12.get(), 0, SEEK_END);
	ASSERT_GT(size, 2048);
	const Answer a = answer(
		{{{nv12.get(), 0, 0, 64, LINEAR}, {nv12.get(), 1, uint32_t(size - 2048 + 1), 64, LINEAR}}, 64, 64, NV12},
		How::Create);
	EXPECT_EQ(a.error, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS));
}

TEST(WaylandCompositorDevice, RealDmaBufsBecomeBuffers)
{
	HBM_REQUIRE_DEVICE(::access("/dev/dma_heap/system", R_OK) == 0, "no /dev/dma_heap/system");
	HBM_REQUIRE_DEVICE(::access("/dev/udmabuf", R_OK) == 0, "no /dev/udmabuf");
	UniqueFd heap = systemHeap(64 * 64 * 4);
	UniqueFd udma = udmabuf(64 * 64 * 4);
	UniqueFd nv12 = systemHeap(64 * 64 * 3 / 2);
	auto [dumb, pitch] = vkmsDumb(64, 64);
	HBM_REQUIRE_DEVICE(dumb, "no vkms card to make a dumb buffer on");
	ASSERT_TRUE(heap && udma && nv12);
	struct Row {
		const char *what;
		Request request;
		uint32_t stride;
	};
	const Row rows[] = {
		{"system heap", {{{heap.get(), 0, 0, 256, LINEAR}}}, 256},
		{"udmabuf", {{{udma.get(), 0, 0, 256, INVALID}}}, 256},
		{"vkms dumb buffer", {{{dumb.get(), 0, 0, pitch, LINEAR}}}, pitch},
		{"system heap NV12, two planes in one buffer",
		 {{{nv12.get(), 0, 0, 64, LINEAR}, {nv12.get(), 1, 4096, 64, LINEAR}}, 64, 64, NV12},
		 64},
	};
	for (const Row &row : rows) {
		for (How how : {How::Create, How::CreateImmed}) {
			SCOPED_TRACE(std::string(row.what) + (how == How::Create ? " (create)" : " (create_immed)"));
			const Answer a = answer(row.request, how, [&](const std::vector<Server::Created> &created) {
				ASSERT_EQ(created.size(), 1u);
				// send() destroyed the wl_buffer: the compositor's Buffer went with it.
				EXPECT_TRUE(created[0].buffer.expired());
			});
			EXPECT_TRUE(a.created);
			EXPECT_FALSE(a.failed);
			EXPECT_EQ(a.error, std::nullopt);
		}
	}
	// One kept: the Buffer is a device-importable dma-buf with the client's layout.
	const size_t before = openFdCount();
	{
		Connection conn(options(), 4);
		zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(conn.client->dmabuf());
		add(params, {dumb.get(), 0, 0, pitch, LINEAR});
		wl_buffer *kept = zwp_linux_buffer_params_v1_create_immed(params, 64, 64, XR24, 0);
		zwp_linux_buffer_params_v1_destroy(params);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		auto created = conn.server->created();
		ASSERT_EQ(created.size(), 1u);
		auto buffer = created[0].buffer.lock();
		ASSERT_TRUE(buffer);
		EXPECT_TRUE(buffer->deviceImportable());
		EXPECT_EQ(buffer->layout().planes[0].stride, pitch);
		wl_buffer_destroy(kept);
		buffer.reset();
		ASSERT_EQ(conn.client->roundtrip(), 0);
		EXPECT_TRUE(conn.server->created()[0].buffer.expired());
	}
	EXPECT_EQ(openFdCount(), before) << "descriptors now:" << openFdList();
}

TEST(WaylandCompositorDevice, APipeIsNoDmaBuf)
{
	HBM_REQUIRE_DEVICE(::access("/dev/dma_heap/system", R_OK) == 0, "no /dev/dma_heap/system");
	int p[2];
	ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
	UniqueFd r(p[0]), w(p[1]);
	Answer a = answer({{{r.get(), 0, 0, 256, LINEAR}}}, How::Create);
	EXPECT_TRUE(a.failed);
	EXPECT_EQ(a.error, std::nullopt);
	a = answer({{{r.get(), 0, 0, 256, LINEAR}}}, How::CreateImmed);
	EXPECT_EQ(a.error, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER));
}

} // namespace
} // namespace hbm::test
