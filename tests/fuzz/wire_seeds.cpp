// SPDX-License-Identifier: MIT
// Writes fuzz_wire's seed corpus: descriptors made by the real sendBuffer() (of buffers
// from a fake device-importable memfd allocator: the host has no dma-bufs), read back off
// a socket, wrapped in fuzz_wire's input format with memfds of the right size, on both
// socket types; plus truncated, split and mis-attached variants.
//
//     hbm-fuzz-wire-seeds tests/fuzz/corpus/wire
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/socket.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "backends/memfd/memfd.hpp"
#include "fakes/importable_memfd.hpp"
#include "context_private.hpp"
#include "fuzz_check.hpp"
#include "wire_input.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

/// The bytes sendBuffer() writes for @buffer.
std::vector<uint8_t> wireBytes(const Buffer &buffer)
{
	int sv[2];
	if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return {};
	UniqueFd a(sv[0]), b(sv[1]);
	if (auto sent = sendBuffer(a.get(), buffer); !sent) {
		std::fprintf(stderr, "sendBuffer: %s\n", sent.error().toString().c_str());
		return {};
	}
	std::vector<uint8_t> bytes(4096);
	alignas(struct cmsghdr) char control[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = {bytes.data(), bytes.size()};
	struct msghdr msg = {};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	ssize_t n = ::recvmsg(b.get(), &msg, MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
			int fd;
			std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			UniqueFd owned(fd);
		}
	bytes.resize(n > 0 ? size_t(n) : 0);
	return bytes;
}

bool write(const std::string &path, const WireInput &in)
{
	return fuzz::writeSeed(path, encodeWireInput(in));
}

} // namespace

int main(int argc, char **argv)
{
	const char *directory = seedDirectory(argc, argv);
	if (!directory)
		return 2;
	const std::string dir = directory;
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::make_unique<test::ImportableMemfd>());
	list.push_back(memfd::MemfdAllocator::create());
	auto ctx = ContextFactory::create(std::move(list));

	struct Seed {
		const char *name;
		BufferDesc desc;
	};
	const Seed seeds[] = {
		{"xrgb8888-64x64", {64, 64, DRM_FORMAT_XRGB8888}},
		{"nv12-641x479", {641, 479, DRM_FORMAT_NV12}},
	};
	bool ok = true;
	for (const Seed &seed : seeds) {
		auto buffer = ctx->allocate(seed.desc);
		if (!buffer) {
			std::fprintf(stderr, "%s: %s\n", seed.name, buffer.error().toString().c_str());
			return 1;
		}
		WireInput in;
		in.message = wireBytes(**buffer);
		if (in.message.empty())
			return 1;
		const uint64_t size = (*buffer)->layout().size;
		for (bool seqpacket : {true, false}) {
			const std::string base = dir + "/" + seed.name + (seqpacket ? "-seqpacket" : "-stream");
			in.seqpacket = seqpacket;
			in.split = 0;
			in.fdSpecs = {memfdSpec(size)};
			ok &= write(base + "-valid", in);
			in.split = 50; // in two parts, the fds with the first
			ok &= write(base + "-split", in);
			in.split = 0;
			in.fdSpecs = {uint8_t(FdKind::Pipe)};
			ok &= write(base + "-pipe", in);
			in.fdSpecs = {memfdSpec(size), uint8_t(FdKind::Eventfd), uint8_t(FdKind::Socket), uint8_t(FdKind::DevNull)};
			ok &= write(base + "-four-fds", in);
			WireInput cut = in;
			cut.fdSpecs = {memfdSpec(size)};
			for (size_t keep : {size_t(0), size_t(7), size_t(50), cut.message.size() - 1}) {
				cut.message = std::vector<uint8_t>(in.message.begin(), in.message.begin() + keep);
				ok &= write(base + "-truncated-" + std::to_string(keep), cut);
			}
		}
	}
	return ok ? 0 : 1;
}
