// Child process of bench/lambda.ts: imports the built relay bundle and drives its Lambda
// handler with API Gateway v2 events. Plain JavaScript so that no loader runs in the
// measured process. Usage: node lambda-child.mjs <cold|requests|memory> <bundle> <json>
// where <json> holds { events: { name: event }, count }. Prints one JSON line and exits
// at once (teardown is not part of what is measured).
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const [mode, bundle, input] = process.argv.slice(2);
const { events, count = 0 } = JSON.parse(input);
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'vectra-xdr-relay-bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:vectra-xdr-relay-bench',
  memoryLimitInMB: '512',
  awsRequestId: 'bench-request',
  logGroupName: '/aws/lambda/vectra-xdr-relay-bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 25_000,
};
const { handler, initWarmMs } = await import(bundle);
const imported = performance.now();

const answer = async (name) => {
  const res = await handler(events[name], context);
  if (res.statusCode !== 200 || res.body.includes('"errors"')) {
    throw new Error(`${name} answered ${res.statusCode} ${res.body.slice(0, 300)}`);
  }
  return res;
};

const out = { import: imported - t0, warm: initWarmMs };
if (mode === 'cold') {
  await answer('version');
  out.version = performance.now() - imported;
  const before = performance.now();
  await answer('health');
  out.health = performance.now() - before;
  out.total = performance.now() - t0;
  // CPU time of the process so far (all threads): steadier than wall time on a shared machine.
  const cpu = process.cpuUsage(cpu0);
  out.cpu = (cpu.user + cpu.system) / 1000;
} else if (mode === 'requests') {
  // Per request through the handler, warm: median and p99 per event after a warm-up.
  for (const name of Object.keys(events)) {
    for (let i = 0; i < 200; i++) await answer(name);
    const samples = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await answer(name);
      samples.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    samples.sort((a, b) => a - b);
    out[name] = {
      median: samples[samples.length >> 1],
      p99: samples[Math.ceil(samples.length * 0.99) - 1],
      // CPU per request (all threads, GC included): steadier than wall time on a shared machine.
      cpu: (cpu.user + cpu.system) / 1000 / count,
    };
  }
} else if (mode === 'memory') {
  // `count` rounds over every event; RSS and heap sampled as it goes.
  const names = Object.keys(events);
  const samples = [
    { n: 0, rssMB: process.memoryUsage().rss / 2 ** 20, peakMB: process.resourceUsage().maxRSS / 1024 },
  ];
  for (let i = 0; i < count; i++) {
    await answer(names[i % names.length]);
    if ((i + 1) % (i < 1000 ? 50 : 500) === 0)
      samples.push({
        n: i + 1,
        rssMB: process.memoryUsage().rss / 2 ** 20,
        peakMB: process.resourceUsage().maxRSS / 1024,
      });
  }
  globalThis.gc?.();
  const mem = process.memoryUsage();
  out.samples = samples;
  out.requests = count;
  out.peakRssMB = process.resourceUsage().maxRSS / 1024;
  out.rssAfterGcMB = mem.rss / 2 ** 20;
  out.heapUsedAfterGcMB = mem.heapUsed / 2 ** 20;
  out.externalMB = mem.external / 2 ** 20;
  out.arrayBuffersMB = mem.arrayBuffers / 2 ** 20;
  const { getHeapSpaceStatistics, getHeapStatistics } = await import('node:v8');
  out.heapTotalMB = mem.heapTotal / 2 ** 20;
  out.v8MallocedMB = getHeapStatistics().malloced_memory / 2 ** 20;
  out.spacesMB = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_size / 2 ** 17) / 8]),
  );
}
process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
