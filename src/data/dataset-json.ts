// The EDM/StyleGAN dataset layout: images named `00000/img00000000.png` (the first 5 of the 8 digits
// name the folder: 1000 images per folder) and `dataset.json` holding `{"labels": [["00000/img00000000.png", 3], ...]}`
// or `{"labels": null}`. We add `"class_names"` when the classes have names; EDM's loader ignores it.
import { InputError, printable } from '../errors.js';

/** The file holding the labels, at the root of the ZIP or folder. */
export const DATASET_JSON = 'dataset.json';

/** The name of image `index` as EDM's dataset_tool writes it: `00012/img00012345.png`. */
export function imageName(index: number): string {
  const digits = String(index).padStart(8, '0');
  return `${digits.slice(0, 5)}/img${digits}.png`;
}

/** What dataset.json says. */
export interface DatasetLabels {
  /** Class index by image name ('/' separated), or null for an unlabelled dataset. */
  labels: Map<string, number> | null;
  /** Class names by index, when known. */
  classNames: string[] | null;
}

/** Serialise dataset.json; `labels` in image order (null: unlabelled). */
export function serializeDatasetJson(labels: [string, number][] | null, classNames: string[] | null): string {
  return JSON.stringify(classNames ? { labels, class_names: classNames } : { labels });
}

/** Parse dataset.json. Throws InputError naming `where` for anything but class-index labels. */
export function parseDatasetJson(text: string, where: string): DatasetLabels {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${where}: not valid JSON (${printable((e as Error).message)})`); // the message quotes the text
  }
  const fail = (what: string): never => {
    throw new InputError(`${where}: ${what}; expected {"labels": [["00000/img00000000.png", 3], ...]} or {"labels": null}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('not a JSON object');
  const o = raw as { labels?: unknown; class_names?: unknown };
  let classNames: string[] | null = null;
  if (o.class_names !== undefined && o.class_names !== null) {
    if (!Array.isArray(o.class_names) || !o.class_names.every((n) => typeof n === 'string')) fail('"class_names" is not a list of strings');
    classNames = o.class_names as string[];
  }
  if (o.labels === undefined || o.labels === null) return { labels: null, classNames };
  if (!Array.isArray(o.labels)) fail('"labels" is not a list');
  const labels = new Map<string, number>();
  for (const [k, item] of (o.labels as unknown[]).entries()) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string') fail(`labels[${k}] is not a [name, label] pair`);
    const [name, label] = item as [string, unknown];
    if (Array.isArray(label)) throw new InputError(`${where}: labels[${k}] (${printable(name)}) is a vector; only class indices are supported`);
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0) fail(`labels[${k}] (${printable(name)}) is ${printable(JSON.stringify(label) ?? String(label), 40)}, not a class index >= 0`);
    labels.set(name.replaceAll('\\', '/'), label as number);
  }
  return { labels, classNames };
}
