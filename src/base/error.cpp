// SPDX-License-Identifier: MIT
#include "base/error.hpp"

#include <cstdarg>
#include <cstring>

#include "base/string_format.hpp"

namespace hbm {

namespace {

/// What an errno means when hbm returns it, where the C library's text says something
/// else: E2BIG is hbm's "larger than a limit allows" (a size past a participant's or an
/// allocator's limit, a struct newer than the library), not execve()'s "Argument list too
/// long". The code stays E2BIG, which the C ABI returns; only the words change.
const char *meaning(int code)
{
	switch (code) {
	case E2BIG:
		return "larger than a limit allows";
	default:
		return std::strerror(code);
	}
}

} // namespace

std::string Error::toString() const
{
	const char *name = strerrorname_np(code);
	return message + " (" + (name ? name : "errno " + std::to_string(code)) + ": " + meaning(code) + ")";
}

} // namespace hbm

namespace hbm_seam {

using namespace hbm;

Error makeError(int code, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	Error error{code > 0 ? code : EIO, vstringf(fmt, args)};
	va_end(args);
	return error;
}

Error makeError(int code, std::string message)
{
	return Error{code > 0 ? code : EIO, std::move(message)};
}

Error refusalError(int code, Refusal refusal)
{
	Error e;
	e.code = code;
	e.message = refusal.toString();
	e.refusal = std::make_shared<const Refusal>(std::move(refusal));
	return e;
}

Error withContext(Error error, const std::string &context)
{
	error.message = context + ": " + error.message;
	// The refusal says it too, so the sentence stays the one rendered from it.
	if (error.refusal) {
		Refusal refusal = *error.refusal;
		refusal.subject = context + ": " + refusal.subject;
		error.refusal = std::make_shared<const Refusal>(std::move(refusal));
	}
	return error;
}

} // namespace hbm_seam
