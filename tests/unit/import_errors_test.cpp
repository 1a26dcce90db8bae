// SPDX-License-Identifier: MIT
// Import refusals that need no dma-buf (the lab tests the ones that do).
#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "fakes/dma_buf_stand_in.hpp"

using namespace hbm;

namespace {

void expectRefusal(const ImportDesc &desc, int code, const std::string &text)
{
	auto b = Buffer::import(desc);
	ASSERT_FALSE(b) << text;
	EXPECT_EQ(b.error().code, code) << b.error().message;
	EXPECT_NE(b.error().message.find(text), std::string::npos) << b.error().message;
}

} // namespace

TEST(ImportErrors, NotADmaBuf)
{
	UniqueFd memfd(::memfd_create("not-a-dmabuf", MFD_CLOEXEC));
	ASSERT_EQ(::ftruncate(memfd.get(), 1 << 20), 0);
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{memfd.get(), 0, 256}}}, EINVAL,
		      "plane 0: fd " + std::to_string(memfd.get()) + " is not a dma-buf (it is /memfd:not-a-dmabuf");
}

TEST(ImportErrors, ClosedFd)
{
	int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	::close(fd);
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd, 0, 256}}}, EBADF,
		      "fd " + std::to_string(fd) + " is not open");
}

TEST(ImportErrors, PlaneCountMustSuitTheFormat)
{
	expectRefusal({64, 64, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR, {{3, 0, 64}}}, EINVAL,
		      "NV12 has 2 planes, 1 given");
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{3, 0, 256}, {3, 0, 256}}}, EINVAL,
		      "XRGB8888 has 1 plane, 2 given");
	expectRefusal({64, 64, DRM_FORMAT_NV12, I915_FORMAT_MOD_Y_TILED,
		       {{3, 0, 64}, {3, 0, 64}, {3, 0, 64}, {3, 0, 64}, {3, 0, 64}}},
		      EINVAL, "takes 2 to 4 planes, 5 given");
}

TEST(ImportErrors, UnknownFormatAndBadSizes)
{
	expectRefusal({64, 64, fourcc_code('N', 'O', 'P', 'E'), DRM_FORMAT_MOD_LINEAR, {{3, 0, 256}}}, EINVAL,
		      "unknown format NOPE");
	expectRefusal({0, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{3, 0, 256}}}, EINVAL,
		      "width and height must be 1 to 65536");
}

TEST(ImportErrors, ModifiersTheFormatCannotHave)
{
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, 0x00000000000000ffull, {{3, 0, 256}}}, EINVAL,
		      "reserved: vendor NONE has only LINEAR and INVALID");
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, 0x7f00000000000001ull, {{3, 0, 256}}}, EINVAL,
		      "unknown vendor (0x7f)");
}

// The stand-in seam (tests/fakes/dma_buf_stand_in.hpp) takes import past "is it a
// dma-buf?" on the host, so validation after that point can be tested here.
TEST(ImportErrors, TheDmaBufStandInReachesTheRestOfTheValidation)
{
	UniqueFd standIn = test::makeDmaBufStandIn(64 * 256);
	ASSERT_TRUE(standIn);
	const uint64_t before = test::dmaBufStandInAnswers();
	auto b = Buffer::import({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{standIn.get(), 0, 256}}});
	ASSERT_TRUE(b) << b.error().message;
	EXPECT_GT(test::dmaBufStandInAnswers(), before);
	EXPECT_EQ((*b)->layout().planes[0].stride, 256u);
	expectRefusal({64, 65, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{standIn.get(), 0, 256}}}, EINVAL,
		      "runs past the end of its 16384-byte dma-buf");

	// Any other memfd is still what it is.
	UniqueFd memfd(::memfd_create("plain", MFD_CLOEXEC));
	ASSERT_EQ(::ftruncate(memfd.get(), 1 << 20), 0);
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{memfd.get(), 0, 256}}}, EINVAL,
		      "is not a dma-buf");
}
