#ifndef GRDP_CARCHIVE_SHIM_H
#define GRDP_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

/* Swift cannot import the AE_IF* macros (they expand to octal casts): re-export them. */
static const unsigned int GRDP_AE_IFMT = AE_IFMT;
static const unsigned int GRDP_AE_IFREG = AE_IFREG;
static const unsigned int GRDP_AE_IFLNK = AE_IFLNK;
static const unsigned int GRDP_AE_IFSOCK = AE_IFSOCK;
static const unsigned int GRDP_AE_IFCHR = AE_IFCHR;
static const unsigned int GRDP_AE_IFBLK = AE_IFBLK;
static const unsigned int GRDP_AE_IFDIR = AE_IFDIR;
static const unsigned int GRDP_AE_IFIFO = AE_IFIFO;
#endif
