// Everything lives in include/CMalloc.h; SwiftPM needs one source file for a C target.
#include "CMalloc.h"
