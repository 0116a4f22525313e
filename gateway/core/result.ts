/**
 * Expected failures are values, not exceptions (STYLE.md §5): "unknown member", "not enough
 * points" are results the caller must look at. Faults (a corrupt database) are thrown.
 */
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E> = { readonly ok: false; readonly error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });
