// SPDX-License-Identifier: MIT
// The baseline sharing is measured against (benchmarks/hbm_benchmarks.cpp by time,
// benchmarks/instructions.cpp by instructions): one fd and a descriptor-sized payload
// (104 bytes, as hbm's wire descriptor) over SCM_RIGHTS by hand, received and closed.
#pragma once

#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace hbm::bench {

/// Sends @fd over @sender and receives it on @receiver; null, or which call failed.
inline const char *bareScmRightsRoundTrip(int sender, int receiver, int fd)
{
	char payload[104] = {};
	struct iovec iov = {payload, sizeof(payload)};
	alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
	struct msghdr msg = {};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (::sendmsg(sender, &msg, 0) < 0)
		return "sendmsg failed";
	msg.msg_controllen = sizeof(control);
	if (::recvmsg(receiver, &msg, MSG_CMSG_CLOEXEC) < 0)
		return "recvmsg failed";
	int received;
	std::memcpy(&received, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	::close(received);
	return nullptr;
}

} // namespace hbm::bench
