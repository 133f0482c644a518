#include <oneapi/dnnl/dnnl.h>

// DNNL_MEMORY_ALLOCATE is a macro cast that Swift cannot import.
static inline void *cdnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
