// SPDX-License-Identifier: MIT
// The oracle for tinywl_hbm --encode (tinywl-check.sh): what the plane showed against what
// the encoder wrote.
//
//   hbm-encode-check capture CARD FILE   the framebuffer on CARD's primary plane, to FILE
//   hbm-encode-check verify STREAM FILE FRAMES
//       decodes STREAM (vicodec's decoder into its own buffers: the rig's reference decode),
//       checks it holds FRAMES frames, and that one of them equals, pixel for pixel, the
//       captured frame passed through the same encoder on its own. FWHT is lossy, so
//       "equals the frame shown" means "decodes to what the frame shown decodes to": every
//       frame tinywl_hbm encodes is a key frame, which depends on that frame alone.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <hbm-test/video.hpp>

#include "plane_readback.hpp"

namespace {

int usage()
{
	fprintf(stderr, "usage: hbm-encode-check capture CARD FILE\n"
			"       hbm-encode-check verify STREAM FILE FRAMES\n");
	return 64;
}

// FILE: "hbm-capture W H INODE\n", then W*H 32-bit pixels.
int capture(const std::string &card, const std::string &path)
{
	const hbm::lab::PlaneCapture c = hbm::lab::capturePrimaryPlane(card);
	if (!c.ok) {
		fprintf(stderr, "hbm-encode-check: %s\n", c.description.c_str());
		return 1;
	}
	FILE *f = fopen(path.c_str(), "wb");
	if (!f || fprintf(f, "hbm-capture %u %u %" PRIu64 "\n", c.width, c.height, c.inode) < 0 ||
	    fwrite(c.pixels.data(), 4, c.pixels.size(), f) != c.pixels.size() || fclose(f) != 0) {
		fprintf(stderr, "hbm-encode-check: cannot write %s: %s\n", path.c_str(), strerror(errno));
		return 1;
	}
	printf("captured %ux%u from %s\n", c.width, c.height, c.description.c_str());
	return 0;
}

bool readCapture(const std::string &path, hbm::test::Frame &frame, uint64_t &inode)
{
	FILE *f = fopen(path.c_str(), "rb");
	if (!f)
		return false;
	bool ok = fscanf(f, "hbm-capture %u %u %" SCNu64, &frame.width, &frame.height, &inode) == 3 &&
		  fgetc(f) == '\n' && frame.width && frame.height && frame.width <= 16384 && frame.height <= 16384;
	if (ok) {
		frame.pixels.resize(size_t(frame.width) * frame.height);
		ok = fread(frame.pixels.data(), 4, frame.pixels.size(), f) == frame.pixels.size();
	}
	fclose(f);
	return ok;
}

// Pixels that differ, alpha (X) ignored.
size_t differences(const hbm::test::Frame &a, const hbm::test::Frame &b)
{
	if (a.width != b.width || a.height != b.height)
		return SIZE_MAX;
	size_t bad = 0;
	for (size_t i = 0; i < a.pixels.size(); ++i)
		bad += (a.pixels[i] & 0xffffffu) != (b.pixels[i] & 0xffffffu);
	return bad;
}

int verify(const std::string &streamPath, const std::string &capturePath, unsigned frames)
{
	std::ifstream in(streamPath, std::ios::binary);
	const std::vector<uint8_t> stream{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
	hbm::test::Frame shown;
	uint64_t inode = 0;
	if (!readCapture(capturePath, shown, inode)) {
		fprintf(stderr, "hbm-encode-check: %s is not a capture\n", capturePath.c_str());
		return 1;
	}
	auto decoded = hbm::test::decodeFwhtReference(stream);
	if (!decoded) {
		fprintf(stderr, "hbm-encode-check: decoding %s (%zu bytes): %s\n", streamPath.c_str(), stream.size(),
			decoded.error().message.c_str());
		return 1;
	}
	printf("decoded %zu frames from %zu bytes (tinywl_hbm encoded %u)\n", decoded->size(), stream.size(), frames);
	auto alone = hbm::test::encodeFwht({shown});
	auto reference = alone ? hbm::test::decodeFwhtReference(*alone) : hbm::Result<std::vector<hbm::test::Frame>>(alone.error());
	if (!reference || reference->size() != 1) {
		fprintf(stderr, "hbm-encode-check: the captured frame through the encoder: %s\n",
			reference ? "not one frame" : reference.error().message.c_str());
		return 1;
	}
	const hbm::test::Frame &expected = reference->front();
	size_t matches = 0, first = SIZE_MAX, fewest = SIZE_MAX;
	for (size_t i = 0; i < decoded->size(); ++i) {
		const size_t bad = differences((*decoded)[i], expected);
		fewest = std::min(fewest, bad);
		if (bad == 0) {
			matches++;
			first = std::min(first, i);
		}
	}
	if (matches)
		printf("the plane's frame (dma-buf inode %" PRIu64 ") decodes exactly as decoded frame %zu (%zu of %zu frames "
		       "equal it): all %zu pixels\n",
		       inode, first, matches, decoded->size(), expected.pixels.size());
	else
		printf("no decoded frame equals the plane's frame: the closest differs in %zu of %zu pixels\n", fewest,
		       expected.pixels.size());
	return matches && decoded->size() == frames ? 0 : 2;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "capture") == 0)
		return capture(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], argv[3], unsigned(strtoul(argv[4], nullptr, 10)));
	return usage();
}
