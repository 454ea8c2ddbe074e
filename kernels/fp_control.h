// The floating-point control state every consensus kernel must run with (PROTOCOL.md section 1):
// round-to-nearest-even, subnormals preserved (FTZ and DAZ off). On x86-64 this is MXCSR; a
// thread that inherits a different state (a library that enabled FTZ, a fast-math runtime)
// would compute different bits, so pool workers set it at start-up and check it on every job.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace step::kernels {

// True when the calling thread's FP control state is the exact one.
bool fp_control_exact();
// The calling thread's raw control word (MXCSR on x86-64; 0 elsewhere), for messages.
uint32_t fp_control_word();
// Puts the calling thread into the exact state (keeps exception masks and sticky flags).
void set_fp_control_exact();
// ok, or "fp-control-state" naming what is wrong (FTZ, DAZ, rounding mode) on the calling thread.
Status check_fp_control();
// Prints what is wrong, mentioning `where`, and aborts when the calling thread's state is not
// exact: used where returning an error is impossible (inside a pool worker mid-job).
void require_fp_control_exact(const char* where);

}  // namespace step::kernels
