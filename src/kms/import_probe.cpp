// SPDX-License-Identifier: MIT
#include "import_probe.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <sys/sysmacros.h>

#include <xf86drm.h>

#include "base/error.hpp"
#include "base/log.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

LogCategory logProbe("kms");


std::mutex cacheMutex;
std::map<dev_t, ImportProbe> cache; // conclusive answers only

} // namespace

ForeignImport classifyImportError(int error)
{
	switch (error) {
	case 0:
		return ForeignImport::Importable;
	// The machine or the file's rights, not the device: ask again another time.
	case ENOMEM:
	case EINTR:
	case EAGAIN:
	case EMFILE:
	case ENFILE:
	case EACCES:
	case EPERM:
	case EBADF:
		return ForeignImport::Unknown;
	default:
		return ForeignImport::OwnMemoryOnly;
	}
}

ImportProbe probeForeignImport(const PrimeImportFn &import, const GemCloseFn &close, const ForeignPageFn &makePage)
{
	const auto start = std::chrono::steady_clock::now();
	ImportProbe probe;
	auto elapsed = [&] {
		return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
					.count());
	};
	auto page = makePage();
	if (!page) {
		probe.how = "no foreign exporter to probe with (" + page.error().message + ")";
		probe.microseconds = elapsed();
		return probe;
	}
	uint32_t handle = 0;
	const int ret = import(page->fd.get(), &handle);
	if (ret == 0)
		close(handle); // a new object's handle: nobody else can hold it
	probe.error = -ret;
	probe.answer = classifyImportError(-ret);
	const std::string what = "PRIME import of a one-page " + page->exporter + " buffer";
	const char *name = ret ? strerrorname_np(-ret) : nullptr;
	probe.how = ret == 0 ? what + " worked"
			     : what + stringf(" refused with %s (%s)", name ? name : "an unnamed errno", strerror(-ret));
	page->fd = SharedFd();
	probe.microseconds = elapsed();
	return probe;
}

ImportProbe foreignImportOf(int drmFd, dev_t device, const ForeignPageFn &makePage)
{
	{
		std::lock_guard lock(cacheMutex);
		if (auto it = cache.find(device); it != cache.end())
			return it->second;
	}
	ImportProbe probe = probeForeignImport(
		[drmFd](int dmabufFd, uint32_t *handle) { return drmPrimeFDToHandle(drmFd, dmabufFd, handle) ? -errno : 0; },
		[drmFd](uint32_t handle) { drmCloseBufferHandle(drmFd, handle); }, makePage);
	HBM_LOG(logProbe, Debug, "foreign import on DRM device %u:%u: %s, in %llu us", major(device), minor(device),
		probe.how.c_str(), (unsigned long long)probe.microseconds);
	if (probe.answer != ForeignImport::Unknown) {
		std::lock_guard lock(cacheMutex);
		cache.emplace(device, probe);
	}
	return probe;
}

ImportProbe knownForeignImport(dev_t device)
{
	std::lock_guard lock(cacheMutex);
	auto it = cache.find(device);
	return it != cache.end() ? it->second : ImportProbe{};
}

} // namespace hbm
