#pragma once
// One place that decides how many threads the process uses, for both thread pools.
//
// Debian's oneDNN is built on OpenMP (libgomp); our own kernels use TBB. Both pools get the
// same count, and OpenMP's workers are made to sleep (not spin) when a parallel region ends,
// so that a oneDNN matmul followed by a TBB attention kernel never runs 2N busy threads on N
// cores. libgomp reads OMP_WAIT_POLICY once, when the library is loaded (before main), so
// the only reliable way to set it is in the environment of a fresh process image: see
// `configure_openmp_environment`.

namespace ln {

// Call first thing in main(). If OMP_WAIT_POLICY is unset, sets it to PASSIVE and re-executes
// the program so libgomp sees it; an explicit user setting (e.g. ACTIVE, to compare) is kept.
// Returns normally when no re-exec was needed (or exec failed, which only costs speed).
void configure_openmp_environment(int argc, char** argv);

// Sets both TBB's and OpenMP's thread counts; n <= 0 means "all hardware threads".
// Call from the main thread (OpenMP's count is a per-thread setting of the caller).
void set_threads(int n);
int threads();                     // the count in force
int hardware_threads();            // what the machine (and its affinity mask) offers
const char* openmp_wait_policy();  // the policy in force ("PASSIVE" / "ACTIVE" / "default")

}  // namespace ln
