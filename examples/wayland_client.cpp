// SPDX-License-Identifier: MIT
// A Wayland client that lets hbm choose its buffers: it binds linux-dmabuf v4, reads the
// compositor's default feedback, turns each tranche into an hbm participant, negotiates one
// plan for a pool of buffers, draws a known pattern into them through hbm's CPU access and
// shows them fullscreen or in a window, paced by frame callbacks. With --shm it draws the
// same pattern into wl_shm buffers instead (the benchmark's baseline).
//
//   hbm-wayland-client [--fullscreen] [--frames N] [--size WxH] [--buffers N] [--shm]
//                      [--allocate-via-compositor] [--print-feedback] [--check-plane]
//                      [--check-plane-card /dev/dri/cardN] [--hold-ms MS]
//   hbm-wayland-client --readback-frame N --size WxH --card /dev/dri/cardN
//
// Prints the plan's trace, the parsed feedback (--print-feedback), frames per second and,
// after warm-up, how many wl_buffers and dma-bufs were made per frame (both should be 0).
// --check-plane reads the vkms card's planes back (root only) after the last frame and
// exits non-zero unless the last frame's pattern is on screen, pixel for pixel.
//
// libhbm-wayland reads the feedback, makes the participants (local to the compositor's
// main device where hbm's renderer table says so) and the wl_buffers.
//
// --allocate-via-compositor asks the compositor for the buffers instead (hbm_allocator_v1,
// served by hbm-weston.so): the client then opens no device at all, and only wraps the
// descriptors it receives in wl_buffers through the compositor's linux-dmabuf. It prints
// the dma-buf inode of each buffer, so that a readback can tell its buffer on a plane
// from a copy. --readback-frame N (root, no Wayland) looks for frame N's pattern of
// WxH on the planes of --card and says which plane, and which dma-buf, shows it.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>
#include <hbm/pool.hpp>
#include <hbm/wayland/allocator_client.hpp>
#include <hbm/wayland/client.hpp>

#include <wayland-client.h>

#include "plane_readback.hpp"
#include "xdg-shell-client-protocol.h"

namespace {

struct Options {
	bool fullscreen = false;
	bool shm = false;
	bool printFeedback = false;
	bool checkPlane = false;
	bool viaCompositor = false;
	int readbackFrame = -1;
	std::string card;
	unsigned frames = 60;
	unsigned warmup = 10;
	unsigned buffers = 3;
	uint32_t width = 256;
	uint32_t height = 256;
	unsigned holdMs = 0;
};

// The pattern: red = x, green = y, blue = the frame counter, so that every frame changes
// every pixel and a readback can both find the window and tell which frame it shows.
inline uint32_t patternPixel(uint32_t x, uint32_t y, uint32_t frame)
{
	return 0xff000000u | ((x & 0xff) << 16) | ((y & 0xff) << 8) | (frame & 0xff);
}

void drawPattern(uint8_t *base, uint32_t stride, uint32_t width, uint32_t height, uint32_t frame)
{
	for (uint32_t y = 0; y < height; ++y) {
		auto *row = reinterpret_cast<uint32_t *>(base + size_t(y) * stride);
		for (uint32_t x = 0; x < width; ++x)
			row[x] = patternPixel(x, y, frame);
	}
}

unsigned openFdCount()
{
	unsigned n = 0;
	if (DIR *d = opendir("/proc/self/fd")) {
		while (readdir(d))
			++n;
		closedir(d);
	}
	return n;
}

std::string devName(dev_t d) { return std::to_string(major(d)) + ":" + std::to_string(minor(d)); }

// The feedback type as DmabufClient::feedback() returns it (named Feedback, later
// DmabufFeedback, in libhbm-wayland's client API).
using ClientFeedback = std::remove_cvref_t<decltype(std::declval<const hbm::wayland::DmabufClient &>().feedback())>;

void printFeedback(const ClientFeedback &fb)
{
	printf("feedback: main device %s, %zu tranches\n", devName(fb.mainDevice).c_str(), fb.tranches.size());
	for (size_t i = 0; i < fb.tranches.size(); ++i) {
		const hbm::wayland::Tranche &t = fb.tranches[i];
		size_t pairs = 0;
		for (const auto &e : t.formats.entries())
			pairs += e.modifiers.size();
		printf("tranche %zu: target %s scanout %s pairs %zu\n", i, devName(t.targetDevice).c_str(),
		       t.scanout() ? "yes" : "no", pairs);
		// FormatSet keeps formats sorted: compare-feedback.py compares sets, not order.
		for (const auto &e : t.formats.entries())
			for (uint64_t modifier : e.modifiers)
				printf("tranche %zu pair 0x%08" PRIx32 " 0x%016" PRIx64 "\n", i, e.format, modifier);
	}
}

struct Client {
	Options opt;
	wl_display *display = nullptr;
	wl_compositor *compositor = nullptr;
	xdg_wm_base *wmBase = nullptr;
	uint32_t dmabufVersion = 0; // offered; libhbm-wayland binds it
	wl_shm *shm = nullptr;
	wl_surface *surface = nullptr;
	xdg_surface *xdgSurface = nullptr;
	xdg_toplevel *toplevel = nullptr;
	bool configured = false;
	bool closed = false;
	int32_t configuredWidth = 0;
	int32_t configuredHeight = 0;
	bool frameDone = true;
	unsigned wlBuffersCreated = 0;
	std::string failure;
};

void registryGlobal(void *data, wl_registry *registry, uint32_t name, const char *interface, uint32_t version)
{
	auto *c = static_cast<Client *>(data);
	if (!strcmp(interface, wl_compositor_interface.name))
		c->compositor = static_cast<wl_compositor *>(wl_registry_bind(registry, name, &wl_compositor_interface, 4));
	else if (!strcmp(interface, xdg_wm_base_interface.name))
		c->wmBase = static_cast<xdg_wm_base *>(wl_registry_bind(registry, name, &xdg_wm_base_interface, 1));
	else if (!strcmp(interface, "zwp_linux_dmabuf_v1"))
		c->dmabufVersion = version;
	else if (!strcmp(interface, wl_shm_interface.name))
		c->shm = static_cast<wl_shm *>(wl_registry_bind(registry, name, &wl_shm_interface, 1));
}

void registryRemove(void *, wl_registry *, uint32_t) {}
const wl_registry_listener registryListener = {registryGlobal, registryRemove};

void wmPing(void *, xdg_wm_base *base, uint32_t serial) { xdg_wm_base_pong(base, serial); }
const xdg_wm_base_listener wmListener = {wmPing};

void xdgConfigure(void *data, xdg_surface *surface, uint32_t serial)
{
	xdg_surface_ack_configure(surface, serial);
	static_cast<Client *>(data)->configured = true;
}
const xdg_surface_listener xdgSurfaceListener = {xdgConfigure};

void toplevelConfigure(void *data, xdg_toplevel *, int32_t w, int32_t h, wl_array *)
{
	auto *c = static_cast<Client *>(data);
	c->configuredWidth = w;
	c->configuredHeight = h;
}
void toplevelClose(void *data, xdg_toplevel *) { static_cast<Client *>(data)->closed = true; }
const xdg_toplevel_listener toplevelListener = {toplevelConfigure, toplevelClose};

void frameDoneCb(void *data, wl_callback *cb, uint32_t)
{
	static_cast<Client *>(data)->frameDone = true;
	wl_callback_destroy(cb);
}
const wl_callback_listener frameListener = {frameDoneCb};

// A buffer the compositor may hold: its wl_buffer is made once and reused every frame.
struct Slot {
	wl_buffer *wlBuffer = nullptr;
	bool busy = false;
	hbm::Lease lease;                // dma-buf path: held while the compositor has it
	std::shared_ptr<hbm::Buffer> allocated; // --allocate-via-compositor: the compositor's buffer
	const hbm::Buffer *key = nullptr; // which pool buffer (identity only: a reference
					  // beyond the lease would keep the pool from reusing it)
	uint8_t *shmData = nullptr;            // wl_shm path
	size_t shmSize = 0;
	uint32_t stride = 0;
	bool ownsWlBuffer = true;
	~Slot()
	{
		if (wlBuffer && ownsWlBuffer)
			wl_buffer_destroy(wlBuffer);
		if (shmData)
			munmap(shmData, shmSize);
	}
};

void bufferRelease(void *data, wl_buffer *)
{
	auto *slot = static_cast<Slot *>(data);
	slot->busy = false;
	slot->lease = {}; // back to the pool
}
const wl_buffer_listener bufferListener = {bufferRelease};

int fail(const std::string &what)
{
	fprintf(stderr, "hbm-wayland-client: %s\n", what.c_str());
	return 1;
}

bool parseArgs(int argc, char **argv, Options &o)
{
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		auto next = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
		if (a == "--fullscreen")
			o.fullscreen = true;
		else if (a == "--shm")
			o.shm = true;
		else if (a == "--print-feedback")
			o.printFeedback = true;
		else if (a == "--check-plane")
			o.checkPlane = true;
		else if (a == "--allocate-via-compositor")
			o.viaCompositor = true;
		else if (a == "--readback-frame") {
			const char *v = next();
			if (!v)
				return false;
			o.readbackFrame = int(strtoul(v, nullptr, 10));
		} else if (a == "--check-plane-card") { // --check-plane on this card (wl_shm too)
			const char *v = next();
			if (!v)
				return false;
			o.checkPlane = true;
			o.card = v;
		} else if (a == "--card") {
			const char *v = next();
			if (!v)
				return false;
			o.card = v;
		}
		else if (a == "--frames" || a == "--buffers" || a == "--warmup" || a == "--hold-ms") {
			const char *v = next();
			if (!v)
				return false;
			unsigned n = strtoul(v, nullptr, 10);
			(a == "--frames" ? o.frames : a == "--buffers" ? o.buffers : a == "--warmup" ? o.warmup : o.holdMs) = n;
		} else if (a == "--size") {
			const char *v = next();
			if (!v || sscanf(v, "%ux%u", &o.width, &o.height) != 2)
				return false;
		} else
			return false;
	}
	if (o.readbackFrame >= 0)
		return !o.card.empty() && o.width && o.height;
	return o.frames > o.warmup && !(o.shm && o.viaCompositor) && o.buffers >= 1 && o.buffers <= 8 && o.width && o.height &&
	       o.width <= 8192 && o.height <= 8192;
}

} // namespace

int main(int argc, char **argv)
{
	Client c;
	if (!parseArgs(argc, argv, c.opt))
		return fail("usage: hbm-wayland-client [--fullscreen] [--shm | --allocate-via-compositor] "
			    "[--frames N>warmup] [--warmup N] [--buffers 1-8] [--size WxH] [--print-feedback] "
			    "[--check-plane] [--hold-ms MS]\n"
			    "       hbm-wayland-client --readback-frame N --size WxH --card /dev/dri/cardN");
	const Options &opt = c.opt;
	if (opt.readbackFrame >= 0) {
		const uint32_t frame = uint32_t(opt.readbackFrame);
		auto found = hbm::lab::findOnPlanes(opt.card, opt.width, opt.height,
						    [frame](uint32_t x, uint32_t y) { return patternPixel(x, y, frame); },
						    5000);
		printf("readback: %s\n", found.description.c_str());
		return found.matched ? 0 : 2;
	}

	c.display = wl_display_connect(nullptr);
	if (!c.display)
		return fail(std::string("cannot connect to the Wayland display: ") + strerror(errno));
	wl_registry *registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registryListener, &c);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.wmBase)
		return fail("the compositor lacks wl_compositor or xdg_wm_base");
	if (!opt.shm && c.dmabufVersion < 4)
		return fail("the compositor offers no zwp_linux_dmabuf_v1 version 4 (feedback); see docs/compositors.md");
	if (opt.shm && !c.shm)
		return fail("the compositor offers no wl_shm");
	xdg_wm_base_add_listener(c.wmBase, &wmListener, &c);

	// Feedback → participants → plan, by libhbm-wayland.
	std::optional<hbm::Plan> plan;
	std::shared_ptr<hbm::Context> context;
	std::unique_ptr<hbm::wayland::DmabufClient> dmabuf;
	std::string mainNode;
	if (!opt.shm) {
		// Asking the compositor for buffers, the client opens no device: a context of
		// nothing (memfd), for the imports; else every device this machine lets it open.
		auto ctx = opt.viaCompositor ? hbm::Context::create(hbm::ContextOptions{}) : hbm::Context::create();
		if (!ctx)
			return fail("hbm context: " + ctx.error().toString());
		context = *ctx;
		auto client = hbm::wayland::DmabufClient::create(c.display, context);
		if (!client)
			return fail("linux-dmabuf: " + client.error().toString());
		dmabuf = std::move(*client);
		const auto &main = dmabuf->mainDevice();
		if (opt.printFeedback)
			printFeedback(dmabuf->feedback());
		mainNode = main.node;
		printf("compositor main device %s: %s (driver %s), linux-dmabuf v%u\n",
		       devName(dmabuf->feedback().mainDevice).c_str(), main.node.empty() ? "no node" : main.node.c_str(),
		       main.kernelDriver.empty() ? "unknown" : main.kernelDriver.c_str(), dmabuf->version());
	}

	c.surface = wl_compositor_create_surface(c.compositor);
	c.xdgSurface = xdg_wm_base_get_xdg_surface(c.wmBase, c.surface);
	xdg_surface_add_listener(c.xdgSurface, &xdgSurfaceListener, &c);
	c.toplevel = xdg_surface_get_toplevel(c.xdgSurface);
	xdg_toplevel_add_listener(c.toplevel, &toplevelListener, &c);
	xdg_toplevel_set_title(c.toplevel, "hbm-wayland-client");
	if (opt.fullscreen)
		xdg_toplevel_set_fullscreen(c.toplevel, nullptr);
	wl_surface_commit(c.surface);
	while (!c.configured && wl_display_dispatch(c.display) >= 0) {
	}
	if (!c.configured)
		return fail("the surface was never configured");
	uint32_t width = opt.width, height = opt.height;
	if (c.configuredWidth > 0 && c.configuredHeight > 0) {
		width = uint32_t(c.configuredWidth);
		height = uint32_t(c.configuredHeight);
	}
	printf("surface %ux%u (%s, configured %dx%d)\n", width, height, opt.fullscreen ? "fullscreen" : "windowed",
	       c.configuredWidth, c.configuredHeight);

	std::vector<std::unique_ptr<Slot>> slots;
	std::shared_ptr<hbm::BufferPool> pool;
	const unsigned fdsBefore = openFdCount();
	std::unique_ptr<hbm::wayland::AllocatorClient> allocator;
	if (opt.viaCompositor) {
		auto a = hbm::wayland::AllocatorClient::create(c.display);
		if (!a)
			return fail("hbm_allocator_v1: " + a.error().toString());
		allocator = std::move(*a);
		hbm::Request request;
		request.width = width;
		request.height = height;
		request.formats = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888};
		request.usage = hbm::UsageCpuWrite | (opt.fullscreen ? uint32_t(hbm::UsageScanout) : 0u);
		hbm::wayland::AllocatorClient::Options ask;
		ask.count = opt.buffers;
		ask.surface = c.surface;
		auto answer = allocator->allocate(request, ask);
		if (!answer)
			return fail("the compositor's allocation: " + answer.error().toString());
		printf("compositor allocated: %u x %s modifier 0x%016" PRIx64 " from %s\n", opt.buffers,
		       hbm::formatName(answer->choice.format).c_str(), answer->choice.modifier,
		       answer->choice.allocator.c_str());
		printf("dma-buf inodes:");
		for (auto &buffer : answer->buffers) {
			struct stat st;
			printf(" %llu", fstat(buffer->planeFd(0).get(), &st) == 0 ? (unsigned long long)st.st_ino : 0ull);
			slots.push_back(std::make_unique<Slot>());
			slots.back()->allocated = buffer;
		}
		printf("\n");
	} else if (!opt.shm) {
		hbm::Request request;
		request.width = width;
		request.height = height;
		request.formats = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888};
		request.usage = hbm::UsageTexture | hbm::UsageCpuWrite | (opt.fullscreen ? uint32_t(hbm::UsageScanout) : 0u);
		auto negotiated = dmabuf->negotiate(request);
		if (!negotiated)
			return fail("negotiation: " + negotiated.error().toString());
		plan = *negotiated;
		printf("plan: %s modifier 0x%016" PRIx64 " allocator %s localTo %s\n",
		       hbm::formatName(plan->format()).c_str(), plan->modifier(), plan->allocator().c_str(),
		       plan->placement().localTo ? devName(plan->placement().localTo).c_str() : "any");
		for (const auto &line : plan->trace())
			printf("trace: %s\n", line.c_str());
		// The pool negotiates again for the participants the plan was made for (the tranche
		// that could be served), and checks every buffer it makes against them.
		auto p = hbm::BufferPool::create(context, request, plan->participants(), opt.buffers);
		if (!p)
			return fail("pool: " + p.error().toString());
		pool = *p;
	}
	if (opt.shm) {
		for (unsigned i = 0; i < opt.buffers; ++i)
			slots.push_back(std::make_unique<Slot>());
	}

	// A free slot, or null when the compositor holds every buffer. A dma-buf slot is the
	// pool's buffer behind a fresh lease: the pool hands out its buffers in any order, so
	// slots are found by buffer, made (with their wl_buffer) the first time one shows up.
	auto freeSlot = [&]() -> Slot * {
		if (opt.shm || allocator) {
			auto it = std::find_if(slots.begin(), slots.end(), [](const auto &s) { return !s->busy; });
			return it == slots.end() ? nullptr : it->get();
		}
		if (pool->leased() >= opt.buffers)
			return nullptr;
		auto lease = pool->acquire();
		if (!lease) {
			c.failure = "pool: " + lease.error().toString();
			return nullptr;
		}
		auto it = std::find_if(slots.begin(), slots.end(),
				       [&](const auto &s) { return s->key == lease->buffer().get(); });
		if (it == slots.end()) {
			slots.push_back(std::make_unique<Slot>());
			it = slots.end() - 1;
			(*it)->key = lease->buffer().get();
		}
		(*it)->lease = std::move(*lease);
		return it->get();
	};

	// Makes the slot's wl_buffer the first time the slot is used.
	auto prepare = [&](Slot &slot) -> bool {
		if (slot.wlBuffer)
			return true;
		if (opt.shm) {
			slot.stride = width * 4;
			slot.shmSize = size_t(slot.stride) * height;
			hbm::UniqueFd fd(memfd_create("hbm-wayland-client-shm", MFD_CLOEXEC));
			if (!fd || ftruncate(fd.get(), off_t(slot.shmSize)) != 0) {
				c.failure = std::string("shm memory: ") + strerror(errno);
				return false;
			}
			void *map = mmap(nullptr, slot.shmSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
			if (map == MAP_FAILED) {
				c.failure = std::string("shm mmap: ") + strerror(errno);
				return false;
			}
			slot.shmData = static_cast<uint8_t *>(map);
			wl_shm_pool *shmPool = wl_shm_create_pool(c.shm, fd.get(), int32_t(slot.shmSize));
			slot.wlBuffer = wl_shm_pool_create_buffer(shmPool, 0, int32_t(width), int32_t(height),
								  int32_t(slot.stride), WL_SHM_FORMAT_XRGB8888);
			wl_shm_pool_destroy(shmPool);
			wl_buffer_add_listener(slot.wlBuffer, &bufferListener, &slot);
			++c.wlBuffersCreated;
			return true;
		}
		auto made = dmabuf->wlBuffer(slot.allocated ? slot.allocated : slot.lease.buffer());
		if (!made) {
			c.failure = "wl_buffer: " + made.error().toString();
			return false;
		}
		slot.wlBuffer = *made;
		slot.ownsWlBuffer = false; // libhbm-wayland's: destroyed with the buffer
		wl_buffer_add_listener(slot.wlBuffer, &bufferListener, &slot);
		return true;
	};
	// wl_buffers made: libhbm-wayland's counter for dma-bufs, ours for wl_shm.
	auto wlBuffersMade = [&]() -> uint64_t { return dmabuf ? dmabuf->wlBuffersCreated() : c.wlBuffersCreated; };

	auto draw = [&](Slot &slot, uint32_t frame) -> bool {
		if (opt.shm) {
			drawPattern(slot.shmData, slot.stride, width, height, frame);
			return true;
		}
		auto access = (slot.allocated ? slot.allocated.get() : slot.lease.buffer().get())
				      ->beginCpuAccess(hbm::CpuAccessMode::Write);
		if (!access) {
			c.failure = "CPU access: " + access.error().toString();
			return false;
		}
		drawPattern(access->plane(0).data(), access->stride(0), width, height, frame);
		if (auto ended = access->end(); !ended) {
			c.failure = "end of CPU access: " + ended.error().toString();
			return false;
		}
		return true;
	};

	using Clock = std::chrono::steady_clock;
	Clock::time_point warmStart;
	uint64_t wlBuffersAtWarm = 0;
	unsigned fdsAtWarm = 0;
	size_t poolAtWarm = 0;
	for (uint32_t frame = 0; frame < opt.frames && c.failure.empty() && !c.closed;) {
		while (!c.frameDone) {
			if (wl_display_dispatch(c.display) < 0)
				return fail("the compositor closed the connection (did it crash?)");
		}
		Slot *free = freeSlot();
		if (!c.failure.empty())
			break;
		if (!free) {
			if (wl_display_dispatch(c.display) < 0)
				return fail("the compositor closed the connection (did it crash?)");
			continue;
		}
		Slot &slot = *free;
		if (frame == opt.warmup) {
			warmStart = Clock::now();
			wlBuffersAtWarm = wlBuffersMade();
			fdsAtWarm = openFdCount();
			poolAtWarm = pool ? pool->size() : 0;
		}
		if (!prepare(slot) || !draw(slot, frame))
			break;
		slot.busy = true;
		wl_surface_attach(c.surface, slot.wlBuffer, 0, 0);
		wl_surface_damage(c.surface, 0, 0, int32_t(width), int32_t(height));
		c.frameDone = false;
		wl_callback *cb = wl_surface_frame(c.surface);
		wl_callback_add_listener(cb, &frameListener, &c);
		wl_surface_commit(c.surface);
		wl_display_flush(c.display);
		++frame;
	}
	if (!c.failure.empty())
		return fail(c.failure);
	// The last frame is on screen once its callback has come.
	while (!c.frameDone) {
		if (wl_display_dispatch(c.display) < 0)
			return fail("the compositor closed the connection (did it crash?)");
	}
	const double seconds = std::chrono::duration<double>(Clock::now() - warmStart).count();
	const unsigned measured = opt.frames - opt.warmup;
	printf("frames: %u after %u warm-up in %.3f s: %.2f fps (%s)\n", measured, opt.warmup, seconds,
	       measured / seconds, opt.shm ? "wl_shm" : "hbm dma-buf");
	printf("after warm-up: wl_buffers created %" PRIu64 ", dma-bufs created %zu, fds opened %d over %u frames\n",
	       wlBuffersMade() - wlBuffersAtWarm, pool ? pool->size() - poolAtWarm : 0,
	       int(openFdCount()) - int(fdsAtWarm), measured);
	printf("totals: wl_buffers %" PRIu64 ", pool buffers %zu, fds held beyond start %d\n", wlBuffersMade(),
	       pool ? pool->size() : 0, int(openFdCount()) - int(fdsBefore));

	printf("last frame shown: %u\n", opt.frames - 1);
	fflush(stdout);
	int status = 0;
	if (opt.checkPlane) {
		if (!opt.card.empty())
			mainNode = opt.card;
		if (mainNode.empty())
			return fail("--check-plane needs the compositor's main device node (dma-buf mode) or --check-plane-card");
		const uint32_t last = opt.frames - 1;
		auto found = hbm::lab::findOnPlanes(mainNode, width, height,
						    [last](uint32_t x, uint32_t y) { return patternPixel(x, y, last); },
						    5000);
		printf("readback: %s\n", found.description.c_str());
		fflush(stdout); // a script may wait for this line while the client holds its frame
		status = found.matched ? 0 : 2;
	}
	if (opt.holdMs)
		usleep(opt.holdMs * 1000);

	slots.clear();
	pool.reset();
	allocator.reset();
	dmabuf.reset();
	xdg_toplevel_destroy(c.toplevel);
	xdg_surface_destroy(c.xdgSurface);
	wl_surface_destroy(c.surface);
	wl_display_roundtrip(c.display);
	wl_display_disconnect(c.display);
	return status;
}
