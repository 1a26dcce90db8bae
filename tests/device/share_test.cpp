// SPDX-License-Identifier: MIT
// A buffer sent to another process (a separate executable, so nothing is inherited but
// the socket) arrives equal, holds what this process wrote, and what it writes is seen here.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm-test/pattern.hpp>
#include <hbm/share.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

class Share : public ::testing::TestWithParam<std::string>
{
};

TEST_P(Share, SecondProcessReadsWhatTheFirstWroteAndWritesBack)
{
	std::string name = allocatorFor(GetParam());
	HBM_REQUIRE_DEVICE(!name.empty(), "no " + GetParam() + " allocator");
	auto buffer = allocateFrom(name, {1280, 720, DRM_FORMAT_XRGB8888});
	ASSERT_TRUE(buffer);
	{
		auto w = buffer->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(w);
		ASSERT_TRUE(writeTestPattern(*w, buffer->layout()));
	}

	int sv[2];
	ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	UniqueFd mine(sv[0]);
	UniqueFd theirs(sv[1]);
	pid_t pid = ::fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = ::dup(theirs.get()); // without close-on-exec: the one fd the peer gets
		std::string fdText = std::to_string(fd), format = std::to_string(DRM_FORMAT_XRGB8888);
		::execl(HBM_SHARE_PEER, HBM_SHARE_PEER, fdText.c_str(), "1280", "720", format.c_str(), nullptr);
		::_exit(127);
	}
	theirs.reset();
	auto sent = sendBuffer(mine.get(), *buffer);
	int status = 0;
	::waitpid(pid, &status, 0);
	ASSERT_TRUE(sent) << sent.error().toString();
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0) << "the peer failed (see its output above)";

	auto r = buffer->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->plane(0)[0], 0xab) << "the peer's write is not visible here";
	EXPECT_EQ(r->plane(0)[1], 0xcd);
}

INSTANTIATE_TEST_SUITE_P(All, Share, ::testing::Values("system", "udmabuf", "gbm"), paramName);

TEST(ShareLocal, ReceivedBufferEqualsTheSentOne)
{
	std::string system = allocatorFor("system");
	HBM_REQUIRE_DEVICE(!system.empty(), "no system dma-heap");
	auto buffer = allocateFrom(system, {641, 479, DRM_FORMAT_NV12});
	ASSERT_TRUE(buffer);
	int sv[2];
	ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	UniqueFd a(sv[0]), b(sv[1]);
	size_t fdsBefore = openFdCount();
	{
		ASSERT_TRUE(sendBuffer(a.get(), *buffer));
		auto received = receiveBuffer(b.get());
		ASSERT_TRUE(received) << received.error().toString();
		EXPECT_EQ((*received)->layout().planes, buffer->layout().planes);
		EXPECT_EQ((*received)->modifier(), buffer->modifier());
		EXPECT_EQ((*received)->format(), buffer->format());
		EXPECT_EQ((*received)->memoryCount(), 1u) << "NV12's two planes travel as one dma-buf";
	}
	EXPECT_EQ(openFdCount(), fdsBefore);
}
