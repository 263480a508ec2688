// Property tests of the dataset reader (dataset.ts, dataset-json.ts over files/zip-reader.ts): a dataset ZIP
// in the EDM layout reads back image for image and label for label; damaged ZIPs and arbitrary dataset.json
// text open or are refused with a one-line InputError, quickly, without allocating what damaged headers claim.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutated, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { memorySource } from '../files/byte-source.js';
import { zipFileTable } from '../files/zip-reader.js';
import { ZipWriter } from '../files/zip-writer.js';
import { datasetFromFiles } from './dataset.js';
import { DATASET_JSON, imageName, parseDatasetJson, serializeDatasetJson } from './dataset-json.js';
import { toChw, type Image } from './image.js';
import { encodePng } from './png.js';

/** A small dataset: square images of one size and channel count, labelled or not. */
interface DatasetCase {
  images: Image[];
  labels: number[] | null;
  classNames: string[] | null;
}

const datasetCase: fc.Arbitrary<DatasetCase> = fc
  .record({ resolution: fc.integer({ min: 1, max: 6 }), channels: fc.constantFrom(1, 3), count: fc.integer({ min: 1, max: 4 }), labelled: fc.boolean(), named: fc.boolean() })
  .chain(({ resolution, channels, count, labelled, named }) => {
    const size = resolution * resolution * channels;
    const image = fc.uint8Array({ minLength: size, maxLength: size }).map((data): Image => ({ width: resolution, height: resolution, channels, data }));
    return fc.record({
      images: fc.array(image, { minLength: count, maxLength: count }),
      labels: labelled ? fc.array(fc.integer({ min: 0, max: 9 }), { minLength: count, maxLength: count }) : fc.constant(null),
      classNames: named ? fc.array(fc.string({ maxLength: 5 }), { minLength: 10, maxLength: 10 }) : fc.constant(null),
    });
  });

function datasetZip({ images, labels, classNames }: DatasetCase): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ZipWriter((c) => chunks.push(c.slice()));
  images.forEach((img, i) => zip.add(imageName(i), encodePng(img)));
  zip.add(DATASET_JSON, new TextEncoder().encode(serializeDatasetJson(labels && labels.map((l, i) => [imageName(i), l]), classNames)));
  zip.finish();
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

/** Open a (damaged) dataset ZIP and decode every image, within the limits. */
function checkOpen(bytes: Uint8Array): void {
  const outcome = parseWithin(() => datasetFromFiles(zipFileTable(memorySource(bytes, 'x.zip'))), bytes.length);
  if (!outcome.ok) return;
  const data = outcome.value;
  for (let i = 0; i < data.count; i++) parseWithin(() => data.getImage(i), bytes.length);
}

describe('dataset properties', () => {
  it('a dataset ZIP reads back its images, labels and class names', () => {
    fc.assert(
      fc.property(datasetCase, (c) => {
        const data = datasetFromFiles(zipFileTable(memorySource(datasetZip(c), 'rt.zip')));
        expect(data).toMatchObject({ count: c.images.length, resolution: c.images[0].width, channels: c.images[0].channels, classNames: c.classNames });
        expect(data.labels && [...data.labels]).toEqual(c.labels);
        const labelDim = c.labels ? Math.max(c.classNames?.length ?? 0, ...c.labels.map((l) => l + 1)) : 0;
        expect(data.labelDim).toBe(labelDim);
        c.images.forEach((img, i) => expect(data.getImage(i)).toEqual(toChw(img)));
      }),
      runs(200),
    );
  });

  it('damaged dataset ZIPs open or are refused with a one-line InputError', () => {
    fc.assert(fc.property(datasetCase.chain((c) => mutated(datasetZip(c))), (bytes) => checkOpen(bytes)), runs(1000));
  });

  it('dataset.json: any text or JSON parses or is refused with a one-line InputError', () => {
    const labelsValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(fc.tuple(fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.jsonValue({ maxDepth: 1 })), fc.oneof(fc.integer({ min: -2, max: 2 ** 40 }), fc.double(), fc.jsonValue({ maxDepth: 1 }))), { maxLength: 4 }),
    );
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ labels: labelsValue, class_names: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    );
    fc.assert(fc.property(text, (t) => void parseWithin(() => parseDatasetJson(t, 'dataset.json'), t.length)), runs(1500));
  });
});
