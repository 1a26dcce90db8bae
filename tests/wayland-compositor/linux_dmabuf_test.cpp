// SPDX-License-Identifier: MIT
// hbm's zwp_linux_dmabuf_v1 over a real wl_display, from a raw client: every malformed
// params request is answered as linux-dmabuf-unstable-v1.xml says (a protocol error of the
// params object, or `failed` for create), no descriptor outlives a case, and the feedback
// parsed off the wire is what was built from the participants. On the host import takes
// tests/fakes's dma-buf stand-ins (memfds) for dma-bufs; pipes and plain memfds stay what
// they are.
#include <cstring>
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include <hbm/refusal.hpp>
#include <hbm/wayland/compositor.hpp>

#include "../fakes/dma_buf_stand_in.hpp"
#include "../fakes/process_resources.hpp"
#include "harness.hpp"

namespace hbm::test {
namespace {

constexpr uint32_t XR24 = DRM_FORMAT_XRGB8888;
constexpr uint32_t AR24 = DRM_FORMAT_ARGB8888;
constexpr uint32_t NV12 = DRM_FORMAT_NV12;
constexpr uint64_t LINEAR = DRM_FORMAT_MOD_LINEAR;
constexpr uint64_t INVALID = DRM_FORMAT_MOD_INVALID;
constexpr uint64_t Y_TILED = I915_FORMAT_MOD_Y_TILED;
/// Vendor NONE's reserved value: advertised here so that import, not the advertised-pair
/// check, is what refuses it.
constexpr uint64_t RESERVED = 0xff;
const dev_t kRenderDevice = makedev(226, 1);
const dev_t kOtherDevice = makedev(226, 2);

Participant renderer()
{
	Participant p;
	p.identity = EglDisplayIdentity{kRenderDevice, "vkms"};
	p.source = "test";
	for (uint32_t f : {XR24, AR24, NV12})
		for (uint64_t m : {INVALID, LINEAR, Y_TILED})
			p.constraints.formats.add(f, m);
	// Pairs hbm cannot lay out, advertised so that import's own refusals are reached.
	p.constraints.formats.add(DRM_FORMAT_C8, LINEAR);
	p.constraints.formats.add(XR24, RESERVED);
	return p;
}

Participant plane(PlaneType type, uint32_t id, FormatSet formats)
{
	Participant p;
	p.identity = KmsPlaneIdentity{kOtherDevice, id, type, 1, "vkms"};
	p.constraints.formats = std::move(formats);
	return p;
}

std::vector<Participant> planes()
{
	return {plane(PlaneType::Primary, 31, FormatSet({XR24, AR24}, {LINEAR})),
		plane(PlaneType::Cursor, 33, FormatSet({AR24}, {LINEAR, INVALID}))};
}

wayland::Feedback feedback()
{
	auto f = wayland::Feedback::fromParticipants(renderer(), planes());
	EXPECT_TRUE(f) << f.error().message;
	return f ? *f : wayland::Feedback();
}

wayland::LinuxDmabufOptions options(uint32_t version = 4)
{
	wayland::LinuxDmabufOptions o;
	o.version = version;
	o.feedback = feedback();
	return o;
}

/// Runs @request on a fresh server and a client bound at @version, checking that the process
/// holds the same descriptors after as before (the server's params, the Buffer, the
/// wl_buffer: all gone).
Answer answer(const Request &request, How how, uint32_t version = 4)
{
	const size_t before = openFdCount();
	Answer a;
	{
		Connection conn(options(), version);
		EXPECT_NE(conn.client->dmabuf(), nullptr);
		const size_t connected = openFdCount();
		a = send(*conn.client, request, how);
		// Still connected (`failed`, or created and destroyed): the running server holds
		// none of the descriptors the client sent.
		if (!a.error) {
			EXPECT_EQ(openFdCount(), connected) << "descriptors now:" << openFdList();
		}
	}
	EXPECT_EQ(openFdCount(), before) << "descriptors now:" << openFdList();
	return a;
}

class Fixture : public ::testing::Test
{
protected:
	void SetUp() override
	{
		xr24 = makeDmaBufStandIn(64 * 64 * 4);
		small = makeDmaBufStandIn(64 * 64 * 4 - 4096);
		nv12 = makeDmaBufStandIn(64 * 64 * 3 / 2);
		nv12b = makeDmaBufStandIn(64 * 64 * 3 / 2);
		int p[2];
		ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
		pipeRead = UniqueFd(p[0]);
		pipeWrite = UniqueFd(p[1]);
		memfd = UniqueFd(::memfd_create("not-a-dma-buf", MFD_CLOEXEC));
		ASSERT_EQ(::ftruncate(memfd.get(), 64 * 64 * 4), 0);
		ASSERT_TRUE(xr24 && small && nv12 && nv12b && memfd);
	}

public:
	UniqueFd xr24, small, nv12, nv12b, pipeRead, pipeWrite, memfd;
};

struct Case {
	const char *what;
	std::function<Request(Fixture &)> request;
	/// The protocol error both create and create_immed get, or nullopt for "server
	/// failed": `failed` for create, INVALID_WL_BUFFER for create_immed.
	std::optional<uint32_t> error;
};

class Malformed : public Fixture
{
};

TEST_F(Malformed, EveryCaseGetsTheErrorTheProtocolNames)
{
	const Case cases[] = {
		{"plane index 4", [](Fixture &f) { return Request{{{f.xr24.get(), 4, 0, 256, LINEAR}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX},
		{"plane index 0xffffffff",
		 [](Fixture &f) { return Request{{{f.xr24.get(), 0xffffffffu, 0, 256, LINEAR}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX},
		{"plane 0 set twice",
		 [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}, {f.xr24.get(), 0, 0, 256, LINEAR}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET},
		{"no plane", [](Fixture &) { return Request{}; }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE},
		{"plane 1 without plane 0",
		 [](Fixture &f) {
			 return Request{{{f.nv12.get(), 1, 4096, 64, LINEAR}}, 64, 64, NV12};
		 },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE},
		{"NV12 with one plane",
		 [](Fixture &f) { return Request{{{f.nv12.get(), 0, 0, 64, LINEAR}}, 64, 64, NV12}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE},
		{"XRGB8888 LINEAR with two planes",
		 [](Fixture &f) {
			 return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}, {f.xr24.get(), 1, 0, 256, LINEAR}}};
		 },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE},
		{"format not advertised",
		 [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}}, 64, 64, DRM_FORMAT_RGB565}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT},
		{"modifier not advertised",
		 [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, I915_FORMAT_MOD_X_TILED}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT},
		{"advertised format hbm cannot lay out (C8)",
		 [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}}, 64, 64, DRM_FORMAT_C8}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT},
		{"advertised reserved modifier",
		 [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, RESERVED}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT},
		{"planes with different modifiers",
		 [](Fixture &f) {
			 return Request{{{f.nv12.get(), 0, 0, 64, LINEAR}, {f.nv12.get(), 1, 4096, 64, INVALID}}, 64, 64, NV12};
		 },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT},
		{"width 0", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}}, 0, 64}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS},
		{"height 0", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}}, 64, 0}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS},
		{"height -64", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}}, 64, -64}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS},
		{"width 70000", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 280000, LINEAR}}, 70000, 1}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS},
		{"stride below a row", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 255, LINEAR}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
		{"offset 0xfffff000 and stride 0xffffffff",
		 [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0xfffff000u, 0xffffffffu, LINEAR}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
		{"offset past the end", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 16384, 256, LINEAR}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
		{"dma-buf 4096 bytes smaller than claimed",
		 [](Fixture &f) { return Request{{{f.small.get(), 0, 0, 256, LINEAR}}}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
		{"NV12 chroma plane past the end",
		 [](Fixture &f) {
			 return Request{{{f.nv12.get(), 0, 0, 64, LINEAR}, {f.nv12.get(), 1, 4097, 64, LINEAR}}, 64, 64, NV12};
		 },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
		{"a pipe", [](Fixture &f) { return Request{{{f.pipeRead.get(), 0, 0, 256, LINEAR}}}; }, std::nullopt},
		{"a memfd", [](Fixture &f) { return Request{{{f.memfd.get(), 0, 0, 256, LINEAR}}}; }, std::nullopt},
		{"Y_TILED planes in two buffers",
		 [](Fixture &f) {
			 return Request{{{f.nv12.get(), 0, 0, 128, Y_TILED}, {f.nv12b.get(), 1, 4096, 128, Y_TILED}}, 64, 32, NV12};
		 },
		 std::nullopt},
		{"unknown flag 8", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}}, 64, 64, XR24, 8}; },
		 ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT},
		{"interlaced", [](Fixture &f) { return Request{{{f.xr24.get(), 0, 0, 256, LINEAR}}, 64, 64, XR24, 2}; },
		 std::nullopt},
	};
	for (const Case &c : cases) {
		for (How how : {How::Create, How::CreateImmed}) {
			SCOPED_TRACE(std::string(c.what) + (how == How::Create ? " (create)" : " (create_immed)"));
			const Answer a = answer(c.request(*this), how);
			EXPECT_FALSE(a.created);
			if (c.error) {
				EXPECT_EQ(a.error, c.error);
				EXPECT_EQ(a.errorInterface, "zwp_linux_buffer_params_v1");
				EXPECT_FALSE(a.failed);
			} else if (how == How::Create) {
				EXPECT_TRUE(a.failed);
				EXPECT_EQ(a.error, std::nullopt);
			} else {
				EXPECT_EQ(a.error, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER));
			}
		}
	}
}

TEST_F(Malformed, UnadvertisedPairIsFailedBeforeVersionThreeAndFatalFrom)
{
	struct Pair {
		const char *what;
		Request request;
		const char *message;
	};
	const Pair unadvertised[] = {
		{"format not advertised", Request{{{xr24.get(), 0, 0, 128, LINEAR}}, 64, 64, DRM_FORMAT_RGB565},
		 "format RGB565 (RG16) with modifier LINEAR was not advertised"},
		{"modifier not advertised", Request{{{xr24.get(), 0, 0, 256, I915_FORMAT_MOD_X_TILED}}},
		 "format XRGB8888 (XR24) with modifier INTEL_X_TILED was not advertised"},
	};
	const Request advertised{{{xr24.get(), 0, 0, 256, LINEAR}}};
	for (uint32_t version = 1; version <= 4; ++version) {
		for (How how : {How::Create, How::CreateImmed}) {
			if (how == How::CreateImmed && version < ZWP_LINUX_BUFFER_PARAMS_V1_CREATE_IMMED_SINCE_VERSION)
				continue;
			const std::string request = how == How::Create ? "create" : "create_immed";
			// What every version was told it can have is made: only the pair decides.
			{
				SCOPED_TRACE("version " + std::to_string(version) + ", advertised pair (" + request + ")");
				const Answer a = answer(advertised, how, version);
				EXPECT_TRUE(a.created);
				EXPECT_EQ(a.error, std::nullopt) << a.errorMessage;
			}
			for (const Pair &pair : unadvertised) {
				SCOPED_TRACE("version " + std::to_string(version) + ", " + pair.what + " (" + request + ")");
				const Answer a = answer(pair.request, how, version);
				EXPECT_FALSE(a.created);
				if (version >= 3) {
					// Sent every pair (the modifier event): a client bug, fatal.
					EXPECT_FALSE(a.failed);
					EXPECT_EQ(a.error, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT));
					EXPECT_EQ(a.errorInterface, "zwp_linux_buffer_params_v1");
					EXPECT_EQ(a.errorMessage, pair.message);
				} else if (how == How::Create) {
					// Never sent a modifier: `failed`, and the client lives on (answer()'s
					// send() makes one more roundtrip on the same connection).
					EXPECT_TRUE(a.failed);
					EXPECT_EQ(a.error, std::nullopt) << a.errorMessage;
				} else {
					// create_immed's failure path, as for an import that failed.
					EXPECT_FALSE(a.failed);
					EXPECT_EQ(a.error, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER));
					EXPECT_EQ(a.errorInterface, "zwp_linux_buffer_params_v1");
					EXPECT_EQ(a.errorMessage, pair.message);
				}
			}
		}
	}
}

TEST_F(Malformed, BadDimensionsNameWhatTheClientSent)
{
	struct Size {
		int32_t width, height;
		const char *message;
	};
	const Size sizes[] = {
		{-5, 0, "import of -5x0 XRGB8888: width and height must be 1 to 65536"},
		{-5, 64, "import of -5x64 XRGB8888: width and height must be 1 to 65536"},
		{64, -2147483647 - 1, "import of 64x-2147483648 XRGB8888: width and height must be 1 to 65536"},
		{70000, 1, "import of 70000x1 XRGB8888: width and height must be 1 to 65536"},
	};
	for (const Size &size : sizes) {
		for (How how : {How::Create, How::CreateImmed}) {
			SCOPED_TRACE(std::to_string(size.width) + "x" + std::to_string(size.height) +
				     (how == How::Create ? " (create)" : " (create_immed)"));
			const Answer a = answer(Request{{{xr24.get(), 0, 0, 256, LINEAR}}, size.width, size.height}, how);
			EXPECT_FALSE(a.created);
			EXPECT_FALSE(a.failed);
			EXPECT_EQ(a.error, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS));
			EXPECT_EQ(a.errorInterface, "zwp_linux_buffer_params_v1");
			EXPECT_EQ(a.errorMessage, size.message);
		}
	}
}

TEST_F(Malformed, ParamsUsedTwice)
{
	const size_t before = openFdCount();
	for (How how : {How::Create, How::CreateImmed}) {
		SCOPED_TRACE(how == How::Create ? "create twice" : "create_immed, then add");
		Connection conn(options(), 4);
		zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(conn.client->dmabuf());
		wl_buffer *immed = nullptr;
		add(params, {xr24.get(), 0, 0, 256, LINEAR});
		if (how == How::Create) {
			// The first succeeds (its wl_buffer taken and destroyed), the second is refused.
			static const zwp_linux_buffer_params_v1_listener listener = {
				.created = [](void *, zwp_linux_buffer_params_v1 *, wl_buffer *b) { wl_buffer_destroy(b); },
				.failed = [](void *, zwp_linux_buffer_params_v1 *) { ADD_FAILURE() << "first create failed"; },
			};
			zwp_linux_buffer_params_v1_add_listener(params, &listener, nullptr);
			zwp_linux_buffer_params_v1_create(params, 64, 64, XR24, 0);
			EXPECT_EQ(conn.client->roundtrip(), 0);
			zwp_linux_buffer_params_v1_create(params, 64, 64, XR24, 0);
		} else {
			immed = zwp_linux_buffer_params_v1_create_immed(params, 64, 64, XR24, 0);
			add(params, {xr24.get(), 1, 0, 256, LINEAR});
		}
		EXPECT_EQ(conn.client->roundtrip(), -1);
		auto e = conn.client->protocolError();
		ASSERT_TRUE(e);
		EXPECT_EQ(e->first, "zwp_linux_buffer_params_v1");
		EXPECT_EQ(e->second, uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED));
		if (immed)
			wl_buffer_destroy(immed);
		zwp_linux_buffer_params_v1_destroy(params);
	}
	EXPECT_EQ(openFdCount(), before) << "descriptors now:" << openFdList();
}

TEST_F(Malformed, ValidBuffersBecomeBuffersThatGoWithTheirWlBuffer)
{
	const uint64_t standIns = dmaBufStandInAnswers();
	const size_t before = openFdCount();
	{
		Connection conn(options(), 4);
		// create: `created`, then the wl_buffer is destroyed by send().
		Answer a = send(*conn.client, {{{xr24.get(), 0, 0, 256, LINEAR}}, 64, 64, XR24, 1}, How::Create);
		EXPECT_TRUE(a.created);
		EXPECT_FALSE(a.failed);
		// create_immed of a two-plane NV12 in one stand-in.
		a = send(*conn.client, {{{nv12.get(), 0, 0, 64, LINEAR}, {nv12.get(), 1, 4096, 64, LINEAR}}, 64, 64, NV12},
			 How::CreateImmed);
		EXPECT_TRUE(a.created);
		auto created = conn.server->created();
		ASSERT_EQ(created.size(), 2u);
		EXPECT_EQ(created[0].flags, 1u);
		// Both wl_buffers were destroyed by the client: the server let their Buffers go.
		EXPECT_TRUE(created[0].buffer.expired());
		EXPECT_TRUE(created[1].buffer.expired());

		// A wl_buffer kept alive keeps its Buffer, which bufferOf() finds.
		zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(conn.client->dmabuf());
		add(params, {xr24.get(), 0, 0, 256, LINEAR});
		wl_buffer *kept = zwp_linux_buffer_params_v1_create_immed(params, 64, 64, XR24, 0);
		zwp_linux_buffer_params_v1_destroy(params);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		created = conn.server->created();
		ASSERT_EQ(created.size(), 3u);
		std::shared_ptr<Buffer> held = created[2].buffer.lock();
		ASSERT_TRUE(held);
		EXPECT_EQ(held->width(), 64u);
		EXPECT_EQ(held->format(), XR24);
		EXPECT_EQ(held->layout().planes[0].stride, 256u);
		std::shared_ptr<Buffer> found;
		conn.server->run([&] { found = wayland::LinuxDmabuf::bufferOf(created[2].resource); });
		EXPECT_EQ(found, held);
		found.reset();
		// A renderer that samples only its own device's memory (kms_swrast, LAB.md) is
		// refused this client memory by the core's one check, as data.
		Participant local = renderer();
		local.constraints.placement.localTo = kRenderDevice;
		auto attached = held->attach(local);
		ASSERT_FALSE(attached);
		ASSERT_TRUE(attached.error().refusal) << attached.error().message;
		EXPECT_EQ(attached.error().refusal->reason(), RejectReason::NotDeviceLocal) << attached.error().message;
		held.reset();
		wl_buffer_destroy(kept);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		EXPECT_TRUE(conn.server->created()[2].buffer.expired());
	}
	EXPECT_GT(dmaBufStandInAnswers(), standIns) << "the dma-buf stand-in was not consulted";
	EXPECT_EQ(openFdCount(), before) << "descriptors now:" << openFdList();
}

// --- Feedback -------------------------------------------------------------------------

TEST(Feedback, BuiltFromParticipants)
{
	auto f = wayland::Feedback::fromParticipants(renderer(), planes());
	ASSERT_TRUE(f) << f.error().message;
	EXPECT_EQ(f->mainDevice(), kRenderDevice);
	ASSERT_EQ(f->tranches().size(), 2u);
	// Scanout first: the primary plane's pairs the renderer also takes; the cursor is left out.
	const auto &scanout = f->tranches()[0];
	EXPECT_TRUE(scanout.scanout);
	EXPECT_EQ(scanout.targetDevice, kOtherDevice);
	FormatSet scanoutPairs;
	for (uint16_t i : scanout.indices)
		scanoutPairs.add(f->formatTable()[i].format, f->formatTable()[i].modifier);
	EXPECT_EQ(scanoutPairs, FormatSet({XR24, AR24}, {LINEAR}));
	const auto &render = f->tranches()[1];
	EXPECT_FALSE(render.scanout);
	EXPECT_EQ(render.targetDevice, kRenderDevice);
	FormatSet renderPairs;
	for (uint16_t i : render.indices)
		renderPairs.add(f->formatTable()[i].format, f->formatTable()[i].modifier);
	EXPECT_EQ(renderPairs, renderer().constraints.formats);
	EXPECT_EQ(f->formatTable().size(), renderer().constraints.formats.pairCount()); // no duplicates
	EXPECT_EQ(f->formatTableSize(), f->formatTable().size() * 16);
	const int seals = ::fcntl(f->formatTableFd(), F_GET_SEALS);
	EXPECT_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	EXPECT_EQ(::write(f->formatTableFd(), "x", 1), -1) << "the table must be sealed against writes";
}

TEST(Feedback, RefusesWhatCannotBeFeedback)
{
	Participant noDevice = declaredParticipant("renderer", FormatSet({XR24}, {LINEAR}));
	auto f = wayland::Feedback::fromParticipants(noDevice);
	ASSERT_FALSE(f);
	EXPECT_NE(f.error().message.find("names no DRM device"), std::string::npos) << f.error().message;
	// The same renderer with its device given works.
	EXPECT_TRUE(wayland::Feedback::fromParticipants(noDevice, {}, kRenderDevice));

	Participant empty = renderer();
	empty.constraints.formats = {};
	f = wayland::Feedback::fromParticipants(empty);
	ASSERT_FALSE(f);
	EXPECT_NE(f.error().message.find("takes no format"), std::string::npos) << f.error().message;

	const Participant notAPlane[] = {noDevice};
	f = wayland::Feedback::fromParticipants(renderer(), notAPlane);
	ASSERT_FALSE(f);
	EXPECT_NE(f.error().message.find("is not a KMS plane"), std::string::npos) << f.error().message;

	Participant huge = renderer();
	for (uint32_t m = 0; m < 70000; ++m)
		huge.constraints.formats.add(XR24, (uint64_t(DRM_FORMAT_MOD_VENDOR_INTEL) << 56) | m);
	f = wayland::Feedback::fromParticipants(huge);
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().code, E2BIG) << f.error().message;
}

TEST(Feedback, DefaultFeedbackOnTheWireEqualsWhatWasBuilt)
{
	const size_t before = openFdCount();
	{
		Connection conn(options(), 4);
		ASSERT_NE(conn.client->dmabuf(), nullptr);
		// Version 4 sends no format or modifier events.
		EXPECT_TRUE(conn.client->formatEvents.empty());
		EXPECT_TRUE(conn.client->modifierEvents.empty());
		ParsedFeedback parsed;
		auto *fb = zwp_linux_dmabuf_v1_get_default_feedback(conn.client->dmabuf());
		Client::listen(fb, &parsed);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		const wayland::Feedback built = feedback();
		EXPECT_EQ(parsed.dones, 1);
		EXPECT_EQ(parsed.mainDevice, built.mainDevice());
		EXPECT_EQ(parsed.table, std::vector<wayland::FormatTableEntry>(built.formatTable().begin(),
									       built.formatTable().end()));
		EXPECT_EQ(parsed.tranches, std::vector<wayland::FeedbackTranche>(built.tranches().begin(),
										 built.tranches().end()));
		EXPECT_EQ(parsed.tableSeals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
			  uint64_t(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));
		zwp_linux_dmabuf_feedback_v1_destroy(fb);
		ASSERT_EQ(conn.client->roundtrip(), 0);
	}
	EXPECT_EQ(openFdCount(), before) << "descriptors now:" << openFdList();
}

TEST(Feedback, SurfaceFeedbackFollowsWhatTheCompositorSets)
{
	const size_t before = openFdCount();
	{
		Connection conn(options(), 4);
		ASSERT_NE(conn.client->compositor(), nullptr);
		wl_surface *surface = wl_compositor_create_surface(conn.client->compositor());
		ParsedFeedback parsed;
		auto *fb = zwp_linux_dmabuf_v1_get_surface_feedback(conn.client->dmabuf(), surface);
		Client::listen(fb, &parsed);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		EXPECT_EQ(parsed.dones, 1);
		EXPECT_EQ(parsed.tranches.size(), 2u) << "the default feedback first";

		// The compositor moves the surface to a renderer-only feedback on another device.
		Participant other = renderer();
		other.identity = EglDisplayIdentity{kOtherDevice, "vgem"};
		other.constraints.formats = FormatSet({XR24}, {LINEAR});
		auto otherFeedback = wayland::Feedback::fromParticipants(other);
		ASSERT_TRUE(otherFeedback);
		ASSERT_EQ(conn.server->surfaces().size(), 1u);
		wl_resource *serverSurface = conn.server->surfaces()[0];
		conn.server->run([&] { EXPECT_TRUE(conn.server->dmabuf().setSurfaceFeedback(serverSurface, *otherFeedback)); });
		ASSERT_EQ(conn.client->roundtrip(), 0);
		EXPECT_EQ(parsed.dones, 2);
		EXPECT_EQ(parsed.mainDevice, kOtherDevice);
		ASSERT_EQ(parsed.tranches.size(), 1u);
		EXPECT_EQ(parsed.table, (std::vector<wayland::FormatTableEntry>{{XR24, LINEAR}}));

		// A feedback object made now gets the surface's feedback, not the default.
		ParsedFeedback later;
		auto *fb2 = zwp_linux_dmabuf_v1_get_surface_feedback(conn.client->dmabuf(), surface);
		Client::listen(fb2, &later);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		EXPECT_EQ(later.mainDevice, kOtherDevice);

		// A pair only the surface's feedback offers is accepted while it is offered.
		UniqueFd rg16 = makeDmaBufStandIn(64 * 64 * 2);
		Participant rgb565 = other;
		rgb565.constraints.formats = FormatSet({DRM_FORMAT_RGB565}, {LINEAR});
		auto rgb565Feedback = wayland::Feedback::fromParticipants(rgb565);
		ASSERT_TRUE(rgb565Feedback);
		conn.server->run([&] { EXPECT_TRUE(conn.server->dmabuf().setSurfaceFeedback(serverSurface, *rgb565Feedback)); });
		const Request rg16Request{{{rg16.get(), 0, 0, 128, LINEAR}}, 64, 64, DRM_FORMAT_RGB565};
		EXPECT_TRUE(send(*conn.client, rg16Request, How::Create).created);

		// Back to the default.
		conn.server->run([&] { EXPECT_TRUE(conn.server->dmabuf().setSurfaceFeedback(serverSurface, std::nullopt)); });
		ASSERT_EQ(conn.client->roundtrip(), 0);
		EXPECT_EQ(parsed.dones, 4);
		EXPECT_EQ(parsed.mainDevice, kRenderDevice);

		// Not a surface: refused by name.
		conn.server->run([&] {
			wl_resource *notSurface = nullptr;
			auto r = conn.server->dmabuf().setSurfaceFeedback(notSurface, std::nullopt);
			EXPECT_FALSE(r);
		});

		// The surface goes: its feedback objects become inert, nothing is sent or crashes.
		wl_surface_destroy(surface);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		zwp_linux_dmabuf_feedback_v1_destroy(fb);
		zwp_linux_dmabuf_feedback_v1_destroy(fb2);
		ASSERT_EQ(conn.client->roundtrip(), 0);
		EXPECT_EQ(parsed.dones, 4);

		// No feedback offers RGB565 any more: refused as not advertised (ends the client).
		EXPECT_EQ(send(*conn.client, rg16Request, How::Create).error,
			  uint32_t(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT));
	}
	EXPECT_EQ(openFdCount(), before) << "descriptors now:" << openFdList();
}

TEST(Feedback, VersionThreeClientsGetFormatAndModifierEvents)
{
	Connection conn(options(3), 3);
	ASSERT_NE(conn.client->dmabuf(), nullptr);
	const wayland::Feedback built = feedback();
	const FormatSet &formats = built.formats();
	EXPECT_EQ(conn.client->formatEvents, formats.formats());
	FormatSet fromEvents;
	for (const auto &e : conn.client->modifierEvents)
		EXPECT_TRUE(fromEvents.add(e.format, e.modifier)) << "pair sent twice";
	EXPECT_EQ(fromEvents, formats);
}

TEST(LinuxDmabuf, CreateRefusesBadOptions)
{
	wl_display *display = wl_display_create();
	auto o = options();
	o.version = 5;
	auto d = wayland::LinuxDmabuf::create(display, o);
	ASSERT_FALSE(d);
	EXPECT_NE(d.error().message.find("version 5"), std::string::npos) << d.error().message;
	o.version = 4;
	o.feedback = {};
	d = wayland::LinuxDmabuf::create(display, o);
	ASSERT_FALSE(d);
	EXPECT_NE(d.error().message.find("no feedback"), std::string::npos) << d.error().message;
	d = wayland::LinuxDmabuf::create(nullptr, options());
	EXPECT_FALSE(d);
	// Destroying the display first, then the global, is safe.
	d = wayland::LinuxDmabuf::create(display, options());
	ASSERT_TRUE(d);
	wl_display_destroy(display);
	d->reset();
}

// --- The fault import reports, read by value -----------------------------------------

TEST(ImportFault, CarriesTheKindAndTheValues)
{
	UniqueFd small = makeDmaBufStandIn(4096);
	ImportDesc desc{64, 64, XR24, LINEAR, {{small.get(), 0, 256}}};
	auto b = Buffer::import(desc);
	ASSERT_FALSE(b);
	ASSERT_TRUE(b.error().importFault);
	const ImportFault &f = *b.error().importFault;
	EXPECT_EQ(f.kind, ImportFaultKind::PlanePastEnd);
	EXPECT_EQ(f.plane, 0);
	EXPECT_EQ(f.value, 16384u);
	EXPECT_EQ(f.limit, 4096u);
	EXPECT_EQ(b.error().message,
		  "import of 64x64 XRGB8888: plane 0: offset 0 + 16384 bytes runs past the end of its 4096-byte dma-buf");

	desc.planes[0].stride = 100;
	b = Buffer::import(desc);
	ASSERT_FALSE(b);
	ASSERT_TRUE(b.error().importFault);
	EXPECT_EQ(b.error().importFault->kind, ImportFaultKind::StrideBelowRow);
	EXPECT_EQ(b.error().importFault->value, 100u);
	EXPECT_EQ(b.error().importFault->limit, 256u);
	EXPECT_STREQ(importFaultKindName(ImportFaultKind::StrideBelowRow), "stride below a row");
}

} // namespace
} // namespace hbm::test
