/**
 * V8 heap settings of the relay function. A 2 MB semi-space (V8 grows it to 16 MB
 * per half under request load) and an explicit old-generation limit (which also
 * lowers V8's first major-GC threshold) keep the peak RSS after thousands of
 * requests near 78 MB instead of ~123 MB, for 0.02–0.04 ms more CPU per request
 * (more young-generation collections; README, Benchmarks); the limit leaves a
 * quarter of the function's memory to everything outside the JS heap.
 */
export const relayNodeOptions = (memoryMb: number): string =>
  `--max-semi-space-size=2 --max-old-space-size=${Math.floor(memoryMb * 0.75)}`;
