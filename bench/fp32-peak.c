// The float32 ceiling of this CPU: independent FMA chains, no memory traffic, one chain set per thread.
// No matrix product can beat it, so it bounds what any engine reaches on the same machine.
//   gcc -O2 -mavx512f -mfma -pthread bench/fp32-peak.c -o /tmp/fp32-peak && /tmp/fp32-peak
// Prints one JSON object: GFLOP/s (a multiply-add is 2) for 256- and 512-bit FMAs on 1 and 2 threads.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define ITERATIONS 200000000L  // per thread; 12 independent chains hide the FMA latency
#define CHAINS 12

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// The empty asm keeps the compiler from folding the chains; each iteration is CHAINS dependent-free FMAs.
#define FMA_LOOP(VEC, SET1, FMADD, STORE, LANES)                                           \
  VEC x[CHAINS];                                                                          \
  for (int c = 0; c < CHAINS; c++) x[c] = SET1(1.0f + c);                                 \
  const VEC m = SET1(0.9999f), a = SET1(1e-4f);                                           \
  for (long i = 0; i < ITERATIONS; i++) {                                                 \
    _Pragma("GCC unroll 12") for (int c = 0; c < CHAINS; c++) x[c] = FMADD(x[c], m, a);    \
    __asm__ volatile("" : "+v"(x[0]), "+v"(x[1]), "+v"(x[2]), "+v"(x[3]), "+v"(x[4]),     \
                     "+v"(x[5]), "+v"(x[6]), "+v"(x[7]), "+v"(x[8]), "+v"(x[9]),          \
                     "+v"(x[10]), "+v"(x[11]));                                           \
  }                                                                                       \
  float out[LANES];                                                                       \
  STORE(out, x[0]);                                                                       \
  *(float *)sink = out[0];

static void *fma256(void *sink) { FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, 8) return 0; }
static void *fma512(void *sink) { FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, 16) return 0; }

static double gflops(void *(*kernel)(void *), int lanes, int threads) {
  pthread_t t[2];
  float sink[2];
  double start = seconds();
  for (int i = 0; i < threads; i++) pthread_create(&t[i], 0, kernel, &sink[i]);
  for (int i = 0; i < threads; i++) pthread_join(t[i], 0);
  return 2.0 * lanes * CHAINS * ITERATIONS * threads / (seconds() - start) / 1e9;
}

int main(void) {
  printf("{\"fma256_1_thread_gflops\":%.1f,\"fma256_2_threads_gflops\":%.1f,", gflops(fma256, 8, 1), gflops(fma256, 8, 2));
  printf("\"fma512_1_thread_gflops\":%.1f,\"fma512_2_threads_gflops\":%.1f}\n", gflops(fma512, 16, 1), gflops(fma512, 16, 2));
  return 0;
}
