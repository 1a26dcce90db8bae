// SPDX-License-Identifier: MIT
// Configuration: TOML through toml++, checked strictly into hbm::Config. toml++ reports
// syntax errors by exception; they are caught here and returned as errors with line and
// column, like every other fault found.
#include <hbm/config.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
// toml++ is compiled here from its headers, not called in libtomlplusplus.so: its parser then
// runs under the sanitizers and the fuzzer that check hbm, which is how its undefined
// behaviour on hostile text is seen at all (below: guardToml).
#undef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#undef TOML_SHARED_LIB
#define TOML_SHARED_LIB 0
#include <toml++/toml.h>

#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

#include "constraint_check.hpp"
#include "base/error.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

/// How many code points @s has: toml++ counts columns in code points.
size_t codePoints(std::string_view s)
{
	return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; });
}

/// One statement of HBM_CONFIG_OVERRIDE: where it starts (in bytes) and its text.
struct Statement {
	size_t offset;
	std::string_view text;
};

/// Where a fault is: a line and column of the file, or a statement of the override, which
/// is parsed one statement per line.
struct Where {
	std::string origin;
	std::string_view override;
	std::vector<Statement> statements;
	const std::string *overridePath = nullptr; ///< toml++'s source path of the override's nodes

	Error at(unsigned line, unsigned column, const std::string &message, bool inOverride) const
	{
		if (!inOverride)
			return makeError(EINVAL, "%s:%u:%u: %s", origin.c_str(), line, column, message.c_str());
		if (line == 0 || line > statements.size())
			return makeError(EINVAL, "HBM_CONFIG_OVERRIDE: %s", message.c_str());
		const Statement &s = statements[line - 1];
		return makeError(EINVAL, "HBM_CONFIG_OVERRIDE:1:%zu: statement %u %s: %s",
				 codePoints(override.substr(0, s.offset)) + column, line, quoted(s.text, '\'').c_str(),
				 message.c_str());
	}
	Error at(const toml::node &node, const std::string &message) const
	{
		const auto &src = node.source();
		return at(src.begin.line, src.begin.column, message, overridePath && src.path.get() == overridePath);
	}
};

/// The ';'-separated statements of @override (a ';' inside a string is the string's).
std::vector<Statement> statementsOf(std::string_view override)
{
	std::vector<Statement> out;
	size_t start = 0;
	char quote = 0;
	for (size_t i = 0; i <= override.size(); ++i) {
		char c = i < override.size() ? override[i] : ';';
		if (quote == '"' && c == '\\')
			++i;
		else if (quote && c == quote)
			quote = 0;
		else if (!quote && (c == '"' || c == '\''))
			quote = c;
		else if (!quote && c == ';') {
			out.push_back({start, override.substr(start, i - start)});
			start = i + 1;
		}
	}
	return out;
}

constexpr unsigned kMaxKeyParts = 16, kMaxNesting = 16;
/// More than any configuration needs; toml++ holds a text in memory several times its size.
constexpr size_t kMaxText = 1 << 20;

/// toml++'s is_value_terminator() on ASCII: whitespace (line breaks are \n to \r), ']', '}',
/// ',' and '#' end a value it scans. (Non-ASCII is refused outside strings before it
/// matters.)
bool endsValue(char c)
{
	return c == ' ' || c == '\t' || (c >= '\n' && c <= '\r') || c == ']' || c == '}' || c == ',' || c == '#';
}

/// Whether @value begins with what toml++ 3.3 takes for a date (ten characters, underscores
/// not counted, with '-' as the fifth and eighth, and no other trait it tracks), then a
/// space, one digit and a value terminator: see tomlPlusPlusHazard().
bool dateThenOneDigit(std::string_view value)
{
	std::string chars;
	size_t end = 0;
	for (; end < value.size() && !endsValue(value[end]) && chars.size() <= 10; ++end)
		if (value[end] != '_')
			chars += value[end];
	if (chars.size() != 10 || chars[4] != '-' || chars[7] != '-')
		return false;
	for (char ch : chars)
		if (std::string_view("+.:tTzZ").find(ch) != std::string_view::npos)
			return false; // toml++ reads these as something other than a plain date
	return end + 2 < value.size() && value[end] == ' ' && std::isdigit(static_cast<unsigned char>(value[end + 1])) &&
	       endsValue(value[end + 2]);
}

/// A fault in TOML text found before toml++ parses it; line and column count as toml++ does.
struct TomlFault {
	unsigned line, column;
	const char *what;
};

/// Finds what toml++ 3.3 must not be shown, as it has undefined behaviour on it:
/// - marzer/tomlplusplus#294: a table header that does not begin with a key ("[&", "[\n")
///   reaches parse_key(), which assumes it does (an assertion, or undefined behaviour).
/// - A date and a space followed by one digit and a value terminator (`x = 1979-05-27 1`,
///   found by fuzz-config): toml++ 3.3 reads the digit as the start of a time and scans
///   on, asserting it is not at a terminator (parse_value(), parser.inl). A time after a
///   date and a space is HH:MM:SS, so TOML never allows this.
/// - marzer/tomlplusplus#295: is_non_ascii_horizontal_whitespace() reaches
///   __builtin_unreachable() for the code points near non-ASCII whitespace (U+00A1-U+0499,
///   U+2E5E-U+3257, U+FB26-U+FEFE), and toml++ asks it wherever whitespace may be: outside
///   strings and comments (where TOML allows no non-ASCII character anyway), and after a
///   backslash in a multi-line basic string.
/// toml++ stops at its first error, so the walk need only be right on valid TOML before it.
std::optional<TomlFault> tomlPlusPlusHazard(std::string_view text)
{
	enum class In { Code, Comment, Basic, BasicEscape, Literal, MultiBasic, Escape, LineEnding, MultiLiteral };
	In in = In::Code;
	unsigned line = 1, column = 0, parts = 0;
	std::string open; // the brackets open around here, innermost last
	size_t scannedTo = 0; // bytes before this were looked at by a value's scan (below)
	bool lineStart = true;
	auto isBlank = [](char c) { return c == ' ' || c == '\t'; };
	auto isSpace = [&](char c) { return isBlank(c) || c == '\r' || c == '\n'; };
	if (text.substr(0, 3) == "\xef\xbb\xbf") // a byte-order mark, which toml++ skips
		text.remove_prefix(3);
	for (size_t i = 0; i < text.size(); ++i) {
		const unsigned char c = text[i];
		if ((c & 0xc0) != 0x80)
			++column;
		const bool opensMulti = (c == '"' || c == '\'') && i + 2 < text.size() && text[i + 1] == char(c) &&
					text[i + 2] == char(c);
		switch (in) {
		case In::Code:
			if (c >= 0x80)
				return TomlFault{line, column, "a non-ASCII character outside a string or comment"};
			// toml++ 3.3 classifies a value that begins with a digit or sign by scanning up
			// to 127 code points ahead to a value terminator, quotes included: a non-ASCII
			// character in that reach is #295's __builtin_unreachable() (`x = 0["é`). In TOML
			// such a value is a number or date, ASCII up to a terminator: refusing is exact.
			if ((std::isdigit(c) || c == '+' || c == '-') &&
			    (i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_' ||
					 text[i - 1] == '-' || text[i - 1] == '+' || text[i - 1] == '.' || text[i - 1] == ':'))) {
				size_t j = std::max(i + 1, scannedTo);
				for (const size_t reach = i + 4 * 128; j < text.size() && j < reach; ++j) {
					if (endsValue(text[j]))
						break;
					if (static_cast<unsigned char>(text[j]) >= 0x80)
						return TomlFault{line, column, "a value beginning with a digit or sign runs into a non-ASCII character"};
				}
				scannedTo = j;
				if (std::isdigit(c) && dateThenOneDigit(text.substr(i)))
					return TomlFault{line, column, "a date followed by a space and one digit (a time is HH:MM:SS)"};
			}
			if (c == '[' && open.empty() && lineStart) {
				size_t j = i + 1;
				if (j < text.size() && text[j] == '[')
					++j;
				while (j < text.size() && isBlank(text[j]))
					++j;
				const char k = j < text.size() ? text[j] : '\0';
				const bool key = (k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z') || (k >= '0' && k <= '9') ||
						 k == '_' || k == '-' || k == '"' || k == '\'';
				if (!key && k != ']')
					return TomlFault{line, column + unsigned(j - i), "a table header must begin with a name"};
			}
			// hbm's deepest key has 4 parts and its values nest 2 deep; toml++ builds and frees
			// tables recursively (a key of 50000 parts overflows an 8 MiB stack).
			if (c == '.' && ++parts > kMaxKeyParts)
				return TomlFault{line, column, "a dotted key of more than 16 parts"};
			if (std::string_view("=[]{},#\n").find(char(c)) != std::string_view::npos)
				parts = 0;
			if ((c == '[' || c == '{') && open.size() == kMaxNesting)
				return TomlFault{line, column, "arrays or tables nested more than 16 deep"};
			if (c == '#')
				in = In::Comment;
			else if (c == '"' || c == '\'') {
				in = c == '"' ? (opensMulti ? In::MultiBasic : In::Basic) : (opensMulti ? In::MultiLiteral : In::Literal);
				if (opensMulti) {
					i += 2;
					column += 2;
				}
			} else if (c == '[' || c == '{') {
				open += char(c);
			} else if ((c == ']' || c == '}') && !open.empty()) {
				// toml++ 3.3 takes a '}' where an array element belongs for the start of a
				// value and asserts it is not (undefined behaviour without assertions).
				if (c == '}' && open.back() == '[')
					return TomlFault{line, column, "a '}' inside an array, where a value or ']' belongs"};
				open.pop_back();
			}
			lineStart = lineStart && isSpace(c);
			break;
		case In::Comment:
			break;
		case In::Basic:
			in = c == '\\' ? In::BasicEscape : c == '"' ? In::Code : in;
			break;
		case In::BasicEscape:
			in = In::Basic;
			break;
		case In::Literal:
			in = c == '\'' ? In::Code : in;
			break;
		case In::Escape:
		case In::LineEnding:
			if (c >= 0x80)
				return TomlFault{line, column, "a non-ASCII character after a backslash in a multi-line string"};
			if (isSpace(c)) {
				in = In::LineEnding;
				break;
			}
			if (in == In::Escape) {
				in = In::MultiBasic;
				break;
			}
			in = In::MultiBasic;
			[[fallthrough]];
		case In::MultiBasic:
		case In::MultiLiteral:
			if (c == '\\' && in == In::MultiBasic)
				in = In::Escape;
			else if (opensMulti && c == (in == In::MultiBasic ? '"' : '\'')) {
				while (i + 1 < text.size() && text[i + 1] == char(c)) { // up to two quotes may end it
					++i;
					++column;
				}
				in = In::Code;
			}
			break;
		}
		if (c == '\n') {
			++line;
			column = 0;
			if (in == In::Code || in == In::Comment || in == In::Basic || in == In::Literal) {
				in = In::Code; // a line break ends a comment (and, in error, a one-line string)
				lineStart = true;
			}
		}
	}
	return std::nullopt;
}

/// What @node is, for messages: "an integer (1)", "a string (\"yes\")", "a table".
std::string found(const toml::node &node)
{
	static const char *const names[] = {"nothing", "a table", "an array", "a string", "an integer",
					     "a floating-point number", "a boolean", "a date", "a time",
					     "a date-time"};
	std::string out = names[size_t(node.type())];
	if (node.is_value()) {
		std::ostringstream value;
		node.visit([&](const auto &v) { value << v; });
		std::string shown = value.str();
		if (shown.size() > 40) {
			size_t cut = 37;
			while (cut && (shown[cut] & 0xc0) == 0x80) // not inside a UTF-8 sequence
				--cut;
			shown = shown.substr(0, cut) + "...";
		}
		// toml++ writes a string as TOML would (a literal string keeps its tabs as they are).
		out += " (" + printable(shown) + ")";
	}
	return out;
}

/// Moves @from into @into, table by table, later values replacing earlier ones. Moved, not
/// copied: a copied toml::node forgets where it came from.
void merge(toml::table &into, toml::table &&from)
{
	for (auto &&[key, value] : from) {
		auto *mine = into.get_as<toml::table>(key);
		if (mine && value.is_table())
			merge(*mine, std::move(*value.as_table()));
		else
			into.insert_or_assign(key, std::move(value));
	}
}

/// Why @text is not a size: "4096", "0x100000000", "64M", "4G" (K, M, G: binary multiples).
/// No sign, no spaces, no leading zeros (TOML's own integers have none either).
const char *sizeFault(std::string_view text, uint64_t *size)
{
	std::string_view digits = text;
	unsigned base = 10;
	if (digits.substr(0, 2) == "0x" || digits.substr(0, 2) == "0X") {
		base = 16;
		digits.remove_prefix(2);
	}
	if (!digits.empty() && digits[0] == '-')
		return "is negative";
	uint64_t v = 0;
	size_t n = 0;
	for (; n < digits.size(); ++n) {
		char c = digits[n];
		unsigned d = c >= '0' && c <= '9' ? c - '0'
			     : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
			     : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
								  : base;
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			return "does not fit in 64 bits";
		v = v * base + d;
	}
	std::string_view suffix = digits.substr(n);
	unsigned shift = suffix.empty() ? 0 : suffix == "K" || suffix == "k" ? 10 : suffix == "M" ? 20 : suffix == "G" ? 30 : 64;
	if (n == 0 || shift == 64 || (base == 10 && n > 1 && digits[0] == '0'))
		return "is not a size (like 4096, 0x100000000, 64M, 4G)";
	if (v > (UINT64_MAX >> shift))
		return "does not fit in 64 bits";
	*size = v << shift;
	return nullptr;
}

Result<uint64_t> sizeValue(const toml::node &node, const std::string &key, const Where &where)
{
	if (const auto *i = node.as_integer()) {
		if (i->get() < 0)
			return where.at(node, key + " must not be negative, not " + found(node));
		return uint64_t(i->get());
	}
	if (const auto *s = node.as_string()) {
		uint64_t size = 0;
		if (const char *fault = sizeFault(s->get(), &size))
			return where.at(node, key + " " + quoted(s->get()) + " " + fault);
		return size;
	}
	return where.at(node, key + " must be a number or a size string like \"4G\", not " + found(node));
}

Result<uint32_t> alignmentValue(const toml::node &node, const std::string &key, const Where &where)
{
	const auto *i = node.as_integer();
	int64_t v = i ? i->get() : 0;
	// The rule negotiation holds a participant to: anything else would be taken here and
	// refused at every negotiation.
	if (!validAlignment(uint64_t(v)))
		return where.at(node, key + " must be a power of two (1 to 2^24), not " + found(node));
	return uint32_t(v);
}

Result<bool> boolValue(const toml::node &node, const std::string &key, const Where &where)
{
	if (const auto *b = node.as_boolean())
		return b->get();
	return where.at(node, key + " must be true or false, not " + found(node));
}

/// Why @s cannot name anything: a name is 1 to 255 bytes of text without control characters
/// (a NUL would end it early in the kernel's and every C caller's eyes).
const char *nameFault(std::string_view s)
{
	if (s.empty())
		return "is empty";
	if (s.size() > 255)
		return "is longer than 255 bytes";
	if (std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
		return "holds a control character";
	return nullptr;
}

Result<std::string> stringValue(const toml::node &node, const std::string &key, const Where &where)
{
	const auto *s = node.as_string();
	if (!s)
		return where.at(node, key + " must be a string, not " + found(node));
	if (const char *fault = nameFault(s->get()))
		return where.at(node, key + " " + shown(s->get()) + " " + fault);
	return s->get();
}

Result<std::vector<std::string>> stringList(const toml::node &node, const std::string &key, const Where &where)
{
	const toml::array *array = node.as_array();
	if (!array)
		return where.at(node, key + " must be a list of strings, not " + found(node));
	std::vector<std::string> out;
	for (const toml::node &item : *array) {
		if (!item.is_string())
			return where.at(item, key + " must hold strings only, not " + found(item));
		auto s = stringValue(item, key, where);
		if (!s)
			return s.error();
		if (std::find(out.begin(), out.end(), *s) != out.end())
			return where.at(item, key + " lists " + shown(*s) + " twice");
		out.push_back(std::move(*s));
	}
	return out;
}

Result<std::vector<uint32_t>> formatList(const toml::node &node, const std::string &key, const Where &where)
{
	auto names = stringList(node, key, where);
	if (!names)
		return names.error();
	std::vector<uint32_t> out;
	const toml::array &array = *node.as_array();
	for (size_t i = 0; i < names->size(); ++i) {
		uint32_t fourcc = 0;
		for (const FormatInfo &f : knownFormats())
			if ((*names)[i] == f.name)
				fourcc = f.fourcc;
		if (!fourcc)
			return where.at(*array.get(i), "unknown format " + shown((*names)[i]) + " (use drm_fourcc.h names: XRGB8888, NV12 …)");
		out.push_back(fourcc);
	}
	return out;
}

const toml::table *sectionTable(const toml::node &node, const std::string &what, const Where &where, Error *error)
{
	const toml::table *t = node.as_table();
	if (!t)
		*error = where.at(node, what + " must be a table, not " + found(node));
	return t;
}

#define TRY_ASSIGN(target, expr)            \
	do {                                \
		auto r_ = (expr);           \
		if (!r_)                    \
			return r_.error();  \
		target = std::move(*r_);    \
	} while (0)

Result<HeapConfig> parseHeap(const std::string &name, const toml::table &t, const Where &where)
{
	HeapConfig h;
	h.name = name;
	for (const auto &[key, value] : t) {
		std::string k(key.str());
		if (k == "contiguous")
			TRY_ASSIGN(h.contiguous, boolValue(value, k, where));
		else if (k == "cached")
			TRY_ASSIGN(h.cached, boolValue(value, k, where));
		else if (k == "memory_end")
			TRY_ASSIGN(h.memoryEnd, sizeValue(value, k, where));
		else
			return where.at(value, "heap." + name + ": unknown key " + shown(k) + " (contiguous, cached, memory_end)");
	}
	return h;
}

/// The constraint keys shared by device rules and declared participants.
template<typename Apply>
Result<bool> constraintKey(const std::string &k, const toml::node &value, const Where &where, Apply &&apply)
{
	if (k == "contiguous") {
		auto v = boolValue(value, k, where);
		if (!v)
			return v.error();
		apply.contiguous(*v);
	} else if (k == "address_limit") {
		auto v = sizeValue(value, k, where);
		if (!v)
			return v.error();
		apply.addressLimit(*v);
	} else if (k == "stride_alignment" || k == "offset_alignment") {
		auto v = alignmentValue(value, k, where);
		if (!v)
			return v.error();
		k == "stride_alignment" ? apply.strideAlignment(*v) : apply.offsetAlignment(*v);
	} else if (k == "formats") {
		auto v = formatList(value, k, where);
		if (!v)
			return v.error();
		apply.formats(*v);
	} else {
		return false;
	}
	return true;
}

Result<DeviceRule> parseRule(const std::string &name, const toml::table &t, const Where &where)
{
	DeviceRule r;
	r.name = name;
	struct {
		DeviceRule &r;
		void contiguous(bool v) { r.contiguous = v; }
		void addressLimit(uint64_t v) { r.addressLimit = v; }
		void strideAlignment(uint32_t v) { r.strideAlignment = v; }
		void offsetAlignment(uint32_t v) { r.offsetAlignment = v; }
		void formats(std::vector<uint32_t> v) { r.formats = std::move(v); }
	} apply{r};
	for (const auto &[key, value] : t) {
		std::string k(key.str());
		if (k == "match") {
			Error error;
			const toml::table *m = sectionTable(value, "device." + name + ".match", where, &error);
			if (!m)
				return error;
			for (const auto &[mkey, mvalue] : *m) {
				std::string mk(mkey.str());
				std::string *slot = mk == "drm_driver" ? &r.drmDriver
						  : mk == "sysfs_path" ? &r.sysfsPath
						  : mk == "v4l2_card" ? &r.v4l2Card
								      : nullptr;
				if (!slot)
					return where.at(mvalue, "device." + name + ".match: unknown key " + shown(mk) +
								       " (drm_driver, sysfs_path, v4l2_card)");
				TRY_ASSIGN(*slot, stringValue(mvalue, mk, where));
			}
			continue;
		}
		if (k == "contiguous_without_iommu") {
			TRY_ASSIGN(r.contiguousWithoutIommu, boolValue(value, k, where));
			continue;
		}
		auto known = constraintKey(k, value, where, apply);
		if (!known)
			return known.error();
		if (!*known)
			return where.at(value, "device." + name + ": unknown key " + shown(k) +
						       " (match, contiguous, contiguous_without_iommu, address_limit, stride_alignment, offset_alignment, formats)");
	}
	if (r.drmDriver.empty() && r.sysfsPath.empty() && r.v4l2Card.empty())
		return where.at(t, "device." + name + " matches nothing: give match.drm_driver, match.sysfs_path or match.v4l2_card");
	// Two answers to one question: `contiguous` decides whatever the IOMMU, the other asks it.
	if (r.contiguous && r.contiguousWithoutIommu)
		return where.at(*t.get("contiguous_without_iommu"),
				"device." + name + " gives both contiguous and contiguous_without_iommu = true: keep "
				"contiguous to decide whatever the IOMMU, or contiguous_without_iommu to let the IOMMU decide");
	return r;
}

Result<Participant> parseParticipant(const std::string &name, const toml::table &t, const Where &where)
{
	Participant p;
	p.identity = DeclaredIdentity{name};
	p.source = "declared in " + where.origin;
	std::vector<uint32_t> formats;
	bool implicit = false;
	struct {
		Participant &p;
		std::vector<uint32_t> &f;
		void contiguous(bool v) { p.constraints.placement.contiguous = v; }
		void addressLimit(uint64_t v) { p.constraints.placement.addressLimit = v; }
		void strideAlignment(uint32_t v) { p.constraints.strideAlignment = v; }
		void offsetAlignment(uint32_t v) { p.constraints.offsetAlignment = v; }
		void formats(std::vector<uint32_t> v) { f = std::move(v); }
	} apply{p, formats};
	for (const auto &[key, value] : t) {
		std::string k(key.str());
		if (k == "implicit_modifier") {
			TRY_ASSIGN(implicit, boolValue(value, k, where));
			continue;
		}
		if (k == "max_width" || k == "max_height") {
			const auto *v = value.as_integer();
			if (!v || !validDimension(uint64_t(v->get())))
				return where.at(value, k + stringf(" must be 1 to %u, not ", kMaxDimension) + found(value));
			(k == "max_width" ? p.constraints.maxWidth : p.constraints.maxHeight) = uint32_t(v->get());
			continue;
		}
		auto known = constraintKey(k, value, where, apply);
		if (!known)
			return known.error();
		if (!*known)
			return where.at(value, "participant." + name + ": unknown key " + shown(k) +
						       " (formats, contiguous, address_limit, stride_alignment, offset_alignment, max_width, max_height, implicit_modifier)");
	}
	if (formats.empty())
		return where.at(t, "participant." + name + " needs formats = [...]");
	for (uint32_t f : formats) {
		p.constraints.formats.add(f, DRM_FORMAT_MOD_LINEAR);
		if (implicit)
			p.constraints.formats.add(f, DRM_FORMAT_MOD_INVALID);
	}
	return p;
}

Result<RegionConfig> parseRegion(const std::string &name, const toml::table &t, const Where &where)
{
	RegionConfig region;
	region.name = name;
	for (const auto &[key, value] : t) {
		std::string k(key.str());
		if (k == "heap")
			TRY_ASSIGN(region.heap, stringValue(value, k, where));
		else if (k == "size")
			TRY_ASSIGN(region.size, sizeValue(value, k, where));
		else if (k == "algorithm")
			TRY_ASSIGN(region.algorithm, stringValue(value, k, where));
		else
			return where.at(value, "region." + name + ": unknown key " + shown(k) + " (heap, size, algorithm)");
		if (k == "algorithm" && region.algorithm != "best-fit" && region.algorithm != "first-fit")
			return where.at(value, "region." + name + ": algorithm " + shown(region.algorithm) +
						       " is not best-fit or first-fit");
	}
	if (region.heap.empty() || region.size == 0 || region.size % 4096)
		return where.at(t, "region." + name + " needs heap = \"…\" and size, a multiple of 4096 (\"16M\")");
	return region;
}

Result<RendererRule> parseRenderer(const std::string &name, const toml::table &t, const Where &where)
{
	RendererRule r;
	r.name = name;
	bool decided = false;
	for (const auto &[key, value] : t) {
		std::string k(key.str());
		if (k == "device_local") {
			TRY_ASSIGN(r.deviceLocal, boolValue(value, k, where));
			decided = true;
		} else if (k == "match") {
			Error error;
			const toml::table *m = sectionTable(value, "renderer." + name + ".match", where, &error);
			if (!m)
				return error;
			for (const auto &[mkey, mvalue] : *m) {
				std::string mk(mkey.str());
				std::string *slot = mk == "drm_driver" ? &r.drmDriver : mk == "mesa_driver" ? &r.mesaDriver : nullptr;
				if (!slot)
					return where.at(mvalue, "renderer." + name + ".match: unknown key " + shown(mk) +
								       " (drm_driver, mesa_driver)");
				TRY_ASSIGN(*slot, stringValue(mvalue, mk, where));
				if (slot->empty())
					return where.at(mvalue, "renderer." + name + ".match." + mk + " is empty");
			}
		} else {
			return where.at(value, "renderer." + name + ": unknown key " + shown(k) + " (match, device_local)");
		}
	}
	if (r.drmDriver.empty() && r.mesaDriver.empty())
		return where.at(t, "renderer." + name + " matches nothing: give match.drm_driver or match.mesa_driver");
	if (!decided)
		return where.at(t, "renderer." + name + " needs device_local = true or false");
	return r;
}

Result<Config> fromTable(const toml::table &root, const Where &where)
{
	Config config;
	config.origin = where.origin;
	for (const auto &[key, value] : root) {
		std::string section(key.str());
		if (section != "heap" && section != "device" && section != "participant" && section != "kind" &&
		    section != "region" && section != "renderer")
			return where.at(value, "unknown section " + shown(section) +
						       " (heap, device, participant, kind, region, renderer)");
		Error error;
		const toml::table *t = sectionTable(value, section, where, &error);
		if (!t)
			return error;
		for (const auto &[nameKey, entry] : *t) {
			std::string name(nameKey.str());
			if (const char *fault = nameFault(name))
				return where.at(entry, section + " name " + shown(name) + " " + fault);
			const toml::table *e = sectionTable(entry, section + "." + name, where, &error);
			if (!e)
				return error;
			if (section == "heap") {
				auto h = parseHeap(name, *e, where);
				if (!h)
					return h.error();
				config.heaps.push_back(std::move(*h));
			} else if (section == "device") {
				auto r = parseRule(name, *e, where);
				if (!r)
					return r.error();
				config.rules.push_back(std::move(*r));
			} else if (section == "participant") {
				auto p = parseParticipant(name, *e, where);
				if (!p)
					return p.error();
				config.participants.push_back(std::move(*p));
			} else if (section == "kind") {
				KindConfig kind{name, {}};
				for (const auto &[kkey, kvalue] : *e) {
					if (kkey.str() != "allocators")
						return where.at(kvalue, "kind." + name + ": unknown key " + shown(kkey.str()) +
									 " (allocators)");
					TRY_ASSIGN(kind.allocators, stringList(kvalue, "allocators", where));
				}
				if (kind.allocators.empty())
					return where.at(*e, "kind." + name + " needs allocators = [\"dma-heap:…\", …]");
				config.kinds.push_back(std::move(kind));
			} else if (section == "region") {
				auto r = parseRegion(name, *e, where);
				if (!r)
					return r.error();
				config.regions.push_back(std::move(*r));
			} else if (section == "renderer") {
				auto r = parseRenderer(name, *e, where);
				if (!r)
					return r.error();
				config.renderers.push_back(std::move(*r));
			}
		}
	}
	return config;
}

} // namespace

Result<Config> parseConfig(std::string_view text, std::string_view origin, std::string_view override)
{
	if (text.size() > kMaxText || override.size() > kMaxText)
		return makeError(EINVAL, "%.*s: is %zu bytes; a configuration is at most %zu",
				 text.size() > kMaxText ? int(origin.size()) : 19,
				 text.size() > kMaxText ? origin.data() : "HBM_CONFIG_OVERRIDE",
				 std::max(text.size(), override.size()), kMaxText);
	Where where{std::string(origin), override, statementsOf(override)};
	if (size_t nl = override.find_first_of("\r\n"); nl != override.npos)
		return makeError(EINVAL, "HBM_CONFIG_OVERRIDE:1:%zu: is one line of ';'-separated statements, and has a line break",
				 codePoints(override.substr(0, nl)) + 1);
	// One statement per line, so that a line number is a statement number.
	std::string lines;
	for (const Statement &s : where.statements)
		lines.append(s.text).append("\n");
	if (auto fault = tomlPlusPlusHazard(text))
		return where.at(fault->line, fault->column, fault->what, false);
	if (auto fault = tomlPlusPlusHazard(lines))
		return where.at(fault->line, fault->column, fault->what, true);
	toml::table root;
	bool inOverride = false;
	try {
		root = toml::parse(text, origin);
		if (!override.empty()) {
			inOverride = true;
			toml::table over = toml::parse(lines, std::string_view("HBM_CONFIG_OVERRIDE"));
			where.overridePath = over.source().path.get();
			merge(root, std::move(over));
		}
	} catch (const toml::parse_error &e) {
		const auto &src = e.source();
		std::string what(e.description());
		if (size_t nl = what.find("saw '\\n'"); inOverride && nl != what.npos)
			what.replace(nl, 8, "saw the end of the statement"); // the line break is ours
		// toml++ quotes what it saw as it is: a control or stray byte of the text.
		return where.at(src.begin.line, src.begin.column, printable(what), inOverride);
	}
	return fromTable(root, where);
}

namespace {

/// The text of the regular file at @path, at most kMaxText bytes of it (HBM_CONFIG=/dev/zero
/// would read for ever, a directory reads as nothing, a FIFO blocks).
Result<std::string> readText(const std::string &path)
{
	UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
	if (!fd) {
		int error = errno;
		return makeError(error, "%s cannot be read: open failed: %s", path.c_str(), strerror(error));
	}
	struct stat st;
	if (fstat(fd.get(), &st) < 0)
		return makeError(errno, "%s cannot be read: fstat failed", path.c_str());
	if (!S_ISREG(st.st_mode))
		return makeError(EINVAL, "%s is not a regular file", path.c_str());
	if (uint64_t(st.st_size) > kMaxText)
		return makeError(EINVAL, "%s: is %llu bytes; a configuration is at most %zu", path.c_str(),
				 (unsigned long long)st.st_size, kMaxText);
	std::string text(kMaxText + 1, '\0');
	size_t got = 0;
	while (got < text.size()) {
		ssize_t n = read(fd.get(), text.data() + got, text.size() - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int error = errno;
			return makeError(error, "%s cannot be read: read failed: %s", path.c_str(), strerror(error));
		}
		if (n == 0)
			break;
		got += size_t(n);
	}
	if (got > kMaxText)
		return makeError(EINVAL, "%s: grew past %zu bytes while it was read", path.c_str(), kMaxText);
	text.resize(got);
	return text;
}

} // namespace

Result<Config> loadConfig()
{
	std::vector<std::string> candidates;
	if (const char *env = std::getenv("HBM_CONFIG"); env && *env)
		candidates.push_back(env);
	candidates.push_back("/etc/hbm/hbm.toml");
	if (const char *xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
		candidates.push_back(std::string(xdg) + "/hbm/hbm.toml");
	else if (const char *home = std::getenv("HOME"); home && *home)
		candidates.push_back(std::string(home) + "/.config/hbm/hbm.toml");

	const char *override = std::getenv("HBM_CONFIG_OVERRIDE");
	for (size_t i = 0; i < candidates.size(); ++i) {
		auto text = readText(candidates[i]);
		if (!text && text.error().code == ENOENT && !(i == 0 && std::getenv("HBM_CONFIG")))
			continue;
		if (!text)
			return withContext(text.error(), i == 0 && std::getenv("HBM_CONFIG") ? "HBM_CONFIG" : "configuration");
		auto config = parseConfig(*text, candidates[i], override ? override : "");
		if (config && override && *override)
			config->origin += " with HBM_CONFIG_OVERRIDE";
		return config;
	}
	auto config = parseConfig("", "(no configuration file)", override ? override : "");
	if (config && override && *override)
		config->origin = "HBM_CONFIG_OVERRIDE";
	return config;
}

} // namespace hbm
