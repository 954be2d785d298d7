#ifndef GRDP_CSQLITE_SHIM_H
#define GRDP_CSQLITE_SHIM_H
#include <sqlite3.h>
/* SQLITE_TRANSIENT is a macro cast of -1 that Swift cannot import. */
static inline sqlite3_destructor_type grdp_sqlite_transient(void) { return SQLITE_TRANSIENT; }
/* sqlite3_config is variadic, which Swift cannot call. Memory statistics cost a global mutex
   on every allocation and grdp reads none of them. Before SQLite initializes, or SQLITE_MISUSE. */
static inline int grdp_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
