// A flat table of named files, '/' separated and sorted: what both a dataset folder and a dataset ZIP
// look like to the code that reads them (ZIP: zip-reader.ts, folder: fs-files.ts).

/** Files by relative name. */
export interface FileTable {
  /** Files only (no folders), '/' separated, sorted by code unit like Python's sorted(). */
  readonly names: string[];
  /** Where the files are, for messages: the folder or archive path. */
  readonly where: string;
  /** The whole file. Throws InputError naming it. */
  read(name: string): Uint8Array;
  /** The first `length` bytes (fewer if the file is shorter), cheaply where the storage allows. */
  readHead(name: string, length: number): Uint8Array;
  /** Release open files. */
  close(): void;
}

/** Sort names by UTF-16 code unit, as Python sorts str (for ASCII names, identical). */
export const sortNames = (names: string[]) => names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** A file table over bytes in memory (tests, browsers). */
export function memoryFileTable(files: Record<string, Uint8Array>, where = 'memory'): FileTable {
  const get = (name: string) => {
    const bytes = files[name];
    if (!bytes) throw new Error(`internal: ${where}: no file ${name}`);
    return bytes;
  };
  return {
    names: sortNames(Object.keys(files)),
    where,
    read: get,
    readHead: (name, length) => get(name).subarray(0, length),
    close: () => {},
  };
}
