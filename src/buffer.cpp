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

} // namespace

constinit thread_local BlockSlot blockSlot;

void armBlockSlot()
{
	// Constructed on this thread's first call, destroyed when the thread ends.
	struct Release {
		~Release()
		{
			if (blockSlot.block)
				ASAN_UNPOISON_MEMORY_REGION(blockSlot.block, blockSlot.size);
			std::free(blockSlot.block);
			blockSlot.block = nullptr;
			blockSlot.closed = true;
		}
	};
	static thread_local Release release;
	(void)release;
	blockSlot.armed = true;
}

std::shared_ptr<Buffer> BufferFactory::fromCheckedAllocation(Allocation allocation, bool dmaBuf, Provenance provenance)
{
	BufferBuilder made;
	Buffer::Private &d = made.state();
	d.storage = std::move(allocation);
	d.dmaBuf = dmaBuf;
	d.provenance = std::move(provenance);
	return std::move(made).finish();
}

Capabilities storageCapabilities(const Buffer::Private &buffer)
{
	const Provenance &p = buffer.provenance;
	Capabilities c;
	c.origin = *p.origin;
	c.onlyFormat = buffer.layout().format;
	c.onlyModifier = buffer.layout().modifier;
	c.deviceImportable = buffer.dmaBuf;
	c.contiguous = p.contiguous;
	c.cached = p.cached;
	c.memoryEnd = p.memoryEnd;
	c.device = p.device;
	return c;
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
	const Layout &l = d_->layout();
	Candidate candidate{l.width, l.height, l.format, l.modifier, &l};
	if (auto rejected = checkCandidate(*combined, storageCapabilities(*d_), candidate, systemRamTop())) {
		// Name the buffer, not an allocator: the storage is what the participant refuses.
		rejected->allocator.clear();
		// One participant is checked: whatever limit refused, it set it (a format it does not
		// take comes back from the combined set without a name).
		if (rejected->setBy.empty())
			rejected->setBy.push_back(participant.identity);
		return refusalError(EINVAL, Refusal{participant.name() + " cannot use this " + *d_->provenance.origin +
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
	return d_->layout();
}

const SharedFd &Buffer::planeFd(size_t index) const
{
	static const SharedFd none;
	return index < d_->storage.planeMemory.size() ? d_->planeFd(index) : none;
}

size_t Buffer::memoryCount() const
{
	return d_->storage.memories.size();
}

const std::string &Buffer::origin() const
{
	return *d_->provenance.origin;
}

bool Buffer::deviceImportable() const
{
	return d_->dmaBuf;
}

Result<PlaneArray<PlaneExport>> Buffer::exportPlanes() const
{
	// Built in the returned object (one Result, returned by name on every path): no table
	// of descriptors moved on its way out.
	Result<PlaneArray<PlaneExport>> out{PlaneArray<PlaneExport>{}};
	PlaneArray<PlaneExport> &planes = *out;
	const Layout &layout = d_->layout();
	for (size_t i = 0; i < layout.planes.size(); ++i) {
		const PlaneLayout &plane = layout.planes[i];
		PlaneExport &p = planes.emplace_back(d_->planeFd(i).duplicate(), plane.offset, plane.stride);
		if (!p.fd) {
			out = makeError(errno, "cannot duplicate the descriptor of plane %zu", i);
			break;
		}
	}
	return out;
}
} // namespace hbm
