// dataset.json (dataset-json.ts): round trip, and refusals that stay on one line whatever the file holds.
import { describe, expect, it } from 'vitest';
import { inputError } from '../../test/helpers/input-error.js';
import { parseDatasetJson, serializeDatasetJson } from './dataset-json.js';

describe('dataset.json', () => {
  it('round-trips labels and class names', () => {
    const text = serializeDatasetJson([['00000/img00000000.png', 3], ['00000/img00000001.png', 0]], ['a', 'b', 'c', 'd']);
    expect(parseDatasetJson(text, 'dataset.json')).toEqual({ labels: new Map([['00000/img00000000.png', 3], ['00000/img00000001.png', 0]]), classNames: ['a', 'b', 'c', 'd'] });
    expect(parseDatasetJson('{"labels": null}', 'dataset.json')).toEqual({ labels: null, classNames: null });
  });

  it('keeps refusals on one line when the text has newlines (JSON.parse quotes the text)', () => {
    inputError(() => parseDatasetJson('\n\u0000', 'dataset.json'), 'dataset.json: not valid JSON (', '\\u000a');
    inputError(() => parseDatasetJson('{"labels": [["a\\nb", -1]]}', 'dataset.json'), 'labels[0] (a\\u000ab) is -1, not a class index');
  });
});
