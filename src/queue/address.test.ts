// Queue URLs (address.ts): redis://HOST:PORT/DB with defaults, and one-line problems for anything else.
import { describe, expect, it } from 'vitest';
import { parseQueueUrl } from './address.js';

describe('parseQueueUrl', () => {
  it('reads host, port and database, with the defaults 6379 and 0', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6390/2')).toEqual({ url: 'redis://127.0.0.1:6390/2', host: '127.0.0.1', port: 6390, db: 2 });
    expect(parseQueueUrl('redis://queue.local')).toMatchObject({ host: 'queue.local', port: 6379, db: 0 });
    expect(parseQueueUrl('redis://[::1]:7000/1')).toMatchObject({ host: '::1', port: 7000, db: 1 });
  });

  it('keeps a password out of the URL it shows', () => {
    const address = parseQueueUrl('redis://lego:s3cret@10.0.0.5:6379/0');
    expect(address).toMatchObject({ url: 'redis://10.0.0.5:6379/0', username: 'lego', password: 's3cret' });
  });

  it('says what is wrong with anything else', () => {
    expect(parseQueueUrl('localhost:6379')).toMatch(/^expected a redis:\/\/ URL/);
    expect(parseQueueUrl('http://localhost:6379')).toMatch(/^expected a redis:\/\/ URL/);
    expect(parseQueueUrl('redis://localhost:6379/x')).toMatch(/^database "x" is not a number/);
    expect(parseQueueUrl('not a url')).toMatch(/^expected redis:\/\/HOST:PORT\/DB/);
  });
});
