#include "grdp_sha256.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress_portable(uint32_t h[8], const uint8_t *blocks, size_t count) {
    for (; count > 0; count--, blocks += 64) {
        uint32_t w[64];
        for (int t = 0; t < 16; t++) {
            const uint8_t *p = blocks + 4 * t;
            w[t] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
        }
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    }
}

#if defined(__x86_64__)
/// The same compression with the SHA extensions: the state as the (A, B, E, F) and (C, D, G, H)
/// halves the instructions take, four rounds per step, the message schedule four words ahead.
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_shani(uint32_t h[8], const uint8_t *blocks,
                                                                        size_t count) {
    const __m128i byteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    for (; count > 0; count--, blocks += 64) {
        const __m128i savedABEF = abef;
        const __m128i savedCDGH = cdgh;
        __m128i message[4];
        for (int i = 0; i < 4; i++) {
            message[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 16 * i)), byteSwap);
        }
        for (int step = 0; step < 16; step++) {
            __m128i sum = _mm_add_epi32(message[step & 3], _mm_loadu_si128((const __m128i *)&K[4 * step]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, sum);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(sum, 0x0E));
            if (step < 12) {
                // W[t..t+3] for t = 4 (step + 4): from W[t-16..], W[t-15..], W[t-7..] and W[t-2..].
                __m128i w0 = message[step & 3], w4 = message[(step + 1) & 3];
                __m128i w8 = message[(step + 2) & 3], w12 = message[(step + 3) & 3];
                __m128i partial = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w4), _mm_alignr_epi8(w12, w8, 4));
                message[step & 3] = _mm_sha256msg2_epu32(partial, w12);
            }
        }
        abef = _mm_add_epi32(abef, savedABEF);
        cdgh = _mm_add_epi32(cdgh, savedCDGH);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

static int cpu_has_shani(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int sha = (ebx >> 29) & 1;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    return sha && ssse3 && sse41;
}
#endif

// Atomics: any thread may hash, and a test may switch the instructions off meanwhile (both ways
// give the same digest, so a hash in flight is still right).
static atomic_int allow_cpu = 1;

void grdp_sha256_allow_cpu_instructions(int allow) { atomic_store_explicit(&allow_cpu, allow, memory_order_relaxed); }

int grdp_sha256_uses_cpu_instructions(void) {
#if defined(__x86_64__)
    static atomic_int known = -1;
    int has = atomic_load_explicit(&known, memory_order_relaxed);
    if (has < 0) {
        has = cpu_has_shani();
        atomic_store_explicit(&known, has, memory_order_relaxed);
    }
    return atomic_load_explicit(&allow_cpu, memory_order_relaxed) && has;
#else
    return 0;
#endif
}

static void compress(uint32_t h[8], const uint8_t *blocks, size_t count) {
#if defined(__x86_64__)
    if (grdp_sha256_uses_cpu_instructions()) {
        compress_shani(h, blocks, count);
        return;
    }
#endif
    compress_portable(h, blocks, count);
}

void grdp_sha256_init(grdp_sha256_state *state) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(state->h, initial, sizeof initial);
    state->length = 0;
    memset(state->pending, 0, sizeof state->pending);
}

void grdp_sha256_update(grdp_sha256_state *state, const void *bytes, size_t count) {
    const uint8_t *input = bytes;
    size_t used = (size_t)(state->length % 64);
    state->length += count;
    if (used > 0) {
        size_t take = 64 - used < count ? 64 - used : count;
        memcpy(state->pending + used, input, take);
        input += take;
        count -= take;
        if (used + take < 64) return;
        compress(state->h, state->pending, 1);
    }
    if (count >= 64) {
        compress(state->h, input, count / 64);
        input += count / 64 * 64;
        count %= 64;
    }
    if (count > 0) memcpy(state->pending, input, count);
}

void grdp_sha256_final(const grdp_sha256_state *state, uint8_t digest[32]) {
    grdp_sha256_state copy = *state;
    uint64_t bits = copy.length * 8;
    static const uint8_t padding[64] = {0x80};
    size_t used = (size_t)(copy.length % 64);
    grdp_sha256_update(&copy, padding, used < 56 ? 56 - used : 120 - used);
    uint8_t lengthBytes[8];
    for (int i = 0; i < 8; i++) lengthBytes[i] = (uint8_t)(bits >> (56 - 8 * i));
    grdp_sha256_update(&copy, lengthBytes, 8);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(copy.h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(copy.h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(copy.h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)copy.h[i];
    }
}
