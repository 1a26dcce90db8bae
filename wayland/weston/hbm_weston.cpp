// SPDX-License-Identifier: MIT
// hbm-weston.so: a Weston 10 frontend module that offers hbm_allocator_v1, so that clients
// without device access get buffers that Weston's renderer can composite and its display
// can scan out. Load it with `weston --modules=hbm-weston.so` or `[core] modules=` in
// weston.ini. What it learns from Weston, and how (docs/compositors.md):
//   - the renderer: the EGL display Weston's GL renderer made current on this thread
//     (libweston 10 has no public accessor for it), read by libhbm-egl: formats, device,
//     and whether it samples only its own device's memory;
//   - the display: that EGL device's DRM node, opened here without DRM master (Weston holds
//     it) to read the planes, and used for dumb and GBM buffers;
//   - quotas: its own `[hbm]` section of weston.ini (wet_get_config).
// Everything else is libhbm-wayland's AllocatorServer.
#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <libweston/config-parser.h>
#include <libweston/libweston.h>
#include <weston.h>

#include <hbm/allocator.hpp>
#include <hbm/context.hpp>
#include <hbm/egl/display.hpp>
#include <hbm/kms.hpp>
#include <hbm/log.hpp>
#include <hbm/unique_fd.hpp>
#include <hbm/wayland/allocator_server.hpp>

namespace {

/// Everything the module holds, freed with the compositor.
struct Module {
	wl_listener destroyed{};
	hbm::UniqueFd drmFd;
	std::shared_ptr<hbm::Context> context;
	hbm::Participant renderer;
	std::vector<hbm::Participant> planes;
	std::unique_ptr<hbm::wayland::AllocatorServer> server;
};

/// One `[hbm]` key of weston.ini: a whole number from @min to @max, else the default and
/// a log line naming the key and what was wrong with it.
uint64_t configNumber(weston_config_section *section, const char *key, uint64_t fallback, uint64_t min, uint64_t max)
{
	char *text = nullptr;
	if (!section || weston_config_section_get_string(section, key, &text, nullptr) < 0 || !text)
		return fallback;
	errno = 0;
	char *end = nullptr;
	const unsigned long long value = std::strtoull(text, &end, 10);
	const bool number = end != text && *end == '\0' && errno == 0 && text[0] != '-';
	if (!number || value < min || value > max) {
		weston_log("hbm: [hbm] %s='%s' is not a whole number from %" PRIu64 " to %" PRIu64 "; using %" PRIu64 "\n",
			   key, text, min, max, fallback);
		std::free(text);
		return fallback;
	}
	std::free(text);
	return value;
}

void logToWeston(hbm::LogLevel level, std::string_view category, const std::string &message)
{
	const char *name = level == hbm::LogLevel::Error ? "error" : level == hbm::LogLevel::Warn ? "warning" : "";
	weston_log("hbm %.*s%s%s: %s\n", int(category.size()), category.data(), *name ? " " : "", name, message.c_str());
}

/// The dma-heaps this machine has, by name (system, the CMA area's …).
std::vector<std::string> heapNames()
{
	std::vector<std::string> names;
	std::error_code ec;
	for (const auto &entry : std::filesystem::directory_iterator("/dev/dma_heap", ec))
		names.push_back(entry.path().filename());
	return names;
}

/// The formats Weston's renderer imports with no modifier listed (eglQueryDmaBufModifiersEXT
/// gives none): Weston's linux-dmabuf then takes them only as DRM_FORMAT_MOD_INVALID, and
/// hbm-egl's participant reads that implicit layout as linear.
std::vector<uint32_t> implicitOnlyFormats(EGLDisplay display)
{
	using QueryFormats = EGLBoolean (*)(EGLDisplay, EGLint, EGLint *, EGLint *);
	using QueryModifiers = EGLBoolean (*)(EGLDisplay, EGLint, EGLint, EGLuint64KHR *, EGLBoolean *, EGLint *);
	auto formats = reinterpret_cast<QueryFormats>(eglGetProcAddress("eglQueryDmaBufFormatsEXT"));
	auto modifiers = reinterpret_cast<QueryModifiers>(eglGetProcAddress("eglQueryDmaBufModifiersEXT"));
	std::vector<uint32_t> out;
	EGLint count = 0;
	if (!formats || !modifiers || !formats(display, 0, nullptr, &count) || count <= 0)
		return out;
	std::vector<EGLint> list(static_cast<size_t>(count));
	if (!formats(display, count, list.data(), &count))
		return out;
	for (EGLint f : list) {
		EGLint n = 0;
		if (modifiers(display, f, 0, nullptr, nullptr, &n) && n == 0)
			out.push_back(uint32_t(f));
	}
	return out;
}

void moduleDestroyed(wl_listener *listener, void *)
{
	Module *m = wl_container_of(listener, m, destroyed);
	// Out of the compositor's destroy signal before the memory goes: a listener after us
	// that removes itself would otherwise write into a freed node (heap corruption, seen as
	// "free(): corrupted unsorted chunks" when Weston stopped).
	wl_list_remove(&listener->link);
	delete m;
	// Weston's log goes away after its compositor: buffers that clients still hold are
	// freed later (with the clients, in wl_display_destroy()), and must not log into it.
	hbm::setLogHandler(nullptr);
}

/// What a request's buffers must suit on Weston's side: the renderer always (it composites
/// every buffer that is not on a plane), and the primary (or cursor) plane when asked.
hbm::Result<std::vector<hbm::Participant>> participantsFor(const Module &m, const hbm::wayland::AllocationQuery &q)
{
	std::vector<hbm::Participant> out{m.renderer};
	const bool cursor = q.request.usage & hbm::UsageCursor;
	const bool scanout = q.request.usage & hbm::UsageScanout;
	for (const hbm::Participant &p : m.planes)
		if ((cursor && p.isPlane(hbm::PlaneType::Cursor)) || (scanout && !cursor && p.isPlane(hbm::PlaneType::Primary))) {
			out.push_back(p);
			break;
		}
	return out;
}

int start(weston_compositor *compositor)
{
	// The renderer: Weston's GL renderer made its display current on this thread.
	EGLDisplay display = eglGetCurrentDisplay();
	if (display == EGL_NO_DISPLAY) {
		weston_log("hbm: not offering hbm_allocator_v1: no EGL display is current (Weston's renderer is not "
			   "GL; its pixman renderer takes no dma-bufs)\n");
		return 0;
	}
	auto info = hbm::egl::queryDisplay(display);
	if (!info) {
		weston_log("hbm: not offering hbm_allocator_v1: %s\n", info.error().message.c_str());
		return 0;
	}
	if (info->deviceFile.empty()) {
		weston_log("hbm: not offering hbm_allocator_v1: EGL names no DRM device for Weston's renderer (%s)\n",
			   info->mesaDriver.c_str());
		return 0;
	}

	auto m = std::make_unique<Module>();
	// Weston holds DRM master on its own file of this device; this one never asks for it.
	m->drmFd = hbm::UniqueFd(::open(info->deviceFile.c_str(), O_RDWR | O_CLOEXEC));
	if (!m->drmFd) {
		weston_log("hbm: not offering hbm_allocator_v1: cannot open %s: %s\n", info->deviceFile.c_str(),
			   std::strerror(errno));
		return 0;
	}
	hbm::ContextOptions options;
	options.drmFds = {m->drmFd.get()};
	options.heaps = heapNames();
	options.udmabuf = ::access("/dev/udmabuf", R_OK | W_OK) == 0;
	auto context = hbm::Context::create(options);
	if (!context) {
		weston_log("hbm: not offering hbm_allocator_v1: %s\n", context.error().message.c_str());
		return 0;
	}
	m->context = *context;

	hbm::egl::ParticipantOptions rendererOptions;
	rendererOptions.use = hbm::egl::DisplayUse::Sampling;
	rendererOptions.drmFd = m->drmFd.get();
	rendererOptions.config = &m->context->config();
	auto renderer = hbm::egl::displayParticipant(display, rendererOptions);
	if (!renderer) {
		weston_log("hbm: not offering hbm_allocator_v1: %s\n", renderer.error().message.c_str());
		return 0;
	}
	m->renderer = *renderer;
	if (auto kms = hbm::KmsDevice::fromFd(m->drmFd.get())) {
		auto planes = (*kms)->planeParticipants(*m->context);
		if (planes)
			m->planes = *planes;
		else
			weston_log("hbm: no planes of %s (%s): scan-out is not negotiated\n", info->deviceFile.c_str(),
				   planes.error().message.c_str());
	} else {
		weston_log("hbm: %s has no KMS (%s): scan-out is not negotiated\n", info->deviceFile.c_str(),
			   kms.error().message.c_str());
	}

	weston_config_section *section = weston_config_get_section(wet_get_config(compositor), "hbm", nullptr, nullptr);
	hbm::wayland::AllocatorServerOptions serverOptions;
	serverOptions.context = m->context;
	const uint64_t maxBuffers = configNumber(section, "max-buffers", 64, 1, 4096);
	const uint64_t maxMiB = configNumber(section, "max-memory-mb", 512, 1, 1u << 20);
	serverOptions.quota.maxBuffers = uint32_t(maxBuffers);
	serverOptions.quota.maxBytes = maxMiB << 20;
	serverOptions.quota.buffersSetBy = "Weston's [hbm] max-buffers";
	serverOptions.quota.bytesSetBy = "Weston's [hbm] max-memory-mb";
	serverOptions.implicitOnlyFormats = implicitOnlyFormats(display);
	const Module *self = m.get();
	serverOptions.participantsFor = [self](const hbm::wayland::AllocationQuery &q) { return participantsFor(*self, q); };
	auto server = hbm::wayland::AllocatorServer::create(compositor->wl_display, std::move(serverOptions));
	if (!server) {
		weston_log("hbm: not offering hbm_allocator_v1: %s\n", server.error().message.c_str());
		return 0;
	}
	m->server = std::move(*server);
	weston_log("hbm: offering hbm_allocator_v1: renderer %s on %s, %zu planes, quota %" PRIu64 " buffers and %" PRIu64
		   " MiB per client; allocators:",
		   info->mesaDriver.c_str(), info->deviceFile.c_str(), m->planes.size(), maxBuffers, maxMiB);
	for (const hbm::AllocatorInfo &a : m->context->allocators())
		weston_log_continue(" %s", a.name.c_str());
	weston_log_continue("\n");
	weston_log("hbm: renderer: %s\n", m->renderer.source.c_str());

	Module *owned = m.release();
	weston_compositor_add_destroy_listener_once(compositor, &owned->destroyed, moduleDestroyed);
	return 0;
}

} // namespace

extern "C" WL_EXPORT int wet_module_init(weston_compositor *compositor, int *, char *[])
{
	hbm::setLogHandler(logToWeston);
	return start(compositor);
}
