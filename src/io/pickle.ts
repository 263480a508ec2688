// A pickle reader (protocols 0 to 5) that never executes anything: the opcode machine of Python's
// Lib/pickle.py `_Unpickler`, where every global is looked up in an allow-list and classes are never
// called, only recorded as inert objects with their state. Platform-neutral (reads a ByteSource).
import { ByteRange, memorySource, type ByteSource } from '../files/byte-source.js';
import { InputError, printable } from '../errors.js';

// ---------------------------------------------------------------------------------------------------------
// Values

/** A callable global on the allow-list: REDUCE (or NEWOBJ) calls it with the argument tuple. */
export class PickleFunction {
  constructor(
    readonly qualname: string,
    readonly call: (args: readonly unknown[]) => unknown,
  ) {}
}

/** A class global. It is never called: NEWOBJ and friends make an inert PickleObject of it. */
export class PickleClass {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance: its class name, the arguments NEWOBJ gave it and the state BUILD gave it; no code of it runs. */
export class PickleObject {
  /** The state from BUILD; for a torch module, a dict of attributes with `_parameters`, `_modules`, ... */
  state: unknown = undefined;
  /** Items SETITEM(S) put into a dict subclass. */
  readonly items = new Map<unknown, unknown>();
  /** Items APPEND(S) put into a list subclass. */
  readonly list: unknown[] = [];

  constructor(
    readonly className: string,
    readonly args: readonly unknown[] = [],
  ) {}

  /** The attribute dict: the state when it is a dict, or the dict half of a (dict, slots) state. */
  attributes(): Map<unknown, unknown> | undefined {
    const s = this.state;
    if (s instanceof Map) return s;
    if (isTuple(s) && s.length === 2 && (s[0] instanceof Map || s[0] === null)) {
      return new Map([...((s[0] as Map<unknown, unknown> | null) ?? []), ...(s[1] instanceof Map ? s[1] : [])]);
    }
    return undefined;
  }
}

/** Thrown by allow-listed functions for arguments they cannot use; reported with the global's name and position. */
export class PickleCallError extends Error {}

/** Tuples are frozen arrays, lists are not. */
export const isTuple = (x: unknown): x is readonly unknown[] => Array.isArray(x) && Object.isFrozen(x);

// ---------------------------------------------------------------------------------------------------------
// The allow-list

/** Why a global was refused: the one sentence every refusal ends with. */
export const ALLOWED_SUMMARY = 'only torch tensor rebuilding, OrderedDict and module state are read';

/** Standard-library modules whose classes are never taken as plain data (their classes do system work). */
const SYSTEM_MODULES = new Set([
  'os', 'posix', 'nt', 'subprocess', 'sys', 'builtins', 'shutil', 'socket', 'importlib', 'runpy', 'pickle', '_pickle',
  'marshal', 'ctypes', 'code', 'codeop', 'pty', 'io', 'types', 'functools', 'operator', 'multiprocessing', 'threading',
  'asyncio', 'signal', 'webbrowser', 'urllib', 'http', 'tempfile', 'pathlib', 'zipimport', 'pkgutil', 'inspect', 'gc',
]);

/** Python 2 module names, as pickle's fix_imports maps them. */
const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

const OBJECT_CLASS = new PickleClass('builtins', 'object');

/** The globals any pickle may use; callers add their own (torch-load.ts adds tensor rebuilding). */
const BASE_GLOBALS = new Map<string, unknown>([
  ['collections.OrderedDict', new PickleFunction('collections.OrderedDict', (args) => (args.length ? dictFrom(args[0], 'OrderedDict') : new Map()))],
  ['builtins.set', new PickleFunction('builtins.set', (args) => new Set(args.length ? iterableArg(args[0], 'set') : []))],
  ['builtins.frozenset', new PickleFunction('builtins.frozenset', (args) => new Set(args.length ? iterableArg(args[0], 'frozenset') : []))],
  ['builtins.object', OBJECT_CLASS],
  ['copyreg._reconstructor', new PickleFunction('copyreg._reconstructor', ([cls, base, state]) => {
    if (!(cls instanceof PickleClass) || base !== OBJECT_CLASS || state != null) {
      throw new PickleCallError('expected (class, object, None): only plain objects are rebuilt');
    }
    return new PickleObject(cls.qualname);
  })],
  ['_codecs.encode', new PickleFunction('_codecs.encode', ([text, encoding]) => {
    // Protocol 2 stores Python 3 bytes as _codecs.encode(str, 'latin1').
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) throw new PickleCallError('expected (str, "latin1")');
    const bytes = Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);
    return new ByteRange(memorySource(bytes, 'bytes'), 0, bytes.length);
  })],
  // EDM's persistent classes carry their own source code; it is ignored and the object kept as inert state.
  ['torch_utils.persistence._reconstruct_persistent_obj', new PickleFunction('torch_utils.persistence._reconstruct_persistent_obj', ([meta]) => {
    const className = meta instanceof Map ? meta.get('class_name') : undefined;
    if (!(meta instanceof Map) || meta.get('type') !== 'class' || typeof className !== 'string') {
      throw new PickleCallError('expected a dict with type "class", class_name and state');
    }
    const obj = new PickleObject(className);
    obj.state = meta.get('state');
    return obj;
  })],
]);

/** The value GLOBAL pushes for `module.name`, or an InputError naming it. */
function resolveGlobal(rawModule: string, name: string, extra: ReadonlyMap<string, unknown> | undefined, source: string): unknown {
  const [head, ...rest] = rawModule.split('.');
  const module = [Object.hasOwn(PY2_MODULES, head) ? PY2_MODULES[head] : head, ...rest].join('.');
  const qualname = `${module}.${name}`;
  if (extra?.has(qualname)) return extra.get(qualname);
  if (BASE_GLOBALS.has(qualname)) return BASE_GLOBALS.get(qualname);
  // Plain classes (nn.Module subclasses and the like) become inert records; functions never run.
  const dotted = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
  if (dotted.test(module) && /^_?[A-Z][A-Za-z0-9_]*$/.test(name) && !SYSTEM_MODULES.has(module.split('.')[0])) {
    return new PickleClass(module, name);
  }
  throw refused(source, qualname);
}

function refused(source: string, qualname: string): InputError {
  return new InputError(`${source}: global ${printable(qualname)} is not allowed (${ALLOWED_SUMMARY})`);
}

// ---------------------------------------------------------------------------------------------------------
// Reading bytes

/** Strings are names and embedded source code; anything larger is a damaged length. */
const MAX_TEXT_BYTES = 1 << 28;

const WINDOW = 1 << 16; // small: each storage of a snapshot pickle is a pickle of its own, read through a window

/** Sequential reads through a window over the source, so a huge pickle is never held whole. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  /** Where the current opcode started, for error messages. */
  opAt = 0;

  constructor(
    private readonly src: ByteSource,
    public pos: number,
  ) {}

  take(n: number): Uint8Array {
    const i = this.advance(n);
    return this.buf.subarray(i, i + n);
  }

  /** The next n bytes as a lazy range (big storages are never read here). */
  range(n: number): ByteRange {
    this.need(n);
    const r = new ByteRange(this.src, this.pos, n);
    this.pos += n;
    return r;
  }

  u8(): number {
    const i = this.advance(1); // before reading `this.buf`: advancing may move the window
    return this.buf[i];
  }

  u16(): number {
    const i = this.advance(2);
    return this.buf[i] | (this.buf[i + 1] << 8);
  }

  u32(): number {
    return this.i32() >>> 0;
  }

  i32(): number {
    const i = this.advance(4);
    const b = this.buf;
    return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
  }

  u64(): number {
    const v = dv(this.take(8)).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`length ${v} is impossibly large; corrupt`);
    return Number(v);
  }

  /** A text argument: bytes up to the next newline (protocol 0 opcodes). */
  line(): string {
    const start = this.pos;
    for (let n = 0; n < 65536 && this.pos < this.src.size; n++) {
      if (this.u8() === 0x0a) return latin1(this.src.read(start, this.pos - start - 1));
    }
    throw this.fail(this.pos >= this.src.size ? 'the file ends inside a text argument; truncated' : 'text argument longer than 64 kB; corrupt');
  }

  fail(message: string): InputError {
    return new InputError(`${this.src.name}: pickle byte ${this.opAt}: ${message}`);
  }

  /** Make n bytes at `pos` available in the window; returns their index there and moves past them. */
  private advance(n: number): number {
    this.need(n);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      this.bufStart = this.pos;
      this.buf = this.src.read(this.pos, Math.min(Math.max(n, WINDOW), this.src.size - this.pos));
    }
    const i = this.pos - this.bufStart;
    this.pos += n;
    return i;
  }

  private need(n: number): void {
    if (n > this.src.size - this.pos) {
      throw this.fail(`needs ${n} bytes at ${this.pos} but the file ends at ${this.src.size}; truncated`);
    }
  }
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const latin1 = (b: Uint8Array) => String.fromCharCode(...b.subarray(0, 65536));
const decoder = new TextDecoder('utf-8');

/** UTF-8 text; short ASCII (most names in a checkpoint) without the decoder's overhead. */
function utf8(b: Uint8Array): string {
  if (b.length > 64) return decoder.decode(b);
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (b[i] >= 0x80) return decoder.decode(b);
    s += String.fromCharCode(b[i]);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// The opcode machine

export interface UnpickleOptions {
  /** Allow-listed globals beyond the base ones, by `module.name`: the value GLOBAL pushes. */
  globals?: ReadonlyMap<string, unknown>;
  /** Resolves persistent ids (torch storages); without it a persistent id is an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Where the pickle starts in the source (default 0). */
  offset?: number;
}

/**
 * Read one pickle from `source` (from `offset`), executing nothing. Returns the value and the offset just
 * past its STOP. Values are null (None), boolean, number (floats and ints that fit), bigint (larger ints),
 * string, ByteRange (bytes, read lazily), arrays (lists; tuples are frozen arrays), Map (dict), Set,
 * PickleObject, PickleClass, PickleFunction, and whatever allow-listed functions return. Every problem is
 * an InputError naming the source, the byte and, for globals, the name.
 * @example const { value } = unpickle(memorySource(bytes, 'net.pkl'), { globals: TORCH_GLOBALS });
 */
export function unpickle(source: ByteSource, options: UnpickleOptions = {}): { value: unknown; end: number } {
  const cur = new Cursor(source, options.offset ?? 0);
  const memo: unknown[] = []; // sparse where PUT skips indices; entries are never undefined
  let memoCount = 0;
  const put = (key: number, value: unknown) => {
    if (memo[key] === undefined) memoCount++;
    memo[key] = value;
  };
  const metastack: unknown[][] = [];
  let stack: unknown[] = [];

  const fail = (message: string) => cur.fail(message);
  const pop = (): unknown => {
    if (stack.length === 0) throw fail('the stack is empty; corrupt');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail('the stack is empty; corrupt');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const below = metastack.pop();
    if (!below) throw fail('no MARK to pop to; corrupt');
    stack = below;
    return items;
  };
  const call = (f: unknown, args: unknown, how: string): unknown => {
    if (!Array.isArray(args)) throw fail(`${how} arguments are ${describe(args)}; expected a tuple`);
    if (f instanceof PickleFunction) {
      try {
        return f.call(args);
      } catch (e) {
        if (e instanceof PickleCallError) throw fail(`${f.qualname}: ${e.message}`);
        throw e;
      }
    }
    if (f instanceof PickleClass) throw refused(source.name, f.qualname); // calling a class runs its code
    throw fail(`${how} of ${describe(f)}; expected an allow-listed function`);
  };
  const instantiate = (cls: unknown, args: unknown[], how: string): unknown => {
    if (cls instanceof PickleClass) {
      if (how !== 'NEWOBJ' && args.length > 0) throw refused(source.name, cls.qualname); // OBJ/INST with arguments call __init__
      return new PickleObject(cls.qualname, args);
    }
    return call(cls, Object.freeze(args), how);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (items.length % 2 !== 0) throw fail('odd number of items for a dict; corrupt');
    const map = target instanceof Map ? target : target instanceof PickleObject ? target.items : null;
    if (!map) throw fail(`SETITEM on ${describe(target)}; expected a dict`);
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    const list = Array.isArray(target) && !Object.isFrozen(target) ? target : target instanceof PickleObject ? target.list : null;
    if (!list) throw fail(`APPEND on ${describe(target)}; expected a list`);
    for (const item of items) list.push(item);
  };
  const persistent = (pid: unknown) => {
    if (!options.persistentLoad) throw fail('persistent id in a plain pickle (only torch.save files have them)');
    try {
      return options.persistentLoad(pid);
    } catch (e) {
      if (e instanceof PickleCallError) throw fail(`persistent id: ${e.message}`);
      throw e;
    }
  };
  const int = (text: string): number | bigint => {
    if (!/^[+-]?\d{1,4300}$/.test(text)) throw fail(`"${printable(text, 40)}" is not an integer; corrupt`);
    return narrow(BigInt(text));
  };
  const memoKey = (text: string): number => {
    const n = Number(text);
    if (!/^\d{1,15}$/.test(text)) throw fail(`memo key "${printable(text, 40)}" is not an integer; corrupt`);
    return n;
  };
  const get = (key: number): unknown => {
    const value = memo[key];
    if (value === undefined) throw fail(`memo key ${key} was never stored; corrupt`);
    return value;
  };
  const textLength = (n: number): number => {
    if (n > MAX_TEXT_BYTES) throw fail(`a string of ${n} bytes is too large for a checkpoint; corrupt`);
    return n;
  };
  const longBytes = (n: number): bigint => {
    if (n > 1024) throw fail(`an integer of ${n} bytes is too large; corrupt`);
    const b = cur.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n); // two's complement
    return v;
  };

  for (;;) {
    cur.opAt = cur.pos;
    const op = cur.u8();
    switch (op) {
      // Framing and control
      case 0x80: { // PROTO
        const version = cur.u8();
        if (version > 5) throw fail(`pickle protocol ${version} is newer than 5; not a pickle or corrupt`);
        break;
      }
      case 0x95: // FRAME: only a hint for buffering
        if (cur.u64() > source.size - cur.pos) throw fail('frame runs past the end of the file; truncated');
        break;
      case 0x2e: // STOP
        return { value: pop(), end: cur.pos };
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      // Scalars
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(cur.u8()); break; // BININT1
      case 0x4d: stack.push(cur.u16()); break; // BININT2
      case 0x4a: stack.push(cur.i32()); break; // BININT
      case 0x8a: stack.push(narrow(longBytes(cur.u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = cur.i32();
        if (n < 0) throw fail('negative integer size; corrupt');
        stack.push(narrow(longBytes(n)));
        break;
      }
      case 0x49: { // INT (text; 00 and 01 are False and True)
        const text = cur.line();
        stack.push(text === '00' ? false : text === '01' ? true : int(text));
        break;
      }
      case 0x4c: stack.push(int(cur.line().replace(/L$/, ''))); break; // LONG (text)
      case 0x47: stack.push(dv(cur.take(8)).getFloat64(0, false)); break; // BINFLOAT (big-endian)
      case 0x46: { // FLOAT (text, as Python's repr writes it)
        const text = cur.line().trim().toLowerCase();
        const special: Record<string, number> = { inf: Infinity, '+inf': Infinity, '-inf': -Infinity, nan: NaN };
        const v = Object.hasOwn(special, text) ? special[text] : (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(text) ? Number(text) : undefined);
        if (v === undefined) throw fail(`"${printable(text, 40)}" is not a float; corrupt`);
        stack.push(v);
        break;
      }

      // Strings and bytes
      case 0x8c: stack.push(utf8(cur.take(cur.u8()))); break; // SHORT_BINUNICODE
      case 0x58: stack.push(utf8(cur.take(textLength(cur.u32())))); break; // BINUNICODE
      case 0x8d: stack.push(utf8(cur.take(textLength(cur.u64())))); break; // BINUNICODE8
      case 0x56: stack.push(rawUnicodeEscape(cur.line())); break; // UNICODE (text)
      case 0x55: stack.push(latin1(cur.take(cur.u8()))); break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: { // BINSTRING
        const n = cur.i32();
        if (n < 0) throw fail('negative string length; corrupt');
        stack.push(latin1Long(cur.take(textLength(n))));
        break;
      }
      case 0x53: stack.push(pythonStringLiteral(cur.line(), fail)); break; // STRING (text repr)
      case 0x43: stack.push(cur.range(cur.u8())); break; // SHORT_BINBYTES
      case 0x42: stack.push(cur.range(cur.u32())); break; // BINBYTES
      case 0x8e: stack.push(cur.range(cur.u64())); break; // BINBYTES8
      case 0x96: stack.push(cur.range(cur.u64())); break; // BYTEARRAY8
      case 0x97: case 0x98: // NEXT_BUFFER, READONLY_BUFFER
        throw fail('out-of-band buffers (pickle protocol 5 buffer_callback) are not supported');

      // Containers
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x74: { // TUPLE
        const items = popMark(); // before `stack.push` is evaluated: popMark replaces `stack`
        stack.push(Object.freeze(items));
        break;
      }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const m = new Map();
        const items = popMark();
        setItems(m, items);
        stack.push(m);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw fail(`ADDITEMS on ${describe(s)}; expected a set`);
        for (const item of items) s.add(item);
        break;
      }
      case 0x91: { // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }

      // Globals, calls and objects
      case 0x63: { // GLOBAL (text: module, name)
        const module = cur.line();
        stack.push(resolveGlobal(module, cur.line(), options.globals, source.name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings; corrupt');
        stack.push(resolveGlobal(module, name, options.globals, source.name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const f = pop();
        stack.push(call(f, args, 'REDUCE'));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) throw fail(`NEWOBJ arguments are ${describe(args)}; expected a tuple`);
        stack.push(instantiate(cls, [...args], 'NEWOBJ'));
        break;
      }
      case 0x92: { // NEWOBJ_EX (keyword arguments are kept out: nothing is constructed)
        pop();
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) throw fail(`NEWOBJ_EX arguments are ${describe(args)}; expected a tuple`);
        stack.push(instantiate(cls, [...args], 'NEWOBJ'));
        break;
      }
      case 0x6f: { // OBJ
        const [cls, ...args] = popMark();
        stack.push(instantiate(cls, args, 'OBJ'));
        break;
      }
      case 0x69: { // INST (text: module, name)
        const module = cur.line();
        const cls = resolveGlobal(module, cur.line(), options.globals, source.name);
        const args = popMark();
        stack.push(instantiate(cls, args, 'INST'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const inst = top();
        if (inst instanceof PickleObject) inst.state = state;
        else if (state !== null) throw fail(`BUILD with state on ${describe(inst)} is not supported`);
        break;
      }
      case 0x82: case 0x83: case 0x84: // EXT1, EXT2, EXT4
        throw fail('extension-registry globals (EXT opcodes) are not allowed');

      // Persistent ids (torch storages)
      case 0x50: stack.push(persistent(cur.line())); break; // PERSID
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID

      // Memo
      case 0x67: stack.push(get(memoKey(cur.line()))); break; // GET
      case 0x68: stack.push(get(cur.u8())); break; // BINGET
      case 0x6a: stack.push(get(cur.u32())); break; // LONG_BINGET
      case 0x70: put(memoKey(cur.line()), top()); break; // PUT
      case 0x71: put(cur.u8(), top()); break; // BINPUT
      case 0x72: put(cur.u32(), top()); break; // LONG_BINPUT
      case 0x94: put(memoCount, top()); break; // MEMOIZE: the next index is len(memo)

      default:
        throw fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}; corrupt or not a pickle`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** An int as a number when it fits exactly, else a bigint. */
function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function latin1Long(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 65536) s += latin1(b.subarray(i, i + 65536));
  return s;
}

/** Protocol 0 UNICODE: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
function rawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u: string | undefined, U: string | undefined) => {
    const code = parseInt(u ?? U ?? '0', 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
  });
}

/** Protocol 0 STRING: a Python string literal in quotes, with backslash escapes. */
function pythonStringLiteral(text: string, fail: (m: string) => InputError): string {
  const q = text[0];
  if (text.length < 2 || (q !== "'" && q !== '"') || text[text.length - 1] !== q) throw fail('STRING argument is not quoted; corrupt');
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
  return text.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : escapes[e] ?? `\\${e}`));
}

function dictFrom(x: unknown, what: string): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  for (const pair of iterableArg(x, what)) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new PickleCallError(`${what} items must be (key, value) pairs`);
    m.set(pair[0], pair[1]);
  }
  return m;
}

function iterableArg(x: unknown, what: string): unknown[] {
  if (Array.isArray(x)) return x;
  if (x instanceof Set) return [...x];
  throw new PickleCallError(`${what} of ${describe(x)}; expected a list`);
}

/** A short description of a value's kind, for error messages. */
export function describe(x: unknown): string {
  if (x === null) return 'None';
  if (x === undefined) return 'nothing';
  if (isTuple(x)) return 'a tuple';
  if (Array.isArray(x)) return 'a list';
  if (x instanceof Map) return 'a dict';
  if (x instanceof Set) return 'a set';
  if (x instanceof ByteRange) return 'bytes';
  if (x instanceof PickleObject) return `a ${printable(x.className)} object`;
  if (x instanceof PickleClass) return `the class ${printable(x.qualname)}`;
  if (x instanceof PickleFunction) return `the function ${x.qualname}`;
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return typeof x === 'bigint' ? 'an int' : typeof x === 'number' ? 'a number' : `a ${typeof x}`;
}
