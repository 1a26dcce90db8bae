// SPDX-License-Identifier: MIT
// The lab's screendump oracle without qemu: the PPM parser, the comparison with a buffer,
// and the file protocol against a service faked in a thread (tests/lab/screendump-service.py
// is the real one; tests/lab/screendump_service_test.py checks it against a fake qemu).
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/context.hpp>
#include <hbm-test/screendump.hpp>

using namespace hbm;
using namespace hbm::test;

namespace {

std::string ppm(uint32_t w, uint32_t h, const std::string &header_extra = "")
{
	std::string s = "P6\n" + header_extra + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
	for (uint32_t i = 0; i < w * h; ++i) {
		s += char(i);
		s += char(0x80 + i);
		s += char(0xff - i);
	}
	return s;
}

bool contains(const std::string &text, const std::string &part)
{
	return text.find(part) != std::string::npos;
}

/// A temporary request directory, removed with everything in it.
class ServiceDir
{
public:
	ServiceDir()
	{
		char tmpl[] = "/tmp/hbm-screendump-test.XXXXXX";
		path_ = ::mkdtemp(tmpl);
	}
	~ServiceDir()
	{
		for (const std::string &name : entries())
			::unlink((path_ + "/" + name).c_str());
		::rmdir(path_.c_str());
	}
	const std::string &path() const { return path_; }
	std::vector<std::string> entries() const
	{
		std::vector<std::string> out;
		DIR *dir = ::opendir(path_.c_str());
		while (dir) {
			struct dirent *e = ::readdir(dir);
			if (!e)
				break;
			if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
				out.push_back(e->d_name);
		}
		if (dir)
			::closedir(dir);
		return out;
	}
	void write(const std::string &name, const std::string &bytes) const
	{
		std::ofstream(path_ + "/" + name + ".part", std::ios::binary) << bytes;
		::rename((path_ + "/" + name + ".part").c_str(), (path_ + "/" + name).c_str());
	}

private:
	std::string path_;
};

/// Answers the first request that appears with what @reply makes of its text: a file
/// suffix ("ppm" or "error") and its bytes, as the real service does.
class FakeService
{
public:
	using Reply = std::function<std::pair<std::string, std::string>(const std::string &request)>;
	FakeService(const ServiceDir &dir, Reply reply) : dir_(dir)
	{
		dir.write("ready", "pid 0\n");
		thread_ = std::thread([this, reply] {
			while (!stop_) {
				for (const std::string &name : dir_.entries()) {
					const std::string suffix = ".request";
					if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix))
						continue;
					std::ifstream in(dir_.path() + "/" + name);
					std::stringstream text;
					text << in.rdbuf();
					request_ = text.str();
					auto [kind, bytes] = reply(request_);
					const std::string base = name.substr(0, name.size() - suffix.size());
					dir_.write(base + "." + kind, bytes);
					::unlink((dir_.path() + "/" + name).c_str());
					return;
				}
				std::this_thread::sleep_for(std::chrono::milliseconds(2));
			}
		});
	}
	~FakeService()
	{
		stop_ = true;
		thread_.join();
	}
	std::string request() const { return request_; }

private:
	const ServiceDir &dir_;
	std::atomic<bool> stop_{false};
	std::string request_;
	std::thread thread_;
};

} // namespace

TEST(Ppm, ParsesQemusScreendump)
{
	auto image = parsePpm(ppm(3, 2, "# made by a test\n"));
	ASSERT_TRUE(image) << image.error().toString();
	EXPECT_EQ(image->width, 3u);
	EXPECT_EQ(image->height, 2u);
	ASSERT_EQ(image->rgb.size(), 18u);
	EXPECT_EQ(image->pixel(0, 0), 0x0080ffu);
	EXPECT_EQ(image->pixel(2, 1), 0x0585fau) << "row 1, column 2 is the sixth pixel";
}

TEST(Ppm, EveryMalformationIsNamed)
{
	struct Case {
		std::string bytes;
		std::string says;
	} cases[] = {
		{"", "not a binary PPM"},
		{"P3\n1 1\n255\n000", "not a binary PPM: it starts with 'P3"},
		{"P6\n", "ends before its width"},
		{"P6\n4", "ends before its height"},
		{"P6\nx 1\n255\n", "width 'x' is not a number"},
		{"P6\n1 -1\n255\n", "height '-1' is not a number"},
		{"P6\n0 1\n255\n", "size 0x1 is out of range"},
		{"P6\n70000 1\n255\n", "size 70000x1 is out of range"},
		{"P6\n1 1\n65535\n123456", "maxval 65535"},
		{"P6\n1 1\n255", "not followed by white space"},
		{"P6\n2 2\n255\n" + std::string(11, 'a'), "needs 12 bytes of pixels, the file has 11"},
		{"P6\n2 2\n255\n" + std::string(13, 'a'), "needs 12 bytes of pixels, the file has 13"},
	};
	for (const Case &c : cases) {
		auto image = parsePpm(c.bytes);
		ASSERT_FALSE(image) << "accepted: " << c.bytes.substr(0, 20);
		EXPECT_EQ(image.error().code, EINVAL);
		EXPECT_TRUE(contains(image.error().message, c.says)) << image.error().message << " (wanted: " << c.says << ")";
	}
}

TEST(Screendump, OutsideTheLabItIsAnErrorNotAnEmptyImage)
{
	const char *saved = std::getenv("HBM_LAB_SCREENDUMP_DIR");
	std::string keep = saved ? saved : "";
	::unsetenv("HBM_LAB_SCREENDUMP_DIR");
	auto image = screendump("cirrus");
	if (saved)
		::setenv("HBM_LAB_SCREENDUMP_DIR", keep.c_str(), 1);
	ASSERT_FALSE(image);
	EXPECT_EQ(image.error().code, ENODEV);
	EXPECT_TRUE(contains(image.error().message, "HBM_LAB_SCREENDUMP_DIR is not set")) << image.error().message;
}

TEST(Screendump, WithoutAServiceItSaysSo)
{
	ServiceDir dir;
	auto image = screendumpVia(dir.path(), "cirrus", 0, 100);
	ASSERT_FALSE(image);
	EXPECT_EQ(image.error().code, ENODEV);
	EXPECT_TRUE(contains(image.error().message, "no screendump service listens in " + dir.path()))
		<< image.error().message;
}

TEST(Screendump, RequestNamesDeviceAndHeadAndTheAnswerIsParsed)
{
	ServiceDir dir;
	FakeService service(dir, [](const std::string &) { return std::make_pair(std::string("ppm"), ppm(4, 3)); });
	auto image = screendumpVia(dir.path(), "virtio", 1, 5000);
	ASSERT_TRUE(image) << image.error().toString();
	EXPECT_EQ(image->width, 4u);
	EXPECT_EQ(image->height, 3u);
	EXPECT_EQ(service.request(), "device=virtio\nhead=1\n");
	EXPECT_EQ(dir.entries(), std::vector<std::string>{"ready"}) << "request or answer left behind";
}

TEST(Screendump, QemusErrorTextIsTheReason)
{
	ServiceDir dir;
	FakeService service(dir, [](const std::string &) {
		return std::make_pair(std::string("error"), std::string("qemu: Device 'nosuch' not found\n"));
	});
	auto image = screendumpVia(dir.path(), "nosuch", 0, 5000);
	ASSERT_FALSE(image);
	EXPECT_EQ(image.error().code, EIO);
	EXPECT_EQ(image.error().message, "no screendump of qemu device 'nosuch' head 0: qemu: Device 'nosuch' not found");
	EXPECT_EQ(dir.entries(), std::vector<std::string>{"ready"});
}

TEST(Screendump, AMalformedAnswerIsAnErrorNamingTheDevice)
{
	ServiceDir dir;
	FakeService service(dir, [](const std::string &) { return std::make_pair(std::string("ppm"), std::string("P6\n2 2\n255\nab")); });
	auto image = screendumpVia(dir.path(), "cirrus", 0, 5000);
	ASSERT_FALSE(image);
	EXPECT_EQ(image.error().code, EINVAL);
	EXPECT_TRUE(contains(image.error().message, "screendump of qemu device 'cirrus': PPM 2x2 needs 12 bytes"))
		<< image.error().message;
}

TEST(Screendump, NoAnswerTimesOutAndTakesTheRequestBack)
{
	ServiceDir dir;
	dir.write("ready", "pid 0\n");
	auto start = std::chrono::steady_clock::now();
	auto image = screendumpVia(dir.path(), "cirrus", 0, 200);
	auto took = std::chrono::steady_clock::now() - start;
	ASSERT_FALSE(image);
	EXPECT_EQ(image.error().code, ETIMEDOUT);
	EXPECT_TRUE(contains(image.error().message, "did not answer within 200 ms")) << image.error().message;
	EXPECT_GE(took, std::chrono::milliseconds(200));
	EXPECT_EQ(dir.entries(), std::vector<std::string>{"ready"}) << "a stale request would be served later";
}

TEST(Screendump, BadDeviceIdsAreRefusedBeforeAsking)
{
	ServiceDir dir;
	dir.write("ready", "pid 0\n");
	for (const char *bad : {"", "a\nhead=3", "../x"}) {
		auto image = screendumpVia(dir.path(), bad, 0, 100);
		ASSERT_FALSE(image);
		EXPECT_EQ(image.error().code, EINVAL) << image.error().message;
	}
	EXPECT_EQ(screendumpVia(dir.path(), "cirrus", -1, 100).error().code, EINVAL);
}

TEST(CompareWithScreen, EqualPixelsPassAndOneDifferenceIsNamed)
{
	auto ctx = Context::create();
	ASSERT_TRUE(ctx) << ctx.error().toString();
	AllocationOptions cpu;
	cpu.allocator = "memfd";
	cpu.allowCpuOnly = true;
	for (uint32_t format : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ABGR8888}) {
		auto buffer = (*ctx)->allocate({4, 3, format}, cpu);
		ASSERT_TRUE(buffer) << buffer.error().toString();
		const Layout &layout = (*buffer)->layout();
		Image screen = *parsePpm(ppm(4, 3));
		{
			auto write = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
			ASSERT_TRUE(write);
			for (uint32_t y = 0; y < 3; ++y)
				for (uint32_t x = 0; x < 4; ++x) {
					uint32_t rgb = screen.pixel(x, y);
					uint32_t r = rgb >> 16, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
					uint32_t p = format == DRM_FORMAT_XRGB8888 ? (r << 16 | g << 8 | b) : (b << 16 | g << 8 | r);
					reinterpret_cast<uint32_t *>(write->plane(0).data() + y * layout.planes[0].stride)[x] =
						0x5a000000u | p; // the X/A byte is not compared
				}
		}
		auto read = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read);
		auto same = compareWithScreen(*read, layout, screen);
		EXPECT_TRUE(same) << same.error().message;

		screen.rgb[(2 * 4 + 1) * 3 + 1] ^= 1; // green of (1,2)
		auto differs = compareWithScreen(*read, layout, screen);
		ASSERT_FALSE(differs);
		EXPECT_TRUE(contains(differs.error().message, "1 of 12 pixels on the screen differ from the buffer; first at (1,2)"))
			<< differs.error().message;

		Image small = *parsePpm(ppm(4, 2));
		auto sizes = compareWithScreen(*read, layout, small);
		ASSERT_FALSE(sizes);
		EXPECT_TRUE(contains(sizes.error().message, "the screen is 4x2, the buffer 4x3")) << sizes.error().message;
	}
}
