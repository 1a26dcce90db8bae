// SPDX-License-Identifier: MIT
#include <hbm/context.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdlib>

#include <drm_fourcc.h>

#include <hbm/format.hpp>
#include <hbm/heap.hpp>

#include "backends/region/region_allocator.hpp"
#include "buffer_private.hpp"
#include "description_private.hpp"
#include "context_private.hpp"
#include "negotiation_private.hpp"
#include "base/error.hpp"
#include "hbm_config.h"
#include "base/log.hpp"
#include "base/string_format.hpp"
#include "base/system_memory.hpp"
#include "trace.hpp"

namespace hbm {

namespace {

LogCategory logContext("context");

/// The allocator of @allocators (unique_ptrs while a context is made, its shared_ptrs after)
/// named @name, or null: the one lookup by name. Context::allocate() makes it on every
/// allocation that names its allocator, hence sameName().
template<typename Allocators>
Allocator *allocatorNamed(const Allocators &allocators, std::string_view name)
{
	for (const auto &a : allocators)
		if (sameName(a->info().name, name))
			return a.get();
	return nullptr;
}

} // namespace

// Hidden: the class is exported, its insides are not (check-exports.sh).
struct __attribute__((visibility("hidden"))) Context::Private {
	/// Shared with the plans negotiated from them: a plan names its allocator by handle.
	std::vector<std::shared_ptr<Allocator>> allocators;
	std::vector<std::string> notes;
	Config config;
	/// HBM_ALLOCATOR when the context was made: read once, not walked out of the
	/// environment on every allocation.
	std::string forcedAllocator;
};

std::shared_ptr<Context> ContextFactory::create(std::vector<std::unique_ptr<Allocator>> allocators,
						std::vector<std::string> notes)
{
	auto d = std::make_unique<Context::Private>();
	for (auto &a : allocators)
		d->allocators.push_back(std::move(a));
	d->notes = std::move(notes);
	if (const char *env = std::getenv("HBM_ALLOCATOR"))
		d->forcedAllocator = env;
	return std::shared_ptr<Context>(new Context(std::move(d)));
}

Result<std::shared_ptr<Context>> Context::create()
{
	ContextOptions options;
	options.probe = true;
	options.readConfiguration = true;
	return create(options);
}

Result<std::shared_ptr<Context>> Context::create(const Config &config)
{
	ContextOptions options;
	options.probe = true;
	options.config = &config;
	return create(options);
}

Result<std::shared_ptr<Context>> Context::create(const ContextOptions &options)
{
	Config loaded;
	if (!options.config && options.readConfiguration) {
		auto read = loadConfig();
		if (!read)
			return read.error();
		loaded = std::move(*read);
	}
	const Config &config = options.config ? *options.config : loaded;

	std::vector<std::string> notes;
	auto opened = openAllocators(options, &notes);
	if (!opened)
		return opened.error();
	auto allocators = std::move(*opened);
	for (const HeapConfig &heap : config.heaps) {
		Allocator *a = allocatorNamed(allocators, "dma-heap:" + heap.name);
		if (!a) {
			notes.push_back(config.origin + ": heap '" + heap.name + "' is configured but not present here");
			continue;
		}
		a->declare(heap.contiguous, heap.cached, heap.memoryEnd);
	}
	// Regions are carved out now, so their memory is there when it is needed. A region that
	// cannot be made fails the context: nothing is half-applied.
	for (const RegionConfig &region : config.regions) {
		Allocator *heap = allocatorNamed(allocators, "dma-heap:" + region.heap);
		if (!heap)
			return makeError(ENOENT, "%s: region '%s' is carved from heap '%s', which is not present here",
					 config.origin.c_str(), region.name.c_str(), region.heap.c_str());
		auto made = region::RegionAllocator::carve(region.name, *heap, region.size, region.algorithm);
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
	std::vector<std::string> names;
	for (const Participant &p : d_->config.participants) {
		const auto *declared = std::get_if<DeclaredIdentity>(&p.identity);
		if (!declared)
			continue;
		if (declared->name == name)
			return p;
		names.push_back(declared->name);
	}
	return makeError(ENOENT, "no participant '%s' is declared in %s (declared: %s)", name.c_str(),
			 d_->config.origin.c_str(), names.empty() ? "none" : joined(names).c_str());
}

std::vector<Participant> Context::withRules(std::vector<Participant> participants) const
{
	return applyRules(d_->config, std::move(participants));
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

namespace {

/// One allocation from @a, traced, written in place into a new Buffer with what the caller
/// knew of it (the plan and its participants, moved from @known; may be null). Inline in
/// each caller: one call fewer on every allocation (docs/performance.md, sixth round).
[[gnu::always_inline]] inline Result<std::shared_ptr<Buffer>> allocateFrom(Allocator &a, const AllocationRequest &request, KnownOfAllocation *known)
{
	const bool tracing = trace::enabled();
	const auto start = tracing ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
	BufferBuilder made;
	Buffer::Private &d = made.state();
	if (Result<void> allocated = a.allocate(request, d.storage); !allocated)
		return allocated.error();
	const AllocatorInfo &info = a.info();
	d.dmaBuf = info.deviceImportable;
	Provenance &p = d.provenance;
	if (known) {
		p.plan = std::move(known->plan);
		d.participants = std::move(known->participants); // the live list; not kept twice
	}
	p.origin = &a.internedName();
	p.contiguous = info.contiguous;
	p.cached = info.cached;
	p.device = info.drmDeviceId;
	p.memoryEnd = info.memoryEnd;
	if (tracing)
		p.traceId = trace::recordAllocate(
			request.width, request.height, request.format, d.layout().size, info.name,
			uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
					 .count()));
	return std::move(made).finish();
}

/// What a refusal or a log line of Context::allocate() names.
std::string subjectOf(const BufferDesc &desc)
{
	return imageName(desc.width, desc.height, desc.format);
}

/// Whether @a may serve an allocation: CPU-only memory only when the caller allows it.
bool mayServe(const Allocator &a, const AllocationOptions &options)
{
	return a.info().deviceImportable || options.allowCpuOnly;
}

/// Context::allocate()'s fallbacks, from the allocator at @next on, after @failed (null:
/// nothing tried yet) failed at the one before: every attempt is logged and goes into the
/// refusal (wlroots' allocator fallbacks); those refused as data keep their rejections, so
/// a caller can tell out-of-memory from a format nobody makes. Out of line: most
/// allocations succeed at the first allocator, and build none of this.
[[gnu::noinline]] Result<std::shared_ptr<Buffer>> allocateAfter(Context::Private &d, const BufferDesc &desc,
							     const AllocationOptions &options,
							     const AllocationRequest &request, size_t next,
							     const Error *failed)
{
	std::string attempts;
	int lastError = ENOTSUP;
	Refusal refused;
	auto failedAt = [&](const Error &e) {
		HBM_LOG(logContext, Debug, "%s: %s", subjectOf(desc).c_str(), e.toString().c_str());
		attempts += "; " + e.message;
		lastError = e.code;
		if (const auto &why = e.refusal) {
			refused.rejections.insert(refused.rejections.end(), why->rejections.begin(), why->rejections.end());
			if (!why->fix.empty())
				refused.fix = why->fix;
		}
	};
	if (failed)
		failedAt(*failed);
	for (size_t i = next; i < d.allocators.size(); ++i) {
		Allocator &a = *d.allocators[i];
		if (!mayServe(a, options)) {
			attempts += "; " + a.info().name + ": CPU-only memory, not allowed (allowCpuOnly)";
			Rejection r;
			r.reason = RejectReason::CpuOnly;
			r.allocator = a.info().name;
			r.format = desc.format;
			refused.rejections.push_back(std::move(r));
			continue;
		}
		auto buffer = allocateFrom(a, request, nullptr);
		if (buffer) {
			if (!attempts.empty())
				HBM_LOG(logContext, Info, "%s from %s after%s", subjectOf(desc).c_str(), a.info().name.c_str(),
					attempts.c_str());
			return buffer;
		}
		failedAt(buffer.error());
	}
	Error e = makeError(lastError, "no allocator could make %s: %s", subjectOf(desc).c_str(),
			    attempts.empty() ? "none found" : attempts.substr(2).c_str());
	if (!refused.rejections.empty()) {
		refused.subject = "no allocator could make " + subjectOf(desc);
		e.refusal = std::make_shared<const Refusal>(std::move(refused));
	}
	return e;
}

/// Context::allocate() of a well-formed request from the first allocator, when it may
/// serve; what follows a failure (or a first allocator of CPU-only memory not allowed) is
/// allocateAfter()'s. One result, returned by name: the buffer is not moved on its way out.
Result<std::shared_ptr<Buffer>> allocateFirst(Context::Private &d, const BufferDesc &desc,
					      const AllocationOptions &options, const AllocationRequest &request)
{
	const bool first = !d.allocators.empty() && mayServe(*d.allocators[0], options);
	Result<std::shared_ptr<Buffer>> buffer =
		first ? allocateFrom(*d.allocators[0], request, nullptr) : allocateAfter(d, desc, options, request, 0, nullptr);
	if (first && !buffer)
		buffer = allocateAfter(d, desc, options, request, 1, &buffer.error());
	return buffer;
}

} // namespace

[[gnu::flatten]] Result<std::shared_ptr<Buffer>> Context::allocate(const BufferDesc &desc, const AllocationOptions &options)
{
	Private &d = *d_;
	if (auto bad = validateRequest(desc.width, desc.height, {&desc.format, 1}, options.usage))
		return requestRefused(std::move(*bad));
	if (options.modifiers.empty())
		return makeError(EINVAL, "%s: no acceptable modifier given (LINEAR, or INVALID for implicit)",
				 subjectOf(desc).c_str());

	AllocationRequest request;
	request.width = desc.width;
	request.height = desc.height;
	request.format = desc.format;
	request.modifiers = options.modifiers; // a view: options outlive the request
	request.linear = &options.linear;
	request.usage = options.usage ? options.usage : kDefaultUsage;

	std::string_view named = options.allocator.empty() ? d.forcedAllocator : options.allocator;
	if (!named.empty()) {
		if (Allocator *a = allocatorNamed(d.allocators, named))
			return allocateFrom(*a, request, nullptr);
		const std::string names = joinedBy(d.allocators, [](const auto &a) { return a->info().name; });
		return makeError(ENOENT, "%s: no allocator named '%s' (here: %s)", subjectOf(desc).c_str(),
				 std::string(named).c_str(), names.c_str());
	}
	return allocateFirst(d, desc, options, request);
}

Result<Plan> Context::negotiate(const Request &request, const std::vector<Participant> &participants) const
{
	std::vector<AllocatorInfo> candidates = allocators();
	std::vector<std::shared_ptr<Allocator>> handles = d_->allocators; // parallel to candidates
	std::string kindNote;
	if (!request.kind.empty()) {
		auto kind = std::find_if(d_->config.kinds.begin(), d_->config.kinds.end(),
					 [&](const KindConfig &k) { return k.name == request.kind; });
		static const char *const kBuiltIn[] = {"scanout", "video", "camera"};
		bool builtIn = std::find(std::begin(kBuiltIn), std::end(kBuiltIn), request.kind) != std::end(kBuiltIn);
		if (kind == d_->config.kinds.end() && !builtIn) {
			const std::string names = joinedBy(d_->config.kinds, [](const KindConfig &k) { return k.name; });
			return makeError(ENOENT, "unknown kind '%s' (configured in %s: %s; built in: scanout, video, camera)",
					 request.kind.c_str(), d_->config.origin.c_str(), names.empty() ? "none" : names.c_str());
		}
		if (kind == d_->config.kinds.end()) {
			kindNote = "kind '" + request.kind + "' is not configured: any allocator";
		} else {
			// The kind's allocators, in its order; those this machine lacks are noted.
			std::vector<AllocatorInfo> ordered;
			std::vector<std::shared_ptr<Allocator>> orderedHandles;
			std::vector<std::string> missing;
			for (const std::string &name : kind->allocators) {
				auto a = std::find_if(candidates.begin(), candidates.end(),
						      [&](const AllocatorInfo &x) { return x.name == name; });
				if (a == candidates.end()) {
					missing.push_back(name);
				} else {
					ordered.push_back(*a);
					orderedHandles.push_back(handles[size_t(a - candidates.begin())]);
				}
			}
			if (ordered.empty()) {
				const std::string lacking = joined(missing);
				const std::string present = joinedBy(candidates, [](const AllocatorInfo &a) { return a.name; });
				return makeError(ENOENT, "kind '%s' of %s names only allocators this machine lacks (%s; here: %s)",
						 request.kind.c_str(), d_->config.origin.c_str(), lacking.c_str(), present.c_str());
			}
			candidates = std::move(ordered);
			handles = std::move(orderedHandles);
			kindNote = "kind '" + request.kind + "' of " + d_->config.origin + ": allocators in its order";
			for (const std::string &m : missing)
				kindNote += "; " + m + " is not present here";
		}
	}
	auto plan = hbm::negotiate(request, withRules(participants), candidates, systemRamTop());
	if (!plan)
		return plan;
	PlanBuilder::bind(*plan, handles[PlanBuilder::state(*plan)->allocatorIndex], participants);
	if (!kindNote.empty())
		PlanBuilder::prependTrace(*plan, kindNote);
	return plan;
}

Result<std::shared_ptr<Buffer>> Context::allocate(const Plan &plan)
{
	return allocatePlan(plan);
}

Result<std::shared_ptr<Buffer>> allocatePlan(const Plan &plan)
{
	const PlanState *state = PlanBuilder::state(plan);
	if (!state || !state->allocator)
		return makeError(EINVAL, "an empty plan: only a context's negotiation makes one an allocator accepts");
	AllocationRequest request;
	request.width = plan.width();
	request.height = plan.height();
	request.format = plan.format();
	const uint64_t modifier = plan.modifier();
	request.modifiers = {&modifier, 1};
	request.linear = &plan.linear();
	request.usage = plan.usage();
	KnownOfAllocation known;
	known.plan = plan;
	known.participants = plan.participants();
	auto buffer = allocateFrom(*state->allocator, request, &known);
	if (!buffer)
		return withContext(buffer.error(), "allocating the negotiated plan");
	// The allocator seam promised the plan's image; the one check confirms that what it
	// laid out (GBM chooses its own strides) suits every participant the plan was made for.
	const Buffer::Private &made = BufferFactory::state(**buffer);
	const Layout &l = made.layout();
	Candidate candidate{l.width, l.height, l.format, l.modifier, &l};
	if (auto rejected = checkCandidate(state->combined, storageCapabilities(made), candidate, state->physicalTop)) {
		// GBM and dumb buffers lay the image out themselves: their stride is theirs to
		// choose, and only memory hbm lays out honours the participants' alignment.
		const AllocatorKind kind = state->allocator->info().kind;
		const bool ownLayout = kind == AllocatorKind::Gbm || kind == AllocatorKind::DrmDumb;
		return refusalError(EPROTO, Refusal{plan.allocator() + " made a buffer the participants cannot use",
						    {std::move(*rejected)},
						    ownLayout ? plan.allocator() + " lays images out itself; allow a dma-heap or "
										   "udmabuf, which hbm lays out, for these participants"
							      : "report this: the allocator broke the plan"});
	}
	return buffer;
}

Result<ForeignPage> foreignPageOf(const Context &context)
{
	for (const auto &a : context.d_->allocators) {
		const AllocatorInfo &info = a->info();
		auto *bytes = dynamic_cast<ByteAllocator *>(a.get());
		if (!bytes || !info.deviceImportable || info.drmDeviceId || info.subAllocates)
			continue;
		auto page = bytes->allocateBytes({4096, 4096});
		if (!page) {
			HBM_LOG(logContext, Debug, "no probe page from %s: %s", info.name.c_str(),
				page.error().message.c_str());
			continue;
		}
		return ForeignPage{std::move(page->fd), info.name};
	}
	const std::string names = joinedBy(context.d_->allocators, [](const auto &a) { return a->info().name; });
	return makeError(ENODEV, "the context has no dma-heap or udmabuf to make a foreign page with (it has: %s)",
			 names.c_str());
}

Result<FormatSet> Context::allocatorFormats(const std::string &name) const
{
	if (const Allocator *a = allocatorNamed(d_->allocators, name))
		return a->info().formats;
	const std::string names = joinedBy(d_->allocators, [](const auto &a) { return a->info().name; });
	return makeError(ENOENT, "no allocator named '%s' (here: %s)", name.c_str(), names.c_str());
}

Result<std::shared_ptr<BufferDescription>> Context::describe(const Request &request)
{
	// Only a bad request is refused here, rather than at first use. That no plan exists yet
	// (a machine without dma-buf memory) is the answer of attach() and allocate().
	if (auto bad = validateRequest(request))
		return requestRefused(std::move(*bad));
	auto plan = negotiate(request, {});
	if (!plan && plan.error().code != kNoPlan)
		return plan.error(); // the request names an unknown kind
	return std::shared_ptr<BufferDescription>(new BufferDescription(std::make_unique<BufferDescription::Private>(
		shared_from_this(), request, plan ? std::move(*plan) : Plan{})));
}

} // namespace hbm
