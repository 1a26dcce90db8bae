// SPDX-License-Identifier: MIT
// The second process of the sharing test: receives a buffer on the socket given as
// argv[1], checks it holds the test pattern and has the expected shape, then marks the
// first pixel so the sender can see a write from here.
//   share_peer SOCKET_FD WIDTH HEIGHT FORMAT
#include <cstdio>
#include <cstdlib>

#include <hbm/hbm.hpp>
#include <hbm-test/pattern.hpp>

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	int socket = std::atoi(argv[1]);
	auto buffer = hbm::receiveBuffer(socket);
	if (!buffer) {
		std::fprintf(stderr, "peer: %s\n", buffer.error().toString().c_str());
		return 3;
	}
	const hbm::Layout &layout = (*buffer)->layout();
	if (layout.width != std::strtoul(argv[2], nullptr, 0) || layout.height != std::strtoul(argv[3], nullptr, 0) ||
	    layout.format != std::strtoul(argv[4], nullptr, 0)) {
		std::fprintf(stderr, "peer: received %ux%u format 0x%x\n", layout.width, layout.height, layout.format);
		return 4;
	}
	{
		auto read = (*buffer)->beginCpuAccess(hbm::CpuAccessMode::ReadWrite);
		if (!read) {
			std::fprintf(stderr, "peer: %s\n", read.error().toString().c_str());
			return 5;
		}
		auto same = hbm::test::verifyTestPattern(*read, layout);
		if (!same) {
			std::fprintf(stderr, "peer: %s\n", same.error().message.c_str());
			return 6;
		}
		read->plane(0)[0] = 0xab;
		read->plane(0)[1] = 0xcd;
	}
	std::printf("peer: received %ux%u %s, pattern intact, marked pixel 0\n", layout.width, layout.height,
		    hbm::formatName(layout.format).c_str());
	return 0;
}
