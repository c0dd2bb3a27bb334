// glibc's allocator settings, which Swift's Glibc module does not import (malloc.h).
#ifndef SWITCHBOARD_CMALLOC_H
#define SWITCHBOARD_CMALLOC_H

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

/// Sets glibc's M_TRIM_THRESHOLD; returns 1 on success, 0 where the C library is not glibc.
static inline int cmalloc_set_trim_threshold(int bytes) {
#if defined(__GLIBC__)
    return mallopt(M_TRIM_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}

#endif
