/**
 * The answer to a frame whose body is not valid UTF-8 (issue 14): an application error with
 * the request id when one can be read (the till matches answers by id), never a NAK. The
 * body given is the lossy decoding; only an id of the allowed characters is taken from it.
 */
const ID = /"id"\s*:\s*"([A-Za-z0-9_.:-]{1,64})"/;

export function undecodableAnswer(lossyBody: string): string {
  const id = ID.exec(lossyBody)?.[1] ?? '?';
  return JSON.stringify({ v: 1, id, type: 'error', code: 'bad-encoding', message: 'the frame body is not valid UTF-8' });
}
