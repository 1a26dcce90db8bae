// SPDX-License-Identifier: MIT
#include "allocator.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <xf86drm.h>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "constraint_check.hpp"
#include "layout_private.hpp"
#include "base/dma_buf.hpp"
#include "base/error.hpp"
#include "shared_memory.hpp"
#include "base/string_format.hpp"
#include "base/system_memory.hpp"

namespace hbm {

const char *allocatorKindName(AllocatorKind kind)
{
	switch (kind) {
	case AllocatorKind::DmaHeap: return "dma-heap";
	case AllocatorKind::Udmabuf: return "udmabuf";
	case AllocatorKind::DrmDumb: return "dumb";
	case AllocatorKind::Gbm: return "gbm";
	case AllocatorKind::Memfd: return "memfd";
	}
	return "?";
}

FormatSet linearFormats()
{
	FormatSet set;
	for (const FormatInfo &f : knownFormats())
		set.add(f.fourcc, DRM_FORMAT_MOD_LINEAR);
	return set;
}

namespace {

[[gnu::noinline]] bool readVerifyEnvironment()
{
	const char *v = std::getenv("HBM_VERIFY_ALLOCATIONS");
	return v && *v && std::string_view(v) != "0";
}

/// HBM_VERIFY_ALLOCATIONS, read once (inline: every allocation asks it for each descriptor).
[[gnu::always_inline]] inline bool verifyWithKernel()
{
	static const bool verify = readVerifyEnvironment();
	return verify;
}

/// Settles the size of a descriptor fresh from a backend: @size as reported (0: unknown)
/// is asked of the kernel when unknown or when verifying, as is its type. Returns why the
/// backend broke its promise, or an empty string; when the kernel could not be asked, why,
/// with its errno in @kernelError (no promise was broken then). A @claimed size is the
/// planes' extent: the real one may be larger (page-rounded).
std::string askKernelAboutDescriptor(int fd, uint64_t *size, bool deviceImportable, int *kernelError, bool claimed);

/// Whether a descriptor fresh from a backend needs nothing of the kernel: sized by
/// construction, nobody verifying. Most do; for them nothing is asked and nothing built
/// (inline: every allocation asks it for each descriptor).
[[gnu::always_inline]] inline bool settledWithoutKernel(int fd, uint64_t size)
{
	return fd >= 0 && size && !verifyWithKernel();
}

/// The descriptor check when settledWithoutKernel() is not enough.
std::string askKernelAboutDescriptor(int fd, uint64_t *size, bool deviceImportable, int *kernelError, bool claimed)
{
	if (fd < 0)
		return "no descriptor";
	const bool verify = verifyWithKernel();
	off_t real = ::lseek(fd, 0, SEEK_END); // a fresh descriptor: its position is ours
	if (real < 0) {
		*kernelError = errno;
		return stringf("cannot size its descriptor (lseek)");
	}
	if (real == 0 || (*size && (claimed ? uint64_t(real) < *size : uint64_t(real) != *size)))
		return stringf("descriptor of %lld bytes, reported %llu", (long long)real, (unsigned long long)*size);
	*size = uint64_t(real);
	if (verify) {
		DmaBufIdentity id; // the one test of a dma-buf (src/base/dma_buf.cpp)
		if (int asked = identifyDmaBuf(fd, &id); asked < 0) {
			*kernelError = -asked;
			return stringf("cannot tell whether its descriptor is a dma-buf (%s)", id.failedCall);
		}
		if (id.dmaBuf != deviceImportable)
			return id.dmaBuf ? "it returned a dma-buf while declared CPU-only"
					 : "it returned something that is not a dma-buf";
	}
	return {};
}

/// Whether @info's allocator declares a modifier of @request for its format: the one check
/// (checkCandidate()), with no participant to satisfy. Whether CPU-only memory will do is
/// the caller's choice (AllocationOptions::allowCpuOnly), not the seam's. Out of line: a
/// thread asks it once per new request (Allocator::allocate()'s LastAccepted).
[[gnu::noinline]] Result<void> acceptable(const AllocatorInfo &info, const AllocationRequest &request)
{
	Capabilities cap = capabilitiesOf(info);
	cap.deviceImportable = true;
	static const Combined anyone{};
	std::optional<Rejection> first;
	for (uint64_t m : request.modifiers) {
		auto refused = checkCandidate(anyone, cap, {request.width, request.height, request.format, m, nullptr}, 0);
		if (!refused)
			return {};
		if (!first)
			first = std::move(refused);
	}
	if (!first) { // no modifier asked for: none it makes
		first.emplace();
		first->reason = RejectReason::ModifierNotMade;
		first->allocator = info.name;
		first->format = request.format;
	}
	return refusalError(ENOTSUP, Refusal{stringf("%ux%u", request.width, request.height), {std::move(*first)}, {}});
}

/// A backend's broken promise for @subject, "@fmt" (with @args) saying which: this
/// project's bug, reported as such (EPROTO), "@who broke its promise for @subject: ...";
/// with @kernelError, the kernel could not be asked about a descriptor (no promise was
/// broken then). @who is empty where the caller names the allocator (allocateBytes()).
/// Out of line and cold, so that the checks calling it are straight-line compares.
[[gnu::cold, gnu::noinline]] Error brokenPromiseV(const std::string &who, const std::string &subject, int kernelError,
						  const char *fmt, va_list args)
{
	const std::string why = vstringf(fmt, args);
	const char *space = who.empty() ? "" : " ";
	if (kernelError)
		return makeError(kernelError, "%s%s%s: %s", who.c_str(), who.empty() ? "" : ": ", subject.c_str(),
				 why.c_str());
	return makeError(EPROTO, "%s%sbroke its promise for %s: %s", who.c_str(), space, subject.c_str(), why.c_str());
}

/// brokenPromiseV() of an image allocator for @request (naming a format costs libdrm
/// allocations: only here, when a message needs it).
[[gnu::cold, gnu::noinline, gnu::format(printf, 4, 5)]] Error brokenPromise(const AllocatorInfo &info,
									  const AllocationRequest &request, int kernelError,
									  const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	Error e = brokenPromiseV(info.name, imageName(request.width, request.height, request.format), kernelError, fmt,
				 args);
	va_end(args);
	return e;
}

/// brokenPromiseV() of a byte allocator for @size bytes.
[[gnu::cold, gnu::noinline, gnu::format(printf, 3, 4)]] Error bytesBroken(uint64_t size, int kernelError,
									const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	Error e = brokenPromiseV({}, stringf("%llu bytes", (unsigned long long)size), kernelError, fmt, args);
	va_end(args);
	return e;
}

/// Whether @modifier is one @request asked for: the one test, for what a backend made
/// (keptPromises()) and for the layout a byte allocator will make (ByteAllocator::imageFromBytes()).
[[gnu::always_inline]] inline bool askedFor(const AllocationRequest &request, uint64_t modifier)
{
	return std::find(request.modifiers.begin(), request.modifiers.end(), modifier) != request.modifiers.end();
}

/// The refusal when askedFor() is false.
[[gnu::cold, gnu::noinline]] Error notAskedFor(const AllocatorInfo &info, const AllocationRequest &request,
					       uint64_t modifier)
{
	return brokenPromise(info, request, 0, "modifier %s was not asked for", modifierName(modifier).c_str());
}

/// What every backend promises, checked on @a fresh from @info's backend (its sizes
/// settled in place).
Result<void> keptPromises(const AllocatorInfo &info, const AllocationRequest &request, Allocation &a)
{
	if (a.layout.width != request.width || a.layout.height != request.height ||
	    a.layout.format != request.format)
		return brokenPromise(info, request, 0, "it made a different image");
	if (!askedFor(request, a.layout.modifier))
		return notAskedFor(info, request, a.layout.modifier);
	const size_t planes = a.layout.planes.size(), memories = a.memories.size();
	if (planes == 0 || memories == 0 || memories > planes || a.planeMemory.size() != planes)
		return brokenPromise(info, request, 0, "%zu planes in %zu descriptors, %zu placed", planes, memories,
				     a.planeMemory.size());
	uint64_t total = 0; // of the descriptors
	for (size_t m = 0; m < memories; ++m) {
		AllocatedMemory &memory = a.memories[m];
		if (!settledWithoutKernel(memory.fd.get(), memory.size)) {
			int kernelError = 0;
			if (std::string why = askKernelAboutDescriptor(memory.fd.get(), &memory.size, info.deviceImportable,
								       &kernelError, a.sizesClaimed);
			    !why.empty())
				return brokenPromise(info, request, kernelError, "descriptor %zu: %s", m, why.c_str());
		}
		total += memory.size;
	}
	unsigned used = 0; // a bit per memory holding a plane
	for (size_t i = 0; i < planes; ++i) {
		const PlaneLayout &p = a.layout.planes[i];
		const size_t m = a.planeMemory[i];
		if (m >= memories)
			return brokenPromise(info, request, 0, "plane %zu is placed in descriptor %zu of %zu", i, m,
					     memories);
		used |= 1u << m;
		uint64_t end;
		if (__builtin_add_overflow(p.offset, p.size, &end) || end > a.memories[m].size)
			return brokenPromise(info, request, 0,
					     "plane %zu (offset %llu, %llu bytes) lies outside its %llu-byte descriptor", i,
					     (unsigned long long)p.offset, (unsigned long long)p.size,
					     (unsigned long long)a.memories[m].size);
	}
	if (used != (1u << memories) - 1)
		return brokenPromise(info, request, 0, "%zu descriptors, not every one holding a plane", memories);
	if (verifyWithKernel())
		a.sizesClaimed = false; // asked of the kernel just now
	// Memory committed at allocation was weighed before the kernel was asked (byte
	// allocators, checkedBytes()); an image allocator's pages come at first use, so its
	// real size is weighed now, before anyone can touch them.
	if (info.memoryCommit != MemoryCommit::AtAllocation)
		if (auto shortfall = memoryShortfall(total, info))
			return refusalError(ENOMEM, std::move(*shortfall));
	return {};
}


} // namespace

namespace {

/// The last request a thread's allocator accepted (acceptable() is a pure function of the
/// allocator's declaration and the request): a swapchain, a pool refilling, a decoder
/// asking for buffer after buffer ask it again and again. Requests offering more modifiers
/// than it holds are always checked.
struct LastAccepted {
	uint64_t allocator = 0; ///< Allocator serial; 0: nothing kept
	uint32_t width = 0, height = 0, format = 0;
	uint32_t modifierCount = 0;
	uint64_t modifiers[4] = {};

	bool holds(uint64_t serial, const AllocationRequest &r) const
	{
		if (allocator != serial || width != r.width || height != r.height || format != r.format ||
		    modifierCount != r.modifiers.size())
			return false;
		// A loop, not std::equal: that is a memcmp call for a list of one or two.
		for (size_t i = 0; i < modifierCount; ++i)
			if (modifiers[i] != r.modifiers[i])
				return false;
		return true;
	}
	void keep(uint64_t serial, const AllocationRequest &r)
	{
		if (r.modifiers.size() > std::size(modifiers)) {
			allocator = 0;
			return;
		}
		allocator = serial;
		width = r.width;
		height = r.height;
		format = r.format;
		modifierCount = uint32_t(r.modifiers.size());
		std::copy(r.modifiers.begin(), r.modifiers.end(), modifiers);
	}
};

} // namespace

uint64_t Allocator::nextSerial()
{
	static std::atomic<uint64_t> serial{0};
	return serial.fetch_add(1, std::memory_order_relaxed) + 1;
}

[[gnu::always_inline]] inline Result<void> ByteAllocator::checkedBytes(const ByteRequest &request, Bytes &b)
{
	if (request.size == 0)
		return makeError(EINVAL, "0 bytes asked for");
	if (request.size > uint64_t(std::numeric_limits<off_t>::max()))
		return makeError(EOVERFLOW, "%llu bytes exceed what a descriptor can hold (%lld)",
				 (unsigned long long)request.size, (long long)std::numeric_limits<off_t>::max());
	if (!powerOfTwo(request.alignment))
		return makeError(EINVAL, "alignment %llu is not a power of two", (unsigned long long)request.alignment);
	// The one memory budget: a request that cannot fit is refused before the kernel is
	// asked, never left to the OOM killer.
	if (auto shortfall = memoryShortfall(request.size, info_))
		return refusalError(ENOMEM, std::move(*shortfall));

	if (Result<void> made = doAllocateBytes(request, b); !made)
		return made;
	if (b.size < request.size)
		return bytesBroken(request.size, 0, "it gave %llu", (unsigned long long)b.size);
	if (b.offset & (request.alignment - 1)) // a power of two, checked above
		return bytesBroken(request.size, 0, "offset %llu is not a multiple of %llu", (unsigned long long)b.offset,
				   (unsigned long long)request.alignment);
	if (!settledWithoutKernel(b.fd.get(), b.fdSize)) {
		int kernelError = 0;
		if (std::string why = askKernelAboutDescriptor(b.fd.get(), &b.fdSize, info_.deviceImportable, &kernelError, false);
		    !why.empty())
			return bytesBroken(request.size, kernelError, "%s", why.c_str());
	}
	uint64_t end;
	if (__builtin_add_overflow(b.offset, b.size, &end) || end > b.fdSize)
		return bytesBroken(request.size, 0, "bytes at offset %llu lie outside its %llu-byte descriptor",
				   (unsigned long long)b.offset, (unsigned long long)b.fdSize);
	return {};
}

/// The image path of a byte allocator. What Allocator::allocate() checks of an image
/// backend holds here by construction: the layout is linearLayout()'s for the request's
/// size and format, LINEAR (checked below to be asked for), its size within the bytes and
/// those within their descriptor (checkedBytes()), every plane in the one descriptor.
[[gnu::always_inline]] inline Result<void> ByteAllocator::imageFromBytes(const AllocationRequest &request, Allocation &out)
{
	if (!askedFor(request, DRM_FORMAT_MOD_LINEAR))
		return notAskedFor(info_, request, DRM_FORMAT_MOD_LINEAR);
	Layout &layout = out.layout;
	if (Result<void> laid = layOutLinear(request.format, request.width, request.height, *request.linear, layout); !laid)
		return laid;
	// Plane offsets are aligned from the start of the bytes: so is that start.
	const uint64_t alignment = std::max<uint64_t>(pageSize(), request.linear->offsetAlignment);
	Bytes bytes;
	if (Result<void> made = checkedBytes({layout.size, alignment}, bytes); !made)
		return made;
	if (bytes.offset)
		for (PlaneLayout &p : layout.planes)
			p.offset += bytes.offset;
	layout.size = bytes.size;
	out.holdAllPlanesIn(std::move(bytes.fd), bytes.fdSize);
	if (bytes.keepAlive) // most bytes depend on nothing else
		out.keepAlive = std::move(bytes.keepAlive);
	return {};
}

Result<void> Allocator::allocate(const AllocationRequest &request, Allocation &out)
{
	thread_local LastAccepted last;
	if (!last.holds(serial_, request)) {
		if (Result<void> accepted = acceptable(info_, request); !accepted)
			return accepted;
		last.keep(serial_, request);
	}
	// A byte allocator's image is the core's own work (imageFromBytes()), called here
	// directly and inline rather than through doAllocate(): a call and a frame fewer on
	// every allocation from a heap (docs/performance.md, eighth round).
	Result<void> made =
		coreLaysOut_ ? static_cast<ByteAllocator *>(this)->imageFromBytes(request, out) : doAllocate(request, out);
	if (!made) {
		// A refusal names the allocator in its rejection already.
		if (!made.error().refusal)
			made = withContext(made.error(), info_.name);
		return made;
	}
	if (coreLaysOut_) // what keptPromises() checks holds by construction (imageFromBytes())
		return made;
	return keptPromises(info_, request, out);
}

Result<Bytes> ByteAllocator::allocateBytes(const ByteRequest &request)
{
	Bytes bytes;
	if (Result<void> made = checkedBytes(request, bytes); !made) {
		if (!made.error().refusal) // a refusal names the allocator in its rejection
			return withContext(made.error(), info_.name);
		return made.error();
	}
	return bytes;
}

Result<void> ByteAllocator::doAllocate(const AllocationRequest &request, Allocation &out)
{
	return imageFromBytes(request, out);
}

} // namespace hbm
