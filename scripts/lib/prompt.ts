/**
 * Terminal prompts for the JWT generator: readline over a TTY, with the
 * echo muted while a secret field is typed.
 */
import { createInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';

export interface Prompter {
  ask(question: string, options: { secret: boolean }): Promise<string>;
  close(): void;
}

/** A readline prompter over a TTY; secret answers are read with output muted. */
export function ttyPrompter(input: Readable, output: NodeJS.WritableStream): Prompter {
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input, output: sink, terminal: true });
  return {
    async ask(question, { secret }) {
      output.write(question);
      muted = secret;
      try {
        return await rl.question('');
      } finally {
        if (secret) output.write('\n');
        muted = false;
      }
    },
    close: () => rl.close(),
  };
}
