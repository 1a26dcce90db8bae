// SPDX-License-Identifier: MIT
#include <hbm/context.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>

#include <drm_fourcc.h>

#include <hbm/format.hpp>
#include <hbm/heap.hpp>

#include "backends/dma_heap/dma_heap.hpp"
#include "backends/drm_dumb/dumb_allocator.hpp"
#include "backends/memfd/memfd.hpp"
#include "backends/region/region_allocator.hpp"
#include "backends/udmabuf/udmabuf_allocator.hpp"
#include "buffer_private.hpp"
#include "context_private.hpp"
#include "error.hpp"
#include "hbm_config.h"
#include "log.hpp"
#include "string_format.hpp"
#include "system_memory.hpp"
#include "trace.hpp"
#if HBM_HAVE_GBM
#include "backends/gbm/gbm_allocator.hpp"
#endif

namespace hbm {

namespace {

LogCategory logContext("context");

/// Rank of an allocator when none is named: scattered dma-buf memory first, contiguous
/// memory (scarce) only when nothing else can, memfd last and only when allowed.
int rank(const AllocatorInfo &info)
{
	switch (info.kind) {
	case AllocatorKind::DmaHeap: return info.contiguous ? 4 : (info.cached ? 0 : 5);
	case AllocatorKind::Udmabuf: return 1;
	case AllocatorKind::Gbm: return 2;
	case AllocatorKind::DrmDumb: return 3;
	case AllocatorKind::Memfd: return 6;
	}
	return 7;
}

std::vector<std::string> drmCards()
{
	std::vector<std::string> cards;
	std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir("/dev/dri"), ::closedir);
	while (dir && (errno = 0, true)) {
		struct dirent *e = ::readdir(dir.get());
		if (!e)
			break;
		if (std::string_view(e->d_name).starts_with("card"))
			cards.push_back(std::string("/dev/dri/") + e->d_name);
	}
	std::sort(cards.begin(), cards.end());
	return cards;
}

template<typename T>
void keep(Result<std::unique_ptr<T>> made, std::vector<std::unique_ptr<Allocator>> *out,
	  std::vector<std::string> *notes)
{
	if (made) {
		out->push_back(std::move(*made));
	} else {
		notes->push_back(made.error().toString());
		HBM_LOG(logContext, Info, "left out: %s", made.error().toString().c_str());
	}
}

} // namespace

std::vector<std::unique_ptr<Allocator>> probeAllocators(std::vector<std::string> *notes)
{
	std::vector<std::unique_ptr<Allocator>> out;
	auto heaps = dma_heap::discover();
	if (!heaps)
		notes->push_back(heaps.error().toString());
	else
		for (const HeapInfo &heap : *heaps)
			keep(dma_heap::DmaHeapAllocator::create(heap), &out, notes);

	if (::access("/dev/udmabuf", F_OK) == 0)
		keep(udmabuf::UdmabufAllocator::create(), &out, notes);

	for (const std::string &card : drmCards()) {
		keep(drm_dumb::DumbAllocator::create(card), &out, notes);
#if HBM_HAVE_GBM
		keep(gbm::GbmAllocator::create(card), &out, notes);
#endif
	}
	out.push_back(memfd::MemfdAllocator::create());

	// Two devices with one driver would share a name: tell them apart by node.
	for (auto &a : out)
		for (auto &b : out)
			if (a != b && a->info().name == b->info().name && !b->info().drmDevice.empty())
				b->rename(b->info().name + "@" + b->info().drmDevice.substr(9));

	std::stable_sort(out.begin(), out.end(),
			 [](const auto &a, const auto &b) { return rank(a->info()) < rank(b->info()); });
	return out;
}

struct Context::Private {
	std::vector<std::unique_ptr<Allocator>> allocators;
	std::vector<std::string> notes;
	Config config;
};

std::shared_ptr<Context> ContextFactory::create(std::vector<std::unique_ptr<Allocator>> allocators,
						std::vector<std::string> notes)
{
	auto d = std::make_unique<Context::Private>();
	d->allocators = std::move(allocators);
	d->notes = std::move(notes);
	return std::shared_ptr<Context>(new Context(std::move(d)));
}

Result<std::shared_ptr<Context>> Context::create()
{
	auto config = loadConfig();
	if (!config)
		return config.error();
	return create(*config);
}

Result<std::shared_ptr<Context>> Context::create(const Config &config)
{
	std::vector<std::string> notes;
	auto allocators = probeAllocators(&notes);
	for (const HeapConfig &heap : config.heaps) {
		auto a = std::find_if(allocators.begin(), allocators.end(),
				      [&](const auto &x) { return x->info().name == "dma-heap:" + heap.name; });
		if (a == allocators.end()) {
			notes.push_back(config.origin + ": heap '" + heap.name + "' is configured but not present here");
			continue;
		}
		(*a)->declare(heap.contiguous, heap.cached, heap.memoryEnd);
	}
	// Regions are carved out now, so their memory is there when it is needed. A region that
	// cannot be made fails the context: nothing is half-applied.
	for (const RegionConfig &region : config.regions) {
		auto heap = std::find_if(allocators.begin(), allocators.end(),
					 [&](const auto &x) { return x->info().name == "dma-heap:" + region.heap; });
		if (heap == allocators.end())
			return makeError(ENOENT, "%s: region '%s' is carved from heap '%s', which is not present here",
					 config.origin.c_str(), region.name.c_str(), region.heap.c_str());
		auto made = region::RegionAllocator::carve(region.name, **heap, region.size, region.algorithm);
		if (!made)
			return withContext(made.error(), config.origin + ": reserving region '" + region.name + "'");
		allocators.push_back(std::move(*made));
	}
	for (const auto &a : allocators)
		HBM_LOG(logContext, Debug, "allocator %s", a->info().name.c_str());
	auto ctx = ContextFactory::create(std::move(allocators), std::move(notes));
	ctx->d_->config = config;
	return ctx;
}

const Config &Context::config() const
{
	return d_->config;
}

Result<Participant> Context::declaredParticipant(const std::string &name) const
{
	std::string names;
	for (const Participant &p : d_->config.participants) {
		if (p.name == name + " (declared)" || p.name == name)
			return p;
		names += (names.empty() ? "" : ", ") + p.name.substr(0, p.name.find(" (declared)"));
	}
	return makeError(ENOENT, "no participant '%s' is declared in %s (declared: %s)", name.c_str(),
			 d_->config.origin.c_str(), names.empty() ? "none" : names.c_str());
}

std::vector<Participant> Context::withRules(std::vector<Participant> participants) const
{
	for (Participant &p : participants) {
		for (const DeviceRule &rule : d_->config.rules) {
			bool match = (!rule.drmDriver.empty() && rule.drmDriver == p.drmDriver) ||
				     (!rule.sysfsPath.empty() && !p.sysfsPath.empty() && p.sysfsPath.rfind(rule.sysfsPath, 0) == 0) ||
				     (!rule.v4l2Card.empty() && rule.v4l2Card == p.v4l2Card);
			if (!match)
				continue;
			Constraints &c = p.constraints;
			std::string what;
			if (rule.contiguous) {
				c.placement.contiguous = *rule.contiguous;
				what += *rule.contiguous ? " contiguous" : " scattered allowed";
			}
			if (rule.addressLimit && (!c.placement.addressLimit || rule.addressLimit < c.placement.addressLimit)) {
				c.placement.addressLimit = rule.addressLimit;
				what += stringf(" address limit 0x%llx", (unsigned long long)rule.addressLimit);
			}
			c.strideAlignment = std::max(c.strideAlignment, rule.strideAlignment);
			c.offsetAlignment = std::max(c.offsetAlignment, rule.offsetAlignment);
			if (!rule.formats.empty()) {
				FormatSet only;
				for (uint32_t f : rule.formats)
					for (uint64_t m : c.formats.modifiers(f))
						only.add(f, m);
				c.formats = only;
				what += " formats restricted";
			}
			p.source += "; rule '" + rule.name + "' of " + d_->config.origin + ":" + what;
		}
	}
	return participants;
}

Context::Context(std::unique_ptr<Private> d) : d_(std::move(d)) {}

Context::~Context() = default;

std::vector<AllocatorInfo> Context::allocators() const
{
	std::vector<AllocatorInfo> out;
	for (const auto &a : d_->allocators)
		out.push_back(a->info());
	return out;
}

std::vector<std::string> Context::probeNotes() const
{
	return d_->notes;
}

Result<std::shared_ptr<Buffer>> Context::allocate(const BufferDesc &desc, const AllocationOptions &options)
{
	auto what = [&] {
		return stringf("%ux%u %s", desc.width, desc.height, formatName(desc.format).c_str());
	};
	if (!findFormat(desc.format))
		return makeError(EINVAL, "unknown format %s: hbm has no layout for it", formatName(desc.format).c_str());
	if (desc.width == 0 || desc.height == 0 || desc.width > kMaxDimension || desc.height > kMaxDimension)
		return makeError(EINVAL, "%s: width and height must be 1 to %u", what().c_str(), kMaxDimension);
	if (options.modifiers.empty())
		return makeError(EINVAL, "%s: no acceptable modifier given (LINEAR, or INVALID for implicit)",
				 what().c_str());

	AllocationRequest request;
	request.width = desc.width;
	request.height = desc.height;
	request.format = desc.format;
	request.modifiers = options.modifiers; // a view: options outlive the request
	request.linear = options.linear;
	request.usage = options.usage;

	auto make = [&](Allocator &a) -> Result<std::shared_ptr<Buffer>> {
		const auto start = trace::enabled() ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
		auto allocation = a.allocate(request);
		if (!allocation)
			return allocation.error();
		auto buffer = BufferFactory::fromCheckedAllocation(
			std::move(allocation->layout), std::move(allocation->planeFds),
			std::move(allocation->planeFdSizes), a.info().deviceImportable, a.info().name,
			std::move(allocation->keepAlive));
		if (buffer) {
			Buffer::Private &state = BufferFactory::state(**buffer);
			state.contiguous = a.info().contiguous;
			state.cached = a.info().cached;
			if (trace::enabled())
				state.traceId = trace::recordAllocate(
					desc.width, desc.height, desc.format, state.layout.size, a.info().name,
					uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
							 std::chrono::steady_clock::now() - start).count()));
		}
		return buffer;
	};

	std::string named = options.allocator;
	if (named.empty())
		if (const char *env = std::getenv("HBM_ALLOCATOR"))
			named = env;
	if (!named.empty()) {
		for (auto &a : d_->allocators)
			if (a->info().name == named)
				return make(*a);
		std::string names;
		for (auto &a : d_->allocators)
			names += (names.empty() ? "" : ", ") + a->info().name;
		return makeError(ENOENT, "%s: no allocator named '%s' (here: %s)", what().c_str(), named.c_str(),
				 names.c_str());
	}

	// Every attempt is logged and goes into the refusal (wlroots' allocator fallbacks).
	std::string attempts;
	int lastError = ENOTSUP;
	for (auto &a : d_->allocators) {
		if (!a->info().deviceImportable && !options.allowCpuOnly) {
			attempts += "; " + a->info().name + ": CPU-only memory, not allowed (allowCpuOnly)";
			continue;
		}
		auto buffer = make(*a);
		if (buffer) {
			if (!attempts.empty())
				HBM_LOG(logContext, Info, "%s from %s after%s", what().c_str(), a->info().name.c_str(),
					attempts.c_str());
			return buffer;
		}
		HBM_LOG(logContext, Debug, "%s: %s", what().c_str(), buffer.error().toString().c_str());
		attempts += "; " + buffer.error().message;
		lastError = buffer.error().code;
	}
	return makeError(lastError, "no allocator could make %s: %s", what().c_str(),
			 attempts.empty() ? "none found" : attempts.substr(2).c_str());
}

Result<Plan> Context::negotiate(const Request &request, const std::vector<Participant> &participants) const
{
	std::vector<AllocatorInfo> candidates = allocators();
	std::string kindNote;
	if (!request.kind.empty()) {
		auto kind = std::find_if(d_->config.kinds.begin(), d_->config.kinds.end(),
					 [&](const KindConfig &k) { return k.name == request.kind; });
		static const char *const kBuiltIn[] = {"scanout", "video", "camera"};
		bool builtIn = std::find(std::begin(kBuiltIn), std::end(kBuiltIn), request.kind) != std::end(kBuiltIn);
		if (kind == d_->config.kinds.end() && !builtIn) {
			std::string names;
			for (const KindConfig &k : d_->config.kinds)
				names += (names.empty() ? "" : ", ") + k.name;
			return makeError(ENOENT, "unknown kind '%s' (configured in %s: %s; built in: scanout, video, camera)",
					 request.kind.c_str(), d_->config.origin.c_str(), names.empty() ? "none" : names.c_str());
		}
		if (kind == d_->config.kinds.end()) {
			kindNote = "kind '" + request.kind + "' is not configured: any allocator";
		} else {
			// The kind's allocators, in its order; those this machine lacks are noted.
			std::vector<AllocatorInfo> ordered;
			std::vector<std::string> missing;
			for (const std::string &name : kind->allocators) {
				auto a = std::find_if(candidates.begin(), candidates.end(),
						      [&](const AllocatorInfo &x) { return x.name == name; });
				if (a == candidates.end())
					missing.push_back(name);
				else
					ordered.push_back(*a);
			}
			if (ordered.empty()) {
				std::string lacking, present;
				for (const std::string &m : missing)
					lacking += (lacking.empty() ? "" : ", ") + m;
				for (const AllocatorInfo &a : candidates)
					present += (present.empty() ? "" : ", ") + a.name;
				return makeError(ENOENT, "kind '%s' of %s names only allocators this machine lacks (%s; here: %s)",
						 request.kind.c_str(), d_->config.origin.c_str(), lacking.c_str(), present.c_str());
			}
			candidates = std::move(ordered);
			kindNote = "kind '" + request.kind + "' of " + d_->config.origin + ": allocators in its order";
			for (const std::string &m : missing)
				kindNote += "; " + m + " is not present here";
		}
	}
	auto plan = hbm::negotiate(request, withRules(participants), candidates, systemRamTop());
	if (plan && !kindNote.empty())
		plan->trace.insert(plan->trace.begin(), kindNote);
	return plan;
}

Result<std::shared_ptr<Buffer>> Context::allocate(const Plan &plan)
{
	AllocationOptions options;
	options.allocator = plan.allocator;
	options.modifiers = {plan.modifier};
	options.linear = plan.linear;
	options.usage = plan.usage;
	auto buffer = allocate({plan.width, plan.height, plan.format}, options);
	if (!buffer)
		return withContext(buffer.error(), "allocating the negotiated plan");
	BufferFactory::state(**buffer).plan = plan;
	return buffer;
}

Result<std::shared_ptr<Buffer>> Context::describe(const Request &request)
{
	// Checked now, so a bad request fails here rather than at first use.
	auto plan = negotiate(request, {});
	if (!plan)
		return plan.error();
	auto d = std::make_unique<Buffer::Private>();
	d->layout.width = request.width;
	d->layout.height = request.height;
	d->layout.format = plan->format;
	d->layout.modifier = plan->modifier;
	d->context = shared_from_this();
	d->request = request;
	d->plan = std::move(*plan);
	d->storage = false;
	d->origin = "described";
	return std::make_shared<Buffer>(std::move(d));
}

} // namespace hbm
