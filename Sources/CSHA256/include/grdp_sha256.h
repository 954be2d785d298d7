#ifndef GRDP_SHA256_H
#define GRDP_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) whose state is plain data: the content hash keeps where it stood at the
/// start of each year's sales rows, and a later run goes on from there (`ContentHash`).
typedef struct {
    uint32_t h[8];
    /// Bytes hashed so far, the pending ones included.
    uint64_t length;
    /// Bytes of an incomplete block, `length % 64` of them.
    uint8_t pending[64];
} grdp_sha256_state;

void grdp_sha256_init(grdp_sha256_state *state);
void grdp_sha256_update(grdp_sha256_state *state, const void *bytes, size_t count);
/// Writes the digest of everything hashed into `digest`; `state` itself is left as it was.
void grdp_sha256_final(const grdp_sha256_state *state, uint8_t digest[32]);

/// 1 when the blocks are compressed with the CPU's SHA instructions (x86 SHA-NI), else 0.
int grdp_sha256_uses_cpu_instructions(void);
/// For tests: 0 compresses with the portable code even where SHA-NI is there, 1 (the default)
/// uses SHA-NI when there.
void grdp_sha256_allow_cpu_instructions(int allow);

#endif
