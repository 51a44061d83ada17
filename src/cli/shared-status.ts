/**
 * What the check worker tells the main thread through shared memory, so that the main
 * thread can act even while a handler step never returns: the stop flag it raises, a step
 * counter (odd while a handler step runs), that step's thread and pc, the configuration
 * being checked, and the path to the state being expanded.
 */
const STOP = 0;
const STEP_COUNTER = 1;
const STEP_THREAD = 2;
const STEP_PC = 3;
const CONFIG = 4;
const PATH = 5;
/** Room for paths up to this many steps (deeper ones are reported without a trace). */
const PATH_WORDS = 8192;

export class SharedStatus {
  readonly words: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer((PATH + PATH_WORDS) * 4)) {
    this.words = new Int32Array(buffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  requestStop(): void {
    Atomics.store(this.words, STOP, 1);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.words, STOP) === 1;
  }

  stepEnter(thread: number, pc: number): void {
    this.words[STEP_THREAD] = thread;
    this.words[STEP_PC] = pc;
    Atomics.add(this.words, STEP_COUNTER, 1);
  }

  stepLeave(): void {
    Atomics.add(this.words, STEP_COUNTER, 1);
  }

  /** Changes at every step boundary; odd while a handler step runs. */
  get stepCounter(): number {
    return Atomics.load(this.words, STEP_COUNTER);
  }

  get runningStep(): { readonly thread: number; readonly pc: number } {
    return { thread: Atomics.load(this.words, STEP_THREAD), pc: Atomics.load(this.words, STEP_PC) };
  }

  set config(index: number) {
    Atomics.store(this.words, CONFIG, index);
  }

  get config(): number {
    return Atomics.load(this.words, CONFIG);
  }

  /** Where the search writes the path to the state it expands. */
  get pathSink(): Int32Array {
    return this.words.subarray(PATH);
  }

  /** The path to the state being expanded, or undefined if none was written (or it was too long). */
  expandingPath(): { readonly initial: number; readonly actions: readonly number[] } | undefined {
    const sink = this.pathSink;
    const n = Atomics.load(sink, 0);
    if (n <= 0) return undefined;
    const words = Array.from(sink.subarray(1, 1 + n));
    return { initial: words[0] ?? 0, actions: words.slice(1) };
  }
}
