// SPDX-License-Identifier: MIT
// The guest side of the lab's screendump service (tests/lab/screendump-service.py says the
// protocol): a request file in the shared directory, an answer file back, a PPM parsed.
#include <hbm-test/pattern.hpp>
#include <hbm-test/screendump.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "base/error.hpp"

namespace hbm::test {

namespace {

/// A whole file's bytes.
Result<std::string> readFile(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return makeError(errno ? errno : ENOENT, "cannot read %s", path.c_str());
	std::ostringstream all;
	all << in.rdbuf();
	return all.str();
}

bool exists(const std::string &path)
{
	return ::access(path.c_str(), F_OK) == 0;
}

/// The next header token of a PPM: skips white space and # comments.
bool nextToken(std::string_view bytes, size_t *pos, std::string_view *token)
{
	size_t p = *pos;
	for (;;) {
		while (p < bytes.size() && std::strchr(" \t\r\n\v\f", bytes[p]) && bytes[p])
			++p;
		if (p < bytes.size() && bytes[p] == '#') {
			while (p < bytes.size() && bytes[p] != '\n')
				++p;
			continue;
		}
		break;
	}
	size_t start = p;
	while (p < bytes.size() && !std::strchr(" \t\r\n\v\f#", bytes[p]))
		++p;
	if (p == start)
		return false;
	*token = bytes.substr(start, p - start);
	*pos = p;
	return true;
}

bool parseNumber(std::string_view token, uint64_t *value)
{
	if (token.empty() || token.size() > 10)
		return false;
	uint64_t v = 0;
	for (char c : token) {
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + uint64_t(c - '0');
	}
	*value = v;
	return true;
}

} // namespace

Result<Image> parsePpm(std::string_view bytes)
{
	size_t pos = 0;
	std::string_view token;
	if (!nextToken(bytes, &pos, &token) || token != "P6")
		return makeError(EINVAL, "not a binary PPM: it starts with '%.*s', not P6",
				 int(std::min<size_t>(bytes.size(), 8)), bytes.data());
	uint64_t fields[3];
	const char *names[3] = {"width", "height", "maxval"};
	for (int i = 0; i < 3; ++i) {
		if (!nextToken(bytes, &pos, &token))
			return makeError(EINVAL, "PPM header ends before its %s", names[i]);
		if (!parseNumber(token, &fields[i]))
			return makeError(EINVAL, "PPM %s '%.*s' is not a number", names[i], int(std::min<size_t>(token.size(), 16)),
					 token.data());
	}
	const uint64_t width = fields[0], height = fields[1], maxval = fields[2];
	if (width == 0 || height == 0 || width > 65535 || height > 65535)
		return makeError(EINVAL, "PPM size %llux%llu is out of range (1 to 65535 each)",
				 static_cast<unsigned long long>(width), static_cast<unsigned long long>(height));
	if (maxval != 255)
		return makeError(EINVAL, "PPM maxval %llu: only 255 (8 bits per channel) is read",
				 static_cast<unsigned long long>(maxval));
	// Exactly one white-space byte separates the header from the pixels.
	if (pos >= bytes.size() || !std::strchr(" \t\r\n\v\f", bytes[pos]) || !bytes[pos])
		return makeError(EINVAL, "PPM header is not followed by white space and pixels");
	++pos;
	const uint64_t need = width * height * 3;
	const uint64_t have = bytes.size() - pos;
	if (have != need)
		return makeError(EINVAL, "PPM %llux%llu needs %llu bytes of pixels, the file has %llu",
				 static_cast<unsigned long long>(width), static_cast<unsigned long long>(height),
				 static_cast<unsigned long long>(need), static_cast<unsigned long long>(have));
	Image image;
	image.width = uint32_t(width);
	image.height = uint32_t(height);
	image.rgb.assign(bytes.begin() + pos, bytes.end());
	return image;
}

std::string screendumpServiceDir()
{
	const char *dir = std::getenv("HBM_LAB_SCREENDUMP_DIR");
	return dir ? dir : "";
}

Result<Image> screendump(const std::string &qemuDevice, int head, int timeoutMs)
{
	const std::string dir = screendumpServiceDir();
	if (dir.empty())
		return makeError(ENODEV, "no screendump of qemu device '%s': HBM_LAB_SCREENDUMP_DIR is not set "
				 "(not in the lab guest: tests/lab/run.sh sets it)", qemuDevice.c_str());
	return screendumpVia(dir, qemuDevice, head, timeoutMs);
}

Result<Image> screendumpVia(const std::string &serviceDir, const std::string &qemuDevice, int head,
			    int timeoutMs)
{
	if (!exists(serviceDir + "/ready"))
		return makeError(ENODEV, "no screendump service listens in %s (no 'ready' file)", serviceDir.c_str());
	if (qemuDevice.empty() || qemuDevice.find_first_of("\n=/") != std::string::npos || head < 0)
		return makeError(EINVAL, "'%s' head %d is not a qemu device id and head", qemuDevice.c_str(), head);

	// A name no other request of this guest has: the service may serve several processes.
	static std::atomic<unsigned> counter{0};
	const std::string name = serviceDir + "/" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
	{
		std::ofstream out(name + ".part", std::ios::trunc);
		out << "device=" << qemuDevice << "\nhead=" << head << "\n";
		if (!out.flush())
			return makeError(EIO, "cannot write the screendump request %s.part", name.c_str());
	}
	if (::rename((name + ".part").c_str(), (name + ".request").c_str()) != 0) {
		int err = errno;
		::unlink((name + ".part").c_str());
		return makeError(err, "cannot put the screendump request %s.request in place", name.c_str());
	}

	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
	for (;;) {
		if (exists(name + ".ppm")) {
			auto bytes = readFile(name + ".ppm");
			::unlink((name + ".ppm").c_str());
			if (!bytes)
				return bytes.error();
			auto image = parsePpm(*bytes);
			if (!image)
				return withContext(image.error(), "screendump of qemu device '" + qemuDevice + "'");
			return image;
		}
		if (exists(name + ".error")) {
			auto text = readFile(name + ".error");
			::unlink((name + ".error").c_str());
			std::string why = text ? *text : text.error().message;
			while (!why.empty() && (why.back() == '\n' || why.back() == '\r'))
				why.pop_back();
			return makeError(EIO, "no screendump of qemu device '%s' head %d: %s", qemuDevice.c_str(), head,
					 why.c_str());
		}
		if (std::chrono::steady_clock::now() > deadline) {
			::unlink((name + ".request").c_str());
			return makeError(ETIMEDOUT, "the screendump service in %s did not answer within %d ms (qemu device '%s')",
					 serviceDir.c_str(), timeoutMs, qemuDevice.c_str());
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
}

Result<void> compareWithScreen(const CpuAccess &access, const Layout &layout, const Image &screen)
{
	unsigned r, g, b;
	switch (layout.format) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		r = 16, g = 8, b = 0;
		break;
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		r = 0, g = 8, b = 16;
		break;
	default:
		return makeError(ENOTSUP, "no comparison with the screen for %s (32-bit RGB formats only)",
				 formatName(layout.format).c_str());
	}
	if (screen.width != layout.width || screen.height != layout.height)
		return makeError(EINVAL, "the screen is %ux%u, the buffer %ux%u", screen.width, screen.height, layout.width,
				 layout.height);
	auto plane = access.plane(0);
	const uint32_t stride = layout.planes[0].stride;
	if (plane.size() < uint64_t(stride) * layout.height)
		return makeError(EINVAL, "access does not cover a %ux%u image", layout.width, layout.height);
	PixelDiff diff;
	for (uint32_t y = 0; y < layout.height; ++y) {
		const auto *row = reinterpret_cast<const uint32_t *>(plane.data() + uint64_t(y) * stride);
		for (uint32_t x = 0; x < layout.width; ++x) {
			const uint32_t p = row[x];
			diff.add(x, y, screen.pixel(x, y), ((p >> r) & 0xff) << 16 | ((p >> g) & 0xff) << 8 | ((p >> b) & 0xff));
		}
	}
	return diff.result("on the screen differ from the buffer", "the buffer holds");
}

} // namespace hbm::test
