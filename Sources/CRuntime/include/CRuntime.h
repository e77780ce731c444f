// CRuntime: the parts of the gobench runtime that Swift cannot express safely or at all.
// Each shim says why it exists. Everything here is prefixed `gb_`.
#ifndef GOBENCH_CRUNTIME_H
#define GOBENCH_CRUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "gb_futex.h"
#include "gb_numa.h"
#include "gb_context.h"
#include "gb_stack.h"
#include "gb_goroutine.h"
#include "gb_thread.h"
#include "gb_atomic.h"
#include "gb_traceback.h"
#include "gb_preempt.h"
#include "gb_sigquit.h"

#endif
