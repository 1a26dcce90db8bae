// SPDX-License-Identifier: MIT
// The interposers behind fault_injection.hpp. Each is defined with libc's own declaration
// in scope, so with _FILE_OFFSET_BITS=64 it takes the name hbm's objects call (fstatfs
// becomes fstatfs64 …); the plain names are interposed too (kPlain below), for libraries
// built otherwise (libdrm, Mesa). The real function is libc's, found by dlsym(RTLD_NEXT)
// under the name that was called.
#include "fault_injection.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>
#include <xf86drm.h>

#include "dma_buf_stand_in.hpp"

namespace hbm::test::fault {

namespace {

thread_local Recording *current = nullptr;

template<typename F>
F real(const char *name)
{
	void *f = ::dlsym(RTLD_NEXT, name);
	if (!f) {
		std::fprintf(stderr, "fault injection: libc has no %s\n", name);
		std::abort();
	}
	return reinterpret_cast<F>(f);
}

/// Asks the thread's recording, if any, whether this call fails.
bool failing(Call kind, unsigned long request = 0)
{
	Recording *r = current;
	return r && r->onCall(kind, request);
}

/// ioctls that give something back: the kernel does not fail them for lack of memory,
/// and a failed one would leak by construction. Counted, never failed.
bool releases(unsigned long request)
{
	return request == DRM_IOCTL_GEM_CLOSE || request == DRM_IOCTL_MODE_DESTROY_DUMB ||
	       request == DRM_IOCTL_MODE_RMFB;
}

} // namespace

const char *callName(Call call)
{
	static constexpr const char *names[kCallKinds] = {
		"ioctl", "mmap",      "munmap", "dup",     "fcntl", "sendmsg", "recvmsg", "getsockopt", "memfd_create",
		"open",  "ftruncate", "lseek",  "fstatfs", "fstat", "read",    "write",   "pread",      "flock",
	};
	return names[size_t(call)];
}

std::string ioctlName(unsigned long request)
{
	struct Known {
		unsigned long request;
		const char *name;
	};
	static const Known known[] = {
		{DMA_HEAP_IOCTL_ALLOC, "DMA_HEAP_IOCTL_ALLOC"},
		{DMA_BUF_IOCTL_SYNC, "DMA_BUF_IOCTL_SYNC"},
		{DMA_BUF_IOCTL_EXPORT_SYNC_FILE, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE"},
		{DMA_BUF_IOCTL_IMPORT_SYNC_FILE, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE"},
		{UDMABUF_CREATE, "UDMABUF_CREATE"},
		{SYNC_IOC_MERGE, "SYNC_IOC_MERGE"},
		{VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP"},
		{VIDIOC_REQBUFS, "VIDIOC_REQBUFS"},
		{VIDIOC_ENUM_FMT, "VIDIOC_ENUM_FMT"},
		{VIDIOC_TRY_FMT, "VIDIOC_TRY_FMT"},
		{DRM_IOCTL_VERSION, "DRM_IOCTL_VERSION"},
		{DRM_IOCTL_GET_CAP, "DRM_IOCTL_GET_CAP"},
		{DRM_IOCTL_SET_CLIENT_CAP, "DRM_IOCTL_SET_CLIENT_CAP"},
		{DRM_IOCTL_MODE_CREATE_DUMB, "DRM_IOCTL_MODE_CREATE_DUMB"},
		{DRM_IOCTL_MODE_DESTROY_DUMB, "DRM_IOCTL_MODE_DESTROY_DUMB"},
		{DRM_IOCTL_PRIME_HANDLE_TO_FD, "DRM_IOCTL_PRIME_HANDLE_TO_FD"},
		{DRM_IOCTL_PRIME_FD_TO_HANDLE, "DRM_IOCTL_PRIME_FD_TO_HANDLE"},
		{DRM_IOCTL_GEM_CLOSE, "DRM_IOCTL_GEM_CLOSE"},
		{DRM_IOCTL_MODE_GETPLANERESOURCES, "DRM_IOCTL_MODE_GETPLANERESOURCES"},
		{DRM_IOCTL_MODE_GETPLANE, "DRM_IOCTL_MODE_GETPLANE"},
		{DRM_IOCTL_MODE_OBJ_GETPROPERTIES, "DRM_IOCTL_MODE_OBJ_GETPROPERTIES"},
		{DRM_IOCTL_MODE_GETPROPERTY, "DRM_IOCTL_MODE_GETPROPERTY"},
		{DRM_IOCTL_MODE_GETPROPBLOB, "DRM_IOCTL_MODE_GETPROPBLOB"},
		{DRM_IOCTL_MODE_GETRESOURCES, "DRM_IOCTL_MODE_GETRESOURCES"},
		{DRM_IOCTL_DROP_MASTER, "DRM_IOCTL_DROP_MASTER"},
		{DRM_IOCTL_GET_UNIQUE, "DRM_IOCTL_GET_UNIQUE"},
		{DRM_IOCTL_GET_MAGIC, "DRM_IOCTL_GET_MAGIC"},
		{DRM_IOCTL_MODE_MAP_DUMB, "DRM_IOCTL_MODE_MAP_DUMB"},
		{DRM_IOCTL_MODE_ADDFB2, "DRM_IOCTL_MODE_ADDFB2"},
		{DRM_IOCTL_MODE_RMFB, "DRM_IOCTL_MODE_RMFB"},
	};
	for (const Known &k : known)
		if (k.request == request)
			return k.name;
	char hex[32];
	std::snprintf(hex, sizeof(hex), "ioctl 0x%lx", request);
	return hex;
}

Recording::Recording(std::optional<Fault> fault) : fault_(fault)
{
	if (current) {
		std::fprintf(stderr, "fault injection: one Recording at a time per thread\n");
		std::abort();
	}
	calls_.reserve(4096); // no reallocation inside an interposer, as a rule
	failed_.reserve(4096);
	current = this;
}

Recording::~Recording()
{
	current = nullptr;
}

uint64_t Recording::count(Call kind) const
{
	return byKind_[size_t(kind)];
}

uint64_t Recording::ioctlCount(unsigned long request) const
{
	uint64_t n = 0;
	for (const SeenCall &c : calls_)
		n += c.kind == Call::Ioctl && c.request == request;
	return n;
}

std::string Recording::summary() const
{
	std::string out;
	for (size_t i = 0; i < kCallKinds; ++i)
		if (byKind_[i])
			out += (out.empty() ? "" : ", ") + std::string(callName(Call(i))) + " " +
			       std::to_string(byKind_[i]);
	return out.empty() ? "no calls" : out;
}

bool Recording::onCall(Call kind, unsigned long request)
{
	const bool release = kind == Call::Munmap || (kind == Call::Ioctl && releases(request));
	calls_.push_back({kind, request, release});
	const uint64_t ofKind = ++byKind_[size_t(kind)];
	if (!fault_ || release || (fault_->kind && *fault_->kind != kind))
		return false;
	const uint64_t index = fault_->kind ? ofKind : calls_.size();
	if (index == fault_->nth || (fault_->persistent && index > fault_->nth)) {
		failed_.push_back(calls_.size() - 1);
		errno = fault_->error;
		return true;
	}
	return false;
}

} // namespace hbm::test::fault

using hbm::test::fault::Call;
using hbm::test::fault::failing;
using hbm::test::fault::real;

// Both spellings of the calls _FILE_OFFSET_BITS renames: the one hbm's objects reach (the
// declaration's, e.g. fstatfs64) and the plain one, declared under its own symbol name.
#define HBM_PLAIN(ret, symbol, params) extern "C" ret symbol##_plain params __asm__(#symbol)

extern "C" int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	static const auto f = real<int (*)(int, unsigned long, void *)>("ioctl");
	if (failing(Call::Ioctl, request))
		return -1;
	return f(fd, request, arg);
}

namespace {
template<const char *Name>
void *mmapAs(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	static const auto f = real<void *(*)(void *, size_t, int, int, int, off_t)>(Name);
	if (failing(Call::Mmap))
		return MAP_FAILED;
	return f(addr, length, prot, flags, fd, offset);
}
constexpr char kMmap[] = "mmap";
constexpr char kMmap64[] = "mmap64";
} // namespace

extern "C" void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	return mmapAs<kMmap64>(addr, length, prot, flags, fd, offset);
}
HBM_PLAIN(void *, mmap, (void *, size_t, int, int, int, off_t));
void *mmap_plain(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	return mmapAs<kMmap>(addr, length, prot, flags, fd, offset);
}

extern "C" int munmap(void *addr, size_t length)
{
	static const auto f = real<int (*)(void *, size_t)>("munmap");
	failing(Call::Munmap); // counted; a release is never failed
	return f(addr, length);
}

extern "C" int dup(int fd)
{
	static const auto f = real<int (*)(int)>("dup");
	if (failing(Call::Dup))
		return -1;
	return f(fd);
}

extern "C" int dup2(int fd, int to)
{
	static const auto f = real<int (*)(int, int)>("dup2");
	if (failing(Call::Dup))
		return -1;
	return f(fd, to);
}

extern "C" int dup3(int fd, int to, int flags)
{
	static const auto f = real<int (*)(int, int, int)>("dup3");
	if (failing(Call::Dup))
		return -1;
	return f(fd, to, flags);
}

namespace {
template<const char *Name>
int fcntlAs(int fd, int cmd, void *arg)
{
	static const auto f = real<int (*)(int, int, ...)>(Name);
	if (failing(cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? Call::Dup : Call::Fcntl))
		return -1;
	return f(fd, cmd, arg);
}
constexpr char kFcntl[] = "fcntl";
constexpr char kFcntl64[] = "fcntl64";
} // namespace

// Every fcntl command takes nothing, an int or a pointer: one word passes each through.
extern "C" int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntlAs<kFcntl64>(fd, cmd, arg);
}
HBM_PLAIN(int, fcntl, (int, int, ...));
int fcntl_plain(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntlAs<kFcntl>(fd, cmd, arg);
}

extern "C" ssize_t sendmsg(int socket, const struct msghdr *msg, int flags)
{
	static const auto f = real<ssize_t (*)(int, const struct msghdr *, int)>("sendmsg");
	if (failing(Call::Sendmsg))
		return -1;
	return f(socket, msg, flags);
}

extern "C" ssize_t recvmsg(int socket, struct msghdr *msg, int flags)
{
	static const auto f = real<ssize_t (*)(int, struct msghdr *, int)>("recvmsg");
	if (failing(Call::Recvmsg))
		return -1;
	return f(socket, msg, flags);
}

extern "C" int getsockopt(int socket, int level, int name, void *value, socklen_t *length)
{
	static const auto f = real<int (*)(int, int, int, void *, socklen_t *)>("getsockopt");
	if (failing(Call::Getsockopt))
		return -1;
	return f(socket, level, name, value, length);
}

extern "C" int memfd_create(const char *name, unsigned int flags)
{
	static const auto f = real<int (*)(const char *, unsigned int)>("memfd_create");
	if (failing(Call::MemfdCreate))
		return -1;
	return f(name, flags);
}

namespace {
template<const char *Name>
int openAs(const char *path, int flags, mode_t mode)
{
	static const auto f = real<int (*)(const char *, int, ...)>(Name);
	if (failing(Call::Open))
		return -1;
	return f(path, flags, mode);
}
template<const char *Name>
int openatAs(int dir, const char *path, int flags, mode_t mode)
{
	static const auto f = real<int (*)(int, const char *, int, ...)>(Name);
	if (failing(Call::Open))
		return -1;
	return f(dir, path, flags, mode);
}
constexpr char kOpen[] = "open";
constexpr char kOpen64[] = "open64";
constexpr char kOpenat[] = "openat";
constexpr char kOpenat64[] = "openat64";

mode_t modeArgument(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode_t(va_arg(ap, int)) : 0;
}
} // namespace

extern "C" int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	const mode_t mode = modeArgument(flags, ap);
	va_end(ap);
	return openAs<kOpen64>(path, flags, mode);
}
HBM_PLAIN(int, open, (const char *, int, ...));
int open_plain(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	const mode_t mode = modeArgument(flags, ap);
	va_end(ap);
	return openAs<kOpen>(path, flags, mode);
}

extern "C" int openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	const mode_t mode = modeArgument(flags, ap);
	va_end(ap);
	return openatAs<kOpenat64>(dir, path, flags, mode);
}
HBM_PLAIN(int, openat, (int, const char *, int, ...));
int openat_plain(int dir, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	const mode_t mode = modeArgument(flags, ap);
	va_end(ap);
	return openatAs<kOpenat>(dir, path, flags, mode);
}

namespace {
template<const char *Name>
int ftruncateAs(int fd, off_t length)
{
	static const auto f = real<int (*)(int, off_t)>(Name);
	if (failing(Call::Ftruncate))
		return -1;
	return f(fd, length);
}
template<const char *Name>
off_t lseekAs(int fd, off_t offset, int whence)
{
	static const auto f = real<off_t (*)(int, off_t, int)>(Name);
	if (failing(Call::Lseek))
		return -1;
	return f(fd, offset, whence);
}
template<const char *Name>
int fstatAs(int fd, struct stat *st)
{
	static const auto f = real<int (*)(int, struct stat *)>(Name);
	if (failing(Call::Fstat))
		return -1;
	const int ret = f(fd, st);
	if (ret == 0)
		hbm::test::answerForDmaBufStandIn(fd, st);
	return ret;
}
template<const char *Name>
ssize_t preadAs(int fd, void *buf, size_t count, off_t offset)
{
	static const auto f = real<ssize_t (*)(int, void *, size_t, off_t)>(Name);
	if (failing(Call::Pread))
		return -1;
	return f(fd, buf, count, offset);
}
/// The dma-buf stand-in's answer is given by the one fstatfs interposer there is.
template<const char *Name>
int fstatfsAs(int fd, struct statfs *buf)
{
	static const auto f = real<int (*)(int, struct statfs *)>(Name);
	if (failing(Call::Fstatfs))
		return -1;
	const int ret = f(fd, buf);
	if (ret == 0)
		hbm::test::answerForDmaBufStandIn(fd, buf);
	return ret;
}
constexpr char kFtruncate[] = "ftruncate";
constexpr char kFtruncate64[] = "ftruncate64";
constexpr char kLseek[] = "lseek";
constexpr char kLseek64[] = "lseek64";
constexpr char kFstat[] = "fstat";
constexpr char kFstat64[] = "fstat64";
constexpr char kPread[] = "pread";
constexpr char kPread64[] = "pread64";
constexpr char kFstatfs[] = "fstatfs";
constexpr char kFstatfs64[] = "fstatfs64";
} // namespace

extern "C" int ftruncate(int fd, off_t length)
{
	return ftruncateAs<kFtruncate64>(fd, length);
}
HBM_PLAIN(int, ftruncate, (int, off_t));
int ftruncate_plain(int fd, off_t length)
{
	return ftruncateAs<kFtruncate>(fd, length);
}

extern "C" off_t lseek(int fd, off_t offset, int whence)
{
	return lseekAs<kLseek64>(fd, offset, whence);
}
HBM_PLAIN(off_t, lseek, (int, off_t, int));
off_t lseek_plain(int fd, off_t offset, int whence)
{
	return lseekAs<kLseek>(fd, offset, whence);
}

extern "C" int fstat(int fd, struct stat *st)
{
	return fstatAs<kFstat64>(fd, st);
}
HBM_PLAIN(int, fstat, (int, struct stat *));
int fstat_plain(int fd, struct stat *st)
{
	return fstatAs<kFstat>(fd, st);
}

extern "C" ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	return preadAs<kPread64>(fd, buf, count, offset);
}
HBM_PLAIN(ssize_t, pread, (int, void *, size_t, off_t));
ssize_t pread_plain(int fd, void *buf, size_t count, off_t offset)
{
	return preadAs<kPread>(fd, buf, count, offset);
}

extern "C" int fstatfs(int fd, struct statfs *buf)
{
	return fstatfsAs<kFstatfs64>(fd, buf);
}
HBM_PLAIN(int, fstatfs, (int, struct statfs *));
int fstatfs_plain(int fd, struct statfs *buf)
{
	return fstatfsAs<kFstatfs>(fd, buf);
}

extern "C" ssize_t read(int fd, void *buf, size_t count)
{
	static const auto f = real<ssize_t (*)(int, void *, size_t)>("read");
	if (failing(Call::Read))
		return -1;
	return f(fd, buf, count);
}

extern "C" ssize_t write(int fd, const void *buf, size_t count)
{
	static const auto f = real<ssize_t (*)(int, const void *, size_t)>("write");
	if (failing(Call::Write))
		return -1;
	return f(fd, buf, count);
}

extern "C" int flock(int fd, int operation)
{
	static const auto f = real<int (*)(int, int)>("flock");
	if (failing(Call::Flock))
		return -1;
	return f(fd, operation);
}
