// Preload (node --import) for test/worker-sigterm.test.ts. When the process writes a line matching
// STEEPLE_TEST_HOLD_AFTER to stdout or stderr (through fs.write / fs.writeSync, as pino does), the
// line goes out at once and the process then stands still, inside that very write call, until the
// file STEEPLE_TEST_HOLD_UNTIL exists. A test can so act at the exact moment between a log line and
// whatever the code does next, without timing. Plain JS: it runs before tsx is loaded.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import process from 'node:process';

const pattern = process.env.STEEPLE_TEST_HOLD_AFTER;
const until = process.env.STEEPLE_TEST_HOLD_UNTIL;
if (pattern && until) {
  const re = new RegExp(pattern);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let held = false;
  const matches = (fd, buf) => !held && (fd === 1 || fd === 2) && re.test(typeof buf === 'string' ? buf : Buffer.from(buf).toString('utf8'));
  const hold = () => {
    held = true;
    while (!fs.existsSync(until)) Atomics.wait(cell, 0, 0, 10);
  };
  const { write, writeSync } = fs;
  fs.writeSync = function (fd, buf, ...rest) {
    const n = writeSync.call(this, fd, buf, ...rest);
    if (matches(fd, buf)) hold();
    return n;
  };
  fs.write = function (fd, buf, ...rest) {
    if (!matches(fd, buf)) return write.call(this, fd, buf, ...rest);
    const callback = rest.find((a) => typeof a === 'function');
    const n = writeSync.call(this, fd, buf);
    hold();
    process.nextTick(() => callback?.(null, n, buf));
  };
}
