// SPDX-License-Identifier: MIT
#include <hbm/share.hpp>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <vector>

#include <hbm/format.hpp>

#include "base/error.hpp"
#include "buffer_private.hpp"
#include "share_wire.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

/// Room for more fds than a descriptor may carry, so that extra ones are seen (and closed)
/// rather than silently dropped by the kernel.
constexpr size_t kMaxReceivedFds = 16;

/// The fds that came with one descriptor's message, owned here until importBuffer() adopts
/// them (AdoptedFds): held inline, no allocation per receive, with room for more than a
/// descriptor may carry so that extra ones are counted and closed.
class ReceivedFds
{
public:
	ReceivedFds() = default;
	ReceivedFds(const ReceivedFds &) = delete;
	ReceivedFds &operator=(const ReceivedFds &) = delete;
	~ReceivedFds()
	{
		for (int fd : held())
			UniqueFd unadopted(fd); // closed; -1 for one adopted
	}

	/// Owns @fd from now on; one past the room is closed at once, and still counted.
	void take(int fd)
	{
		if (arrived_ < kMaxReceivedFds)
			fds_[arrived_] = fd;
		else
			UniqueFd extra(fd);
		++arrived_;
	}
	/// Every fd that arrived (parseWireDescriptor() compares it with what the descriptor names).
	size_t size() const { return arrived_; }
	bool empty() const { return arrived_ == 0; }
	/// The fd at @i (below size() when size() is at most the room).
	int operator[](size_t i) const { return fds_[i]; }
	/// What importBuffer() may adopt: the first kMaxReceivedFds that arrived.
	AdoptedFds held() { return {fds_, std::min(arrived_, kMaxReceivedFds)}; }

private:
	int fds_[kMaxReceivedFds];
	size_t arrived_ = 0;
};

/// recvmsg() that takes ownership of every fd that arrives, with @flags added. A control
/// message the kernel cut short (MSG_CTRUNC) is an error; the fds that did arrive are in
/// @fds all the same, closed with it.
[[gnu::always_inline]] inline Result<size_t> receiveWithFds(int socket, void *data, size_t size, int flags,
							    ReceivedFds *fds)
{
	struct iovec iov = {data, size};
	alignas(struct cmsghdr) char control[CMSG_SPACE(kMaxReceivedFds * sizeof(int))];
	struct msghdr msg = {};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	ssize_t n;
	do {
		n = ::recvmsg(socket, &msg, flags | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return makeError(errno, "recvmsg on socket %d failed", socket);
	size_t arrived = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *p = CMSG_DATA(c);
		for (size_t i = 0; i < count; ++i, ++arrived) {
			int fd;
			std::memcpy(&fd, p + i * sizeof(int), sizeof(int));
			fds->take(fd);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		// The kernel installs fds until one fails (scm_detach_fds()): fewer than there was
		// room for means this process could not take them, not that the peer sent too many.
		if (arrived < kMaxReceivedFds) {
			struct rlimit limit = {};
			::getrlimit(RLIMIT_NOFILE, &limit);
			return makeError(EMFILE, "receiving on socket %d: this process is out of descriptors (RLIMIT_NOFILE is %llu): "
					 "the fds that came with the message could not be installed; the %zu that were are closed",
					 socket, (unsigned long long)limit.rlim_cur, arrived);
		}
		return makeError(EPROTO, "buffer descriptor came with more fds than any descriptor carries");
	}
	return size_t(n);
}

/// What receiveMessage() got: the message's first bytes, its real length and its fds.
struct Message {
	uint8_t data[sizeof(WireDescriptor)];
	size_t size = 0;
	ReceivedFds fds;
	bool stream = false;
};

/// Whether the peer of the connected @socket has gone: on SOCK_SEQPACKET a 0-byte record
/// and the end of the connection both read as 0 bytes, and only this tells them apart.
bool peerHungUp(int socket)
{
	struct pollfd p = {socket, POLLRDHUP, 0};
	return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP));
}

/// Receives one descriptor's message, respecting what the socket type says a message is.
Result<void> receiveMessage(int socket, Message *m)
{
	// The first recvmsg is the same on every socket type: at most one descriptor's bytes.
	// SOCK_SEQPACKET, SOCK_DGRAM: one recvmsg is one message, never more; with MSG_TRUNC it
	// returns the message's real length when that is longer than a descriptor. A stream
	// ignores MSG_TRUNC and never returns more than asked.
	auto n = receiveWithFds(socket, m->data, sizeof(m->data), MSG_TRUNC, &m->fds);
	if (!n)
		return n.error();
	m->size = *n;
	if (m->size > sizeof(m->data))
		return {}; // a message socket's oversized message: parsing says so
	WireHeader header = {};
	if (m->size >= sizeof(header))
		std::memcpy(&header, m->data, sizeof(header));
	if (m->size == sizeof(m->data) && header.size == sizeof(m->data))
		return {}; // a whole descriptor, as its header says: nothing more to read on any socket
	// Short (or nothing: the end of a stream, or an empty record), or announcing more: what
	// follows depends on what a message is here. Asked only now, so a well-formed
	// descriptor costs no getsockopt().
	int type = 0;
	socklen_t length = sizeof(type);
	if (::getsockopt(socket, SOL_SOCKET, SO_TYPE, &type, &length) < 0)
		return makeError(errno, "cannot receive a buffer on socket %d: getsockopt(SO_TYPE) failed", socket);
	m->stream = type == SOCK_STREAM;
	if (!m->stream || m->size == 0)
		return {}; // the message was all there is, or the stream has ended
	// A stream has no boundaries: the header says where a descriptor ends. A sender's
	// sendmsg() arrives whole, so what the header announces must already be there; what is
	// not makes a truncated descriptor (and a stream out of step: close it). The bytes past
	// what this version reads are taken too, counted and dropped.
	size_t want = sizeof(m->data);
	for (;;) {
		if (m->size >= sizeof(WireHeader)) {
			std::memcpy(&header, m->data, sizeof(header));
			want = std::max<size_t>(header.size, sizeof(header));
		}
		if (m->size >= want)
			break;
		uint8_t discard[256];
		const bool keep = m->size < sizeof(m->data);
		uint8_t *to = keep ? m->data + m->size : discard;
		const size_t room = keep ? sizeof(m->data) - m->size : sizeof(discard);
		auto more = receiveWithFds(socket, to, std::min(room, want - m->size), MSG_DONTWAIT, &m->fds);
		if (!more && more.error().code == EAGAIN)
			break;
		if (!more)
			return more.error();
		if (*more == 0)
			break;
		m->size += *more;
	}
	return {};
}

/// sendWithFds(), inline in sendBuffer(): one call fewer per buffer sent (docs/performance.md).
[[gnu::always_inline]] inline ssize_t sendFds(int socket, const void *data, size_t size, std::span<const int> fds,
					      int flags)
{
	if (fds.size() > kMaxSentFds)
		return -EINVAL;
	struct iovec iov = {const_cast<void *>(data), size};
	alignas(struct cmsghdr) char control[CMSG_SPACE(kMaxSentFds * sizeof(int))];
	struct msghdr msg = {};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (!fds.empty()) {
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
		std::memset(control, 0, msg.msg_controllen); // what is sent, padding included
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
		std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
	}
	ssize_t n;
	do {
		n = ::sendmsg(socket, &msg, flags);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

} // namespace

ssize_t sendWithFds(int socket, const void *data, size_t size, std::span<const int> fds, int flags)
{
	return sendFds(socket, data, size, fds, flags);
}

Result<void> sendBuffer(int socket, const Buffer &buffer)
{
	// The buffer's state read here, not through its public accessors: each would be a call
	// on every buffer sent (docs/performance.md counts them).
	const Buffer::Private &state = BufferFactory::state(buffer);
	if (!state.dmaBuf)
		return makeError(ENOTSUP, "cannot share a %s buffer: CPU-only memory is not a dma-buf",
				 state.provenance.origin->c_str());
	const Layout &layout = state.layout();
	if (layout.planes.empty() || layout.planes.size() > 4)
		return makeError(EINVAL, "cannot share a buffer of %zu planes", layout.planes.size());

	WireDescriptor wire = {};
	wire.header.magic = kWireMagic;
	wire.header.version = kShareVersion;
	wire.header.size = sizeof(WireDescriptor);
	wire.width = layout.width;
	wire.height = layout.height;
	wire.format = layout.format;
	wire.modifier = layout.modifier;
	wire.planeCount = uint32_t(layout.planes.size());

	PlaneArray<int> fds; // distinct descriptors, at most one per plane
	for (size_t i = 0; i < layout.planes.size(); ++i) {
		const SharedFd &fd = state.planeFd(i); // i < planeCount: every plane is placed
		uint32_t index = 0;
		while (index < fds.size() && fds[index] != fd.get())
			++index;
		if (index == fds.size())
			fds.push_back(fd.get());
		wire.planes[i].fdIndex = index;
		wire.planes[i].stride = layout.planes[i].stride;
		wire.planes[i].offset = layout.planes[i].offset;
	}
	wire.fdCount = uint32_t(fds.size());

	ssize_t n = sendFds(socket, &wire, sizeof(wire), std::span<const int>(fds.data(), fds.size()), MSG_NOSIGNAL);
	if (n < 0)
		return makeError(int(-n), "sendmsg of a buffer descriptor on socket %d failed", socket);
	if (size_t(n) != sizeof(wire))
		return makeError(EIO, "sendmsg sent %zd of %zu descriptor bytes", n, sizeof(wire));
	return {};
}

Result<void> parseWireDescriptor(const uint8_t *data, size_t size, size_t fdCount, WireDescriptor &wire)
{
	WireHeader header;
	if (size < sizeof(header))
		return makeError(EPROTO, "buffer descriptor truncated: %zu bytes, the header alone is %zu", size,
				 sizeof(header));
	std::memcpy(&header, data, sizeof(header));
	if (header.magic != kWireMagic)
		return makeError(EPROTO, "not an hbm buffer descriptor (magic 0x%08x)", header.magic);
	if (header.version > kShareVersion)
		return makeError(EPROTO, "buffer descriptor version %u is newer than this hbm reads (%u): update the receiver",
				 header.version, kShareVersion);
	if (header.version == 0)
		return makeError(EPROTO, "buffer descriptor version 0 does not exist");
	if (header.size != sizeof(WireDescriptor) || size != header.size)
		return makeError(EPROTO, "buffer descriptor of %zu bytes (header says %u); version %u has %zu",
				 size, header.size, header.version, sizeof(WireDescriptor));

	std::memcpy(&wire, data, sizeof(wire));
	// What the descriptor describes is the sender's business, as an importer's: EINVAL.
	if (wire.planeCount < 1 || wire.planeCount > 4)
		return makeError(EINVAL, "buffer descriptor has %u planes (1 to 4)", wire.planeCount);
	if (wire.fdCount < 1 || wire.fdCount > wire.planeCount)
		return makeError(EPROTO, "buffer descriptor names %u fds for %u planes", wire.fdCount, wire.planeCount);
	if (fdCount != wire.fdCount)
		return makeError(EPROTO, "buffer descriptor came with %zu fds, it names %u", fdCount, wire.fdCount);
	for (uint32_t i = 0; i < wire.planeCount; ++i)
		if (wire.planes[i].fdIndex >= wire.fdCount)
			return makeError(EPROTO, "plane %u refers to fd %u of %u", i, wire.planes[i].fdIndex, wire.fdCount);
	return {};
}

Result<std::shared_ptr<Buffer>> receiveBuffer(int socket)
{
	Message m;
	if (auto received = receiveMessage(socket, &m); !received)
		return received.error();
	// 0 bytes with fds, or while the peer is there, is an empty record: a malformed message.
	if (m.size == 0 && (m.stream || (m.fds.empty() && peerHungUp(socket))))
		return makeError(ECONNRESET, "the peer closed socket %d", socket);
	WireDescriptor wire;
	if (auto parsed = parseWireDescriptor(m.data, m.size, m.fds.size(), wire); !parsed)
		return parsed.error();

	PlaneArray<PlaneImport> planes; // planeCount is 1 to 4 (parseWireDescriptor())
	for (uint32_t i = 0; i < wire.planeCount; ++i)
		planes.emplace_back(m.fds[wire.planes[i].fdIndex], wire.planes[i].offset, wire.planes[i].stride);
	AdoptedFds received = m.fds.held();
	auto buffer = importBuffer({wire.width, wire.height, wire.format, wire.modifier, {planes.data(), planes.size()}},
				   &received);
	if (!buffer)
		return withContext(buffer.error(), "received buffer");
	return buffer;
}

} // namespace hbm
