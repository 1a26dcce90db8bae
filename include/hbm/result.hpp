// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <hbm/export.h>

namespace hbm {

struct Refusal;
struct ImportFault;

/// Why something failed: a positive errno value and a sentence a user can act on, naming
/// what was wrong (the argument, the device, the heap) and, where known, what would work.
///
/// A refusal (Error::refusal set) has one errno wherever it is reported — negotiate(),
/// describe()/attach(), BufferDescription::allocate(), BufferPool::create(), the C ABI:
/// ENOTSUP when no plan exists for the request and its participants (whatever stopped it:
/// formats, a size limit, no dma-buf memory, participants contradicting each other);
/// EINVAL for a malformed request (RejectReason::InvalidRequest) or constraint
/// (InvalidConstraint); ENOMEM only when an allocation ran out of memory
/// (RejectReason::OutOfMemory, with the bytes asked and what could be given).
struct HBM_EXPORT Error {
	int code = 0;
	std::string message;
	/// For a refused negotiation, attach or check: every rejection as data (reason code,
	/// who set the limit, the values); @message is rendered from it. Null otherwise.
	std::shared_ptr<const Refusal> refusal;
	/// For a layout Buffer::import() (or receiveBuffer()) refused: what was wrong, as data
	/// (include/hbm/import_fault.hpp); @message is rendered from it. Null otherwise.
	std::shared_ptr<const ImportFault> importFault;

	/// "message (ENOENT: No such file or directory)": the errno's name and strerror()'s
	/// text, or hbm's meaning where that text says something else (E2BIG: "larger than a
	/// limit allows", not "Argument list too long").
	std::string toString() const;
};

/// Either a value or an Error; hbm never throws across its API.
template<typename T>
class [[nodiscard]] Result
{
public:
	// Two overloads rather than one by value: a returned value is moved once, not twice.
	Result(T &&value) : v_(std::move(value)) {}
	Result(const T &value) : v_(value) {}
	Result(Error error) : v_(std::move(error)) { assert(std::get<Error>(v_).code > 0); }

	bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }

	T &value() & { return std::get<0>(v_); }
	const T &value() const & { return std::get<0>(v_); }
	T &&value() && { return std::get<0>(std::move(v_)); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }

	const Error &error() const { return std::get<Error>(v_); }

private:
	std::variant<T, Error> v_;
};

template<>
class [[nodiscard]] Result<void>
{
public:
	// User-provided, not "= default": `return {}` would then zero the whole optional<Error>
	// before constructing it (value-initialization), about 20 stores per success.
	Result() noexcept {}
	Result(Error error) : error_(std::move(error)) { assert(error_->code > 0); }

	bool ok() const { return !error_; }
	explicit operator bool() const { return ok(); }
	/// The error; an empty one (code 0) for a success.
	const Error &error() const { return error_ ? *error_ : none(); }

private:
	static const Error &none()
	{
		static const Error empty;
		return empty;
	}
	// A success is most results: it builds and destroys no Error.
	std::optional<Error> error_;
};

} // namespace hbm
