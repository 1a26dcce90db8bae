// SPDX-License-Identifier: MIT
// A plan carries its own checks: whatever turns it into storage — Context::allocate(),
// BufferDescription::allocate(), a BufferPool, the C ABI — confirms what the allocator
// really laid out against the participants the plan was made for. Here an allocator that
// lays images out itself, as GBM does, picks a stride the participants forbid.
#include <cerrno>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>

#include "seam/c_interop.hpp"
#include <hbm/context.hpp>
#include <hbm/description.hpp>
#include <hbm/hbm.h>
#include <hbm/pool.hpp>

#include "backends/allocator.hpp"
#include "c_api/c_api_private.hpp"
#include "context_private.hpp"
#include "negotiation_private.hpp"

#include "fakes/dma_buf_stand_in.hpp"
#include "fakes/process_resources.hpp"

using namespace hbm;

namespace {

constexpr uint32_t kWidth = 64;
constexpr uint32_t kAlignment = 256;
constexpr uint32_t kOwnStride = kWidth * 4 + 64; // 320: what this "GBM" picks, not a multiple of 256

/// An image allocator of one DRM device that chooses its own stride, as Mesa GBM does: it
/// declares LINEAR, takes the linear rules it is handed and ignores them.
class OwnStrideAllocator final : public Allocator
{
public:
	OwnStrideAllocator() : Allocator(makeInfo()) {}
	int calls = 0;

private:
	static AllocatorInfo makeInfo()
	{
		AllocatorInfo info;
		info.name = "gbm:fake";
		info.kind = AllocatorKind::Gbm;
		info.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
		info.deviceImportable = true;
		info.drmDeviceId = makedev(226, 9);
		return info;
	}
	Result<void> doAllocate(const AllocationRequest &request, Allocation &out) override
	{
		++calls;
		Layout &layout = out.layout;
		layout.width = request.width;
		layout.height = request.height;
		layout.format = request.format;
		layout.modifier = DRM_FORMAT_MOD_LINEAR;
		layout.planes = {{0, kOwnStride}};
		layout.size = uint64_t(kOwnStride) * request.height;
		UniqueFd fd = test::makeDmaBufStandIn(layout.size);
		if (!fd.isValid())
			return Error{errno, "no stand-in"};
		out.holdAllPlanesIn(SharedFd(std::move(fd)), layout.size);
		return {};
	}
};

Participant display()
{
	Participant p;
	p.identity = DeclaredIdentity{"display"};
	p.source = "test";
	p.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	p.constraints.strideAlignment = kAlignment;
	return p;
}

const Request kRequest{kWidth, 64, {DRM_FORMAT_XRGB8888}};

std::shared_ptr<Context> fakeContext(OwnStrideAllocator **raw = nullptr)
{
	auto fake = std::make_unique<OwnStrideAllocator>();
	if (raw)
		*raw = fake.get();
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::move(fake));
	return ContextFactory::create(std::move(list));
}

/// The refusal every path must give: the stride the allocator chose, the alignment, who set it.
void expectBrokenPlan(const Error &error, const char *path)
{
	EXPECT_EQ(error.code, EPROTO) << path << ": " << error.message;
	ASSERT_TRUE(error.refusal) << path << ": " << error.message;
	ASSERT_EQ(error.refusal->rejections.size(), 1u) << path;
	const Rejection &r = error.refusal->rejections[0];
	EXPECT_EQ(r.reason, RejectReason::StrideAlignment) << path;
	EXPECT_EQ(r.value, kOwnStride) << path;
	EXPECT_EQ(r.limit, kAlignment) << path;
	ASSERT_EQ(r.setBy.size(), 1u) << path;
	EXPECT_EQ(identityName(r.setBy[0]), "display (declared)") << path;
}

} // namespace

TEST(PlanChecks, APlanCarriesItsParticipantsConstraintsAndAllocator)
{
	auto ctx = fakeContext();
	auto plan = ctx->negotiate(kRequest, {display()});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_FALSE(plan->empty());
	ASSERT_EQ(plan->participants().size(), 1u);
	EXPECT_EQ(plan->participants()[0].name(), "display (declared)");
	EXPECT_EQ(plan->constraints().strideAlignment, kAlignment);
	ASSERT_NE(plan->layout(), nullptr) << "a LINEAR plan has the layout hbm computed";
	EXPECT_EQ(plan->layout()->planes[0].stride % kAlignment, 0u);
	const PlanState *state = PlanBuilder::state(*plan);
	ASSERT_NE(state, nullptr);
	ASSERT_NE(state->allocator, nullptr) << "bound to its allocator by handle";
	EXPECT_EQ(state->allocator->info().name, "gbm:fake");

	Plan empty;
	EXPECT_TRUE(empty.empty());
	EXPECT_TRUE(empty.participants().empty());
	EXPECT_EQ(empty.layout(), nullptr);
	auto none = ctx->allocate(empty);
	ASSERT_FALSE(none);
	EXPECT_EQ(none.error().code, EINVAL);
}

TEST(PlanChecks, AnUnboundPlanIsNotAllocated)
{
	// negotiate() over made-up allocator facts gives a plan no context bound: nothing can
	// be looked up by its name.
	auto ctx = fakeContext();
	AllocatorInfo facts;
	facts.name = "gbm:fake";
	facts.kind = AllocatorKind::Gbm;
	facts.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	facts.deviceImportable = true;
	auto forged = negotiate(kRequest, {}, {facts});
	ASSERT_TRUE(forged) << forged.error().message;
	EXPECT_EQ(forged->allocator(), "gbm:fake");
	auto refused = ctx->allocate(*forged);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().code, EINVAL);
}

TEST(PlanChecks, ContextAllocateChecksWhatTheAllocatorLaidOut)
{
	OwnStrideAllocator *raw = nullptr;
	auto ctx = fakeContext(&raw);
	auto plan = ctx->negotiate(kRequest, {display()});
	ASSERT_TRUE(plan) << plan.error().message;
	const size_t fds = test::openFdCount();
	auto buffer = ctx->allocate(*plan);
	ASSERT_FALSE(buffer);
	EXPECT_EQ(raw->calls, 1);
	expectBrokenPlan(buffer.error(), "Context::allocate(plan)");
	EXPECT_EQ(test::openFdCount(), fds) << "the refused buffer leaked";

	// Without the participant the same stride is fine.
	auto free = ctx->negotiate(kRequest, {});
	ASSERT_TRUE(free);
	auto made = ctx->allocate(*free);
	ASSERT_TRUE(made) << made.error().message;
	EXPECT_EQ((*made)->layout().planes[0].stride, kOwnStride);
}

TEST(PlanChecks, DescriptionAllocateChecksToo)
{
	auto ctx = fakeContext();
	auto description = ctx->describe(kRequest);
	ASSERT_TRUE(description) << description.error().message;
	ASSERT_TRUE((*description)->attach(display()));
	const size_t fds = test::openFdCount();
	auto buffer = (*description)->allocate();
	ASSERT_FALSE(buffer);
	expectBrokenPlan(buffer.error(), "BufferDescription::allocate()");
	EXPECT_EQ((*description)->buffer(), nullptr) << "a refused allocation leaves no storage";
	EXPECT_EQ(test::openFdCount(), fds);
}

TEST(PlanChecks, EveryBufferAPoolMakesIsChecked)
{
	auto ctx = fakeContext();
	auto pool = BufferPool::create(ctx, kRequest, {display()}, 2);
	ASSERT_TRUE(pool) << pool.error().message;
	ASSERT_EQ((*pool)->plan().participants().size(), 1u) << "the pool's plan carries its participants";
	const size_t fds = test::openFdCount();
	auto lease = (*pool)->acquire();
	ASSERT_FALSE(lease);
	expectBrokenPlan(lease.error(), "BufferPool::acquire()");
	EXPECT_EQ((*pool)->size(), 0u);
	EXPECT_EQ(test::openFdCount(), fds);

	// A pool's buffers carry the participants, so a late check knows them.
	auto free = BufferPool::create(ctx, kRequest, {}, 1);
	ASSERT_TRUE(free);
	auto ok = (*free)->acquire();
	ASSERT_TRUE(ok) << ok.error().message;
	EXPECT_TRUE((*ok)->participants().empty());
}

TEST(PlanChecks, TheCAbiChecksThroughDescriptionsAndPools)
{
	auto ctx = fakeContext();
	auto *cctx = new hbm_context{ctx, ctx->allocators()}; // what hbm_context_create() makes

	hbm_participant *cdisplay = hbm_seam::wrapParticipant(display());
	const uint32_t formats[] = {DRM_FORMAT_XRGB8888};
	hbm_request request{sizeof request, kWidth, 64, 0, formats, 1, nullptr};

	hbm_description *description = nullptr;
	ASSERT_EQ(hbm_description_create(cctx, &request, &description), 0) << hbm_last_error();
	ASSERT_EQ(hbm_description_attach(description, cdisplay), 0) << hbm_last_error();
	hbm_buffer *buffer = reinterpret_cast<hbm_buffer *>(0x1);
	EXPECT_EQ(hbm_description_allocate(description, &buffer), -EPROTO) << hbm_last_error();
	EXPECT_EQ(hbm_last_reason(), HBM_REASON_STRIDE_ALIGNMENT) << hbm_last_error();

	hbm_pool *pool = nullptr;
	ASSERT_EQ(hbm_pool_create(description, 2, &pool), 0) << hbm_last_error();
	hbm_lease *lease = nullptr;
	EXPECT_EQ(hbm_pool_acquire(pool, &lease), -EPROTO) << hbm_last_error();
	EXPECT_EQ(hbm_last_reason(), HBM_REASON_STRIDE_ALIGNMENT);
	hbm_rejection r{};
	r.size = sizeof r;
	ASSERT_EQ(hbm_last_rejection(0, &r), 0);
	EXPECT_EQ(r.value, kOwnStride);
	EXPECT_EQ(r.limit, kAlignment);
	hbm_pool_destroy(pool);

	hbm_participant *const parts[] = {cdisplay};
	hbm_pool_options options{};
	options.size = sizeof options;
	options.max_buffers = 1;
	options.request = &request;
	options.participants = parts;
	options.participant_count = 1;
	ASSERT_EQ(hbm_pool_create_with_options(cctx, &options, &pool), 0) << hbm_last_error();
	EXPECT_EQ(hbm_pool_acquire(pool, &lease), -EPROTO);
	EXPECT_EQ(hbm_last_reason(), HBM_REASON_STRIDE_ALIGNMENT);
	hbm_pool_destroy(pool);

	hbm_description_destroy(description);
	hbm_participant_destroy(cdisplay);
	hbm_context_destroy(cctx);
}
