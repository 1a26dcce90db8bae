// SPDX-License-Identifier: MIT
#include <hbm/format.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include "base/string_format.hpp"
#include "format_private.hpp"

namespace hbm {

namespace {

// Layouts as drm_fourcc.h defines them. Packed 4:2:2 (YUYV …) stores two pixels in a
// 4-byte block; semi-planar chroma (NV12 …) stores Cb and Cr side by side (2 bytes, or 4
// for the 16-bit P01x) per subsampled sample.
constexpr PlaneFormat p(uint8_t bytes, uint8_t blockWidth = 1, uint8_t hsub = 1, uint8_t vsub = 1)
{
	return {bytes, blockWidth, hsub, vsub};
}

constexpr FormatInfo kFormats[] = {
	// fourcc                     name             planes  plane formats                    alpha  yuv
	{DRM_FORMAT_R8,               "R8",            1, {p(1)},                              false, false},
	{DRM_FORMAT_GR88,             "GR88",          1, {p(2)},                              false, false},
	{DRM_FORMAT_RGB565,           "RGB565",        1, {p(2)},                              false, false},
	{DRM_FORMAT_RGB888,           "RGB888",        1, {p(3)},                              false, false},
	{DRM_FORMAT_BGR888,           "BGR888",        1, {p(3)},                              false, false},
	{DRM_FORMAT_XRGB8888,         "XRGB8888",      1, {p(4)},                              false, false},
	{DRM_FORMAT_ARGB8888,         "ARGB8888",      1, {p(4)},                              true,  false},
	{DRM_FORMAT_XBGR8888,         "XBGR8888",      1, {p(4)},                              false, false},
	{DRM_FORMAT_ABGR8888,         "ABGR8888",      1, {p(4)},                              true,  false},
	{DRM_FORMAT_XRGB2101010,      "XRGB2101010",   1, {p(4)},                              false, false},
	{DRM_FORMAT_ARGB2101010,      "ARGB2101010",   1, {p(4)},                              true,  false},
	{DRM_FORMAT_XBGR2101010,      "XBGR2101010",   1, {p(4)},                              false, false},
	{DRM_FORMAT_ABGR2101010,      "ABGR2101010",   1, {p(4)},                              true,  false},
	{DRM_FORMAT_XBGR16161616F,    "XBGR16161616F", 1, {p(8)},                              false, false},
	{DRM_FORMAT_ABGR16161616F,    "ABGR16161616F", 1, {p(8)},                              true,  false},
	{DRM_FORMAT_YUYV,             "YUYV",          1, {p(4, 2)},                           false, true},
	{DRM_FORMAT_YVYU,             "YVYU",          1, {p(4, 2)},                           false, true},
	{DRM_FORMAT_UYVY,             "UYVY",          1, {p(4, 2)},                           false, true},
	{DRM_FORMAT_VYUY,             "VYUY",          1, {p(4, 2)},                           false, true},
	{DRM_FORMAT_NV12,             "NV12",          2, {p(1), p(2, 1, 2, 2)},               false, true},
	{DRM_FORMAT_NV21,             "NV21",          2, {p(1), p(2, 1, 2, 2)},               false, true},
	{DRM_FORMAT_NV16,             "NV16",          2, {p(1), p(2, 1, 2, 1)},               false, true},
	{DRM_FORMAT_NV61,             "NV61",          2, {p(1), p(2, 1, 2, 1)},               false, true},
	{DRM_FORMAT_NV24,             "NV24",          2, {p(1), p(2, 1, 1, 1)},               false, true},
	{DRM_FORMAT_P010,             "P010",          2, {p(2), p(4, 1, 2, 2)},               false, true},
	{DRM_FORMAT_P012,             "P012",          2, {p(2), p(4, 1, 2, 2)},               false, true},
	{DRM_FORMAT_P016,             "P016",          2, {p(2), p(4, 1, 2, 2)},               false, true},
	{DRM_FORMAT_YUV420,           "YUV420",        3, {p(1), p(1, 1, 2, 2), p(1, 1, 2, 2)}, false, true},
	{DRM_FORMAT_YVU420,           "YVU420",        3, {p(1), p(1, 1, 2, 2), p(1, 1, 2, 2)}, false, true},
	{DRM_FORMAT_YUV422,           "YUV422",        3, {p(1), p(1, 1, 2, 1), p(1, 1, 2, 1)}, false, true},
	{DRM_FORMAT_YUV444,           "YUV444",        3, {p(1), p(1), p(1)},                  false, true},
};

struct FreeDeleter {
	void operator()(char *s) const { std::free(s); }
};
using CString = std::unique_ptr<char, FreeDeleter>;

} // namespace

std::atomic<const FormatInfo *> lastFoundFormat{&kFormats[0]};

const FormatInfo *findFormat(uint32_t fourcc)
{
	const FormatInfo *hit = lastFoundFormat.load(std::memory_order_relaxed);
	if (hit->fourcc == fourcc)
		return hit;
	for (const FormatInfo &info : kFormats)
		if (info.fourcc == fourcc) {
			lastFoundFormat.store(&info, std::memory_order_relaxed);
			return &info;
		}
	return nullptr;
}

const FormatInfo *findFormatByName(std::string_view name)
{
	for (const FormatInfo &info : kFormats)
		if (name == info.name)
			return &info;
	return nullptr;
}

std::span<const FormatInfo> knownFormats()
{
	return kFormats;
}

namespace {

/// Whether libdrm's name of @fourcc is readable: four printable ASCII characters (the
/// big-endian flag aside; libdrm appends "_BE"), or 0, which it calls INVALID. Anything else
/// would be raw bytes, not even UTF-8, in a sentence.
bool printableFourcc(uint32_t fourcc)
{
	if (fourcc == 0)
		return true;
	const uint32_t code = fourcc & ~uint32_t(DRM_FORMAT_BIG_ENDIAN);
	for (int shift = 0; shift < 32; shift += 8) {
		const unsigned char c = (code >> shift) & 0xff;
		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return true;
}

} // namespace

std::string formatName(uint32_t fourcc)
{
	CString code(printableFourcc(fourcc) ? drmGetFormatName(fourcc) : nullptr);
	std::string codeText = code ? code.get() : stringf("0x%08x", fourcc);
	if (const FormatInfo *info = findFormat(fourcc))
		return std::string(info->name) + " (" + codeText + ")";
	return codeText;
}

std::string modifierName(uint64_t modifier)
{
	CString vendor(drmGetFormatModifierVendor(modifier));
	CString name(drmGetFormatModifierName(modifier));
	if (!name)
		return stringf("0x%016llx", static_cast<unsigned long long>(modifier));
	// libdrm calls the vendor of LINEAR and INVALID "NONE": those read better bare.
	if (!vendor || std::string_view(vendor.get()) == "NONE")
		return name.get();
	return std::string(vendor.get()) + "_" + name.get();
}

} // namespace hbm
