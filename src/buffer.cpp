// SPDX-License-Identifier: MIT
#include <hbm/buffer.hpp>

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <linux/dma-buf.h>
#include <linux/magic.h>
#include <linux/sync_file.h>

#include <hbm/format.hpp>

#include "backends/allocator.hpp"
#include "buffer_private.hpp"
#include "base/dma_buf.hpp"
#include "base/error.hpp"
#include "base/kernel_ioctl.hpp"
#include "base/system_memory.hpp"
#include "trace.hpp"
#include "base/log.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

LogCategory logBuffer("buffer");

/// A Buffer with its state: one allocation for both and the reference count
/// (std::make_shared), which is most of what a small buffer costs in user space.
struct BufferWithState final : Buffer {
	Buffer::Private state;
	BufferWithState() : Buffer(&state) {}
};

} // namespace

namespace {

/// The memories of a checked allocation: one per distinct SharedFd of @planeFds (moved from).
void adoptPlanes(Buffer::Private *d, PlaneArray<SharedFd> &planeFds, const PlaneArray<uint64_t> &planeFdSizes,
		 bool dmaBuf, bool sizesClaimed)
{
	for (size_t i = 0; i < planeFds.size(); ++i) {
		size_t m = 0;
		while (m < d->memories.size() && !(d->memories[m].fd == planeFds[i]))
			++m;
		if (m == d->memories.size()) {
			Memory &memory = d->memories.emplace_back();
			memory.fd = std::move(planeFds[i]); // later planes compare with memory.fd
			memory.size = planeFdSizes[i];
			memory.sizeClaimed = sizesClaimed;
			memory.dmaBuf = dmaBuf;
		}
		d->planeMemory.push_back(uint8_t(m));
	}
}

} // namespace

std::shared_ptr<Buffer> BufferFactory::fromCheckedAllocation(Layout layout, PlaneArray<SharedFd> planeFds,
							     const PlaneArray<uint64_t> &planeFdSizes, bool dmaBuf,
							     Provenance provenance, bool sizesClaimed)
{
	auto made = std::make_shared<BufferWithState>();
	Buffer::Private *d = &made->state;
	adoptPlanes(d, planeFds, planeFdSizes, dmaBuf, sizesClaimed);
	d->layout = std::move(layout);
	d->provenance = std::move(provenance);
	return made;
}

std::shared_ptr<Buffer> BufferFactory::fromAllocation(Allocation &allocation, const AllocatorInfo &allocator,
						      KnownOfAllocation *known, uint64_t traceId)
{
	auto made = std::make_shared<BufferWithState>();
	Buffer::Private *d = &made->state;
	adoptPlanes(d, allocation.planeFds, allocation.planeFdSizes, allocator.deviceImportable,
		    allocation.sizesClaimed);
	d->layout = allocation.layout;
	Provenance &p = d->provenance;
	if (known) {
		p.plan = std::move(known->plan);
		d->participants = std::move(known->participants); // the live list; not kept twice
	}
	p.origin = allocator.name;
	p.contiguous = allocator.contiguous;
	p.cached = allocator.cached;
	p.device = allocator.drmDeviceId;
	p.memoryEnd = allocator.memoryEnd;
	p.keepAlive = std::move(allocation.keepAlive);
	p.traceId = traceId;
	return made;
}

Capabilities storageCapabilities(const Buffer::Private &buffer)
{
	const Provenance &p = buffer.provenance;
	Capabilities c;
	c.origin = p.origin;
	c.onlyFormat = buffer.layout.format;
	c.onlyModifier = buffer.layout.modifier;
	c.deviceImportable = std::all_of(buffer.memories.begin(), buffer.memories.end(),
					 [](const Memory &m) { return m.dmaBuf; });
	c.contiguous = p.contiguous;
	c.cached = p.cached;
	c.memoryEnd = p.memoryEnd;
	c.device = p.device;
	return c;
}

Buffer::Private::~Private()
{
	if (provenance.traceId) // recorded only under HBM_TRACE
		trace::recordRelease(provenance.traceId);
}

Buffer::Buffer(Private *d) : d_(d) {}

std::vector<Participant> Buffer::participants() const
{
	std::lock_guard lock(d_->mutex);
	return d_->participants;
}

const std::optional<Plan> &Buffer::plan() const
{
	return d_->provenance.plan;
}

Result<void> Buffer::check(const Participant &participant) const
{
	auto combined = combineConstraints({participant});
	if (!combined)
		return combined.error();
	const Layout &l = d_->layout;
	Candidate candidate{l.width, l.height, l.format, l.modifier, &l};
	if (auto rejected = checkCandidate(*combined, storageCapabilities(*d_), candidate, systemRamTop())) {
		// Name the buffer, not an allocator: the storage is what the participant refuses.
		rejected->allocator.clear();
		// One participant is checked: whatever limit refused, it set it (a format it does not
		// take comes back from the combined set without a name).
		if (rejected->setBy.empty())
			rejected->setBy.push_back(participant.identity);
		return refusalError(EINVAL, Refusal{participant.name() + " cannot use this " + d_->provenance.origin +
							    " buffer",
						    {std::move(*rejected)},
						    "negotiate a new buffer with it attached before allocation"});
	}
	return {};
}

Result<void> Buffer::attach(const Participant &participant)
{
	if (auto checked = check(participant); !checked)
		return checked;
	std::lock_guard lock(d_->mutex);
	d_->participants.push_back(participant);
	return {};
}

Buffer::~Buffer() = default;

const Layout &Buffer::layout() const
{
	return d_->layout;
}

const SharedFd &Buffer::planeFd(size_t index) const
{
	static const SharedFd none;
	return index < d_->planeMemory.size() ? d_->memories[d_->planeMemory[index]].fd : none;
}

size_t Buffer::memoryCount() const
{
	return d_->memories.size();
}

const std::string &Buffer::origin() const
{
	return d_->provenance.origin;
}

bool Buffer::deviceImportable() const
{
	return std::all_of(d_->memories.begin(), d_->memories.end(), [](const Memory &m) { return m.dmaBuf; });
}

Result<PlaneArray<PlaneExport>> Buffer::exportPlanes() const
{
	// Built in the returned object (one Result, returned by name on every path): no table
	// of descriptors moved on its way out.
	Result<PlaneArray<PlaneExport>> out{PlaneArray<PlaneExport>{}};
	PlaneArray<PlaneExport> &planes = *out;
	for (size_t i = 0; i < d_->layout.planes.size(); ++i) {
		const PlaneLayout &plane = d_->layout.planes[i];
		PlaneExport &p = planes.emplace_back(
			PlaneExport{d_->memories[d_->planeMemory[i]].fd.duplicate(), plane.offset, plane.stride});
		if (!p.fd) {
			out = makeError(errno, "cannot duplicate the descriptor of plane %zu", i);
			break;
		}
	}
	return out;
}
} // namespace hbm
