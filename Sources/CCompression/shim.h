#ifndef GRDP_CCOMPRESSION_SHIM_H
#define GRDP_CCOMPRESSION_SHIM_H
#include <zlib.h>
#include <lzma.h>
#include <bzlib.h>
/* inflateInit2 is a macro; give Swift a function. */
static inline int grdp_inflate_init2(z_stream *strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int grdp_deflate_init2(z_stream *strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
/* LZMA_STREAM_INIT is a macro initialiser. */
static inline lzma_stream grdp_lzma_stream_init(void) { lzma_stream s = LZMA_STREAM_INIT; return s; }
/* lzma decoder flags are UINT32_C(...) macros, which Swift cannot import. */
static const uint32_t GRDP_LZMA_TELL_UNSUPPORTED_CHECK = LZMA_TELL_UNSUPPORTED_CHECK;
#endif
