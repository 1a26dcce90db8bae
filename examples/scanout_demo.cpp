// SPDX-License-Identifier: MIT
// hbm end to end on real devices: from every allocator that can make scanout memory
// here (system and CMA dma-heaps, udmabuf, DRM dumb buffers, Mesa GBM), allocate a
// 1920x1080 XRGB8888 buffer, write a test pattern between DMA_BUF_IOCTL_SYNC start and
// end, show it on vkms's primary plane, capture the display through vkms's writeback
// connector, compare the capture pixel for pixel and save it as a PNG.
//
//   hbm-scanout-demo [--out DIR]
//
// Exit status: 0 all matched, 1 a step failed, 77 this machine lacks the devices (the
// README's demo command then runs it in the lab guest).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <drm_fourcc.h>
#include <png.h>

#include <hbm/hbm.hpp>
#include <hbm-test/display.hpp>
#include <hbm-test/pattern.hpp>

namespace {

constexpr int kNoDevices = 77;

bool writePng(const std::string &path, const hbm::CpuAccess &access, const hbm::Layout &layout)
{
	FILE *file = std::fopen(path.c_str(), "wb");
	if (!file) {
		std::fprintf(stderr, "cannot write %s: %s\n", path.c_str(), std::strerror(errno));
		return false;
	}
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
	png_infop info = png ? png_create_info_struct(png) : nullptr;
	std::vector<png_byte> row(size_t(layout.width) * 3);
	bool ok = false;
	if (info && setjmp(png_jmpbuf(png)) == 0) {
		png_init_io(png, file);
		png_set_IHDR(png, info, layout.width, layout.height, 8, PNG_COLOR_TYPE_RGB,
			     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
		png_write_info(png, info);
		const uint8_t *base = access.plane(0).data();
		for (uint32_t y = 0; y < layout.height; ++y) {
			auto *pixels = reinterpret_cast<const uint32_t *>(base + uint64_t(y) * layout.planes[0].stride);
			for (uint32_t x = 0; x < layout.width; ++x) {
				row[x * 3 + 0] = png_byte(pixels[x] >> 16); // XRGB8888: R in bits 23..16
				row[x * 3 + 1] = png_byte(pixels[x] >> 8);
				row[x * 3 + 2] = png_byte(pixels[x]);
			}
			png_write_row(png, row.data());
		}
		png_write_end(png, nullptr);
		ok = true;
	}
	png_destroy_write_struct(&png, &info);
	if (std::fclose(file) != 0)
		ok = false;
	return ok;
}

bool fail(const char *step, const hbm::Error &error)
{
	std::fprintf(stderr, "  FAILED to %s: %s\n", step, error.toString().c_str());
	return false;
}

std::string fileName(const std::string &allocator)
{
	std::string name = allocator;
	for (char &c : name)
		if (c == ':' || c == '/' || c == '@')
			c = '-';
	return "hbm-demo-" + name + ".png";
}

bool runOn(hbm::Context &ctx, hbm::test::Display &display, const hbm::AllocatorInfo &allocator,
	   const std::string &outDir)
{
	hbm::KmsDevice &vkms = display.device();
	const hbm::BufferDesc desc{1920, 1080, DRM_FORMAT_XRGB8888};
	hbm::AllocationOptions options;
	options.allocator = allocator.name;
	options.usage = hbm::UsageScanout | hbm::UsageCpuWrite;
	std::printf("%s (%s%s):\n", allocator.name.c_str(),
		    allocator.contiguous ? "physically contiguous" : "scattered pages",
		    allocator.drmDevice.empty() ? "" : (", on " + allocator.drmDevice).c_str());

	auto shown = ctx.allocate(desc, options);
	if (!shown)
		return fail("allocate", shown.error());
	const hbm::Layout &layout = (*shown)->layout();
	std::printf("  allocated %ux%u %s, modifier %s, stride %u, %llu bytes, dma-buf fd %d\n",
		    layout.width, layout.height, hbm::formatName(layout.format).c_str(),
		    hbm::modifierName(layout.modifier).c_str(), layout.planes[0].stride,
		    static_cast<unsigned long long>(layout.size), (*shown)->planeFd(0).get());
	{
		auto cpu = (*shown)->beginCpuAccess(hbm::CpuAccessMode::Write);
		if (!cpu)
			return fail("begin CPU access", cpu.error());
		if (auto r = hbm::test::writeTestPattern(*cpu, layout); !r)
			return fail("write the pattern", r.error());
		if (auto r = cpu->end(); !r)
			return fail("end CPU access", r.error());
	}
	std::printf("  wrote the test pattern between DMA_BUF_IOCTL_SYNC start and end\n");

	auto fb = vkms.addFramebuffer(**shown);
	if (!fb)
		return fail("create a framebuffer", fb.error());
	if (auto r = display.showOnPrimary(*fb); !r)
		return fail("show it", r.error());
	std::printf("  PRIME-imported into %s as framebuffer %u, shown on the primary plane\n",
		    vkms.path().c_str(), fb->id());

	auto captured = ctx.allocate(desc, options);
	if (!captured)
		return fail("allocate the capture buffer", captured.error());
	auto target = vkms.addFramebuffer(**captured);
	if (!target)
		return fail("create the capture framebuffer", target.error());
	if (auto r = display.captureWriteback(*target); !r)
		return fail("capture through writeback", r.error());
	std::printf("  captured the display through the writeback connector\n");

	auto cpu = (*captured)->beginCpuAccess(hbm::CpuAccessMode::Read);
	if (!cpu)
		return fail("read the capture", cpu.error());
	auto same = hbm::test::verifyTestPattern(*cpu, (*captured)->layout());
	std::string png = outDir + "/" + fileName(allocator.name);
	bool saved = writePng(png, *cpu, (*captured)->layout());
	if (saved)
		std::printf("  saved the capture as %s\n", png.c_str());
	if (!same)
		return fail("match the pattern", same.error());
	std::printf("  capture matches the pattern: all %u pixels\n", layout.width * layout.height);
	return saved;
}

} // namespace

int main(int argc, char **argv)
{
	std::string outDir = ".";
	for (int i = 1; i < argc; ++i) {
		if (std::string(argv[i]) == "--out" && i + 1 < argc) {
			outDir = argv[++i];
		} else {
			std::fprintf(stderr, "usage: %s [--out DIR]\n", argv[0]);
			return 2;
		}
	}

	auto ctx = hbm::Context::create();
	if (!ctx) {
		std::fprintf(stderr, "%s\n", ctx.error().toString().c_str());
		return 1;
	}
	auto display = hbm::test::Display::openByDriver("vkms");
	if (!display) {
		std::fprintf(stderr, "%s\n", display.error().toString().c_str());
		return kNoDevices;
	}

	// Every allocator whose memory vkms could scan out: device-importable, and either tied
	// to no DRM device or to vkms itself.
	std::vector<hbm::AllocatorInfo> chosen;
	for (const hbm::AllocatorInfo &a : (*ctx)->allocators())
		if (a.deviceImportable && a.cached && (a.drmDevice.empty() || a.drmDriver == "vkms"))
			chosen.push_back(a);
	if (chosen.empty()) {
		std::fprintf(stderr, "no allocator here makes dma-bufs\n");
		return kNoDevices;
	}

	bool ok = true;
	for (const hbm::AllocatorInfo &a : chosen)
		ok = runOn(**ctx, **display, a, outDir) && ok;
	std::printf(ok ? "demo: every capture matched what the CPU wrote\n" : "demo: FAILED\n");
	return ok ? 0 : 1;
}
