// SPDX-License-Identifier: MIT
// Configuration: parsed strictly, errors with line and column, the one-line override, and
// rules, declared participants and kinds as the context applies them.
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/config.hpp>
#include "seam/renderer.hpp"
#include <hbm/context.hpp>

using namespace hbm;

namespace {

constexpr size_t kMaxConfigTextForTest = 1 << 20; // as src/config.cpp

const char *const kFull = R"(
[heap.reserved]
contiguous = true
memory_end = "256M"

[device.panel]
match.drm_driver = "sun4i-drm"
contiguous = true
stride_alignment = 256

[participant.camera]
formats = ["NV12", "YUYV"]
address_limit = 0x100000000
stride_alignment = 32

[kind.scanout]
allocators = ["dma-heap:reserved", "dma-heap:system"]
)";

void expectError(std::string_view text, const std::string &where, const std::string &what,
		 std::string_view override = {})
{
	auto config = parseConfig(text, "hbm.toml", override);
	ASSERT_FALSE(config) << "accepted: " << text;
	EXPECT_EQ(config.error().code, EINVAL);
	EXPECT_EQ(config.error().message.rfind(where, 0), 0u) << config.error().message;
	EXPECT_NE(config.error().message.find(what), std::string::npos) << config.error().message;
}

} // namespace

TEST(Config, ParsesEverySection)
{
	auto config = parseConfig(kFull, "hbm.toml");
	ASSERT_TRUE(config) << config.error().message;
	ASSERT_EQ(config->heaps.size(), 1u);
	EXPECT_EQ(config->heaps[0].name, "reserved");
	EXPECT_EQ(config->heaps[0].contiguous, true);
	EXPECT_EQ(config->heaps[0].memoryEnd, 256ull << 20);
	ASSERT_EQ(config->rules.size(), 1u);
	EXPECT_EQ(config->rules[0].drmDriver, "sun4i-drm");
	EXPECT_EQ(config->rules[0].strideAlignment, 256u);
	ASSERT_EQ(config->participants.size(), 1u);
	const Participant &camera = config->participants[0];
	EXPECT_EQ(camera.name(), "camera (declared)");
	EXPECT_TRUE(camera.constraints.formats.contains(DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR));
	EXPECT_FALSE(camera.constraints.formats.contains(DRM_FORMAT_NV12, DRM_FORMAT_MOD_INVALID));
	EXPECT_EQ(camera.constraints.placement.addressLimit, 1ull << 32);
	ASSERT_EQ(config->kinds.size(), 1u);
	EXPECT_EQ(config->kinds[0].allocators, (std::vector<std::string>{"dma-heap:reserved", "dma-heap:system"}));
}

TEST(Config, EmptyIsSensible)
{
	auto config = parseConfig("", "none");
	ASSERT_TRUE(config);
	EXPECT_TRUE(config->heaps.empty() && config->rules.empty() && config->participants.empty() &&
		    config->kinds.empty());
}

TEST(Config, ErrorsNameLineAndColumn)
{
	expectError("[heap.reserved]\ncontiguous = yes\n", "hbm.toml:2:", "");
	expectError("[heap.reserved]\ncontigous = true\n", "hbm.toml:2:", "heap.reserved: unknown key 'contigous'");
	expectError("[heap.reserved]\ncontiguous = \"true\"\n", "hbm.toml:2:", "contiguous must be true or false");
	expectError("[participant.cam]\nformats = [\"NV13\"]\n", "hbm.toml:2:", "unknown format 'NV13'");
	expectError("[participant.cam]\nformats = [\"NV12\"]\nstride_alignment = 48\n", "hbm.toml:3:",
		    "stride_alignment must be a power of two");
	expectError("[device.x]\ncontiguous = true\n", "hbm.toml:1:", "device.x matches nothing");
	expectError("[heap.reserved]\nmemory_end = \"4X\"\n", "hbm.toml:2:", "is not a size");
	expectError("[regions]\n", "hbm.toml:1:", "unknown section 'regions'");
	expectError("[region.video]\nheap = \"reserved\"\nsize = \"16M\"\nalgorithm = \"worst-fit\"\n", "hbm.toml:4:",
		    "algorithm 'worst-fit' is not best-fit or first-fit");
	expectError("[region.video]\nheap = \"reserved\"\n", "hbm.toml:1:", "needs heap");
	expectError("[participant.cam]\naddress_limit = 4\n", "hbm.toml:1:", "needs formats");
}

TEST(Config, OneLineOverrideReplacesTheFile)
{
	auto config = parseConfig(kFull, "hbm.toml",
				  "kind.scanout.allocators=[\"dma-heap:system\"];device.vkms.match.drm_driver=\"vkms\";"
				  "device.vkms.contiguous=true");
	ASSERT_TRUE(config) << config.error().message;
	auto scanout = std::find_if(config->kinds.begin(), config->kinds.end(),
				    [](const KindConfig &k) { return k.name == "scanout"; });
	ASSERT_NE(scanout, config->kinds.end());
	EXPECT_EQ(scanout->allocators, std::vector<std::string>{"dma-heap:system"});
	EXPECT_EQ(config->rules.size(), 2u);

	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:", "", "kind.scanout.allocators=[");
}

TEST(Config, RulesDeclaredParticipantsAndKindsInTheContext)
{
	auto config = parseConfig(kFull, "hbm.toml");
	ASSERT_TRUE(config);
	auto ctx = Context::create(*config);
	ASSERT_TRUE(ctx) << ctx.error().message;

	Participant panel;
	panel.identity = KmsPlaneIdentity{makedev(226, 0), 40, PlaneType::Primary, 1, "sun4i-drm"};
	panel.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	auto ruled = (*ctx)->withRules({panel});
	EXPECT_TRUE(ruled[0].constraints.placement.contiguous);
	EXPECT_EQ(ruled[0].constraints.strideAlignment, 256u);
	EXPECT_NE(ruled[0].source.find("rule 'panel' of hbm.toml: contiguous"), std::string::npos) << ruled[0].source;

	Participant other = panel;
	std::get<KmsPlaneIdentity>(other.identity).driver = "vkms";
	EXPECT_FALSE((*ctx)->withRules({other})[0].constraints.placement.contiguous);

	auto camera = (*ctx)->declaredParticipant("camera");
	ASSERT_TRUE(camera);
	EXPECT_EQ(camera->constraints.strideAlignment, 32u);
	auto missing = (*ctx)->declaredParticipant("microscope");
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().code, ENOENT);
	EXPECT_NE(missing.error().message.find("no participant 'microscope' is declared in hbm.toml (declared: camera)"),
		  std::string::npos) << missing.error().message;

	auto unknownKind = (*ctx)->negotiate({64, 64, {DRM_FORMAT_XRGB8888}, 0, "hologram"}, {});
	ASSERT_FALSE(unknownKind);
	EXPECT_EQ(unknownKind.error().code, ENOENT);
	EXPECT_FALSE(unknownKind.error().refusal) << "a configuration's word unknown, not a refusal";
	EXPECT_NE(unknownKind.error().message.find("unknown kind 'hologram' (configured in hbm.toml: scanout; built in: scanout, video, camera)"),
		  std::string::npos) << unknownKind.error().message;
}

TEST(Config, ValuesAreTakenOnlyAsTheirOwnType)
{
	// toml++'s value<bool>() converts integers, value<int64_t>() floats and booleans.
	expectError("[heap.reserved]\ncontiguous = 1\n", "hbm.toml:2:14:",
		    "contiguous must be true or false, not an integer (1)");
	expectError("[heap.reserved]\ncached = 42\n", "hbm.toml:2:10:", "cached must be true or false, not an integer (42)");
	expectError("[device.x]\nmatch.drm_driver = \"vkms\"\ncontiguous = 0\n", "hbm.toml:3:14:",
		    "contiguous must be true or false, not an integer (0)");
	expectError("[participant.c]\nformats = [\"NV12\"]\nimplicit_modifier = 1\n", "hbm.toml:3:21:",
		    "implicit_modifier must be true or false, not an integer (1)");
	expectError("[participant.c]\nformats = [\"NV12\"]\nstride_alignment = 64.0\n", "hbm.toml:3:20:",
		    "stride_alignment must be a power of two (1 to 2^24), not a floating-point number (64.0)");
	expectError("[participant.c]\nformats = [\"NV12\"]\nmax_width = 1e3\n", "hbm.toml:3:13:",
		    "max_width must be 1 to 65536, not a floating-point number");
	expectError("[heap.reserved]\nmemory_end = true\n", "hbm.toml:2:14:", "memory_end must be a number or a size string like \"4G\", not a boolean (true)");
	expectError("[heap.reserved]\nmemory_end = 4096.0\n", "hbm.toml:2:14:", "not a floating-point number (4096.0)");
	expectError("[device.x]\nmatch.drm_driver = 1\n", "hbm.toml:2:20:", "drm_driver must be a string, not an integer (1)");
	expectError("[kind.k]\nallocators = [\"dma-heap:system\", 2]\n", "hbm.toml:2:34:",
		    "allocators must hold strings only, not an integer (2)");
	expectError("[heap.reserved]\ncached = 1979-05-27\n", "hbm.toml:2:10:", "not a date (1979-05-27)");
}

TEST(Config, SizesAreNeverNegativeGarbledOrOverflowing)
{
	// strtoull() read "-4096" as 2^64 - 4096, " 4096" and "+4096" as 4096 and "010" as 8.
	expectError("[heap.reserved]\nmemory_end = \"-4096\"\n", "hbm.toml:2:14:", "memory_end \"-4096\" is negative");
	expectError("[region.r]\nheap = \"reserved\"\nsize = \"-4096\"\n", "hbm.toml:3:8:", "size \"-4096\" is negative");
	expectError("[participant.c]\nformats = [\"NV12\"]\naddress_limit = \"-1\"\n", "hbm.toml:3:17:",
		    "address_limit \"-1\" is negative");
	expectError("[participant.c]\nformats = [\"NV12\"]\naddress_limit = -1\n", "hbm.toml:3:17:",
		    "address_limit must not be negative, not an integer (-1)");
	for (const char *garbage : {"+4096", " 4096", "4096 ", "4KB", "4X", "", "0x", "G", "010", "1.5G", "4G4"})
		expectError(std::string("[heap.reserved]\nmemory_end = \"") + garbage + "\"\n", "hbm.toml:2:14:",
			    "memory_end \"" + std::string(garbage) + "\" is not a size (like 4096, 0x100000000, 64M, 4G)");
	for (const char *huge : {"99999999999999999999G", "17179869184G", "18446744073709551616", "0x10000000000000000"})
		expectError(std::string("[heap.reserved]\nmemory_end = \"") + huge + "\"\n", "hbm.toml:2:14:",
			    "memory_end \"" + std::string(huge) + "\" does not fit in 64 bits");

	auto config = parseConfig("[heap.a]\nmemory_end = \"0x100000000\"\n[heap.b]\nmemory_end = \"16k\"\n"
				  "[heap.c]\nmemory_end = \"17179869183G\"\n[heap.d]\nmemory_end = \"18446744073709551615\"\n",
				  "hbm.toml");
	ASSERT_TRUE(config) << config.error().message;
	EXPECT_EQ(config->heaps[0].memoryEnd, 1ull << 32);
	EXPECT_EQ(config->heaps[1].memoryEnd, 16384u);
	EXPECT_EQ(config->heaps[2].memoryEnd, 17179869183ull << 30);
	EXPECT_EQ(config->heaps[3].memoryEnd, UINT64_MAX);
}

// Found by fuzz_config (tests/fuzz/crashes/config/): an override statement was quoted with
// control bytes escaped but raw bytes of another encoding kept, so the sentence was not
// UTF-8. Valid UTF-8 in a quoted statement stays as it is.
TEST(Config, OverrideStatementsAreQuotedPrintably)
{
	auto raw = parseConfig("", "hbm.toml", "heap.r\xff.cached=true");
	ASSERT_FALSE(raw);
	EXPECT_EQ(raw.error().message.rfind("HBM_CONFIG_OVERRIDE:1:7: statement 1 'heap.r\\xff.cached=true': ", 0), 0u)
		<< raw.error().message;
	auto cut = parseConfig("", "hbm.toml", "heap.r.cached=\"\xe2\x82\"");
	ASSERT_FALSE(cut);
	EXPECT_NE(cut.error().message.find("'heap.r.cached=\"\\xe2\\x82\"'"), std::string::npos) << cut.error().message;
	auto text = parseConfig("", "hbm.toml", "heap.r.cached=\"\xc3\xa9\"");
	ASSERT_FALSE(text);
	EXPECT_NE(text.error().message.find("'heap.r.cached=\"\xc3\xa9\"'"), std::string::npos) << text.error().message;
	// A value shown in a message: toml++ writes a string with a tab in it as it is.
	auto tabs = parseConfig("[device]\nx = \"a\\tb\"\n", "hbm.toml");
	ASSERT_FALSE(tabs);
	EXPECT_NE(tabs.error().message.find("must be a table, not a string ('a\\x09b')"), std::string::npos)
		<< tabs.error().message;
	// toml++'s own description quotes what it saw, here the end of the statement.
	auto seen = parseConfig("", "hbm.toml", "heap.r.cached=t");
	ASSERT_FALSE(seen);
	EXPECT_EQ(seen.error().message.find('\n'), std::string::npos) << seen.error().message;
	EXPECT_NE(seen.error().message.find("saw 't\\x0a'"), std::string::npos) << seen.error().message;
}

TEST(Config, OverrideFaultsNameTheStatement)
{
	// They were blamed on the file at 0:0 (hbm.toml:0:0: cached must be true or false).
	const std::string first = "kind.scanout.allocators=[\"dma-heap:system\"]";
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:" + std::to_string(first.size() + 1 + 22) + ": statement 2 'heap.reserved.cached=\"yes\"': ",
		    "cached must be true or false, not a string ('yes')", first + ";heap.reserved.cached=\"yes\"");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:22: statement 1 'heap.reserved.cahced=true': ",
		    "heap.reserved: unknown key 'cahced'", "heap.reserved.cahced=true");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:8: statement 1 'device.vkms.contiguous=true': ",
		    "device.vkms matches nothing", "device.vkms.contiguous=true");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:6: statement 1 'heap=1': ", "heap must be a table, not an integer (1)", "heap=1");
	// TOML's own faults name the statement too.
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:51: statement 3 'heap.reserved.cached=': ", "saw the end of the statement", ";heap.reserved.cached=false ;heap.reserved.cached=");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:", "statement 2 'heap.reserved.cached=true': ",
		    "heap.reserved.cached=false;heap.reserved.cached=true");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:22: ", "has a line break", "heap.reserved.cached=\nfalse");
}

TEST(Config, OverrideSemicolonsInsideStringsAreTheStrings)
{
	auto config = parseConfig("", "none", "kind.a.allocators=[\"x;y\", 'z;w'];kind.b.allocators=[\"\\\";\"]");
	ASSERT_TRUE(config) << config.error().message;
	ASSERT_EQ(config->kinds.size(), 2u);
	EXPECT_EQ(config->kinds[0].allocators, (std::vector<std::string>{"x;y", "z;w"}));
	EXPECT_EQ(config->kinds[1].allocators, (std::vector<std::string>{"\";"}));
}

TEST(Config, GoodFileWithBadOverrideIsRefusedWhole)
{
	// heap.reserved.cached=1 over a good file was a configuration with cached = true.
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:", "statement 2 'heap.reserved.cached=1': cached must be true or false",
		    "kind.scanout.allocators=[\"dma-heap:system\"];heap.reserved.cached=1");

	char path[] = "/tmp/hbm-config-test-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	close(fd);
	std::ofstream(path) << kFull;
	setenv("HBM_CONFIG", path, 1);
	setenv("HBM_CONFIG_OVERRIDE", "kind.scanout.allocators=[\"dma-heap:system\"];heap.reserved.cached=1", 1);
	auto config = loadConfig();
	setenv("HBM_CONFIG_OVERRIDE", "kind.scanout.allocators=[\"dma-heap:system\"]", 1);
	auto good = loadConfig();
	unsetenv("HBM_CONFIG_OVERRIDE");
	unsetenv("HBM_CONFIG");
	unlink(path);
	ASSERT_FALSE(config) << "a bad override was applied over " << path;
	EXPECT_NE(config.error().message.find("HBM_CONFIG_OVERRIDE:1:"), std::string::npos) << config.error().message;
	ASSERT_TRUE(good) << good.error().message;
	EXPECT_EQ(good->origin, std::string(path) + " with HBM_CONFIG_OVERRIDE");
}

// toml++ 3.3 has undefined behaviour on the texts below; hbm refuses them before it parses.
// Run under UBSan (-Db_sanitize=address,undefined, UBSAN_OPTIONS=halt_on_error=1), these tests
// stop at toml++'s fault without hbm's guard; in a debug build #294 fails an assertion.

// marzer/tomlplusplus#294: a table header that does not start with a key reaches parse_key(),
// which assumes it does.
TEST(Config, TableHeaderWithoutANameIsRefusedBeforeTomlPlusPlus)
{
	expectError("[&", "hbm.toml:1:2:", "a table header must begin with a name");
	expectError("[heap.a]\n[[ #x]]\n", "hbm.toml:2:4:", "a table header must begin with a name");
	expectError("[\n", "hbm.toml:1:2:", "a table header must begin with a name");
	expectError("[\t=", "hbm.toml:1:3:", "a table header must begin with a name");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:29: statement 2 '[&': ", "a table header must begin with a name",
		    "heap.reserved.cached=false;[&");
	auto config = parseConfig("a = [\n[1],\n]\n[ heap.x ]\n[kind.\"[&\"]\nallocators = ['[&']\n", "hbm.toml");
	ASSERT_FALSE(config);
	EXPECT_NE(config.error().message.find("hbm.toml:1:5: unknown section 'a'"), std::string::npos) << config.error().message;
}

// Found by fuzz_config's invariant (an accepted participant passes validateConstraints;
// tests/fuzz/crashes/config/alignment-2-30-accepted-negotiation-refuses): alignments up to
// 2^30 were accepted, and every negotiation with such a participant or rule was refused.
TEST(Config, AlignmentsAreWhatNegotiationAccepts)
{
	expectError("[participant.c]\nformats = [\"NV12\"]\nstride_alignment = 1073741824\n", "hbm.toml:3:20:",
		    "stride_alignment must be a power of two (1 to 2^24), not an integer (1073741824)");
	expectError("[device.d]\nmatch.drm_driver = \"x\"\noffset_alignment = 33554432\n", "hbm.toml:3:20:",
		    "offset_alignment must be a power of two (1 to 2^24)");
	auto largest = parseConfig("[participant.c]\nformats = [\"NV12\"]\nstride_alignment = 16777216\n", "hbm.toml");
	ASSERT_TRUE(largest) << largest.error().message;
	EXPECT_EQ(largest->participants.at(0).constraints.strideAlignment, kMaxAlignment);
}

// Found by fuzz_config (tests/fuzz/crashes/config/toml-assertion-brace-as-array-element):
// toml++ 3.3's parse_array() hands a '}' where an element belongs to parse_value(), which
// asserts it is no value terminator — an abort here, undefined behaviour (an assumption)
// in a build without assertions. A '}' can close only an inline table, never an array.
TEST(Config, BraceInsideAnArrayIsRefusedBeforeTomlPlusPlus)
{
	expectError("x = [}]\n", "hbm.toml:1:6:", "a '}' inside an array");
	expectError("x = [1, }]\n", "hbm.toml:1:9:", "a '}' inside an array");
	expectError("x = [ # c\n }]\n", "hbm.toml:2:2:", "a '}' inside an array");
	expectError("x = [[[[[[[[}[\x01" "0]]n'\n", "hbm.toml:1:13:", "a '}' inside an array");
	expectError("", "HBM_CONFIG_OVERRIDE:1:39: statement 2 'kind.k.allocators=[}]': ", "a '}' inside an array",
		    "heap.r.cached=true;kind.k.allocators=[}]");
	// Where TOML has them, braces and brackets nest as ever.
	auto config = parseConfig("[participant.c]\nformats = [\"NV12\", # }\n\"}\"]\n", "hbm.toml");
	ASSERT_FALSE(config);
	EXPECT_NE(config.error().message.find("unknown format '}'"), std::string::npos) << config.error().message;
	EXPECT_TRUE(parseConfig("device.d = { match = { drm_driver = \"x\" }, formats = [\"NV12\"] }\n", "hbm.toml"));
}

// Found by fuzz_config (tests/fuzz/crashes/config/toml-unreachable-scanning-a-number-into-a-string):
// toml++ 3.3 scans a value that begins with a digit or sign up to 127 code points ahead,
// over quotes, asking is_value_terminator() of each — #295's __builtin_unreachable() for
// a non-ASCII one, though the guard saw it inside a string.
TEST(Config, NonAsciiInReachOfANumbersScanIsRefusedBeforeTomlPlusPlus)
{
	expectError("[participant.c]\nformats = 0[\"NV12\xcc\xaa\"]\n", "hbm.toml:2:11:",
		    "a value beginning with a digit or sign runs into a non-ASCII character");
	expectError("[heap.r]\nmemory_end = -1\"\xc2\xa1\"\n", "hbm.toml:2:14:", "runs into a non-ASCII character");
	expectError("[heap.r]\nmemory_end = 1979-05-27 0\"\xc2\xa1\"\n", "hbm.toml:2:25:", "runs into a non-ASCII character");
	// Numbers next to text where TOML allows it are taken as ever.
	auto config = parseConfig("[participant.\"cam\xc3\xa9ra\"]\nformats = [\"NV12\"]\nmax_width = 1920 # \xc2\xa1\n"
				  "max_height = 1080# \xc2\xa1\nstride_alignment = 64\n[heap.\"r\xc3\xa9\"]\nmemory_end = 4096\n",
				  "hbm.toml");
	ASSERT_TRUE(config) << config.error().message;
	EXPECT_EQ(config->participants.at(0).constraints.maxHeight, 1080u);
}

// Found by fuzz_config (tests/fuzz/crashes/config/toml-assertion-date-space-one-digit):
// toml++ 3.3 takes a digit after a date and a space for the start of a time and asserts,
// scanning on, that the next character ends no value. A time there is HH:MM:SS.
TEST(Config, ADateSpaceAndOneDigitIsRefusedBeforeTomlPlusPlus)
{
	for (const char *text : {"[heap.r]\ncached = 3958-05-2c 8 \n", "[heap.r]\nmemory_end = 1979-05-27 1\n",
				 "[heap.r]\nmemory_end = [1979-05-27 0]\n", "[heap.r]\nmemory_end = 1_979-05-27 1#\n"})
		expectError(text, "hbm.toml:2:", "a date followed by a space and one digit (a time is HH:MM:SS)");
	// Not the hazard: toml++ refuses these itself, naming the place.
	for (const char *text : {"[heap.r]\nmemory_end = 1979-05-27 12\n", "[heap.r]\nmemory_end = 1979-05-27 1",
				 "[heap.r]\nmemory_end = 1979-05-27T1\n", "[heap.r]\nmemory_end = 1979-05-27 x\n"}) {
		auto config = parseConfig(text, "hbm.toml");
		ASSERT_FALSE(config) << text;
		EXPECT_EQ(config.error().message.find("a date followed by a space"), std::string::npos) << config.error().message;
	}
}

// marzer/tomlplusplus#295: a code point whose 1018-wide block holds non-ASCII whitespace
// (U+00A1-U+0499, U+2E5E-U+3257, U+FB26-U+FEFE) reaches __builtin_unreachable() wherever
// toml++ skips whitespace.
TEST(Config, NonAsciiWhereTomlPlusPlusSkipsWhitespaceIsRefusedBeforeIt)
{
	expectError("\xcc\xaa", "hbm.toml:1:1:", "non-ASCII character outside a string or comment");
	expectError("[heap.a]\ncached = true \xc2\xa1\n", "hbm.toml:2:15:", "non-ASCII character outside a string or comment");
	expectError("[heap. \xe3\x80\x81]", "hbm.toml:1:8:", "non-ASCII character outside a string or comment");
	expectError("[kind.k]\nallocators = [\"a\",\xef\xbc\x80]", "hbm.toml:2:19:", "non-ASCII character outside a string or comment");
	expectError("[kind.k]\nallocators = [\"\"\"\\\xc2\xa1\"\"\"]", "hbm.toml:2:19:", "after a backslash in a multi-line string");
	expectError("[kind.k]\nallocators = [\"\"\"\\ \n  \n \xc3\xa9\"\"\"]", "hbm.toml:4:2:", "after a backslash in a multi-line string");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:", "non-ASCII character outside a string or comment", "heap.reserved.cached=false \xcc\xaa");

	// Non-ASCII text where TOML allows it, and where toml++ reads it without harm, is fine.
	auto config = parseConfig("\xef\xbb\xbf# caméra \xcc\xaa\n[participant.\"caméra\xcc\xaa\"]\nformats = [\"NV12\"] # ¡\n"
				  "[kind.k]\nallocators = [\"\"\"\\\"\xc2\xa1\"\"\", '''\xc2\xa1\\''', \"\\\\\xc2\xa1\"]\n",
				  "hbm.toml");
	ASSERT_TRUE(config) << config.error().message;
	EXPECT_EQ(config->participants[0].name(), "caméra\xcc\xaa (declared)");
	EXPECT_EQ(config->kinds[0].allocators, (std::vector<std::string>{"\"\xc2\xa1", "\xc2\xa1\\", "\\\xc2\xa1"}));
}

// Hostile texts: each is refused with a place and a reason, or read as TOML says, never a
// crash. The catalogue is docs/hostile-inputs.md.
TEST(Config, DeepNestingIsRefusedNotACrash)
{
	// toml++ builds and frees tables recursively: a key of 100000 parts overflowed the stack.
	std::string deep = "heap";
	for (int i = 0; i < 100000; ++i)
		deep += ".a";
	expectError(deep + " = 1\n", "hbm.toml:1:", "a dotted key of more than 16 parts");
	expectError("[" + deep + "]\n", "hbm.toml:1:", "a dotted key of more than 16 parts");
	expectError("x = {" + deep + " = 1}\n", "hbm.toml:1:", "a dotted key of more than 16 parts");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:", "a dotted key of more than 16 parts", deep + "=1");
	expectError("a = " + std::string(100000, '[') + std::string(100000, ']') + "\n", "hbm.toml:1:21:",
		    "arrays or tables nested more than 16 deep");
	std::string inlined = "a = ";
	for (int i = 0; i < 100000; ++i)
		inlined += "{a=";
	expectError(inlined + "1" + std::string(100000, '}'), "hbm.toml:1:53:", "arrays or tables nested more than 16 deep");
	// Floats and dates have dots too, and are no keys.
	EXPECT_FALSE(parseConfig("[heap.x]\nmemory_end = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 1.5, 2.5, 3.5, 4.5, 5.5, "
				 "6.5, 7.5, 8.5, 9.5]\n", "hbm.toml").error().message.find("dotted") != std::string::npos);
}

TEST(Config, HugeAndRepeatedListsAreRefused)
{
	std::string formats = "[participant.c]\nformats = [";
	for (int i = 0; i < 100000; ++i)
		formats += "\"NV12\",";
	expectError(formats + "]\n", "hbm.toml:2:19:", "formats lists 'NV12' twice");
	expectError("[kind.k]\nallocators = [\"dma-heap:system\", \"udmabuf\", \"dma-heap:system\"]\n", "hbm.toml:2:45:",
		    "allocators lists 'dma-heap:system' twice");
	expectError(std::string(kMaxConfigTextForTest + 1, '#'), "hbm.toml: is 1048577 bytes; a configuration is at most 1048576", "");
	expectError(kFull, "HBM_CONFIG_OVERRIDE: is 1048577 bytes", "", std::string(kMaxConfigTextForTest + 1, ' '));
	// A line of 512 KiB: refused, and the message quotes 64 bytes of it.
	auto config = parseConfig("[heap.x]\n" + std::string(512 << 10, 'k') + " = 1\n", "hbm.toml");
	ASSERT_FALSE(config);
	EXPECT_LT(config.error().message.size(), 200u) << config.error().message.size();
	EXPECT_NE(config.error().message.find("heap.x: unknown key 'kkkkkkkk"), std::string::npos) << config.error().message;
}

TEST(Config, DuplicateKeysInTheFileAreRefusedAndTheOverrideWins)
{
	expectError("[heap.a]\ncached = true\ncached = false\n", "hbm.toml:3:", "redefine");
	expectError("[heap.a]\n[heap.a]\n", "hbm.toml:2:", "redefine");
	auto config = parseConfig("[heap.a]\ncached = true\n[heap.b]\ncached = true\n", "hbm.toml",
				  "heap.a.cached=false;heap.b={contiguous=true}");
	ASSERT_TRUE(config) << config.error().message;
	EXPECT_EQ(config->heaps[0].cached, false);
	EXPECT_EQ(config->heaps[1].cached, true); // tables merge, values replace
	EXPECT_EQ(config->heaps[1].contiguous, true);
}

TEST(Config, NamesAndStringsAreText)
{
	expectError("[participant.c]\nformats = [\"nv12\"]\n", "hbm.toml:2:12:", "unknown format 'nv12'");
	expectError("[participant.c]\nformats = [\"AR24\"]\n", "hbm.toml:2:12:", "unknown format 'AR24'");
	expectError("[participant.c]\nformats = [\"XRGB8888 \"]\n", "hbm.toml:2:12:", "unknown format 'XRGB8888 '");
	expectError("[participant.c]\nformats = [\"\"]\n", "hbm.toml:2:12:", "formats '' is empty");
	// A NUL cut the message short ("unknown format 'NV12") and drm_driver = "vkms\0x" matched nothing.
	expectError("[participant.c]\nformats = [\"NV12\\u0000\"]\n", "hbm.toml:2:12:", "formats 'NV12\\x00' holds a control character");
	expectError("[device.d]\nmatch.drm_driver = \"vkms\\u0000x\"\n", "hbm.toml:2:20:", "drm_driver 'vkms\\x00x' holds a control character");
	expectError("[device.d]\nmatch.drm_driver = \"\"\n", "hbm.toml:2:20:", "drm_driver '' is empty");
	expectError(kFull, "HBM_CONFIG_OVERRIDE:1:31: statement 1 'device.panel.match.drm_driver=\"\"'", "drm_driver '' is empty",
		    "device.panel.match.drm_driver=\"\"");
	expectError("[heap.\"\"]\n", "hbm.toml:1:1:", "heap name '' is empty");
	expectError("[heap.\"a\\tb\"]\n", "hbm.toml:1:1:", "heap name 'a\\x09b' holds a control character");
	expectError("[heap." + std::string(256, 'h') + "]\n", "hbm.toml:1:1:", "is longer than 255 bytes");
	expectError("[heap.a]\n\"con\\u0000tiguous\" = true\n", "hbm.toml:2:", "heap.a: unknown key 'con\\x00tiguous'");
	expectError(std::string("[heap.a]\ncached = \"a\0b\"\n", 25), "hbm.toml:2:", "control characters");
	expectError(std::string("[heap.a]\0\n", 10), "hbm.toml:1:9:", "");
	expectError("[heap.a]\ncached = \"\xff\"\n", "hbm.toml:2:", "");
	expectError("# \xc3\n", "hbm.toml:1:", "");
	expectError("a = '\xed\xa0\x80'\n", "hbm.toml:1:", "");
}

TEST(Config, OtherShapesOfTheSameMistakes)
{
	expectError("[[heap]]\n", "hbm.toml:1:1:", "heap must be a table, not an array");
	expectError("heap = \"reserved\"\n", "hbm.toml:1:8:", "heap must be a table, not a string");
	expectError("[heap]\nreserved = true\n", "hbm.toml:2:12:", "heap.reserved must be a table, not a boolean");
	expectError("[participant.c]\nformats = [\"NV12\"]\nmax_width = 65537\n", "hbm.toml:3:13:", "max_width must be 1 to 65536");
	expectError("[participant.c]\nformats = [\"NV12\"]\nmax_height = -1\n", "hbm.toml:3:14:", "max_height must be 1 to 65536");
	expectError("[participant.c]\nformats = \"NV12\"\n", "hbm.toml:2:11:", "formats must be a list of strings, not a string");
	expectError("[heap.a]\nmemory_end = 99999999999999999999\n", "hbm.toml:2:", "");
	expectError("[kind.k]\nallocators = []\n", "hbm.toml:1:1:", "kind.k needs allocators");
	auto inlineForm = parseConfig("heap = { reserved = { contiguous = true } }\r\n", "hbm.toml");
	ASSERT_TRUE(inlineForm) << inlineForm.error().message;
	EXPECT_EQ(inlineForm->heaps[0].contiguous, true);
}

TEST(Config, OnlyARegularFileIsRead)
{
	// HBM_CONFIG=/dev/zero read until memory ran out; a directory read as an empty file.
	for (const char *path : {"/dev/zero", "/tmp", "/dev/null"}) {
		setenv("HBM_CONFIG", path, 1);
		auto config = loadConfig();
		unsetenv("HBM_CONFIG");
		ASSERT_FALSE(config) << path;
		EXPECT_EQ(config.error().message, std::string("HBM_CONFIG: ") + path + " is not a regular file");
	}
	setenv("HBM_CONFIG", "/nonexistent/hbm.toml", 1);
	auto missing = loadConfig();
	unsetenv("HBM_CONFIG");
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().code, ENOENT);
	EXPECT_EQ(missing.error().message, "HBM_CONFIG: /nonexistent/hbm.toml cannot be read: open failed: No such file or directory");
}

// [renderer.NAME] rules and rendererLocality(): the configuration side of the renderer table
// (src/seam/renderer.hpp) that libhbm-egl and libhbm-wayland read.
namespace {

hbm::Config parsed(const std::string &text)
{
	auto config = hbm::parseConfig(text, "hbm.toml");
	EXPECT_TRUE(config) << config.error().toString();
	return config ? *config : hbm::Config{};
}
} // namespace

TEST(RendererRules, Parse)
{
	auto config = parsed("[renderer.panfrost-measured]\nmatch.drm_driver = \"panfrost\"\n"
			     "match.mesa_driver = \"kms_swrast\"\ndevice_local = true\n"
			     "[renderer.vgem-off]\nmatch.drm_driver = \"vgem\"\ndevice_local = false\n");
	ASSERT_EQ(config.renderers.size(), 2u);
	EXPECT_EQ(config.renderers[0].name, "panfrost-measured");
	EXPECT_EQ(config.renderers[0].drmDriver, "panfrost");
	EXPECT_EQ(config.renderers[0].mesaDriver, "kms_swrast");
	EXPECT_TRUE(config.renderers[0].deviceLocal);
	EXPECT_EQ(config.renderers[1].drmDriver, "vgem");
	EXPECT_EQ(config.renderers[1].mesaDriver, "");
	EXPECT_FALSE(config.renderers[1].deviceLocal);
}

TEST(RendererRules, ParseErrorsNameLineAndColumn)
{
	expectError("[renderer.a]\nmatch.drm_driver = \"vkms\"\ndevice_local = 1\n", "hbm.toml:3:16:", "device_local");
	expectError("[renderer.a]\nmatch.gpu = \"x\"\ndevice_local = true\n", "hbm.toml:2:", "unknown key 'gpu'");
	expectError("[renderer.a]\ndevice_local = true\n", "hbm.toml:1:", "matches nothing");
	expectError("[renderer.a]\nmatch.drm_driver = \"vkms\"\n", "hbm.toml:1:", "needs device_local");
	expectError("[renderer.a]\nmatch.mesa_driver = \"\"\ndevice_local = true\n", "hbm.toml:2:", "is empty");
	expectError("[renderer.a]\nlocal = true\n", "hbm.toml:2:", "unknown key 'local'");
}

TEST(RendererRules, OneLineOverride)
{
	auto config = hbm::parseConfig("", "hbm.toml",
				       "renderer.x.match.drm_driver=\"vkms\";renderer.x.device_local=false");
	ASSERT_TRUE(config) << config.error().toString();
	ASSERT_EQ(config->renderers.size(), 1u);
	EXPECT_FALSE(hbm_seam::rendererLocality(&*config, "vkms", "kms_swrast").deviceLocal);
}

TEST(RendererLocality, TableWithoutConfiguration)
{
	auto swrast = hbm_seam::rendererLocality(nullptr, "vkms", "kms_swrast");
	EXPECT_TRUE(swrast.deviceLocal);
	EXPECT_NE(swrast.reason.find("MAP_DUMB"), std::string::npos);
	EXPECT_NE(swrast.source.find("drm_gem.c"), std::string::npos);
	EXPECT_TRUE(hbm_seam::rendererLocality(nullptr, "vgem", "").deviceLocal);
	// A hardware driver on a device the table knows is not kms_swrast: no restriction.
	EXPECT_FALSE(hbm_seam::rendererLocality(nullptr, "vkms", "iris").deviceLocal);
	EXPECT_FALSE(hbm_seam::rendererLocality(nullptr, "amdgpu", "radeonsi").deviceLocal);
}

TEST(RendererLocality, ConfigurationAddsAndTurnsOff)
{
	auto config = parsed("[renderer.measured]\nmatch.drm_driver = \"cirrus\"\ndevice_local = true\n"
			     "[renderer.off]\nmatch.mesa_driver = \"kms_swrast\"\ndevice_local = false\n");
	auto cirrus = hbm_seam::rendererLocality(&config, "cirrus", "");
	EXPECT_TRUE(cirrus.deviceLocal);
	EXPECT_EQ(cirrus.source, "configuration hbm.toml [renderer.measured]");
	auto off = hbm_seam::rendererLocality(&config, "vkms", "kms_swrast");
	EXPECT_FALSE(off.deviceLocal);
	EXPECT_EQ(off.source, "configuration hbm.toml [renderer.off]");
	// Rules that do not match leave the table in force.
	EXPECT_TRUE(hbm_seam::rendererLocality(&config, "vgem", "").deviceLocal);
	// Every match key given must be equal.
	auto both = parsed("[renderer.b]\nmatch.drm_driver = \"vkms\"\nmatch.mesa_driver = \"iris\"\ndevice_local = true\n");
	EXPECT_EQ(hbm_seam::rendererLocality(&both, "vkms", "kms_swrast").source.find("renderer.b"), std::string::npos);
	EXPECT_TRUE(hbm_seam::rendererLocality(&both, "vkms", "iris").deviceLocal);
	EXPECT_FALSE(hbm_seam::rendererLocality(&both, "amdgpu", "iris").deviceLocal);
}


TEST(Config, ContiguousWithoutIommuIsParsedAndChecked)
{
	auto config = parseConfig("[device.cirrus]\nmatch.drm_driver = \"cirrus\"\ncontiguous_without_iommu = true\n", "hbm.toml");
	ASSERT_TRUE(config) << config.error().message;
	ASSERT_EQ(config->rules.size(), 1u);
	EXPECT_TRUE(config->rules[0].contiguousWithoutIommu);
	EXPECT_FALSE(config->rules[0].contiguous) << "the IOMMU decides, not the rule";

	// The one-line override can say it, and take it back.
	auto over = parseConfig("", "hbm.toml",
				"device.c.match.drm_driver=\"cirrus\";device.c.contiguous_without_iommu=true");
	ASSERT_TRUE(over) << over.error().message;
	EXPECT_TRUE(over->rules[0].contiguousWithoutIommu);
	auto off = parseConfig("[device.cirrus]\nmatch.drm_driver = \"cirrus\"\ncontiguous_without_iommu = true\n",
			       "hbm.toml", "device.cirrus.contiguous_without_iommu=false");
	ASSERT_TRUE(off) << off.error().message;
	EXPECT_FALSE(off->rules[0].contiguousWithoutIommu);

	expectError("[device.x]\nmatch.drm_driver = \"cirrus\"\ncontiguous_without_iommu = 1\n", "hbm.toml:3:28:",
		    "contiguous_without_iommu must be true or false, not an integer (1)");
	expectError("[device.x]\nmatch.drm_driver = \"cirrus\"\ncontiguous_without_iommu = \"yes\"\n", "hbm.toml:3:28:",
		    "contiguous_without_iommu must be true or false, not a string");
	expectError("[device.x]\ncontiguous_without_iommu = true\n", "hbm.toml:1:", "device.x matches nothing");
	expectError("[device.x]\nmatch.drm_driver = \"cirrus\"\ncontiguous = true\ncontiguous_without_iommu = true\n",
		    "hbm.toml:4:28:", "device.x gives both contiguous and contiguous_without_iommu = true");
	expectError("[device.x]\nmatch.drm_driver = \"cirrus\"\ncontiguous_without_mmu = true\n", "hbm.toml:3:",
		    "unknown key 'contiguous_without_mmu' (match, contiguous, contiguous_without_iommu,");
	// Declared participants have no sysfs directory to ask: the key is a device rule's.
	expectError("[participant.c]\nformats = [\"NV12\"]\ncontiguous_without_iommu = true\n", "hbm.toml:3:",
		    "participant.c: unknown key 'contiguous_without_iommu'");
}
