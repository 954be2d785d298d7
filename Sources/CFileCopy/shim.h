#ifndef GRDP_CFILECOPY_SHIM_H
#define GRDP_CFILECOPY_SHIM_H
#include <errno.h>
#include <stddef.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#endif

/* copy_file_range(2) from the current offset of `in` to the current offset of `out`, at most
   `length` bytes: the kernel copies between the two files' pages (or shares extents, on file
   systems that can) without bringing the bytes to user space. Returns the bytes copied, 0 at the
   end of `in`, or -1 with errno set (ENOSYS where the kernel or the platform has no such call: the
   caller then copies with read and write). Called through syscall(2): glibc declares the function
   only under _GNU_SOURCE, which a module header cannot count on. */
static inline long grdp_copy_file_range(int in, int out, size_t length) {
#if defined(__linux__) && defined(SYS_copy_file_range)
    return syscall(SYS_copy_file_range, in, (void *)0, out, (void *)0, length, 0U);
#else
    (void)in;
    (void)out;
    (void)length;
    errno = ENOSYS;
    return -1;
#endif
}

/* Gives the file system back the blocks of `length` bytes at `offset` of `fd`, whose size does not
   change (fallocate(2) with FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE): a temporary already copied
   elsewhere stops holding disk space before it is removed. Returns 0, or -1 with errno set
   (EOPNOTSUPP on file systems that cannot, ENOSYS elsewhere): only space is at stake. Through
   syscall(2), as above. */
static inline long grdp_punch_hole(int fd, long long offset, long long length) {
#if defined(__linux__) && defined(SYS_fallocate)
    return syscall(SYS_fallocate, fd, 0x01 | 0x02, offset, length);
#else
    (void)fd;
    (void)offset;
    (void)length;
    errno = ENOSYS;
    return -1;
#endif
}
/* The type of the file system holding `fd` (statfs(2)'s f_type: 0xEF53 for ext2/3/4, 0x01021994 for
   tmpfs, ...), or -1 with errno set (ENOSYS off Linux). */
static inline long long grdp_file_system_type(int fd) {
#if defined(__linux__)
    struct statfs info;
    if (fstatfs(fd, &info) != 0) return -1;
    return (long long)info.f_type;
#else
    (void)fd;
    errno = ENOSYS;
    return -1;
#endif
}

#endif
