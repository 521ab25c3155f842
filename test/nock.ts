/** Nock for a connector test file: no real network while it runs, no interceptor left over between tests. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';

export function useNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
}
