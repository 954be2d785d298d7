#ifndef GRDP_CMEMORY_SHIM_H
#define GRDP_CMEMORY_SHIM_H
/* A hint that `address` will be read and written soon: the revision ledger's hash tables are far
   larger than the caches, and asking for a row's buckets some rows ahead lets the misses overlap
   instead of stalling one after another. Never faults, whatever the address. */
static inline void grdp_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}
/* A hint that `address` will be read soon (Compute's sorted walk over the groups, which the sort
   scattered: one cache miss a row otherwise). Never faults, whatever the address. */
static inline void grdp_prefetch_for_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
#endif
