import { uuidv7 } from '../envelope/ids.js';

/** A fresh UUIDv7, to send as `x-test-id`: CVDIAG adopts it as the rows' `test_id`. */
export function newTestId(): string {
  return uuidv7();
}
