// SPDX-License-Identifier: MIT
#include "error.hpp"

#include <cstdarg>
#include <cstring>

#include "string_format.hpp"

namespace hbm {

std::string Error::toString() const
{
	const char *name = strerrorname_np(code);
	return message + " (" + (name ? name : "errno " + std::to_string(code)) + ": " +
	       std::strerror(code) + ")";
}

Error makeError(int code, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	Error error{code > 0 ? code : EIO, vstringf(fmt, args)};
	va_end(args);
	return error;
}

Error withContext(Error error, const std::string &context)
{
	error.message = context + ": " + error.message;
	return error;
}

} // namespace hbm
